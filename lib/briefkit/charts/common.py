"""What the charts share: the KPI table checked, Vietnamese numbers on axes and labels, unit
names wrapped, titles, the message figure that stands in for a chart without data, the common
target, rankings and bar heights."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from briefkit.charts.theme import (
    CM,
    DARK_GREY,
    LIGHT_GREY,
    NO_DATA,
    NO_DOSSIERS,
    RATE_LABEL_DECIMALS,
    _new_figure,
    _themed,
)
from briefkit.formatting import format_number, format_percent, format_value
from briefkit.kpis import KPIS, KpiDef
from briefkit.textsafety import visible


def _kpi(kpi: str) -> KpiDef:
    try:
        return KPIS[kpi]
    except KeyError:
        raise ValueError(f"unknown KPI {kpi!r} (known: {', '.join(KPIS)})") from None


def _check_table(table: pd.DataFrame, needed: Sequence[str] = ("unit_id", "kpi", "value"), *,
                 one_period: bool = True) -> None:
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"the KPI table lacks the column(s) {', '.join(missing)}; pass the "
                         "table of briefkit.kpis.compute_kpis")
    if one_period and "period" in table.columns and table["period"].nunique() > 1:
        raise ValueError("the KPI table holds several periods; pass one period's table "
                         "(kpi_history is for online_trend)")


def _unit_row(table: pd.DataFrame, unit_id: str) -> pd.DataFrame:
    rows = table[table["unit_id"].astype(str) == str(unit_id)]
    if rows.empty:
        raise ValueError(f"unit {unit_id!r} is not in the KPI table")
    return rows


def _unit_name(rows: pd.DataFrame, unit_id: str) -> str:
    if "unit_name" in rows.columns:
        names = rows["unit_name"].dropna()
        if not names.empty:
            return str(names.iloc[0])
    return str(unit_id)


def _fmt(value: Any, kpi: KpiDef, *, decimals: int | None = None) -> str:
    """An annotation: rates with :data:`RATE_LABEL_DECIMALS`, the rest by kind."""
    if decimals is None and kpi.kind == "rate":
        decimals = RATE_LABEL_DECIMALS
    return format_value(value, kpi.kind, decimals)


def _fmt_target(value: Any, kpi: KpiDef) -> str:
    return format_value(value, kpi.kind)


def _axis_formatter(kpi: KpiDef) -> FuncFormatter:
    if kpi.kind == "rate":
        return FuncFormatter(lambda x, _pos: format_percent(x, 0))
    if kpi.kind == "points":
        return FuncFormatter(lambda x, _pos: format_number(x, 0 if float(x).is_integer() else 1))
    return FuncFormatter(lambda x, _pos: format_number(x, 0))


def _value_locator(kpi: KpiDef, lo: float, hi: float) -> FixedLocator | MaxNLocator:
    if kpi.kind == "rate":
        step = 0.1 if hi - lo <= 0.5 else 0.2
        start = np.ceil(lo / step - 1e-9) * step
        ticks = np.arange(start, min(hi, 1.0) + 1e-9, step)
        return FixedLocator(np.round(ticks, 10).tolist())
    return MaxNLocator(nbins=5, integer=kpi.kind == "count")


def _count_formatter() -> FuncFormatter:
    return FuncFormatter(lambda x, _pos: format_number(x, 0))


#: Shortening applied to every unit name on a chart (the usual abbreviation in documents).
NAME_ABBREVIATIONS = (("Ủy ban nhân dân", "UBND"), ("Uỷ ban nhân dân", "UBND"),
                      ("ỦY BAN NHÂN DÂN", "UBND"), ("UỶ BAN NHÂN DÂN", "UBND"))


def balanced_wrap(text: str, width: int) -> str:
    """Wrap ``text`` into as few lines as at ``width`` characters, but of even lengths (no
    orphan word on a last line)."""
    lines = textwrap.wrap(text, width, break_on_hyphens=False) or [""]
    for narrower in range(max(len(w) for w in text.split()) if text.split() else 1, width):
        candidate = textwrap.wrap(text, narrower, break_on_hyphens=False)
        if len(candidate) == len(lines):
            return "\n".join(candidate)
    return "\n".join(lines)


def wrap_name(name: str, width: int = 30, max_lines: int = 2) -> str:
    """A unit name for an axis label: "Ủy ban nhân dân" abbreviated to "UBND", wrapped at
    ``width`` characters, cut with "…" beyond ``max_lines`` lines; control characters shown
    as ``\\x1b`` (:func:`briefkit.textsafety.visible`: the SVG is XML, which cannot carry
    them)."""
    text = " ".join(visible(str(name)).split())
    for long, short in NAME_ABBREVIATIONS:
        text = text.replace(long, short)
    lines = textwrap.wrap(text, width=width, break_on_hyphens=False) or [""]
    if len(lines) > max_lines:
        last = " ".join(lines[max_lines - 1:])
        lines = [*lines[:max_lines - 1], textwrap.shorten(last, width=width, placeholder=" …")]
    return "\n".join(lines)


def _title(fig: Figure, title: str | None, default: str) -> None:
    """The chart's title, left-aligned on the figure and wrapped to its width; ``title=""``
    leaves it out (when the document captions the figure itself). Control characters (of a
    unit's name in it) are shown as ``\\x1b``, as by :func:`wrap_name`."""
    text = visible(default if title is None else title)
    if text:
        chars = max(20, int(fig.get_figwidth() / CM / 0.17))  # ~1,7 mm per 10-pt bold char
        fig.suptitle(textwrap.fill(text, chars, break_on_hyphens=False), x=0.012, ha="left",
                     fontweight="bold", fontsize=mpl.rcParams["axes.titlesize"])


def message_figure(message: str, title: str = "", height_cm: float = 3.0) -> Figure:
    """A small figure that says why there is no chart ("Không phát sinh hồ sơ")."""
    with _themed():
        fig = _new_figure(height_cm)
        ax = fig.add_subplot()
        ax.set_axis_off()
        _title(fig, title, "")
        ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center",
                fontsize=10, fontstyle="italic", color=DARK_GREY,
                bbox={"boxstyle": "round,pad=0.6", "facecolor": "white",
                      "edgecolor": LIGHT_GREY, "linewidth": 0.8})
    return fig


