"""Sheet 2, "Chỉ tiêu": one row per unit and, per KPI, its result, its target and the
judgement in words (see :mod:`briefkit.annex`).

Decisions worth knowing:

* **The "Chỉ tiêu" sheet prints as pages of whole KPIs.** Ten KPIs with target and judgement
  are some thirty columns, which fitted to one page width printed at a third of their size.
  So the sheet is laid out as printed pages side by side: each takes as many whole KPIs as fit
  at 80 % (a KPI group is not split unless it is wider than a page) and starts with its own
  "STT" and "Đơn vị" columns, a column page break after it; the first is titled like the
  sheet, the others "… (tiếp theo)", each has the legend below it. Each sheet of paper is
  thus a complete table, the way a continued table reads in an official annex, and on screen
  it is still one row per unit (the repeated name columns sit where the paper turns). The
  sheet prints at a fixed scale, as large as the widest page allows, kept small enough that
  a table fitting on one page tall at 80 % does (Excel ignores manual page breaks on a sheet
  fitted to pages, so "fit to width" cannot be used here). Repeating the name columns
  as print titles was tried and rejected: the title rows, merged across the first page, then
  print as clipped fragments in the repeated columns of every other page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet

from briefkit import bieu06, wording
from briefkit.annex.cells import (
    _fit_height,
    _lines,
    _merge,
    _print_height,
    _print_setup,
    _print_width,
    _put,
    _width,
)
from briefkit.annex.contents import (
    _OTHER_GROUP_LABEL,
    KPI_GROUP_LABELS,
    KPI_TITLE,
    STATUS_TEXT,
)
from briefkit.annex.styles import (
    _BOLD,
    _CENTER,
    _FILL_HEADER,
    _FILL_MET,
    _FILL_NOT_MET,
    _FONT,
    _FONT_MET,
    _FONT_NOT_MET,
    _HEAD,
    _ITALIC,
    _LEFT,
    _LINE_HEIGHT,
    _LOCALE_CODE,
    _POINTS_PER_WIDTH,
    _PRINT_HEIGHT,
    _PRINT_WIDTH,
    _RIGHT,
    _SHRINK,
    _TITLE,
    FMT_POINTS,
    FMT_RATE,
    MIN_PRINT_SCALE,
)
from briefkit.formatting import format_number, format_percent
from briefkit.kpis import KPIS, ROLLUP_ALL, STATUS_MET, STATUS_NA, STATUS_NOT_MET
from briefkit.periods import Period

KPI_HEADER_ROW = 4  # three header rows: KPI groups, KPIs, "Kết quả" / "Chỉ tiêu" / "Đánh giá"
KPI_FIRST_DATA_ROW = KPI_HEADER_ROW + 3

_KPI_STT_WIDTH = 5.0
_KPI_NAME_WIDTH = 32.0  # at most; a longer name wraps
_KPI_VALUE_WIDTH, _KPI_TARGET_WIDTH, _KPI_STATUS_WIDTH = 9.0, 11.0, 9.0
_KPI_ALONE_WIDTH = 11.0  # a KPI without targets: its one column carries its name
_KPI_NOTE = (
    "Ghi chú: “≥”: đạt khi kết quả bằng hoặc cao hơn chỉ tiêu; “≤”: đạt khi bằng hoặc thấp "
    "hơn; “Không áp dụng”: không đánh giá (không có chỉ tiêu hoặc không có số liệu); ô để "
    "trống: không có số liệu.")
#: The title of the "Chỉ tiêu" sheet's printed pages after the first.
KPI_TITLE_CONTINUED = "KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU (tiếp theo)"


@dataclass(frozen=True)
class KpiColumns:
    """How one KPI sits on the "Chỉ tiêu" sheet.

    ``target`` is ``"none"`` when no unit has a target for it (one column, "Kết quả"),
    ``"header"`` when every target is the same (two columns, "Kết quả" and "Đánh giá"; the
    target, ``header_target``, is written under the KPI's name) and ``"column"`` when targets
    differ between units (a "Chỉ tiêu" column between the two: under ``baseline_plus`` each
    unit has its own).
    """

    kpi: str
    target: Literal["none", "header", "column"]
    header_target: str = ""

    @property
    def headers(self) -> tuple[str, ...]:
        return {"none": ("Kết quả",), "header": ("Kết quả", "Đánh giá"),
                "column": ("Kết quả", "Chỉ tiêu", "Đánh giá")}[self.target]

    @property
    def widths(self) -> tuple[float, ...]:
        return {"none": (_KPI_ALONE_WIDTH,),
                "header": (_KPI_VALUE_WIDTH, _KPI_STATUS_WIDTH),
                "column": (_KPI_VALUE_WIDTH, _KPI_TARGET_WIDTH, _KPI_STATUS_WIDTH)}[self.target]

    @property
    def label(self) -> str:
        definition = KPIS[self.kpi]
        label = definition.label
        if definition.kind == "points" and not label.startswith("Điểm"):
            label += " (điểm)"
        return f"{label}\n{self.header_target}" if self.header_target else label


_rule_sign = wording.rule_sign


def _target_format(fmt: str, rule: object) -> str:
    """Show which way a target goes ("≥ 84,47%") while the cell stays a number."""
    sign = _rule_sign(rule)
    if not sign:
        return fmt
    locale = _LOCALE_CODE if fmt.startswith(_LOCALE_CODE) else ""
    return f'{locale}"{sign}"{fmt.removeprefix(locale)}'


def _target_words(kpi: str, target: float, rule: object) -> str:
    """"Chỉ tiêu: ≥ 98%" (decimals only where the target has them: "≥ 84,47%")."""
    if KPIS[kpi].kind == "rate":
        whole = abs(target * 100 - round(target * 100)) < 1e-9
        text = format_percent(target, 0 if whole else 2)
    else:
        whole = abs(target - round(target)) < 1e-9
        text = format_number(target, 0 if whole else 2)
    return f"Chỉ tiêu: {_rule_sign(rule)}{text}"


def kpi_sheet_columns(table: pd.DataFrame, kpis: Sequence[str], *,
                      show_all_targets: bool = False) -> list[KpiColumns]:
    """The column layout of the "Chỉ tiêu" sheet, KPI by KPI (see :class:`KpiColumns`);
    ``show_all_targets`` gives every KPI its three columns, a fixed layout."""
    plan = []
    for kpi in kpis:
        if show_all_targets:
            plan.append(KpiColumns(kpi, "column"))
            continue
        rows = table[(table["kpi"] == kpi) & table["target"].notna()]
        if rows.empty:
            plan.append(KpiColumns(kpi, "none"))
            continue
        rules = rows["target_rule"] if "target_rule" in rows else pd.Series(None, rows.index)
        distinct = {(round(float(t), 12), _rule_sign(r))
                    for t, r in zip(rows["target"], rules, strict=True)}
        if len(distinct) == 1:
            words = _target_words(kpi, float(rows["target"].iloc[0]), rules.iloc[0])
            plan.append(KpiColumns(kpi, "header", words))
        else:
            plan.append(KpiColumns(kpi, "column"))
    return plan


def _pages_of_columns(plan: Sequence[KpiColumns], capacity: float) -> list[list[KpiColumns]]:
    """KPIs split into printed pages of at most ``capacity`` width each: a KPI group (a run
    of KPIs of one :attr:`~briefkit.kpis.KpiDef.group`) starts a new page rather than being
    split, unless it is wider than a page; a KPI's columns are never split."""
    runs: list[list[KpiColumns]] = []
    for columns in plan:
        if runs and KPIS[runs[-1][-1].kpi].group == KPIS[columns.kpi].group:
            runs[-1].append(columns)
        else:
            runs.append([columns])
    pages: list[list[KpiColumns]] = [[]]
    used = 0.0
    for run in runs:
        width = sum(sum(c.widths) for c in run)
        if pages[-1] and used + width > capacity and width <= capacity:
            pages.append([])
            used = 0.0
        for columns in run:
            if pages[-1] and used + sum(columns.widths) > capacity:
                pages.append([])
                used = 0.0
            pages[-1].append(columns)
            used += sum(columns.widths)
    return pages


def _kpi_rows_in_order(table: pd.DataFrame) -> list[tuple[str, str, bool]]:
    """(unit_id, name, is_rollup): units in table order, then level roll-ups, then ``*``."""
    meta = table.drop_duplicates("unit_id")
    rows = [(str(u), bieu06.unit_name(n, str(u)), bool(r)) for u, n, r in
            zip(meta["unit_id"], meta["unit_name"], meta["is_rollup"], strict=True)]
    units = [r for r in rows if not r[2]]
    rollups = sorted((r for r in rows if r[2]), key=lambda r: r[0] == ROLLUP_ALL)
    return units + rollups


def _status_cell(ws: Worksheet, row: int, col: int, record: pd.Series | None,
                 font: Font) -> None:
    """The judgement in words; "Không áp dụng", wider than the column, is shrunk to fit
    (Excel and LibreOffice both honour "shrink to fit"), so rows stay one line tall."""
    status = str(record["status"]) if record is not None else STATUS_NA
    status_font, fill = font, None
    if status == STATUS_MET:
        status_font, fill = _FONT_MET, _FILL_MET
    elif status == STATUS_NOT_MET:
        status_font, fill = _FONT_NOT_MET, _FILL_NOT_MET
    _put(ws, row, col, STATUS_TEXT.get(status, status), font=status_font, align=_SHRINK,
         fill=fill)


def _kpi_sheet(ws: Worksheet, table: pd.DataFrame, period: Period, kpis: Sequence[str],
               show_all_targets: bool) -> None:
    """One row per unit; per KPI its result, the target where it differs between units, and
    the judgement in words; laid out as printed pages side by side (see the module notes)."""
    rows = _kpi_rows_in_order(table)
    indexed = table.set_index(["unit_id", "kpi"])
    has_rule = "target_rule" in table.columns
    name_width = min(max([24.0, *(len(n) * 1.0 + 3 for _, n, _ in rows)]), _KPI_NAME_WIDTH)
    # pages are cut for the widest name column, so the layout depends on the KPIs alone
    capacity = (_PRINT_WIDTH * 100 / MIN_PRINT_SCALE / _POINTS_PER_WIDTH
                - _KPI_STT_WIDTH - _KPI_NAME_WIDTH)
    plan = kpi_sheet_columns(table, kpis, show_all_targets=show_all_targets)

    # each printed page: its own STT and Đơn vị columns, then whole KPIs
    pages: list[tuple[int, int, list[tuple[int, KpiColumns]]]] = []  # (first, last, KPIs)
    widths: list[float] = []
    for page in _pages_of_columns(plan, capacity):
        start = len(widths) + 1
        widths += [_KPI_STT_WIDTH, name_width]
        placed = []
        for columns in page:
            placed.append((len(widths) + 1, columns))
            widths += columns.widths
        pages.append((start, len(widths), placed))

    def span(first: int, last: int) -> float:
        return sum(widths[first - 1:last])

    top, mid, sub = KPI_HEADER_ROW, KPI_HEADER_ROW + 1, KPI_HEADER_ROW + 2
    note_row = KPI_FIRST_DATA_ROW + len(rows) + 1
    title_lines, group_texts, label_lines = [], [], 1
    for number, (start, end, placed) in enumerate(pages):
        # title block: a page after the first is the table continued ("tiếp theo")
        title = KPI_TITLE if number == 0 else KPI_TITLE_CONTINUED
        _merge(ws, 1, start, 1, end, title, font=_BOLD, align=_TITLE, border=False)
        _merge(ws, 2, start, 2, end, f"Kỳ báo cáo: {period.label()}", font=_ITALIC,
               align=_TITLE, border=False)
        title_lines.append((title, span(start, end)))

        # headers: KPI groups, KPIs (with the target when it is one for all), their columns
        _merge(ws, top, start, sub, start, "STT", fill=_FILL_HEADER)
        _merge(ws, top, start + 1, sub, start + 1, "Đơn vị", fill=_FILL_HEADER)
        groups: list[tuple[str, int, int]] = []
        for first, columns in placed:
            group, last = KPIS[columns.kpi].group, first + len(columns.widths) - 1
            if groups and groups[-1][0] == group:
                groups[-1] = (group, groups[-1][1], last)
            else:
                groups.append((group, first, last))
        for group, first, last in groups:
            text = KPI_GROUP_LABELS.get(group, _OTHER_GROUP_LABEL)
            _merge(ws, top, first, top, last, text, fill=_FILL_HEADER)
            group_texts.append((text, span(first, last)))
        for first, columns in placed:
            last = first + len(columns.widths) - 1
            if columns.target == "none":  # one column: its label takes both rows
                _merge(ws, mid, first, sub, first, columns.label, fill=_FILL_HEADER)
                label_lines = max(label_lines, _lines(columns.label, span(first, last)) - 1)
                continue
            _merge(ws, mid, first, mid, last, columns.label, fill=_FILL_HEADER)
            label_lines = max(label_lines, _lines(columns.label, span(first, last)))
            for offset, header in enumerate(columns.headers):
                _put(ws, sub, first + offset, header, font=_BOLD, align=_HEAD,
                     fill=_FILL_HEADER)
        _merge(ws, note_row, start, note_row, end, _KPI_NOTE, font=_ITALIC, align=_LEFT,
               border=False)
    _fit_height(ws, 1, title_lines, factor=1.45)
    ws.row_dimensions[3].height = _LINE_HEIGHT / 2  # a little air above the table
    _fit_height(ws, top, group_texts)
    ws.row_dimensions[mid].height = label_lines * _LINE_HEIGHT
    _fit_height(ws, note_row, [(_KPI_NOTE, min(span(s, e) for s, e, _ in pages))])

    # body: units numbered 1, 2, …, roll-ups last in bold
    number = 0
    for row, (unit_id, name, rollup) in enumerate(rows, start=KPI_FIRST_DATA_ROW):
        font = _BOLD if rollup else _FONT
        number += 0 if rollup else 1
        for start, _, placed in pages:
            _put(ws, row, start, "" if rollup else str(number), font=font, align=_CENTER)
            _put(ws, row, start + 1, name, font=font, align=_LEFT)
            for first, columns in placed:
                fmt = FMT_POINTS if KPIS[columns.kpi].kind == "points" else FMT_RATE
                key = (unit_id, columns.kpi)
                # a full key of the unique (unit_id, kpi) index: one row, a Series
                record = cast(pd.Series, indexed.loc[key]) if key in indexed.index else None
                value = record["value"] if record is not None else None
                _put(ws, row, first, value, font=font, align=_RIGHT, fmt=fmt)
                if columns.target == "column":
                    target = record["target"] if record is not None else None
                    rule = record["target_rule"] if record is not None and has_rule else None
                    _put(ws, row, first + 1, target, font=font, align=_RIGHT,
                         fmt=_target_format(fmt, rule))
                if columns.target != "none":
                    _status_cell(ws, row, first + len(columns.widths) - 1, record, font)
        _fit_height(ws, row, [(name, name_width)])

    for col, width in enumerate(widths, start=1):
        _width(ws, col, width)
    ws.freeze_panes = cast(Cell, ws.cell(row=KPI_FIRST_DATA_ROW, column=3))  # not merged
    # as large as the widest page allows; a table that fits on one page tall at the smallest
    # scale is kept on one page tall
    scales = [100.0, 100 * _PRINT_WIDTH / max(_print_width(widths[s - 1:e])
                                              for s, e, _ in pages)]
    tall = 100 * _PRINT_HEIGHT / _print_height(ws, note_row)
    if tall >= MIN_PRINT_SCALE:
        scales.append(tall)
    _print_setup(ws, f"{top}:{sub}", scale=int(min(scales)),
                 col_breaks=[end for _, end, _ in pages[:-1]])
