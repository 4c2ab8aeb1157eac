"""Ranked bars: the unit among the units of its kind (:func:`peer_comparison`), and the
horizontal bars, value labels and target marks it shares with the overview's ranking
(:func:`~briefkit.charts.overview.units_vs_target`)."""

from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from briefkit.charts.common import (
    _LABEL_BOX,
    _axis_formatter,
    _bar_height_cm,
    _best_first,
    _check_table,
    _common_target,
    _data_width,
    _empty_reason,
    _fmt,
    _fmt_target,
    _kpi,
    _row_reasons,
    _title,
    _unit_name,
    _unit_row,
    _value_locator,
    message_figure,
    wrap_name,
)
from briefkit.charts.theme import (
    ACCENT,
    DARK_GREY,
    INK,
    LIGHT_GREY,
    NO_DATA,
    OWN_TARGET_ARTIST,
    TARGET_ARTIST,
    TARGET_COLOR,
    TARGET_LABEL,
    TARGET_STYLE,
    _new_figure,
    _themed,
)
from briefkit.kpis import KpiDef


def peer_comparison(table: pd.DataFrame, unit_id: str, kpi: str = "online_rate", *,
                    title: str | None = None) -> Figure:
    """The unit among the units of its kind (roll-ups excluded): horizontal bars ranked best
    first, the unit's bar and name in the accent colour, the common target as a dashed line
    and units' own targets as short marks."""
    kdef = _kpi(kpi)
    _check_table(table)
    own = _unit_row(table, unit_id)
    name = _unit_name(own, unit_id)
    rows = table[table["kpi"] == kpi]
    if "kind" in own.columns:
        rows = rows[rows["kind"].astype(str) == str(own["kind"].iloc[0])]
    if "is_rollup" in rows.columns:
        rows = rows[~rows["is_rollup"].astype(bool)]
    default_title = f"{kdef.label} – {name} và các đơn vị cùng loại"
    self_row = rows[rows["unit_id"].astype(str) == str(unit_id)]
    if self_row.empty or not np.isfinite(rows["value"].astype(float)).any():
        reason = _empty_reason(self_row["denominator"]) if "denominator" in self_row \
            else NO_DATA
        return message_figure(reason, default_title if title is None else title)
    ranked = _best_first(rows, kdef)
    is_self = (ranked["unit_id"].astype(str) == str(unit_id)).to_numpy()
    if len(ranked) > PEER_CHART_MAX:
        ranked, is_self, place = _peer_window(ranked, is_self)
        default_title += f" (xếp thứ {place}/{len(rows)})"
    return _ranked_bars(ranked, kdef, title, default_title,
                        colors=[ACCENT if s else LIGHT_GREY for s in is_self],
                        highlight=is_self, legend=[])


#: A peer chart shows every unit of the kind up to this many; beyond (a province's 100
#: communes), :func:`_peer_window`.
PEER_CHART_MAX = 20
PEER_CHART_EDGE = 5
PEER_CHART_AROUND = 2


def _peer_window(ranked: pd.DataFrame, is_self: np.ndarray
                 ) -> tuple[pd.DataFrame, np.ndarray, int]:
    """The rows a long peer chart shows: the :data:`PEER_CHART_EDGE` best and worst, and the
    unit with :data:`PEER_CHART_AROUND` neighbours each side, in rank order, each name
    prefixed with its place ("12. UBND Phường 12"), so the gaps are visible. Returns the rows,
    which of them is the unit, and the unit's place (1 = best)."""
    n = len(ranked)
    here = int(np.flatnonzero(is_self)[0])
    keep = sorted({*range(PEER_CHART_EDGE), *range(n - PEER_CHART_EDGE, n),
                   *range(max(0, here - PEER_CHART_AROUND),
                          min(n, here + PEER_CHART_AROUND + 1))})
    shown = ranked.iloc[keep].copy()
    shown["unit_name"] = [f"{i + 1}. {name}"
                          for i, name in zip(keep, shown["unit_name"].astype(str), strict=True)]
    return shown, is_self[keep], here + 1


