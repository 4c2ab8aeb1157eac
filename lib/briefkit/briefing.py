"""What a briefing notebook needs, built from its parameters in one call.

The notebooks stay thin: ``b = briefing.prepare(**parameters)`` then display blocks. Everything
here reads the prepared bundle (:mod:`briefkit.bundle`), so the briefing, kpis.csv and the
annex always show the same figures. In a batch the notebook receives its slice of the bundle
(the ``bundle`` parameter: a folder) and loads it in milliseconds; opened by hand, without a
bundle, it builds the bundle on the fly and takes the same slice — the same code path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from briefkit.bundle import PEER_KPIS, Bundle, build_bundle, load_bundle, load_header as load_header
from briefkit.kpis import KPIS, STATUS_NOT_MET, shown_in
from briefkit.narrative import below_target_sentence, kpi_sentence, predecessors_sentence
from briefkit.periods import Period
from briefkit.problems import InputError, Problem

# Which KPIs each part of a briefing shows is declared once, on the KPI definitions
# (briefkit.kpis.registry: KpiDef.shown, in the order a directive discusses them).
#: The KPIs of a unit briefing's table.
UNIT_KPIS = list(shown_in("unit"))
#: The KPI of the unit briefing's trend and peer charts (its slice holds the peers' rows).
PEER_KPI = PEER_KPIS[0]
#: The KPIs whose shortfalls the overview names unit by unit.
FOLLOW_UP_KPIS = list(shown_in("follow_up"))
#: The columns of the overview's heat map.
HEATMAP_KPIS = list(shown_in("heatmap"))


@dataclass
class Briefing:
    """The prepared data a notebook displays (see :class:`briefkit.bundle.Bundle`)."""

    period: Period
    table: pd.DataFrame
    history: pd.DataFrame
    late: pd.DataFrame
    header: dict[str, Any]
    provenance: dict[str, Any]
    parameters: dict[str, Any] = field(default_factory=dict)
    unit_id: str | None = None
    #: unit → its former units (see :class:`briefkit.bundle.Bundle`)
    unit_changes: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    #: Decision-766 points per points KPI (see :class:`briefkit.bundle.Bundle`)
    points: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_bundle(cls, bundle: Bundle) -> Briefing:
        return cls(bundle.period, bundle.table, bundle.history, bundle.late, bundle.header,
                   bundle.provenance, bundle.parameters, bundle.unit_id, bundle.unit_changes,
                   bundle.points)

    def unit_name(self, unit_id: str) -> str:
        rows = self.table.loc[self.table["unit_id"] == unit_id, "unit_name"]
        if rows.empty:
            raise KeyError(f"unit {unit_id!r} is not in units.csv")
        return str(rows.iloc[0])

    def row(self, unit_id: str, kpi: str) -> pd.Series:
        rows = self.table[(self.table["unit_id"] == unit_id) & (self.table["kpi"] == kpi)]
        return rows.iloc[0]


def prepare(data_dir: str | Path, period: str, *, convention: str = "calendar",
            targets_file: str | Path | None = None, header_file: str | Path | None = None,
            index766_file: str | Path | None = None, unit_id: str | None = None,
            bundle: str | Path | None = None, history_periods: int = 8,
            **extra: Any) -> Briefing:
    """Everything a briefing shows: from ``bundle`` (a prepared slice's folder, what the batch
    passes) when given, else built from the files now. ``unit_id``: the unit's slice (None:
    the whole period, what the overview shows). Raises InputError on bad input (the notebook
    stops at its first cell with the list of problems)."""
    if bundle:
        return Briefing.from_bundle(load_bundle(bundle))
    if not Path(data_dir).exists() and Path(data_dir).name == "demo":
        # An analyst opening a notebook before the first `make demo`: say how to get the data.
        raise InputError([Problem(str(data_dir), "the demo data has not been generated yet: "
                                  f"run `make demo` or `briefkit demo-data --out {data_dir}`",
                                  rule="missing_folder")])
    try:
        full = build_bundle(data_dir, period, convention=convention, targets_file=targets_file,
                            header_file=header_file, index766_file=index766_file,
                            history_periods=history_periods)
    except ValueError as exc:  # a bad period or weights file: InputError passes through
        raise InputError([Problem(str(data_dir), str(exc))]) from exc
    if unit_id is None:
        return Briefing.from_bundle(full)
    try:
        return Briefing.from_bundle(full.unit_slice(str(unit_id)))
    except KeyError as exc:
        raise InputError([Problem("unit_id", str(exc.args[0]), rule="unknown_unit")]) from None


def unit_sentences(b: Briefing, unit_id: str) -> list[str]:
    """The findings paragraph of a unit briefing: one sentence per reported rate KPI that has a
    value, with target, gap and change against the same period last year; for a unit formed
    from former units, last, one sentence naming those whose figures last year's are."""
    sentences: list[str] = []
    for kpi in shown_in("unit_findings"):
        row = b.row(unit_id, kpi)
        if pd.isna(row["value"]) and KPIS[kpi].kind != "count":
            continue
        # "Trong quý IV/2023, …" opens the first finding only
        sentences.append(kpi_sentence(b.table, unit_id, kpi, b.period,
                                      with_counts=KPIS[kpi].kind == "rate", with_change=True,
                                      points=b.points, opening=not sentences))
    merged = predecessors_sentence(b.unit_changes.get(str(unit_id), []), b.period)
    if merged and sentences:
        sentences.append(merged)
    return sentences


