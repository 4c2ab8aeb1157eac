"""Biểu số 06/VPCP/KSTT: one model of the form, read by every renderer.

The national form (Circular 01/2020/TT-VPCP) is drawn twice: as the first sheet of the Excel
annex (:mod:`briefkit.annex`) and as the overview's HTML table
(:func:`briefkit.report.bieu06_html`). Both draw what this module says, so they cannot group,
label or frame the form differently:

* **rows** (:func:`layout`): units grouped by their ``kind`` under Roman-numbered group rows
  (kinds in the order they first appear; headings from :func:`briefkit.labels.kind_label`),
  units numbered 1, 2, … inside their group; a group whose units are exactly the units of one
  level shows that level's roll-up (``*huyen`` …) on its group row, the way Vietnamese tables
  show sub-totals; level roll-ups that match no group follow the groups ("Cộng …"); the
  all-units roll-up ``*`` closes the form as "Tổng cộng";
* **columns**: (1) "STT", (2) :data:`UNIT_HEADING`, then the figures of
  :data:`briefkit.kpis.BIEU06_COLUMNS` under their group headings (:func:`column_groups`);
* **the frame** (:class:`Frame`): the form's code, the reporting and the receiving unit, the
  period with its actual dates (:func:`period_lines`; they differ under the Decree-09
  convention), the place and date, and the signature area ("Người lập biểu" on the left,
  "Thủ trưởng đơn vị" on the right).

Figures come from :func:`briefkit.kpis.bieu06_frame`, so the form and kpis.csv cannot disagree.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

from briefkit.formatting import format_date, is_missing, to_roman
from briefkit.kpis import BIEU06_COLUMNS, ROLLUP_ALL
from briefkit.labels import kind_label
from briefkit.periods import Period

__all__ = [
    "FORM_CODE",
    "FORM_LEGAL_BASIS",
    "GRAND_TOTAL_LABEL",
    "HEAD_TITLE",
    "PREPARER_TITLE",
    "SIGN_HINT_HEAD",
    "SIGN_HINT_PREPARER",
    "TITLE",
    "UNIT_HEADING",
    "UNIT_OF_MEASURE",
    "Frame",
    "Row",
    "column_groups",
    "layout",
    "period_lines",
    "unit_name",
]

FORM_CODE = "Biểu số 06/VPCP/KSTT"
FORM_LEGAL_BASIS = "Ban hành kèm theo Thông tư số 01/2020/TT-VPCP"
#: The form's title; a province using its own wording passes its own.
TITLE = ("KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ "
         "TRỰC TIẾP GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH")
#: Column (2)'s heading.
UNIT_HEADING = "Đơn vị"
UNIT_OF_MEASURE = "Đơn vị tính: hồ sơ"
GRAND_TOTAL_LABEL = "Tổng cộng"
PREPARER_TITLE = "NGƯỜI LẬP BIỂU"
HEAD_TITLE = "THỦ TRƯỞNG ĐƠN VỊ"
SIGN_HINT_PREPARER = "(Ký, ghi rõ họ tên)"
SIGN_HINT_HEAD = "(Ký, ghi rõ họ tên, đóng dấu)"
#: What a frame line shows when the settings leave it empty: the blank a clerk fills in.
BLANK = "…………………………"

Role = Literal["group", "unit", "subtotal", "total"]


@dataclass(frozen=True)
class Row:
    """One row of the form: ``role`` (``group`` / ``unit`` / ``subtotal`` / ``total``), its
    number in column (1) ("I", "1", or empty), its label in column (2), and the unit (or
    roll-up) whose figures it shows; None for a group row whose units are no level's units
    (its figure cells stay empty)."""

    role: Role
    stt: str
    label: str
    unit_id: str | None

    @property
    def strong(self) -> bool:
        """Group, sub-total and total rows are bold."""
        return self.role != "unit"


def unit_name(name: object, unit_id: str) -> str:
    """The unit's name, or its id where the name is missing (never the text "nan")."""
    return unit_id if is_missing(name) or not str(name).strip() else str(name)


def _rollup_label(unit_id: str, name: object) -> str:
    if unit_id == ROLLUP_ALL:
        return GRAND_TOTAL_LABEL
    text = unit_name(name, unit_id)
    return f"Cộng {text[:1].lower()}{text[1:]}"