def _ranked_bars(ranked: pd.DataFrame, kdef: KpiDef, title: str | None, default_title: str,
                 *, colors: list[str], highlight: np.ndarray | None, legend: list[Any],
                 edgecolors: list[str] | None = None) -> Figure:
    """Horizontal bars ranked top to bottom, with value labels, the common target as a dashed
    line and units' own targets as marks; labels step past a mark that would cross them."""
    names = [wrap_name(n, 32, 2) for n in ranked["unit_name"].astype(str)]
    lines = max(n.count("\n") + 1 for n in names)
    values = ranked["value"].astype(float).to_numpy()
    targets = (ranked["target"].astype(float).to_numpy() if "target" in ranked.columns
               else np.full(len(ranked), np.nan))
    common = _common_target(ranked)
    own_target = np.isfinite(targets)
    if np.isfinite(common):
        own_target &= ~np.isclose(targets, common, atol=1e-9)
    top = max([*values[np.isfinite(values)], *targets[np.isfinite(targets)], 0.0])
    hi = 1.0 if kdef.kind == "rate" else max(top, 1.0)
    y = np.arange(len(ranked))

    with _themed():
        fig = _new_figure(_bar_height_cm(len(ranked), lines))
        ax = fig.add_subplot()
        _title(fig, title, default_title)
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.set_yticks(y, labels=names)
        ax.tick_params(axis="y", length=0, pad=4)
        ax.set_xlim(0, hi * 1.13)
        ax.xaxis.set_major_formatter(_axis_formatter(kdef))
        ax.xaxis.set_major_locator(_value_locator(kdef, 0.0, hi) if kdef.kind == "rate"
                                   else MaxNLocator(nbins=6, integer=kdef.kind == "count"))
        if kdef.kind != "rate":
            ax.set_xticks([t for t in ax.get_xticks() if 0 <= t <= hi])
        ax.grid(axis="x", zorder=0)
        ax.set_axisbelow(True)
        ax.spines["left"].set_visible(False)
        ax.spines["bottom"].set_bounds(0, hi)
        ax.barh(y, np.nan_to_num(values, nan=0.0), height=0.66, color=colors, zorder=2,
                edgecolor=edgecolors if edgecolors else "none",
                linewidth=0.6 if edgecolors else 0.0)
        handles = list(legend)
        if np.isfinite(common):
            ax.axvline(common, **TARGET_STYLE, zorder=3, label=TARGET_ARTIST)
            handles.append(Line2D([], [], **TARGET_STYLE,
                                  label=f"{TARGET_LABEL} {_fmt_target(common, kdef)}"))
        if own_target.any():
            # a white halo keeps the mark visible on a dark (accent) bar in grey print
            ax.scatter(targets[own_target], y[own_target], marker="|", s=110,
                       linewidths=1.5, color=TARGET_COLOR, zorder=4, label=OWN_TARGET_ARTIST,
                       path_effects=[patheffects.withStroke(linewidth=3.2,
                                                            foreground="white")])
            handles.append(Line2D([], [], linestyle="none", marker="|", markersize=8,
                                  markeredgewidth=1.5, color=TARGET_COLOR,
                                  label=("Chỉ tiêu riêng của đơn vị" if np.isfinite(common)
                                         else "Chỉ tiêu của từng đơn vị")))
        reasons = _row_reasons(ranked)
        labels = []
        for i, v in enumerate(values):
            strong = highlight is not None and bool(highlight[i])
            finite = bool(np.isfinite(v))
            labels.append(ax.annotate(
                _fmt(v, kdef) if finite else reasons[i], xy=(v if finite else 0.0, y[i]),
                xytext=(3, 0), textcoords="offset points", ha="left", va="center",
                fontsize=8, fontweight="bold" if strong else "normal",
                fontstyle="normal" if finite else "italic",
                color=INK if finite else DARK_GREY, bbox=_LABEL_BOX, zorder=5))
        if own_target.any():
            _clear_marks(fig, ax, labels, values, targets, own_target, colors, hi)
        if highlight is not None:
            for tick, strong in zip(ax.get_yticklabels(), highlight, strict=True):
                if strong:
                    tick.set_fontweight("bold")
                    tick.set_color(ACCENT)
        if handles:
            fig.legend(handles=handles, loc="outside lower center", ncols=len(handles),
                       handlelength=1.8, columnspacing=1.8)
    return fig


def _clear_marks(fig: Figure, ax: Axes, labels: list[Any], values: np.ndarray,
                 targets: np.ndarray, marked: np.ndarray, colors: list[str], hi: float) -> None:
    """Move value labels that a target mark would cross: inside the end of the bar when it is
    long enough (white on a dark bar), else just past the mark."""
    # The figure laid out as it stands (the positions a full draw would lay out, without
    # drawing every artist once more for nothing): the labels are then measured where they are.
    engine = fig.get_layout_engine()
    if engine is not None:
        engine.execute(fig)
    # _new_figure gives every figure an Agg canvas (the base canvas has no renderer)
    renderer = cast(FigureCanvasAgg, fig.canvas).get_renderer()
    for i in np.flatnonzero(marked & np.isfinite(values)):
        x0, x1 = _data_width(ax, labels[i], renderer)
        if not x0 - 0.01 * hi <= targets[i] <= x1 + 0.01 * hi:
            continue
        end = min(values[i], targets[i])
        if end - 0.02 * hi > x1 - x0:
            dark = _luminance(colors[i]) < 0.45
            labels[i].xy = (end, labels[i].xy[1])
            labels[i].set_position((-3, 0))
            labels[i].set_horizontalalignment("right")
            labels[i].set_color("white" if dark else INK)
            labels[i].set_bbox(None)
        else:
            labels[i].xy = (targets[i], labels[i].xy[1])
            labels[i].set_position((5, 0))


def _luminance(color: str) -> float:
    r, g, b = to_rgb(color)
    return 0.299 * r + 0.587 * g + 0.114 * b
