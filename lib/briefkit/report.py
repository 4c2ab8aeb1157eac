"""HTML building blocks of a briefing, displayed by the notebooks with :func:`show`.

Each function returns a fragment that the ``briefing`` template's stylesheet lays out as an
official document (Decree 30/2020/NĐ-CP): the two-column header, the title block, KPI and
ranking tables, the national form Biểu số 06/VPCP/KSTT, numbered lists, and (from
:mod:`briefkit.document`) the closing block with the signature and the recipients.

Rules every block follows, so a briefing cannot print a figure in two ways:

* every number goes through :mod:`briefkit.formatting` (decimal comma, dot for thousands,
  rounding half up); nothing here formats a number itself;
* every piece of text from data is HTML-escaped (unit names may contain ``<`` or ``&``), its
  control characters shown as ``\\x1b`` (:mod:`briefkit.textsafety`);
* a judgement is always a word ("Đạt", "Chưa đạt") with a CSS class for a subtle tint, since a
  briefing is often printed in black and white;
* the fragments carry classes (``bk-…``) and no inline styles: the look lives in one
  stylesheet, the template's ``briefing.css``.

:func:`show` (:mod:`briefkit.blocks`) displays fragments in a notebook as one block carrying
that stylesheet scoped to the block, so JupyterLab shows them as the PDF does; the exporters
strip that copy again.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import numpy as np
import pandas as pd

from briefkit import __version__, bieu06, wording
from briefkit.blocks import block, show
from briefkit.clock import LOCAL_TZ, local_now
from briefkit.document import closing_html, document_info, reference_line_html
from briefkit.formatting import (
    MISSING,
    format_number,
    format_place_date,
    format_points,
    format_ratio,
    format_value,
    is_missing,
    round_half_up,
)
from briefkit.kpis import (
    BIEU06_COLUMNS,
    KPIS,
    ROLLUP_ALL,
    STATUS_MET,
    STATUS_NA,
    STATUS_NOT_MET,
    KpiDef,
    bieu06_frame,
)
from briefkit.labels import KIND_LABELS
from briefkit.periods import Period
from briefkit.settings import resolve
from briefkit.textsafety import html_text

#: The words of a judgement against a target (:mod:`briefkit.wording`, shared by every output).
STATUS_WORDS: dict[str, str] = wording.STATUS_WORDS
_STATUS_CLASSES = {STATUS_MET: "bk-status-met", STATUS_NOT_MET: "bk-status-notmet",
                   STATUS_NA: "bk-status-na"}
#: The national title and motto (Quốc hiệu, Tiêu ngữ) of every official document.
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
#: Document symbol used when a header gives a bare number ("BC" = báo cáo).
DEFAULT_SYMBOL = "BC"
# Headings of group rows by unit kind: briefkit.labels (KIND_LABELS, kind_label), shared with
# the Excel annex; KIND_LABELS stays importable from here.
#: How the two period conventions read in a provenance line.
CONVENTION_LABELS: dict[str, str] = {
    "calendar": "kỳ theo lịch",
    "nd09": "NĐ 09/2019/NĐ-CP (từ ngày 15 tháng trước đến ngày 14)",
}
MINUS = "\u2212"  # a true minus sign: "−120 hồ sơ", never a hyphen
_RATE_DECIMALS = 2
_SHORT_SHA = 12


# ---------------------------------------------------------------------------------------------
# small helpers


def _e(value: Any) -> str:
    """Any value as HTML text: escaped, control characters shown (``\\x1b``; see
    :mod:`briefkit.textsafety`, the one rule of every output)."""
    return html_text(value)


#: What must not break across lines (on escaped text): a period label ("quý IV/2023" never
#: "quý IV/" | "2023") and a number with its unit ("91,71%", "321/350 hồ sơ", "4,66 điểm
#: phần trăm").
_UNBREAKABLE = re.compile(
    r"\d{1,2} tháng (?:đầu|cuối) năm \d{4}|quý [IVX]+/\d{4}|tháng \d{1,2}/\d{4}|năm \d{4}"
    r"|[+−-]?\d[\d.,]*(?:/\d[\d.,]*)?(?:%| (?:hồ sơ|điểm phần trăm|điểm %|điểm|ngày"
    r"|thủ tục|văn bản|đơn vị))")


def _typeset(escaped: str) -> str:
    """Escaped text with its period labels and numbers-with-units in ``bk-nowrap`` spans."""
    return _UNBREAKABLE.sub(lambda m: f'<span class="bk-nowrap">{m.group(0)}</span>', escaped)


def _lines(text: str) -> str:
    """Escaped text whose line breaks become ``<br>`` (titles may run over several lines)."""
    return "<br>".join(_typeset(_e(line.strip())) for line in str(text).splitlines()
                       if line.strip())


def _kpi(kpi_id: str) -> KpiDef:
    try:
        return KPIS[kpi_id]
    except KeyError:
        raise KeyError(f"unknown KPI {kpi_id!r}; known: {', '.join(KPIS)}") from None


def _shown(kpi: KpiDef, value: Any) -> float:
    """The value as printed (fractions rounded at percent precision), so differences of
    printed figures are what a reader computes by hand."""
    if kpi.kind == "rate":
        return float(round_half_up(value, _RATE_DECIMALS + 2))
    if kpi.kind == "points":
        return float(round_half_up(value, 2))
    return float(round_half_up(value, 0))


def signed_difference(kpi: KpiDef, diff: Any, *, unit: bool = True) -> str:
    """A signed difference of two values of a KPI: "+4,29 điểm phần trăm", "−120 hồ sơ",
    "+1,25 điểm".

    The unit is :func:`briefkit.wording.gap_unit`'s, the one the sentences use: percentage
    points for rates, the noun for counts; zero has no sign.
    ``unit=False`` leaves the unit out (for a column whose heading says it).
    """
    if is_missing(diff):
        return MISSING
    diff = float(diff)
    suffix = f" {wording.gap_unit(kpi)}"
    if kpi.kind == "rate":
        text = format_points(diff, _RATE_DECIMALS)
        zero = text == format_points(0, _RATE_DECIMALS)
    elif kpi.kind == "points":
        text = format_number(abs(diff), 2)
        zero = text == format_number(0, 2)
    else:
        text = format_number(abs(diff))
        zero = text == format_number(0)
    sign = "" if zero else ("+" if diff > 0 else MINUS)
    return f"{sign}{text}{suffix if unit else ''}"


def _value_text(kpi: KpiDef, value: Any) -> str:
    return format_value(value, kpi.kind)


def _target_text(kpi: KpiDef, row: Mapping[str, Any]) -> str:
    """"≥ 84,47%" for a minimum (and a baseline-plus, which is a minimum once computed),
    "≤ 0" for a maximum, the bare figure when the table does not say which."""
    target = row.get("target")
    if is_missing(target):
        return MISSING
    return wording.rule_sign(row.get("target_rule")) + _value_text(kpi, target)


def _value_td(kpi: KpiDef, row: Mapping[str, Any]) -> str:
    """The result cell: the value, and for a rate its counts below it ("(3.043/3.836)")."""
    value = row.get("value")
    extra = ""
    if kpi.is_rate and not is_missing(value):
        ratio = format_ratio(row.get("numerator"), row.get("denominator"))
        extra = f'<span class="bk-ratio">({_e(ratio)})</span>'
    return _num_td(_value_text(kpi, value), extra)


def status_html(status: Any) -> str:
    """The judgement as a word in a span with a class for its tint."""
    key = wording.status_key(status)
    return f'<span class="{_STATUS_CLASSES[key]}">{_e(wording.STATUS_WORDS[key])}</span>'


def _change_value(kpi: KpiDef, row: Mapping[str, Any]) -> float:
    """Change on the same period last year, from the *printed* figures when last year's value
    is known (as the narrative computes it), else from the table's ``change`` column."""
    value, prev = row.get("value"), row.get("value_prev")
    if not is_missing(value) and not is_missing(prev):
        return _shown(kpi, value) - _shown(kpi, prev)
    change = row.get("change")
    return np.nan if change is None or is_missing(change) else float(change)


