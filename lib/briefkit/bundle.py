"""The prepared bundle: everything the briefings of one period show, computed once.

Data flows one way: files → validated frames → **prepared bundle** → notebooks. A run loads
and validates the data, computes the period's KPI table, the history of every unit (one pass
over the periods), the late dossiers without an apology letter, and reads the targets, the
Decision-766 weights and the header, once (:func:`build_bundle`). Each notebook then gets its
**slice** (:meth:`Bundle.unit_slice`: the rows its briefing reads, nothing else) and loads it in
milliseconds instead of recomputing everything.

A slice travels as a few files (:meth:`Bundle.to_files`: ``table.parquet``,
``history.parquet``, ``late.parquet`` and ``bundle.json``), so it can be written into a worker's
folder or shipped to a Dask worker on another machine; :func:`load_bundle` reads it back
identically (a test checks every frame round-trips exactly). Its **fingerprint**
(:meth:`Bundle.fingerprint`) names exactly what the briefing was computed from: the batch
rebuilds a unit only when its fingerprint, notebook, settings or briefkit version change, and
a unit briefing's
provenance carries its slice's fingerprint, so a change in another unit's dossiers changes
neither the bytes nor the provenance of this unit's documents.

An analyst who opens a notebook by hand passes no bundle: :func:`briefkit.briefing.prepare`
builds the bundle on the fly and takes the same slice, so the figures come from the same code.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from briefkit import __version__
from briefkit.data import Dataset, load_dataset
from briefkit.kpis import late_without_apology, load_index766_weights, shown_in
from briefkit.periods import Period, parse_period

__all__ = [
    "BUNDLE_FILES",
    "BUNDLE_VERSION",
    "PEER_KPIS",
    "Bundle",
    "build_bundle",
    "load_bundle",
    "load_header",
]

#: Bumped when the files of a bundle change meaning.
BUNDLE_VERSION = 1
#: The files of a bundle.
BUNDLE_FILES = ("bundle.json", "table.parquet", "history.parquet", "late.parquet")
#: The KPIs a unit briefing compares with the units of its kind (its peer chart): the only
#: rows of other units a unit's slice holds.
PEER_KPIS = shown_in("peer")
_FRAMES = ("table", "history", "late")
#: Columns of the KPI table that depend on every unit's figures: not in a unit's slice.
_OVERVIEW_ONLY = ("rank",)


def load_header(path: str | Path | None) -> dict[str, Any]:
    """The document settings (Decree-30 header, closing block, file names: see
    :mod:`briefkit.settings`) from a YAML file, validated; ``{}`` without one. Raises
    :class:`~briefkit.problems.InputError` naming the file and the key of every problem."""
    from briefkit.settings import load_settings

    return load_settings(path)


@dataclass
class Bundle:
    """The prepared data of a period (or one unit's slice of it, ``unit_id`` set).

    ``table``: the KPI table (:func:`briefkit.kpis.compute_kpis`); ``history``: the stacked
    tables of the trailing periods (:func:`briefkit.kpis.kpi_history`); ``late``: the late
    dossiers without an apology letter (:func:`briefkit.kpis.late_without_apology`);
    ``header``: the document settings; ``provenance``: what the documents say about their
    origin (:func:`briefkit.manifest.provenance`); ``parameters``: the notebook parameters it
    was built from (text, for the record); ``unit_changes``: for each unit that former units
    became part of, those units (``unit_id``, ``name``, ``until``: the ISO date they ended;
    see :mod:`briefkit.kpis.changes`), empty without unit_changes.
    """

    period: Period
    table: pd.DataFrame
    history: pd.DataFrame
    late: pd.DataFrame
    header: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    unit_id: str | None = None
    unit_changes: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    #: Decision-766 points of each points KPI (the weights the figures were computed with:
    #: the "19,85/20 điểm" of a sentence). Empty: the packaged weights.
    points: dict[str, float] = field(default_factory=dict)
    #: What :meth:`fingerprint` hashes of each frame, by frame name and ``id`` of the frame
    #: (the frames are never changed in place). Not an init field: a slice made with
    #: :func:`dataclasses.replace` starts empty.
    _frame_bytes: dict[str, tuple[int, bytes]] = field(default_factory=dict, init=False,
                                                       repr=False, compare=False)
    #: Row hashes of whole frames (by frame name and columns), which the slices' own are
    #: taken from: a row's hash depends on that row alone.
    _row_hashes: dict[tuple[str, tuple[str, ...]], tuple[int, np.ndarray]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    # ------------------------------------------------------------------ slices

    def unit_slice(self, unit_id: str) -> Bundle:
        """What the briefing of ``unit_id`` reads: its own rows of the KPI table, the rows of
        the units of its kind for :data:`PEER_KPIS`, its own history and late dossiers.

        The slice has no ``rank`` column: a unit's rank among all units changes with any
        unit's figures, so it is the overview's to show (the peer chart orders the peers by
        their values, which the slice holds).

        Its document settings keep only the unit's own override (``units.<id>``), so another
        unit's signer or recipients do not change this unit's slice.

        Its provenance names the slice's own fingerprint (``data_sha256``) instead of the
        whole data folder's, and drops the per-file hashes: both change with any unit's data,
        and the document must change only when its own figures do. The manifest records the
        run's data fingerprint beside every unit's slice fingerprint.

        A unit whose figures of the period add up former units' (``basis`` ``predecessors``)
        also lists their late dossiers as its own, and keeps its entry of ``unit_changes``.
        """
        from briefkit.settings import unit_part

        unit_id = str(unit_id)
        table = self.table
        own = table["unit_id"] == unit_id
        if not own.any():
            ended = [f["until"] for formers in self.unit_changes.values() for f in formers
                     if f["unit_id"] == unit_id]
            if ended:
                raise KeyError(f"unit {unit_id!r} ended on {ended[0]} (unit_changes): it has "
                               f"no figures for {self.period.spec}")
            raise KeyError(f"unit {unit_id!r} is not in units.csv")
        kind = table.loc[own, "kind"].iloc[0]
        peers = (table["kpi"].isin(PEER_KPIS) & (table["kind"] == kind)
                 & ~table["is_rollup"].astype(bool))
        provenance = {k: v for k, v in self.provenance.items()
                      if k not in ("data_sha256", "data_files")}
        changes = {unit_id: self.unit_changes[unit_id]} if unit_id in self.unit_changes \
            else {}
        formers = [u["unit_id"] for u in changes.get(unit_id, [])
                   if self.period.start < pd.Timestamp(u["until"])]
        # former units' rows are relabelled (hashed as they become); else a plain selection
        late_rows = None if formers else self.late["unit_id"] == unit_id
        late = self.late[late_rows] if late_rows is not None else \
            self.late[self.late["unit_id"].isin([unit_id, *formers])].assign(unit_id=unit_id)
        columns = [c for c in table.columns if c not in _OVERVIEW_ONLY]
        table_rows = own | peers
        history_rows = self.history["unit_id"] == unit_id
        part = replace(self, unit_id=unit_id, unit_changes=changes,
                       table=table.loc[table_rows, columns].reset_index(drop=True),
                       history=self.history[history_rows].reset_index(drop=True),
                       late=late.reset_index(drop=True),
                       provenance=provenance, header=unit_part(self.header, unit_id),
                       parameters={**self.parameters, "unit_id": unit_id})
        # the slice's row hashes taken from the whole frames' (hashed once for all slices)
        part._hashed_frame("table", self._rows_of("table", columns, table_rows))
        part._hashed_frame("history", self._rows_of("history", None, history_rows))
        if late_rows is not None:
            part._hashed_frame("late", self._rows_of("late", None, late_rows))
        part.provenance = {**provenance, "data_sha256": part.fingerprint(provenance=False)}
        return part

    def _rows_of(self, name: str, columns: list[str] | None, rows: pd.Series) -> np.ndarray:
        """The row hashes of ``rows`` of frame ``name`` (its ``columns``; None: all), from the
        whole frame's, computed once: what hashing that selection itself gives."""
        frame = getattr(self, name)
        key = (name, tuple(frame.columns if columns is None else columns))
        known = self._row_hashes.get(key)
        if known is None or known[0] != id(frame):
            whole = frame if columns is None else frame[columns]
            known = self._row_hashes[key] = (
                id(frame), pd.util.hash_pandas_object(whole, index=False).to_numpy())
        selected: np.ndarray = known[1][np.asarray(rows, dtype=bool)]
        return selected

    # ------------------------------------------------------------------ files

    def _meta(self, *, provenance: bool = True) -> dict[str, Any]:
        from briefkit.manifest import jsonable

        meta: dict[str, Any] = {
            "bundle_version": BUNDLE_VERSION, "briefkit": __version__,
            "period": self.period.spec, "convention": self.period.convention,
            "unit_id": self.unit_id, "header": jsonable(self.header),
            "parameters": jsonable(self.parameters),
        }
        if provenance:
            meta["provenance"] = jsonable(self.provenance)
        if self.unit_changes:  # absent without unit_changes: the same bytes as before them
            meta["unit_changes"] = jsonable(self.unit_changes)
        if self.points:
            meta["points"] = jsonable(self.points)
        return meta

    def to_files(self, *, provenance: bool = True) -> dict[str, bytes]:
        """The bundle as ``{file name: bytes}`` (:data:`BUNDLE_FILES`), deterministic: the
        same bundle gives the same bytes in any process."""
        files = {"bundle.json": json.dumps(self._meta(provenance=provenance),
                                           ensure_ascii=False, sort_keys=True,
                                           indent=1).encode("utf-8")}
        for name in _FRAMES:
            buffer = io.BytesIO()
            getattr(self, name).to_parquet(buffer, index=False, engine="pyarrow",
                                           compression="zstd")
            files[f"{name}.parquet"] = buffer.getvalue()
        return files

    def fingerprint(self, *, provenance: bool = True) -> str:
        """sha256 of the bundle's content: its metadata (as in ``bundle.json``) and, for
        each frame, its columns, dtypes and pandas' row hashes. Cheap (no Parquet encoding),
        the same in any process, and equal for a bundle and its copy read back."""
        digest = hashlib.sha256(json.dumps(self._meta(provenance=provenance),
                                           ensure_ascii=False, sort_keys=True).encode("utf-8"))
        for name in _FRAMES:
            digest.update(self._hashed_frame(name))
        return digest.hexdigest()

    def _hashed_frame(self, name: str, rows: np.ndarray | None = None) -> bytes:
        """A frame's part of :meth:`fingerprint` (row hashes are the costly part: computed
        once per frame, whether the fingerprint is asked with or without provenance;
        ``rows``: the frame's row hashes when they are known already)."""
        frame = getattr(self, name)
        known = self._frame_bytes.get(name)
        if known is None or known[0] != id(frame):
            if rows is None:
                rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
            data = b"".join((
                f"\n{name}:{len(frame)}:".encode(),
                json.dumps([[str(c), str(t)] for c, t in frame.dtypes.items()],
                           ensure_ascii=False).encode("utf-8"),
                rows.tobytes()))
            known = self._frame_bytes[name] = (id(frame), data)
        return known[1]

    def save(self, folder: str | Path) -> Path:
        """Write :meth:`to_files` into ``folder`` (created)."""
        from briefkit.iorw import atomic_write_bytes

        folder = Path(folder)
        for name, data in self.to_files().items():
            atomic_write_bytes(folder / name, data)
        return folder


def load_bundle(folder: str | Path) -> Bundle:
    """Read a bundle written by :meth:`Bundle.save` (or a worker's copy of a slice)."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"{folder}: not a prepared bundle (no bundle.json)") from None
    if meta.get("bundle_version") != BUNDLE_VERSION:
        raise ValueError(f"{folder}: bundle version {meta.get('bundle_version')!r}, this "
                         f"briefkit reads version {BUNDLE_VERSION}")
    frames = {name: pd.read_parquet(folder / f"{name}.parquet", engine="pyarrow")
              for name in _FRAMES}
    return Bundle(parse_period(meta["period"], meta["convention"]), frames["table"],
                  frames["history"], frames["late"], dict(meta.get("header") or {}),
                  dict(meta.get("provenance") or {}), dict(meta.get("parameters") or {}),
                  meta.get("unit_id"), dict(meta.get("unit_changes") or {}),
                  {str(k): float(v) for k, v in (meta.get("points") or {}).items()})


def build_bundle(data_dir: str | Path, period: str, *, convention: str = "calendar",
                 targets_file: str | Path | None = None, header_file: str | Path | None = None,
                 index766_file: str | Path | None = None, history_periods: int = 8,
                 dataset: Dataset | None = None, generated_at: _dt.datetime | None = None,
                 parameters: Mapping[str, Any] | None = None) -> Bundle:
    """Load, validate and compute everything the briefings of ``period`` show.

    ``dataset``: the data when the caller already loaded it. The period's KPI table and the
    history come from one :func:`briefkit.kpis.kpi_tables` pass. ``generated_at``: the
    documents' time (default: the run time of :func:`briefkit.clock.run_time` turned into
    the document date, see :mod:`briefkit.clock`). Raises
    :class:`~briefkit.problems.InputError` on bad input.
    """
    from briefkit.clock import document_date, document_timestamp, run_time
    from briefkit.kpis import UnitChanges, kpi_tables
    from briefkit.manifest import provenance
    from briefkit.targets import load_targets

    spec = parse_period(period, convention)  # type: ignore[arg-type]
    targets = load_targets(targets_file) if targets_file else None
    weights = load_index766_weights(index766_file)
    ds = dataset if dataset is not None else load_dataset(data_dir)
    from briefkit.manifest import jsonable

    header = jsonable(load_header(header_file))  # as it reads back from bundle.json
    table, history = kpi_tables(ds, spec, history_periods, targets, weights=weights)
    late = late_without_apology(ds, spec)
    changes = UnitChanges.of(ds)
    if changes:  # a former unit's dossiers, once it has ended, are its new unit's
        late["unit_id"] = late["unit_id"].map(lambda u: changes.successor_in(u, spec)).astype(
            late["unit_id"].dtype)
    day = document_date(generated_at or run_time(), header.get("date"))
    when = generated_at or document_timestamp(day)
    if header and not header.get("date"):
        header["date"] = day.isoformat()  # the run's date, not each worker's "today"
    params = dict(parameters) if parameters is not None else {
        "data_dir": str(data_dir), "period": spec.spec, "convention": spec.convention,
        "targets_file": str(targets_file) if targets_file else None,
        "header_file": str(header_file) if header_file else None,
        "index766_file": str(index766_file) if index766_file else None}
    return Bundle(spec, table, history, late, header,
                  provenance(ds, spec, params, generated_at=when), params,
                  unit_changes=changes.describe(ds.units),
                  points={kpi: rule.points for kpi, rule in weights.items()})
