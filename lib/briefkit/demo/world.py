"""The demo worlds as data: units, procedure catalogue, behaviour, calendar rules.

A world is a folder of package data, ``briefkit/resources/demo/<world>/``: ``world.yaml``
(name, default window and size, dossier ids, catalogue vocabulary, days off, behaviour
overrides), ``units.csv`` (every unit with its behaviour) and ``procedures.csv`` (the
catalogue, with yearly volumes and processing times). ``resources/demo/behaviour.yaml``
holds the behaviour every world starts from, ``resources/demo/calendar.yaml`` the dates of
Tết. Read with :mod:`importlib.resources`, so they ship in the wheel.

Units and procedures may have a life: ``since`` (first day) and ``until`` (last day) in
the CSV files. A unit that ends may name the unit it became part of (``successor_id``):
the generator writes those merges to ``unit_changes.csv``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

import numpy as np
import yaml

__all__ = ["WORLDS", "Behaviour", "Catalogue", "UnitSpec", "World", "load_world"]

#: The worlds shipped with briefkit, by the name `briefkit demo-data --world` takes.
WORLDS = ("province", "district")

#: Open ends of a life (a unit or procedure without ``since`` / ``until``).
EARLIEST = np.datetime64("1900-01-01", "D")
LATEST = np.datetime64("2999-12-31", "D")


@dataclass(frozen=True)
class UnitSpec:
    """One unit of a demo world and how it behaves.

    ``online_propensity`` shifts the unit's online uptake in logit points (0 = the world's
    trend); ``volume`` scales the dossiers of each of its procedures (a ward's population);
    rates are per dossier. ``since`` / ``until`` bound its life (ISO dates, empty: open).
    """

    unit_id: str
    name: str
    kind: str
    level: str
    parent_id: str
    agency_code: str  # in the dossier id: <prefix>.<agency_code>-YYMMDD-NNNN
    fields: tuple[str, ...] = ()
    volume: float = 1.0
    online_propensity: float = 0.0
    postal_share: float = 0.02
    late_rate: float = 0.02
    apology_rate: float = 0.7
    documents_per_year: int = 150
    documents_electronic_rate: float = 0.99
    documents_signed_rate: float = 0.98
    aggregate_only: bool = False  # reports Biểu 06 counts only: no dossiers.csv rows
    resolves_dossiers: bool = True
    since: str = ""
    until: str = ""
    successor_id: str = ""  # the unit it became part of the day after `until`

    @property
    def first_day(self) -> np.datetime64:
        return np.datetime64(self.since, "D") if self.since else EARLIEST

    @property
    def last_day(self) -> np.datetime64:
        return np.datetime64(self.until, "D") if self.until else LATEST


@dataclass(frozen=True)
class Catalogue:
    """The procedure catalogue as arrays, in the order of procedures.csv."""

    procedure_id: np.ndarray
    name: np.ndarray
    field: np.ndarray
    level: np.ndarray
    online_level: np.ndarray  # 2, 3 or 4 (old vocabulary, used for behaviour)
    yearly_volume: np.ndarray
    processing_days: np.ndarray
    first_day: np.ndarray  # datetime64[D]: EARLIEST where the procedure has no `since`
    last_day: np.ndarray  # datetime64[D]: LATEST where it has no `until`


@dataclass(frozen=True)
class Behaviour:
    """resources/demo/behaviour.yaml merged with the world's overrides (see that file)."""

    weekday_volume: tuple[float, ...]
    yearly_volume_growth: float
    volume_base_year: int
    tet_rush: Mapping[str, float]
    tet_slow_restart: Mapping[str, float]
    reduced_service: tuple[tuple[str, str, float], ...]
    late_spells: tuple[tuple[str, str, float], ...]
    online_uptake: tuple[tuple[str, float], ...]
    online_level_propensity: Mapping[int, float]
    inter_agency_online_propensity: float
    unit_quarter_online_noise: float
    on_due_date_share: float
    late_delay_geometric_p: float
    same_day_cutoff_minute: int
    stall_rate_by_field: Mapping[str, float]
    stall_rate_default: float
    stall_min_delay_days: int
    stall_mean_extra_delay_days: float
    stuck_share: float
    stuck_min_count: int
    stuck_min_age_days: int
    apology_when_not_late_rate: float
    return_by_post_rate: Mapping[str, float]
    inter_agency_rate_by_field: Mapping[str, float]
    inter_agency_rate_default: float
    inter_agency_by_design: Mapping[str, float]
    office_hours: tuple[tuple[int, int], ...]
    latest_same_day_result_minute: int
    same_day_result_delay_minutes: tuple[int, int]
    warm_up_days: int


@dataclass(frozen=True)
class World:
    """Everything a demo world is made of (see the module's docstring)."""

    key: str
    name: str
    description: str
    start: str
    end: str
    dossiers: int
    dossier_id_prefix: str
    units: tuple[UnitSpec, ...]
    catalogue: Catalogue
    decree_42_effective: str
    field_updated: Mapping[str, str]
    days_off: Mapping[str, Any]
    behaviour: Behaviour
    lunar_new_year: Mapping[int, str]
    extra_wards: Mapping[str, int] = field(default_factory=dict)

    @property
    def has_lives(self) -> bool:
        """Whether some unit starts or ends (a reform): then unit_changes.csv is written."""
        return any(u.since or u.until for u in self.units)


def _resource(*parts: str) -> str:
    return files("briefkit").joinpath("resources", "demo", *parts).read_text(encoding="utf-8")


def _yaml(*parts: str) -> dict[str, Any]:
    loaded = yaml.safe_load(_resource(*parts))
    if not isinstance(loaded, dict):
        raise ValueError(f"resources/demo/{'/'.join(parts)}: not a mapping")
    return loaded


def _rows(*parts: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_resource(*parts))))