def _unit_rows(table: pd.DataFrame, unit_id: str) -> pd.DataFrame:
    rows = table[table["unit_id"].astype(str) == str(unit_id)]
    if rows.empty:
        raise KeyError(f"no KPI rows for unit {unit_id!r}")
    return rows


def _row_dict(row: pd.Series) -> dict[str, Any]:
    # a KPI table's column labels are str; pandas-stubs types a Series' labels as Hashable
    return cast(dict[str, Any], {k: (None if is_missing(v) else v) for k, v in row.items()})


def _num_td(text: str, extra: str = "") -> str:
    """A figure cell: right-aligned, except the missing-value dash, which is centred as in
    printed statistical tables. ``text`` is plain text; ``extra`` is ready HTML."""
    css = "bk-center" if text == MISSING else "bk-num"
    return f'<td class="{css}">{_e(text)}{extra}</td>'


def _colgroup(classes: Sequence[str]) -> str:
    return "<colgroup>" + "".join(f'<col class="{c}">' if c else "<col>" for c in classes) + \
        "</colgroup>"


# ---------------------------------------------------------------------------------------------
# header and title


def _today() -> _dt.date:
    return _dt.date.today()


def document_number(number: Any, symbol: str | None = None) -> str:
    """The "Số: …" line: "Số: 125/BC-UBND".

    ``number`` may be the whole "125/BC-UBND" (kept as is), a bare number (joined with
    ``symbol``, default "BC"), or empty: a draft then shows the blank the clerk fills in when
    the document is registered ("Số:      /BC-UBND").
    """
    symbol = (symbol or DEFAULT_SYMBOL).strip()
    text = "" if is_missing(number) else str(number).strip()
    if "/" in text:
        return f"Số: {text}"
    if not text:
        return f"Số:\u00a0\u00a0\u00a0\u00a0\u00a0\u00a0/{symbol}"
    return f"Số: {text}/{symbol}"