def _empty_reason(denominators: pd.Series) -> str:
    """:data:`NO_DOSSIERS` when the counts are known (zeros), :data:`NO_DATA` when unknown."""
    known = denominators.dropna()
    return NO_DOSSIERS if not known.empty else NO_DATA


def _common_target(rows: pd.DataFrame) -> float:
    """The target shared by most units (the year's default), if more than half of the units
    with a target share it; else NaN (every unit has its own, e.g. "last year + 10 points")."""
    if "target" not in rows.columns:
        return float("nan")
    targets = rows["target"].astype(float).dropna().round(10)
    if targets.empty:
        return float("nan")
    counts = targets.value_counts(sort=False)
    best = int(np.argmax(counts.to_numpy()))
    if counts.iloc[best] * 2 <= len(targets) and len(targets) > 1:
        return float("nan")
    return float(counts.index[best])


def _best_first(rows: pd.DataFrame, kpi: KpiDef) -> pd.DataFrame:
    """Units ranked best first (by the KPI's direction; counts without one: largest first),
    units without a value last, ties by name."""
    ascending = kpi.direction == "lower"
    names = rows["unit_name"] if "unit_name" in rows.columns else rows["unit_id"]
    ranked = rows.assign(_value=rows["value"].astype(float), _name=names.astype(str))
    return ranked.sort_values(["_value", "_name"], ascending=[ascending, True],
                              na_position="last", kind="stable").drop(columns=["_value",
                                                                                "_name"])


def _row_reasons(rows: pd.DataFrame) -> list[str]:
    """Per row, the text shown instead of a missing value."""
    if "denominator" not in rows.columns:
        return [NO_DATA] * len(rows)
    return [NO_DOSSIERS if pd.notna(d) else NO_DATA for d in rows["denominator"]]


def _data_width(ax: Axes, artist: Any, renderer: Any) -> tuple[float, float]:
    """Horizontal extent of a drawn artist, in data coordinates."""
    box = artist.get_window_extent(renderer).transformed(ax.transData.inverted())
    return float(box.x0), float(box.x1)


def _bar_height_cm(n: int, lines: int = 1) -> float:
    """Height of a ranked bar chart: ~5 mm a bar (7 mm with two-line names) plus the title,
    axis and legend."""
    per_bar = 0.5 if lines <= 1 else 0.68
    return max(4.2, 2.6 + per_bar * n)


_LABEL_BOX = {"boxstyle": "square,pad=0.12", "facecolor": "white", "edgecolor": "none"}
