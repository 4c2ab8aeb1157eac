"""The Excel annex (phụ lục) attached to an official dispatch: Biểu 06, KPI tables, provenance.

The package reads as its flow, one module per step::

    contents ─► styles ─► cells ─► form06 ─► kpi_sheet ─► sources ─► kpi_data ─► save
                                   sheet 1   sheet 2      sheet 3    sheet 4

* :mod:`~briefkit.annex.contents`: what the annex says (sheet names, titles, notices, labels,
  the KPIs of "Chỉ tiêu"); :mod:`~briefkit.annex.styles`: fonts, number formats, print
  geometry; :mod:`~briefkit.annex.cells`: writing a cell (text never a formula, unknown
  empty), merged ranges, row heights, page setup;
* one module per sheet, below; :mod:`~briefkit.annex.save`: the time the file carries and
  its bytes;
* here, the API: :func:`write_annex` and :func:`build_annex` put the sheets together. Every
  name the annex has always offered is importable from here.

Sheets, in order:

1. **"Biểu 06"**: the national form Biểu số 06/VPCP/KSTT (Circular 01/2020/TT-VPCP), laid out
   by :mod:`briefkit.bieu06` (the model the overview's HTML form reads too) and framed as the
   form is: the form's code, the reporting and receiving unit, the period with its actual
   dates, the place and date, "Người lập biểu" and "Thủ trưởng đơn vị" with room to sign; its
   two-level merged headers and column numbers (1)…(13). Units are grouped by their ``kind``
   (a Roman-numbered group row per kind, headed by :func:`briefkit.labels.kind_label`, the
   headings the HTML Biểu 06 uses; units numbered 1, 2, … inside it). A group whose units
   are exactly the units of one level carries that level's roll-up (``*huyen`` …) in its group
   row, the way Vietnamese tables show sub-totals; level roll-ups that match no group are listed
   after the groups ("Cộng các đơn vị cấp …"). The grand total (roll-up ``*``) is the last row,
   "Tổng cộng". Every figure comes from the KPI table via :func:`briefkit.kpis.bieu06_frame`, so
   the annex can never disagree with kpis.csv.
2. **"Chỉ tiêu"**: one row per unit (roll-ups last) and, per main KPI (:data:`ANNEX_KPIS`),
   its result ("Kết quả") and, where some unit has a target, the judgement in words ("Đánh
   giá": "Đạt" / "Chưa đạt" / "—"; text, so it reads the same in black and white, with a light
   green / red fill on top). A target that is the same for every unit that has one is written
   once, under the KPI's name ("Chỉ tiêu: ≥ 98%"); targets that differ between units (each
   unit's last year + 10 points under ``baseline_plus``) get a "Chỉ tiêu" column of their own
   (:func:`kpi_sheet_columns`). A header row above names each KPI group (:data:`KPI_GROUP_LABELS`).
3. **"Nguồn dữ liệu"**: the provenance in Vietnamese (:func:`provenance_rows`: period,
   convention, the data fingerprint, each data file by its name relative to the data folder
   with its sha256, each parameter, briefkit's version, the time), and a note that this sheet
   and the next are for checking, not for print. Not part of the printed annex
   (:data:`PRINTED_SHEETS`): a hidden sheet (Excel and LibreOffice neither print nor export
   hidden sheets; "Unhide" shows it), with a grey tab and a running header saying so.
4. **"KPI (dữ liệu)"**: the long table with exactly the columns and rows of kpis.csv, numbers as
   numbers, for tools that read the annex back. It is machine data, not part of the printed
   annex: it comes last and is hidden like the provenance (printing the whole workbook gave
   19 pages of it), with a grey tab and a running header for whoever unhides and prints it.

Decisions worth knowing are noted where they are made: unknown is empty, numbers stay
numbers, text never becomes a formula (:mod:`~briefkit.annex.cells`); typography and print
(:mod:`~briefkit.annex.styles`); reproducible files (:mod:`~briefkit.annex.save`); the
"Chỉ tiêu" sheet printing as pages of whole KPIs (:mod:`~briefkit.annex.kpi_sheet`). And:

* **Units that only group others** (a district People's Committee above its departments, see
  :func:`briefkit.kpis.container_units`) stay in both tables, with their zeros in Biểu 06 and
  "—" on "Chỉ tiêu", under their kind's heading ("Ủy ban nhân dân"). The annex receives only
  the KPI table, which cannot tell such a unit from one that had no dossiers this period, and
  a unit with zero dossiers is a fact the form should show, not drop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from briefkit import __version__, bieu06
from briefkit.annex.cells import _use_default_font, neutral_text
from briefkit.annex.contents import (
    ANNEX_KPIS,
    BIEU06_FORM as BIEU06_FORM,
    BIEU06_TITLE,
    DATA_SHEET_NOTICE as DATA_SHEET_NOTICE,
    DEFAULT_KIND_LABELS,
    GRAND_TOTAL_LABEL as GRAND_TOTAL_LABEL,
    KPI_GROUP_LABELS,
    KPI_TITLE as KPI_TITLE,
    PARAMETER_LABELS as PARAMETER_LABELS,
    PRINTED_SHEETS as PRINTED_SHEETS,
    PROVENANCE_LABELS as PROVENANCE_LABELS,
    SHEET_BIEU06,
    SHEET_KPI,
    SHEET_KPI_DATA,
    SHEET_SOURCES,
    SOURCES_SHEET_NOTICE as SOURCES_SHEET_NOTICE,
    SOURCES_TITLE as SOURCES_TITLE,
    STATUS_TEXT as STATUS_TEXT,
)
from briefkit.annex.form06 import (
    BIEU06_FIRST_DATA_ROW as BIEU06_FIRST_DATA_ROW,
    BIEU06_HEADER_ROW as BIEU06_HEADER_ROW,
    _bieu06_sheet,
    bieu06_layout,
)
from briefkit.annex.kpi_data import _kpi_data_sheet
from briefkit.annex.kpi_sheet import (
    KPI_FIRST_DATA_ROW as KPI_FIRST_DATA_ROW,
    KPI_HEADER_ROW as KPI_HEADER_ROW,
    KPI_TITLE_CONTINUED as KPI_TITLE_CONTINUED,
    KpiColumns,
    _kpi_sheet,
    kpi_sheet_columns,
)
from briefkit.annex.save import (
    _NO_DATE,
    GENERATED_AT_KEYS as GENERATED_AT_KEYS,
    _save,
    generated_at,
)
from briefkit.annex.sources import _sources_sheet, provenance_rows as provenance_rows
from briefkit.annex.styles import (
    FMT_COUNT as FMT_COUNT,
    FMT_POINTS as FMT_POINTS,
    FMT_RATE as FMT_RATE,
    FONT_NAME as FONT_NAME,
    FONT_SIZE as FONT_SIZE,
    MIN_PRINT_SCALE,
)
from briefkit.iorw import atomic_path
from briefkit.kpis import KPI_CSV_COLUMNS, KPIS
from briefkit.periods import Period
from briefkit.textsafety import FORMULA_TRIGGERS, is_formula_like

__all__ = [
    "ANNEX_KPIS",
    "BIEU06_TITLE",
    "DEFAULT_KIND_LABELS",
    "FORMULA_TRIGGERS",
    "KPI_GROUP_LABELS",
    "MIN_PRINT_SCALE",
    "SHEET_BIEU06",
    "SHEET_KPI",
    "SHEET_KPI_DATA",
    "SHEET_SOURCES",
    "KpiColumns",
    "bieu06_layout",
    "build_annex",
    "generated_at",
    "is_formula_like",
    "kpi_sheet_columns",
    "neutral_text",
    "write_annex",
]


def write_annex(path: str | Path, table: pd.DataFrame, period: Period,
                provenance: Mapping[str, object], *,
                kind_labels: Mapping[str, str] | None = None,
                kpis: Sequence[str] | None = None, title: str | None = None,
                show_all_targets: bool = False, frame: bieu06.Frame | None = None) -> Path:
    """Write the annex workbook to ``path`` atomically and return the path.

    ``table`` is what :func:`briefkit.kpis.compute_kpis` returns; ``provenance`` a flat mapping
    shown on the "Nguồn dữ liệu" sheet (its ``generated_at`` fixes the file's timestamps).
    ``kind_labels`` adds to / overrides :data:`briefkit.labels.KIND_LABELS`; ``kpis`` replaces
    :data:`ANNEX_KPIS`; ``title`` replaces :data:`BIEU06_TITLE`. On the "Chỉ tiêu" sheet a KPI
    gets a status column only when some unit has a target for it, and a target column only
    when targets differ between units (a column of dashes, or of one repeated figure, would
    only make the pages more); ``show_all_targets`` gives every KPI all three columns, a layout
    that depends on the KPI list alone. ``frame``: what surrounds the Biểu 06 table (the
    reporting and receiving unit, place and date, the signatories' names; see
    :class:`briefkit.bieu06.Frame`, built from the document settings by ``briefkit run``);
    without one, the form shows blanks to fill in by hand.

    Nothing appears under ``path`` unless the whole workbook was written.
    """
    workbook = build_annex(table, period, provenance, kind_labels=kind_labels, kpis=kpis,
                           title=title, show_all_targets=show_all_targets, frame=frame)
    when = generated_at(provenance)
    with atomic_path(path) as tmp:
        _save(workbook, tmp, when)
    return Path(path)


def build_annex(table: pd.DataFrame, period: Period, provenance: Mapping[str, object], *,
                kind_labels: Mapping[str, str] | None = None,
                kpis: Sequence[str] | None = None, title: str | None = None,
                show_all_targets: bool = False, frame: bieu06.Frame | None = None
                ) -> Workbook:
    """The annex as an in-memory workbook (see :func:`write_annex`), for callers that add sheets."""
    required = [*KPI_CSV_COLUMNS, "kind", "level", "is_rollup"]
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise ValueError(f"KPI table lacks column(s) {', '.join(missing)}; "
                         f"pass what compute_kpis() returns")
    wanted = list(kpis) if kpis is not None else list(ANNEX_KPIS)
    unknown = [k for k in wanted if k not in KPIS]
    if unknown:
        raise ValueError(f"Unknown KPI id(s) for the annex: {', '.join(unknown)}")
    present = set(table["kpi"])
    chosen = [k for k in wanted if k in present]
    when = generated_at(provenance)  # validated before any work

    workbook = Workbook()
    _use_default_font(workbook)
    form = workbook.active
    assert isinstance(form, Worksheet)  # a new Workbook's one sheet, active
    _bieu06_sheet(form, table, period, kind_labels, title or BIEU06_TITLE,
                  frame or bieu06.Frame())
    _kpi_sheet(workbook.create_sheet(SHEET_KPI), table, period, chosen, show_all_targets)
    _sources_sheet(workbook.create_sheet(SHEET_SOURCES), period, provenance)
    _kpi_data_sheet(workbook.create_sheet(SHEET_KPI_DATA), table)
    form.HeaderFooter.differentFirst = True  # no number on page 1 (Decree 30)
    for name in workbook.sheetnames:
        if name not in PRINTED_SHEETS:
            # hidden sheets are neither printed nor exported to PDF (Excel, LibreOffice); tools
            # still read them, and a user shows them with "Unhide"
            workbook[name].sheet_state = "hidden"

    props = workbook.properties
    props.creator = f"briefkit {__version__}"
    props.lastModifiedBy = props.creator
    props.title = f"Phụ lục: kết quả giải quyết thủ tục hành chính {period.label()}"
    props.subject = f"{BIEU06_FORM}; chỉ tiêu {period.spec}"
    # openpyxl stamps a new workbook with the current time (and cannot write a workbook
    # without one): the annex carries the provenance's time, else the fixed "no date" its zip
    # entries carry too, never the second it was built
    props.created = props.modified = when if when is not None else _NO_DATE
    return workbook