def header_html(header: Mapping[str, Any]) -> str:
    """The Decree 30 header as a two-column table.

    Left: the parent body (caps, not bold) over the issuing body (caps, bold, short rule
    below), then "Số: …". Right: "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" (caps, bold) over
    "Độc lập - Tự do - Hạnh phúc" (bold, rule below), then the italic place and date.
    "Số" and the date share the second row, so they sit on one line as in the decree's model.

    Keys: ``issuing_body`` (required), ``parent_body`` (optional), ``number`` (see
    :func:`document_number`; optional ``symbol``), ``place`` (required), ``date`` (a date,
    datetime or ISO text; missing = today). The document settings' ``overview`` override
    applies (:func:`briefkit.settings.resolve`); a unit's briefing gets its settings resolved
    for the unit (:meth:`briefkit.bundle.Bundle.unit_slice`).
    """
    header = resolve(header)  # the overview's override (a unit's slice is resolved already)
    issuing = str(header.get("issuing_body") or "").strip()
    if not issuing:
        raise ValueError("header_html needs an 'issuing_body'")
    parent = str(header.get("parent_body") or "").strip()
    date = header.get("date")
    place_date = format_place_date(str(header.get("place") or ""),
                                   _today() if is_missing(date) else date)
    number = document_number(header.get("number"), header.get("symbol"))
    parent_html = (f'<div class="bk-parent-body">{_lines(parent.upper())}</div>'
                   if parent else "")
    return (
        '<table class="bk-header">'
        + _colgroup(["bk-header-left", "bk-header-right"])
        + "<tbody><tr>"
        f"<td>{parent_html}"
        f'<div class="bk-issuing-body">{_lines(issuing.upper())}</div></td>'
        f'<td><div class="bk-national-title">{_e(NATIONAL_TITLE)}</div>'
        f'<div class="bk-motto">{_e(MOTTO)}</div></td>'
        '</tr><tr class="bk-header-second">'
        f'<td><div class="bk-number">{_e(number)}</div></td>'
        f'<td><div class="bk-place-date">{_e(place_date)}</div></td>'
        "</tr></tbody></table>"
    )


def title_html(doc_type: str, title: str, subtitle: str | None = None) -> str:
    """The document type in capitals ("BÁO CÁO") over the title (trích yếu) and an optional
    subtitle, centred and bold, with the short rule the decree puts below.

    The title is the page's ``<h1>``, so it also becomes the PDF's title.
    """
    parts = [
        '<div class="bk-title-block">',
        f'<p class="bk-doctype">{_lines(doc_type.upper())}</p>',
        f'<h1 class="bk-title">{_lines(title)}</h1>',
    ]
    if subtitle:
        parts.append(f'<p class="bk-subtitle">{_lines(subtitle)}</p>')
    parts.append('<div class="bk-title-rule"></div></div>')
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# KPI tables