_BOOLEAN = {"true": True, "false": False}
_UNIT_NUMBERS: dict[str, type] = {
    "volume": float, "online_propensity": float, "postal_share": float, "late_rate": float,
    "apology_rate": float, "documents_per_year": int, "documents_electronic_rate": float,
    "documents_signed_rate": float,
}


def _unit(row: Mapping[str, str]) -> UnitSpec:
    """A units.csv row; empty cells take the UnitSpec defaults."""
    values: dict[str, Any] = {
        "unit_id": row["unit_id"], "name": row["name"], "kind": row["kind"],
        "level": row["level"], "parent_id": row.get("parent_id") or "",
        "agency_code": row["agency_code"],
        "fields": tuple(f for f in (row.get("fields") or "").split(";") if f),
    }
    for column, convert in _UNIT_NUMBERS.items():
        if row.get(column):
            values[column] = convert(row[column])
    for column in ("aggregate_only", "resolves_dossiers"):
        if row.get(column):
            values[column] = _BOOLEAN[row[column]]
    for column in ("since", "until", "successor_id"):
        values[column] = row.get(column) or ""
    return UnitSpec(**values)


def _catalogue(rows: Sequence[Mapping[str, str]]) -> Catalogue:
    def day(text: str | None, default: np.datetime64) -> np.datetime64:
        return np.datetime64(text, "D") if text else default

    return Catalogue(
        procedure_id=np.array([r["procedure_id"] for r in rows]),
        name=np.array([r["name"] for r in rows]),
        field=np.array([r["field"] for r in rows]),
        level=np.array([r["level"] for r in rows]),
        online_level=np.array([int(r["online_level"]) for r in rows], dtype=np.int64),
        yearly_volume=np.array([float(r["yearly_volume"]) for r in rows], dtype=np.float64),
        processing_days=np.array([int(r["processing_days"]) for r in rows], dtype=np.int64),
        first_day=np.array([day(r.get("since"), EARLIEST) for r in rows], dtype="datetime64[D]"),
        last_day=np.array([day(r.get("until"), LATEST) for r in rows], dtype="datetime64[D]"),
    )


def _behaviour(overrides: Mapping[str, Any]) -> Behaviour:
    merged = _yaml("behaviour.yaml") | dict(overrides)
    return Behaviour(
        **merged
        | {
            "weekday_volume": tuple(merged["weekday_volume"]),
            "reduced_service": tuple(tuple(p) for p in merged["reduced_service"]),
            "late_spells": tuple(tuple(p) for p in merged["late_spells"]),
            "online_uptake": tuple(tuple(p) for p in merged["online_uptake"]),
            "office_hours": tuple(tuple(p) for p in merged["office_hours"]),
            "same_day_result_delay_minutes": tuple(merged["same_day_result_delay_minutes"]),
        }
    )


@cache
def load_world(key: str) -> World:
    """The world ``key`` (one of :data:`WORLDS`), read from the package data."""
    if key not in WORLDS:
        raise ValueError(f"unknown demo world {key!r} (known: {', '.join(WORLDS)})")
    spec = _yaml(key, "world.yaml")
    catalogue = spec.get("catalogue", {})
    return World(
        key=key,
        name=spec["name"],
        description=spec["description"],
        start=str(spec["start"]),
        end=str(spec["end"]),
        dossiers=int(spec["dossiers"]),
        dossier_id_prefix=spec["dossier_id_prefix"],
        units=tuple(_unit(row) for row in _rows(key, "units.csv")),
        catalogue=_catalogue(_rows(key, "procedures.csv")),
        decree_42_effective=catalogue["decree_42_effective"],
        field_updated=catalogue["field_updated"],
        days_off=spec["days_off"],
        behaviour=_behaviour(spec.get("behaviour") or {}),
        lunar_new_year=_yaml("calendar.yaml")["lunar_new_year"],
        extra_wards=spec.get("extra_wards") or {},
    )
