"""Sentences a briefing needs, written from the KPI table in formal Vietnamese.

Every figure comes from a KPI row and is printed by :mod:`briefkit.formatting`; gaps are
computed from the *rounded, printed* figures, so a reader who subtracts the two numbers in a
sentence always finds the gap the sentence states.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from briefkit.formatting import (
    format_number,
    format_percent,
    format_points,
    format_value,
    round_half_up,
)
from briefkit.kpis import KPIS, STATUS_MET, STATUS_NOT_MET, KpiDef, load_index766_weights
from briefkit.periods import Period
from briefkit.wording import gap_unit

PERCENT_DECIMALS = 2


def _row(table: pd.DataFrame, unit_id: str, kpi: str) -> pd.Series:
    rows = table[(table["unit_id"] == unit_id) & (table["kpi"] == kpi)]
    if rows.empty:
        raise KeyError(f"no KPI row for unit {unit_id!r} and KPI {kpi!r}")
    return rows.iloc[0]


def _shown(kpi: KpiDef, value: float) -> float:
    """The figure as a reader sees it (percent for rates), rounded as printed."""
    if kpi.kind == "rate":
        return round_half_up(value * 100, PERCENT_DECIMALS)
    if kpi.kind == "points":
        return round_half_up(value, 2)
    return round_half_up(value, 0)


def _amount_text(kpi: KpiDef, gap: float) -> str:
    """The size of a difference of two shown figures, in the KPI's unit, without sign."""
    if kpi.kind == "rate":
        amount = format_points(gap / 100, PERCENT_DECIMALS)
    elif kpi.kind == "points":
        amount = format_number(abs(gap), 2)
    else:
        amount = format_number(abs(gap))
    return f"{amount} {gap_unit(kpi)}"


def _gap_text(kpi: KpiDef, value: float, target: float) -> str:
    gap = _shown(kpi, value) - _shown(kpi, target)
    if gap == 0:
        return ""
    word = "cao hơn" if gap > 0 else "thấp hơn"
    return f"{word} {_amount_text(kpi, gap)}"


def _value_text(kpi: KpiDef, row: pd.Series, with_counts: bool,
                points: Mapping[str, float] | None = None) -> str:
    if kpi.kind == "rate":
        text = format_percent(row["value"], PERCENT_DECIMALS)
        if with_counts:
            text += (f" ({format_number(row['numerator'])}/{format_number(row['denominator'])}"
                     f" {kpi.noun})")
        return text
    if kpi.kind == "points":
        most = points[kpi.id] if points and kpi.id in points else \
            load_index766_weights()[kpi.id].points
        return f"{format_value(row['value'], 'points')}/{format_number(most)} điểm"
    return f"{format_number(row['value'])} {kpi.noun}"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _target_clause(kpi: KpiDef, target: float, is_max: bool) -> str:
    """What the target asks, after "chỉ tiêu năm 2022": " là 84,47%" for a minimum; for a
    maximum " là tối đa 5 hồ sơ", and " là không để phát sinh hồ sơ nào" when it is none."""
    text = format_value(target, kpi.kind)
    if kpi.kind == "count":
        text += f" {kpi.noun}"
    if not is_max:
        return f" là {text}"
    if _shown(kpi, target) == 0:
        return f" là không để phát sinh {kpi.noun} nào"
    return f" là tối đa {text}"


def kpi_sentence(table: pd.DataFrame, unit_id: str, kpi_id: str, period: Period, *,
                 with_counts: bool = False, with_change: bool = False,
                 opening: bool = True, points: Mapping[str, float] | None = None) -> str:
    """One sentence on one KPI of one unit, with its target and gap where it has one.

    >>> kpi_sentence(table, "*", "online_rate", parse_period("2022Q1"))  # doctest: +SKIP
    'Trong quý I/2022, tỷ lệ hồ sơ được xử lý trực tuyến trên tổng số hồ sơ được giải quyết
    đạt 80,18%, chưa đạt chỉ tiêu năm 2022 là 84,47% (thấp hơn 4,29 điểm phần trăm).'

    ``points``: the Decision-766 points of each points KPI the figures were computed with
    (the "/20 điểm"; default: the packaged weights).
    ``opening=False`` leaves out "Trong quý I/2022, ": the sentence then opens with the KPI
    ("Tỷ lệ hồ sơ … đạt …"), for the findings after the first, so that consecutive sentences
    do not all open with the same words.
    """
    kpi = KPIS[kpi_id]
    row = _row(table, unit_id, kpi_id)
    opening_text = f"Trong {period.label()}, {kpi.phrase}" if opening else \
        _capitalised(kpi.phrase)
    if pd.isna(row["value"]):
        if kpi.kind == "count":
            return f"{opening_text}: chưa có số liệu."
        return f"{opening_text}: không phát sinh {kpi.noun} để tính."
    verb = "đạt" if kpi.kind != "count" else "là"
    sentence = f"{opening_text} {verb} {_value_text(kpi, row, with_counts, points)}"
    target = row.get("target")
    status = row.get("status")
    if status in (STATUS_MET, STATUS_NOT_MET) and pd.notna(target):
        is_max = row.get("target_rule") == "max"
        clause = _target_clause(kpi, target, is_max)
        # against a maximum of none, the gap is the figure itself: not said twice
        gap = "" if is_max and _shown(kpi, target) == 0 else \
            _gap_text(kpi, row["value"], target)
        if status == STATUS_NOT_MET:
            sentence += f", chưa đạt chỉ tiêu năm {period.year}{clause}"
        elif gap and not is_max:
            sentence += f", vượt chỉ tiêu năm {period.year}{clause}"
        else:
            sentence += f", đạt chỉ tiêu năm {period.year}{clause}"
        if gap:
            sentence += f" ({gap})"
    if with_change and pd.notna(row.get("value_prev")):
        sentence += _change_text(kpi, row, period)
    return sentence + "."