def kpi_table_html(table: pd.DataFrame, unit_id: str, kpis: Sequence[str] | None = None,
                   *, caption: str | None = None) -> str:
    """One unit's KPIs as a table: STT | Chỉ tiêu | Kết quả | Chỉ tiêu giao | Đánh giá | So với
    cùng kỳ.

    Rates show the percentage over "numerator/denominator" ("80,18%" over "3.043/3.836");
    targets show their rule ("≥ 84,47%", "≤ 0" for a maximum) when the table has a
    ``target_rule`` column; the change uses the ``value_prev``/``change`` columns of
    :func:`briefkit.kpis.compute_kpis` and reads "+4,29 điểm %" or "−120 hồ sơ".
    ``kpis`` picks and orders the rows (default: every KPI the table has, registry order).
    """
    rows = _unit_rows(table, unit_id)
    by_kpi = {str(k): _row_dict(r) for k, (_, r) in zip(rows["kpi"], rows.iterrows(),
                                                          strict=True)}
    wanted = list(kpis) if kpis is not None else [k for k in KPIS if k in by_kpi]
    body = []
    for number, kpi_id in enumerate(wanted, start=1):
        kpi = _kpi(kpi_id)
        row = by_kpi.get(kpi_id)
        if row is None:
            raise KeyError(f"no row for KPI {kpi_id!r} of unit {unit_id!r}")
        body.append(
            f'<tr><td class="bk-stt">{_e(format_number(number))}</td>'
            f"<td>{_e(kpi.label)}</td>"
            + _value_td(kpi, row)
            + _num_td(_target_text(kpi, row))
            + f'<td class="bk-status">{status_html(row.get("status"))}</td>'
            + _num_td(signed_difference(kpi, _change_value(kpi, row)))
            + "</tr>")
    head = ('<thead><tr><th>STT</th><th>Chỉ tiêu</th><th>Kết quả</th><th>Chỉ tiêu giao</th>'
            "<th>Đánh giá</th><th>So với cùng kỳ</th></tr></thead>")
    cap = f'<p class="bk-caption">{_e(caption)}</p>' if caption else ""
    return (cap + '<table class="bk-table bk-kpi">'
            + _colgroup(["bk-col-stt", "bk-col-label", "bk-col-result", "bk-col-target",
                         "bk-col-status", "bk-col-change"])
            + head + "<tbody>" + "".join(body) + "</tbody></table>")


def _ranked(rows: pd.DataFrame, kpi: KpiDef) -> pd.DataFrame:
    """Best first: by the table's ``rank`` when it has one, else by value in the KPI's good
    direction (descending when it has none); units without a value last; ties by name."""
    rows = rows.assign(_name=rows["unit_name"].astype(str))
    if "rank" in rows and rows["rank"].notna().any():
        key = rows["rank"].astype(float)
    else:
        key = rows["value"].astype(float)
        key = key if kpi.direction == "lower" else -key
    return rows.assign(_key=key).sort_values(["_key", "_name"], na_position="last")