def layout(table: pd.DataFrame, kind_labels: Mapping[str, str] | None = None) -> list[Row]:
    """The rows of the form, in order (see the module docstring), from a KPI table (the
    columns ``unit_id``, ``unit_name``, ``kind``, ``level``, ``is_rollup``)."""
    meta = table.drop_duplicates("unit_id").set_index("unit_id")
    is_rollup = meta["is_rollup"].astype(bool)
    units, rollups = meta[~is_rollup], meta[is_rollup]
    kinds: dict[str, list[str]] = {}
    for unit_id, kind in zip(units.index, units["kind"], strict=True):
        kinds.setdefault(kind_label(kind, kind_labels), []).append(str(unit_id))

    # members of each level roll-up, as compute_kpis forms them (units of that level)
    level_members = {
        rid: set(units.index[units["level"].astype(str) == rid.removeprefix("*")])
        for rid in rollups.index if rid != ROLLUP_ALL
    }
    rows: list[Row] = []
    placed: set[str] = set()
    for number, (label, members) in enumerate(kinds.items(), start=1):
        match = next((rid for rid, m in level_members.items()
                      if m == set(members) and rid not in placed), None)
        if match is not None:
            placed.add(match)
        rows.append(Row("group", to_roman(number), label, match))
        rows += [Row("unit", str(i), unit_name(meta.at[u, "unit_name"], u), u)
                 for i, u in enumerate(members, start=1)]
    for rid in level_members:
        if rid not in placed:
            rows.append(Row("subtotal", "", _rollup_label(rid, rollups.at[rid, "unit_name"]),
                            rid))
    if ROLLUP_ALL in rollups.index:
        rows.append(Row("total", "", GRAND_TOTAL_LABEL, ROLLUP_ALL))
    return rows


def column_groups() -> list[tuple[str, list[int]]]:
    """The figure columns' group headings in form order, each with its column numbers
    (("Số hồ sơ nhận giải quyết", [3, 4, 5, 6]), …)."""
    groups: dict[str, list[int]] = {}
    for number, group, _, _ in BIEU06_COLUMNS:
        groups.setdefault(group, []).append(number)
    return list(groups.items())


def _dmy(day: pd.Timestamp) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def period_lines(period: Period) -> tuple[str, str]:
    """The form's period lines: ("Kỳ báo cáo: quý IV/2023", "(Từ ngày 01/10/2023 đến ngày
    31/12/2023)"); the dates are the period's actual first and last day (under the Decree-09
    convention quý I/2022 runs from 15/12/2021 to 14/03/2022)."""
    return (f"Kỳ báo cáo: {period.label()}",
            f"(Từ ngày {_dmy(period.start)} đến ngày {_dmy(period.end)})")


def _text(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True)
class Frame:
    """What surrounds the table: who reports to whom, where and when, who signs.

    ``reporting_unit`` / ``receiving_unit``: the "Đơn vị báo cáo" / "Đơn vị nhận báo cáo"
    lines (empty: a blank to fill in); ``place`` and ``date``: the place-and-date line above
    the head's signature; ``preparer`` / ``head``: the names under "Người lập biểu" and
    "Thủ trưởng đơn vị" (empty: room for a handwritten name).
    """

    reporting_unit: str | None = None
    receiving_unit: str | None = None
    place: str | None = None
    date: _dt.date | None = None
    preparer: str | None = None
    head: str | None = None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | None,
                      date: _dt.date | None = None) -> Frame:
        """The frame from the document settings (``params/header.yaml``): the ``annex:``
        section's ``reporting_unit``, ``receiving_unit``, ``preparer`` and ``head``; the
        reporting unit defaults to the parent body (else the issuing body), the head to the
        signer of the closing block; ``place`` from the settings, ``date`` the documents'."""
        settings = settings or {}
        annex = settings.get("annex") or {}
        signature = settings.get("signature") or {}
        return cls(
            reporting_unit=_text(annex.get("reporting_unit"))
            or _text(settings.get("parent_body")) or _text(settings.get("issuing_body")),
            receiving_unit=_text(annex.get("receiving_unit")),
            place=_text(settings.get("place")),
            date=date,
            preparer=_text(annex.get("preparer")),
            head=_text(annex.get("head")) or _text(signature.get("signer")),
        )

    def unit_lines(self) -> tuple[str, str]:
        return (f"Đơn vị báo cáo: {self.reporting_unit or BLANK}",
                f"Đơn vị nhận báo cáo: {self.receiving_unit or BLANK}")

    def place_date(self) -> str:
        """ "Quận 13, ngày 08 tháng 01 năm 2024" (blanks for what is unknown)."""
        place = self.place or BLANK
        when = format_date(self.date) if self.date is not None else "ngày … tháng … năm …"
        return f"{place}, {when}"