def _change_text(kpi: KpiDef, row: pd.Series, period: Period) -> str:
    gap = _shown(kpi, row["value"]) - _shown(kpi, row["value_prev"])
    last = period.shift_years(-1).label()
    if gap == 0:
        return f", bằng cùng kỳ {last}"
    word = "tăng" if gap > 0 else "giảm"
    return f", {word} {_amount_text(kpi, gap)} so với cùng kỳ {last}"


def _short_date(iso: str) -> str:
    """ "01/7/2025": the day on two digits, the month as Decree 30 writes it (01, 02, 3 … 12)."""
    day = pd.Timestamp(iso)
    month = f"{day.month:02d}" if day.month <= 2 else str(day.month)
    return f"{day.day:02d}/{month}/{day.year}"


def _joined(names: list[str]) -> str:
    """ "A, B và C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} và {names[-1]}"


def predecessors_sentence(formers: list[dict[str, str]], period: Period) -> str | None:
    """The sentence saying that the same period last year adds up former units' figures
    (``formers``: a unit's entry of the bundle's ``unit_changes``: ``name``, ``until``), or
    None when none of them existed then.

    "Số liệu cùng kỳ năm trước là số liệu cộng gộp của các đơn vị cũ: UBND Phường 1, UBND
    Phường 2 và UBND Phường 3 (hợp nhất từ ngày 01/7/2025)."
    """
    start = period.shift_years(-1).start
    named = [f for f in formers if start < pd.Timestamp(f["until"])]
    if not named:
        return None
    since = _short_date(max(f["until"] for f in named))
    names = _joined([f["name"] for f in named])
    if len(named) == 1:
        return (f"Số liệu cùng kỳ năm trước bao gồm số liệu của đơn vị cũ: {names} "
                f"(hợp nhất từ ngày {since}).")
    return (f"Số liệu cùng kỳ năm trước là số liệu cộng gộp của các đơn vị cũ: {names} "
            f"(hợp nhất từ ngày {since}).")


@dataclass(frozen=True)
class Shortfall:
    """A unit below (or above, for a maximum) its target on one KPI, as a directive names it."""

    unit_id: str
    unit_name: str
    value: float
    target: float
    gap_text: str


def units_below_target(table: pd.DataFrame, kpi_id: str) -> list[Shortfall]:
    """Units (not roll-ups) that miss the KPI's target, the largest gap first."""
    kpi = KPIS[kpi_id]
    rows = table[(table["kpi"] == kpi_id) & (table["status"] == STATUS_NOT_MET)
                 & ~table["is_rollup"]]
    gaps = [abs(_shown(kpi, v) - _shown(kpi, t)) for v, t in zip(rows["value"], rows["target"],
                                                                  strict=True)]
    rows = rows.assign(_gap=gaps).sort_values(["_gap", "unit_name"], ascending=[False, True])
    return [Shortfall(unit_id, unit_name, value, target, _gap_text(kpi, value, target))
            for unit_id, unit_name, value, target in zip(
                rows["unit_id"], rows["unit_name"], rows["value"], rows["target"], strict=True)]


def below_target_sentence(table: pd.DataFrame, kpi_id: str, period: Period, *,
                          opening: bool = True) -> str:
    """The sentence naming every unit below target, with its value and gap.

    "Các đơn vị chưa đạt chỉ tiêu về tỷ lệ … (84,47%): Phòng Tư pháp (72,10%, thấp hơn
    12,37 điểm phần trăm); UBND Phường 3 (80,00%, thấp hơn 4,47 điểm phần trăm)."
    ``opening=False`` leaves out "Trong quý I/2022, " (see :func:`kpi_sentence`).
    """
    lead = f"Trong {period.label()}, " if opening else ""
    kpi = KPIS[kpi_id]
    shortfalls = units_below_target(table, kpi_id)
    judged = table[(table["kpi"] == kpi_id) & ~table["is_rollup"]
                   & table["status"].isin([STATUS_MET, STATUS_NOT_MET])]
    if judged.empty:
        return _capitalised(f"{lead}chưa có đơn vị nào được đánh giá về {kpi.phrase}.")
    if not shortfalls:
        return _capitalised(f"{lead}tất cả các đơn vị đều đạt chỉ tiêu năm {period.year} "
                            f"về {kpi.phrase}.")
    targets = {_shown(kpi, s.target) for s in shortfalls}
    common = len(targets) == 1
    head = _capitalised(f"{lead}có {len(shortfalls)}/{len(judged)} đơn vị chưa đạt chỉ "
                        f"tiêu năm {period.year} về {kpi.phrase}")
    if common:
        head += f" ({format_value(shortfalls[0].target, kpi.kind)})"
    parts = []
    for s in shortfalls:
        detail = format_value(s.value, kpi.kind)
        if not common:
            detail += f", chỉ tiêu {format_value(s.target, kpi.kind)}"
        parts.append(f"{s.unit_name} ({detail}, {s.gap_text})")
    return head + ": " + "; ".join(parts) + "."