def units_table_html(table: pd.DataFrame, kpi_id: str, *, with_total: bool = True,
                     caption: str | None = None) -> str:
    """The overview's ranking of units on one KPI: STT | Đơn vị | value | Chỉ tiêu |
    Chênh lệch so với chỉ tiêu | Đánh giá, best first, then the all-units roll-up ("*") as a
    total row when ``with_total``.

    The gap is the printed value minus the printed target ("−4,29 điểm %").
    """
    kpi = _kpi(kpi_id)
    rows = table[table["kpi"] == kpi_id]
    if rows.empty:
        raise KeyError(f"no rows for KPI {kpi_id!r}")
    units = _ranked(rows[~rows["is_rollup"].astype(bool)], kpi)

    def cells(row: dict[str, Any]) -> str:
        gap = np.nan
        if not is_missing(row.get("value")) and not is_missing(row.get("target")):
            gap = _shown(kpi, row["value"]) - _shown(kpi, row["target"])
        return (_value_td(kpi, row) + _num_td(_target_text(kpi, row))
                + _num_td(signed_difference(kpi, gap))
                + f'<td class="bk-status">{status_html(row.get("status"))}</td>')

    body = []
    for number, (_, series) in enumerate(units.iterrows(), start=1):
        row = _row_dict(series)
        body.append(f'<tr><td class="bk-stt">{_e(format_number(number))}</td>'
                    f'<td>{_e(row.get("unit_name"))}</td>{cells(row)}</tr>')
    total = rows[rows["unit_id"].astype(str) == ROLLUP_ALL]
    if with_total and not total.empty:
        row = _row_dict(total.iloc[0])
        body.append(f'<tr class="bk-total"><td class="bk-stt"></td>'
                    f'<td>{_e(row.get("unit_name") or "Tổng cộng")}</td>{cells(row)}</tr>')
    head = (f"<thead><tr><th>STT</th><th>Đơn vị</th><th>{_e(kpi.label)}</th><th>Chỉ tiêu</th>"
            "<th>Chênh lệch so với chỉ tiêu</th><th>Đánh giá</th></tr></thead>")
    cap = f'<p class="bk-caption">{_e(caption)}</p>' if caption else ""
    cols = _colgroup(["bk-col-stt", "bk-col-unit", "bk-col-result", "bk-col-target",
                      "bk-col-gap", "bk-col-status"])
    return (cap + '<table class="bk-table bk-units">' + cols + head + "<tbody>" + "".join(body)
            + "</tbody></table>")


# ---------------------------------------------------------------------------------------------
# Biểu số 06/VPCP/KSTT


