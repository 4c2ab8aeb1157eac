"""The unit briefing's trend: a KPI over the last periods (:func:`online_trend`)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from briefkit.charts.common import (
    _LABEL_BOX,
    _axis_formatter,
    _check_table,
    _empty_reason,
    _fmt,
    _fmt_target,
    _kpi,
    _title,
    _unit_name,
    _unit_row,
    _value_locator,
    message_figure,
)
from briefkit.charts.theme import (
    ACCENT,
    CM,
    FIG_HEIGHT_CM,
    INK,
    TARGET_ARTIST,
    TARGET_COLOR,
    TARGET_LABEL,
    TARGET_STYLE,
    VALUE_ARTIST,
    _new_figure,
    _themed,
)
from briefkit.kpis import KpiDef


def _period_tick(label: str) -> str:
    """ "quý III/2021" -> "Quý III" over "2021": two short lines instead of one long one."""
    text = str(label)
    text = text[:1].upper() + text[1:]
    head, sep, year = text.rpartition("/")
    return f"{head}\n{year}" if sep and year.isdigit() else text


def _trend_limits(values: np.ndarray, targets: np.ndarray, kpi: KpiDef) -> tuple[float, float]:
    """Y limits that show the movement without exaggerating it: rates on 10-point steps, at
    least 20 points tall, never below 0% nor above 100% (plus room for the labels)."""
    both = np.concatenate([values[np.isfinite(values)], targets[np.isfinite(targets)]])
    low, high = float(both.min()), float(both.max())
    if kpi.kind == "rate":
        lo = max(0.0, float(np.floor((low - 0.04) * 10) / 10))
        hi = min(1.0, float(np.ceil((high + 0.02) * 10) / 10))
        if hi - lo < 0.2:
            lo = max(0.0, hi - 0.2)
            hi = max(hi, lo + 0.2)
        return lo, hi + (hi - lo) * 0.1
    span = max(high - low, abs(high) * 0.1, 1.0)
    lo = 0.0 if 0 <= low < span * 2 else low - span * 0.25
    return lo, high + span * 0.2


def _target_runs(targets: np.ndarray) -> list[tuple[int, int, float]]:
    """Runs (first, last, target) of consecutive periods with the same finite target."""
    runs: list[tuple[int, int, float]] = []
    for i, t in enumerate(targets):
        if not np.isfinite(t):
            continue
        if runs and runs[-1][1] == i - 1 and np.isclose(runs[-1][2], t, atol=1e-9):
            runs[-1] = (runs[-1][0], i, runs[-1][2])
        else:
            runs.append((i, i, float(t)))
    return runs


def online_trend(history: pd.DataFrame, unit_id: str, kpi: str = "online_rate", *,
                 title: str | None = None) -> Figure:
    """The unit's KPI over the periods of ``history`` (:func:`~briefkit.kpis.kpi_history`),
    oldest to newest, values labelled at the points ("80,2%"), the target as a dashed step
    line (it can change with the year, or be missing), values below target in bold accent.

    Periods before the unit's first value are left out; a later period without a value is a
    gap in the line. A unit without any value gets a message figure."""
    kdef = _kpi(kpi)
    _check_table(history, ("unit_id", "kpi", "value", "period_label", "period_order"),
                 one_period=False)
    rows = _unit_row(history, unit_id)
    rows = rows[rows["kpi"] == kpi].sort_values("period_order")
    name = _unit_name(rows if not rows.empty else _unit_row(history, unit_id), unit_id)
    default_title = f"{kdef.label} qua các kỳ – {name}"
    values = rows["value"].astype(float).to_numpy()
    if not np.isfinite(values).any():
        return message_figure(_empty_reason(rows.get("denominator", pd.Series(dtype=float))),
                              default_title if title is None else title)
    # periods before the unit's first figure (before it reported, or before the data begin)
    # are left out; a gap later on stays a gap in the line
    first = int(np.flatnonzero(np.isfinite(values))[0])
    rows, values = rows.iloc[first:], values[first:]
    targets = (rows["target"].astype(float).to_numpy() if "target" in rows.columns
               else np.full(len(rows), np.nan))
    x = np.arange(len(rows), dtype=float)
    lo, hi = _trend_limits(values, targets, kdef)
    yspan = hi - lo
    lower_better = kdef.direction == "lower"
    # a label above its point takes ~16 pt; the axes are the figure less ~75 pt of text
    label_room = 16 / (FIG_HEIGHT_CM * CM * 72 - 75)

    with _themed():
        fig = _new_figure()
        ax = fig.add_subplot()
        _title(fig, title, default_title)
        ax.set_ylim(lo, hi)
        runs = _target_runs(targets)
        for first, last, target in runs:
            ax.plot([first - 0.5, last + 0.5], [target, target], **TARGET_STYLE, zorder=2,
                    label=TARGET_ARTIST)
        for (_, last, t0), (first, _, t1) in itertools.pairwise(runs):
            if first == last + 1:  # the riser of a step between two years' targets
                ax.plot([first - 0.5] * 2, [t0, t1], **TARGET_STYLE, zorder=2,
                        label=TARGET_ARTIST + "_step")
        ax.plot(x, values, color=ACCENT, marker="o", markersize=4.5, zorder=3,
                label=VALUE_ARTIST)
        for xi, v, t in zip(x, values, targets, strict=True):
            if not np.isfinite(v):
                continue
            below = bool(np.isfinite(t) and (v > t if lower_better else v < t))
            # put the label on the side away from a target line that runs close above it
            flip = bool(np.isfinite(t) and 0 <= (t - v) / yspan < label_room)
            flip = flip and bool((v - lo) / yspan > 0.15)
            ax.annotate(_fmt(v, kdef), xy=(xi, v), xytext=(0, -6 if flip else 6),
                        textcoords="offset points", ha="center",
                        va="top" if flip else "bottom", fontsize=8,
                        color=ACCENT if below else INK, fontweight="bold" if below else None,
                        zorder=5)
        right = len(x) - 0.5
        for i, (first, last, target) in enumerate(runs):
            text = f"{TARGET_LABEL}\n{_fmt_target(target, kdef)}"
            if i == len(runs) - 1 and last == len(x) - 1:
                ax.annotate(text, xy=(last + 0.5, target), xytext=(3, 0),
                            textcoords="offset points", ha="left", va="center", fontsize=8,
                            fontstyle="italic", color=TARGET_COLOR, annotation_clip=False,
                            linespacing=1.0)
                right = len(x) - 0.5 + 0.75
            else:  # an earlier year's target: small label over the start of its run
                ax.annotate(_fmt_target(target, kdef), xy=(first - 0.45, target),
                            xytext=(0, 2), textcoords="offset points", ha="left",
                            va="bottom", fontsize=7.5, fontstyle="italic",
                            color=TARGET_COLOR, bbox=_LABEL_BOX, zorder=4)
        ax.set_xlim(-0.6, right)
        ax.set_xticks(x, labels=[_period_tick(p) for p in rows["period_label"]])
        ax.tick_params(axis="x", length=0, pad=4)
        ax.yaxis.set_major_formatter(_axis_formatter(kdef))
        ax.yaxis.set_major_locator(_value_locator(kdef, lo, hi))
        ax.grid(axis="y", zorder=0)
        ax.set_axisbelow(True)
        ax.spines["bottom"].set_bounds(-0.5, len(x) - 0.5)
    return fig