def overview_sentences(b: Briefing) -> list[str]:
    """The overview's findings: the roll-up's results, then the units below each target."""
    sentences = [kpi_sentence(b.table, "*", kpi, b.period, with_counts=KPIS[kpi].is_rate,
                              with_change=True, points=b.points, opening=n == 0)
                 for n, kpi in enumerate(shown_in("overview"))]
    judged = b.table[b.table["status"] != "khong_ap_dung"]
    follow_up = [kpi for kpi in FOLLOW_UP_KPIS if (judged["kpi"] == kpi).any()]
    for n, kpi in enumerate(follow_up):
        # the units below target: a new paragraph of findings, opened by the period once
        sentences.append(below_target_sentence(b.table, kpi, b.period, opening=n == 0))
    return sentences


def recommendations(b: Briefing, unit_id: str | None = None) -> list[str]:
    """Recommendations driven by the gaps: the KPI's advice for each target missed; for the
    overview, addressed to the units that miss it."""
    table = b.table
    missed = table[(table["status"] == STATUS_NOT_MET) & table["kpi"].map(
        lambda k: bool(KPIS[k].advice))]
    items = []
    if unit_id is not None:
        for kpi in missed.loc[missed["unit_id"] == unit_id, "kpi"]:
            items.append(KPIS[kpi].advice)
        return items
    units = missed[~missed["is_rollup"]]
    for kpi, part in units.groupby("kpi", sort=False):
        names = ", ".join(part.sort_values("unit_name")["unit_name"])
        advice = KPIS[str(kpi)].advice
        items.append(f"{names}: {advice[0].lower()}{advice[1:]}")
    return items


def late_without_apology_list(b: Briefing, unit_id: str | None = None) -> pd.DataFrame:
    """The late dossiers without an apology letter (of ``unit_id``, or all), most days late
    first, as :func:`briefkit.kpis.late_without_apology` lists them."""
    late = b.late if unit_id is None else b.late[b.late["unit_id"] == str(unit_id)]
    return late.reset_index(drop=True)


def document_info(b: Briefing, unit_id: str | None = None) -> Any:
    """The document's metadata (the PDF's title, subject, keywords, data fingerprint,
    parameters; the export's file name), displayed as an output the briefing does not print:
    see :func:`briefkit.document.document_info`."""
    from briefkit.document import document_info as info

    name = b.unit_name(str(unit_id)) if unit_id is not None else None
    return info(b.provenance, b.header, unit_id=None if unit_id is None else str(unit_id),
                unit_name=name, period=b.period)


LATE_LIST_COLUMNS = {"dossier_id": "Mã hồ sơ", "procedure_name": "Thủ tục hành chính",
                     "due_at": "Ngày hẹn trả", "resolved_at": "Ngày có kết quả",
                     "days_late": "Số ngày trễ"}
LATE_LIST_LIMIT = 50


def late_list_html(late: pd.DataFrame, limit: int = LATE_LIST_LIMIT) -> str:
    """The late dossiers without an apology letter, most days late first; a long list is cut
    at ``limit`` rows with a sentence saying how many more there are (kpis.csv and the
    executed notebook hold all of them)."""
    from briefkit.formatting import format_number
    from briefkit.report import dossier_list_html, paragraphs_html

    shown = dossier_list_html(late.head(limit), LATE_LIST_COLUMNS,
                              empty_text="Không có hồ sơ giải quyết quá hạn chưa có văn bản "
                                         "xin lỗi.")
    if len(late) > limit:
        shown += paragraphs_html(f"Và {format_number(len(late) - limit)} hồ sơ khác "
                                 f"(tổng số {format_number(len(late))} hồ sơ).")
    return shown