def bieu06_html(table: pd.DataFrame, *, title: str | None = None,
                period_label: str | None = None,
                kind_labels: Mapping[str, str] | None = None,
                landscape: bool = False, period: Period | None = None,
                heading: str | None = None) -> str:
    """Biểu số 06/VPCP/KSTT (Circular 01/2020/TT-VPCP) from a KPI table, laid out by
    :mod:`briefkit.bieu06`, the model the annex's sheet reads too (same rows, groups,
    sub-totals, labels and column headings).

    Two-level header (Số hồ sơ nhận / đã / đang giải quyết over their columns), the column
    numbers (1)…(13) in the header so they repeat on every page, units grouped by kind under
    Roman-numbered group rows that carry their level's sub-total where there is one, and
    "Tổng cộng" last. ``kind_labels`` overrides the group headings. ``period`` adds the
    period lines with the actual dates ("(Từ ngày 01/10/2023 đến ngày 31/12/2023)"); a bare
    ``period_label`` only the first. ``landscape`` puts the form on a turned page;
    ``heading`` (a section heading, "4. Kết quả …") then goes on that page with it, rather
    than alone at the foot of the page before.
    """
    wide = bieu06_frame(table)
    numbers = [n for n, _, _, _ in BIEU06_COLUMNS]

    head = ['<thead><tr><th rowspan="2" class="bk-stt">STT</th>'
            f'<th rowspan="2">{_e(bieu06.UNIT_HEADING)}</th>']
    head += [f'<th colspan="{len(cols)}">{_e(group)}</th>'
             for group, cols in bieu06.column_groups()]
    head.append("</tr><tr>")
    head += [f"<th>{_e(label)}</th>" for _, _, label, _ in BIEU06_COLUMNS]
    head.append('</tr><tr class="bk-colnum">')
    head += [f"<th>({_e(format_number(n))})</th>" for n in [1, 2, *numbers]]
    head.append("</tr></thead>")

    css = {"group": ' class="bk-group"', "subtotal": ' class="bk-subtotal"',
           "total": ' class="bk-total"', "unit": ""}
    body = []
    for row in bieu06.layout(table, kind_labels):
        if row.unit_id is not None:
            # a row (a Series): bieu06_frame is indexed by unit_id, one row per unit
            figures = cast(pd.Series, wide.loc[row.unit_id])
            cells = "".join(_num_td(format_number(figures[n])) for n in numbers)
        else:
            cells = "".join('<td class="bk-num"></td>' for _ in numbers)
        body.append(f'<tr{css[row.role]}><td class="bk-stt">{_e(row.stt)}</td>'
                    f"<td>{_e(row.label)}</td>{cells}</tr>")

    parts = ['<section class="bk-bieu06' + (' bk-landscape"' if landscape else '"') + ">"]
    if heading:
        parts.append(f"<h3>{_e(heading)}</h3>")
    parts.append(f'<p class="bk-form-code">{_e(bieu06.FORM_CODE)}</p>')
    if title:
        parts.append(f'<p class="bk-caption">{_lines(title)}</p>')
    if period is not None:
        line, dates = bieu06.period_lines(period)
        parts.append(f'<p class="bk-caption bk-period">{_e(line)}<br>'
                     f'<span class="bk-dates">{_e(dates)}</span></p>')
    elif period_label:
        parts.append(f'<p class="bk-caption bk-period">Kỳ báo cáo: {_e(period_label)}</p>')
    parts.append(f'<p class="bk-table-note">{_e(bieu06.UNIT_OF_MEASURE)}</p>')
    cols = _colgroup(["bk-col-stt", "bk-col-unit", *[""] * len(numbers)])
    parts.append('<table class="bk-table bk-bieu06">' + cols + "".join(head) + "<tbody>"
                 + "".join(body) + "</tbody></table></section>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------
# generic lists and text


def _short_date(value: Any) -> str:
    """A date in a table cell: "14/03/2022" (day first, as Vietnamese tables write dates)."""
    if is_missing(value):
        return MISSING
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.strftime("%d/%m/%Y")


def _cell(value: Any, dtype: Any) -> tuple[str, str]:
    """(text, css class) for one cell of a generic table, chosen by the column's dtype."""
    if is_missing(value):
        return MISSING, "bk-center"
    if pd.api.types.is_datetime64_any_dtype(dtype) or isinstance(
            value, _dt.date | pd.Timestamp | np.datetime64):
        return _short_date(value), "bk-center"
    if isinstance(value, bool | np.bool_):
        return ("Có" if value else "Không"), "bk-center"
    if isinstance(value, int | np.integer):
        return format_number(value), "bk-num"
    if isinstance(value, float | np.floating):
        return format_number(value, 0 if float(value).is_integer() else 2), "bk-num"
    return str(value), ""


def dossier_list_html(frame: pd.DataFrame, columns: Mapping[str, str], *,
                      caption: str | None = None, empty_text: str = "Không có hồ sơ.") -> str:
    """A numbered table of records (e.g. late dossiers without an apology letter).

    ``columns`` maps a column of ``frame`` to its heading, in display order, e.g.
    ``{"dossier_id": "Mã hồ sơ", "procedure_name": "Thủ tục", "due_at": "Ngày hẹn trả",
    "resolved_at": "Ngày có kết quả", "days_late": "Số ngày trễ"}``. Dates print as
    14/03/2022, numbers through :func:`briefkit.formatting.format_number`, booleans as
    Có/Không, missing as "—". An empty frame gives one sentence instead of an empty table.
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"columns not in the frame: {', '.join(map(str, missing))}")
    cap = f'<p class="bk-caption">{_e(caption)}</p>' if caption else ""
    if frame.empty:
        return cap + f"<p>{_e(empty_text)}</p>"
    head = "<thead><tr><th>STT</th>" + "".join(
        f"<th>{_e(label)}</th>" for label in columns.values()) + "</tr></thead>"
    body = []
    dtypes = {c: frame[c].dtype for c in columns}
    for number, record in enumerate(frame[list(columns)].itertuples(index=False), start=1):
        cells = []
        for column, value in zip(columns, record, strict=True):
            text, css = _cell(value, dtypes[column])
            cells.append(f'<td class="{css}">{_e(text)}</td>' if css else f"<td>{_e(text)}</td>")
        body.append(f'<tr><td class="bk-stt">{_e(format_number(number))}</td>'
                    + "".join(cells) + "</tr>")
    return (cap + '<table class="bk-table bk-list">' + head + "<tbody>" + "".join(body)
            + "</tbody></table>")


def paragraphs_html(sentences: str | Iterable[str]) -> str:
    """Body paragraphs (justified, first-line indent): one ``<p>`` per item; a single string
    is one paragraph. Empty items are skipped."""
    items = [sentences] if isinstance(sentences, str) else list(sentences)
    return "".join(f"<p>{_typeset(_e(s.strip()))}</p>" for s in items if s and s.strip())


def recommendations_html(items: Iterable[str]) -> str:
    """Recommendations as the numbered items of an official text ("1. …", "2. …"), the
    number set in the first-line indent like a paragraph."""
    lis = "".join(f"<li>{_typeset(_e(s.strip()))}</li>" for s in items if s and s.strip())
    return f'<ol class="bk-recommendations">{lis}</ol>' if lis else ""


def _provenance_date(value: Any) -> str:
    """The day a provenance time falls on in Vietnam, as "30/11/2026": the date only, so that
    a run a minute (or an hour) later gives the same documents. An aware time is converted to
    Vietnamese time first (17:00 UTC is already the next day in Hà Nội); a naive one is taken
    as Vietnamese time; a date is itself."""
    if isinstance(value, str):
        value = pd.Timestamp(value.strip())  # ISO 8601; anything else is an error
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(LOCAL_TZ)
        value = value.date()
    if isinstance(value, _dt.date):
        return _short_date(value)
    return str(value)


def _params_text(params: Any) -> str:
    if isinstance(params, Mapping):
        return "; ".join(f"{k}={v}" for k, v in params.items())
    return str(params)


def provenance_html(provenance: Mapping[str, Any]) -> str:
    """A small grey line saying where the figures come from, for whoever checks them later.

    Not for an official document: its text must carry no parameters, hash or version. The
    briefings put their provenance in the PDF's metadata (:func:`document_info`) and, when
    the settings ask for it, a short :func:`reference_line_html`; this line remains for
    working notes.

    Keys (all optional): ``period`` (a :class:`~briefkit.periods.Period` or its label),
    ``convention`` (``calendar``/``nd09``; taken from the Period when absent), ``data_sha256``
    (shown shortened), ``params``/``parameters`` (a mapping or text), ``version`` (default:
    this briefkit), ``generated_at`` (date, datetime or ISO text; default: now). Other keys
    follow as "key: value".

    Of ``generated_at`` only the date is printed ("tạo ngày 30/11/2026", the day in
    Vietnamese time), never the time of day: the batch passes the documents' timestamp
    (:func:`briefkit.clock.document_timestamp`, 00:00 of the document's date), and a run a
    minute later must give the same HTML and PDF. The clock is read only when no
    ``generated_at`` is given.
    """
    info = dict(provenance)
    # The per-file hashes and the period spec are in the manifest and on the annex's
    # "Nguồn dữ liệu" sheet; one line in a briefing carries the combined hash only.
    for detail in ("period_spec", "data_files"):
        info.pop(detail, None)
    parts: list[str] = []
    period = info.pop("period", None)
    convention = info.pop("convention", None)
    if period is not None and hasattr(period, "label"):
        convention = convention or getattr(period, "convention", None)
        period = period.label()
    if period:
        parts.append(f"Kỳ báo cáo: {period}")
    if convention:
        parts.append(f"quy ước: {CONVENTION_LABELS.get(str(convention), str(convention))}")
    sha = info.pop("data_sha256", None)
    if sha:
        parts.append(f"dữ liệu sha256: {str(sha)[:_SHORT_SHA]}")
    params = info.pop("params", None) or info.pop("parameters", None)
    info.pop("parameters", None)
    if params:
        parts.append(f"tham số: {_params_text(params)}")
    parts.append(f"briefkit {info.pop('version', None) or __version__}")
    generated = info.pop("generated_at", None)
    if is_missing(generated):  # a notebook run by hand; a batch gives the document date
        generated = local_now()
    parts.append(f"tạo ngày {_provenance_date(generated)}")
    parts += [f"{k}: {v}" for k, v in info.items() if not is_missing(v)]
    return f'<p class="bk-provenance">{_e(" · ".join(parts))}</p>'


__all__ = [
    "CONVENTION_LABELS",
    "KIND_LABELS",
    "MOTTO",
    "NATIONAL_TITLE",
    "STATUS_WORDS",
    "bieu06_html",
    "block",
    "closing_html",
    "document_info",
    "document_number",
    "dossier_list_html",
    "header_html",
    "kpi_table_html",
    "paragraphs_html",
    "provenance_html",
    "recommendations_html",
    "reference_line_html",
    "show",
    "signed_difference",
    "status_html",
    "title_html",
    "units_table_html",
]
