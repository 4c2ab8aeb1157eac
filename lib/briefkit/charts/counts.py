"""The unit briefing's dossier counts as labelled bars: new dossiers by channel
(:func:`channel_mix`), resolved and pending dossiers by timeliness (:func:`timeliness`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from briefkit.charts.common import (
    _check_table,
    _count_formatter,
    _title,
    _unit_name,
    _unit_row,
    message_figure,
)
from briefkit.charts.theme import (
    ACCENT,
    DARK_GREY,
    LIGHT_GREY,
    MID_GREY,
    NO_DATA,
    NO_DOSSIERS,
    RATE_LABEL_DECIMALS,
    _new_figure,
    _themed,
)
from briefkit.formatting import MISSING, format_number, format_percent


def _unit_counts(table: pd.DataFrame, unit_id: str, kpis: Sequence[str]) -> dict[str, float]:
    rows = _unit_row(table, unit_id)
    values = rows.drop_duplicates("kpi").set_index("kpi")["value"]
    return {k: float(values.get(k, np.nan)) for k in kpis}


def _share(part: float, total: float) -> str:
    return format_percent(part / total, RATE_LABEL_DECIMALS) if total > 0 else MISSING


def _count_bars(ax: Axes, categories: list[str], counts: list[float], total: float,
                colors: list[str], *, vertical: bool = False, top: float | None = None) -> None:
    """Bars of counts, each labelled "1.234 (45,6%)" (the share of ``total``)."""
    pos = np.arange(len(categories))
    if top is None:
        top = max([c for c in counts if np.isfinite(c)], default=0.0)
    top = max(top, 1.0)
    labels = [MISSING if not np.isfinite(c) else format_number(c) if total <= 0
              else f"{format_number(c)} ({_share(c, total)})" for c in counts]
    heights = np.nan_to_num(np.asarray(counts, dtype=float), nan=0.0)
    limit = top * (1.18 if vertical else 1.25)  # room for the labels
    locator = MaxNLocator(nbins=4 if vertical else 5, integer=True)
    ticks = [t for t in locator.tick_values(0, top) if 0 <= t <= limit]
    if vertical:
        ax.bar(pos, heights, width=0.6, color=colors, zorder=2)
        ax.set_xticks(pos, labels=categories)
        ax.tick_params(axis="x", length=0, pad=4)
        ax.set_ylim(0, limit)
        ax.set_yticks(ticks)
        ax.yaxis.set_major_formatter(_count_formatter())
        ax.grid(axis="y", zorder=0)
        for p, h, text in zip(pos, heights, labels, strict=True):
            ax.annotate(text, xy=(p, h), xytext=(0, 3), textcoords="offset points",
                        ha="center", va="bottom", fontsize=8)
    else:
        ax.barh(pos, heights, height=0.6, color=colors, zorder=2)
        ax.set_ylim(len(categories) - 0.5, -0.5)
        ax.set_yticks(pos, labels=categories)
        ax.tick_params(axis="y", length=0, pad=4)
        ax.set_xlim(0, limit)
        ax.set_xticks(ticks)
        ax.xaxis.set_major_formatter(_count_formatter())
        ax.grid(axis="x", zorder=0)
        ax.spines["left"].set_visible(False)
        for p, w, text in zip(pos, heights, labels, strict=True):
            ax.annotate(text, xy=(w, p), xytext=(3, 0), textcoords="offset points",
                        ha="left", va="center", fontsize=8)
    ax.set_axisbelow(True)


#: Channels of new dossiers, as Biểu 06 and the directives name them.
CHANNELS = {"received_online": "Trực tuyến", "received_direct": "Trực tiếp",
            "received_postal": "Bưu chính công ích"}


def channel_mix(table: pd.DataFrame, unit_id: str, *, title: str | None = None) -> Figure:
    """New dossiers received by channel (online, in person, public postal service), as bars
    labelled with the count and the share of all new dossiers ("1.234 (45,6%)").

    A unit reporting Biểu 06 counts without the postal split, or a roll-up with such a
    member (its split is unknown), gets two bars: online, and in person or by post together
    (the form's column 5)."""
    _check_table(table)
    counts = _unit_counts(table, unit_id, [*CHANNELS, "received_total", "carried_over"])
    name = _unit_name(_unit_row(table, unit_id), unit_id)
    default_title = f"Hồ sơ tiếp nhận mới theo hình thức nộp – {name}"
    categories = list(CHANNELS.values())
    values = [counts[k] for k in CHANNELS]
    split = np.isfinite(counts["received_direct"]) and np.isfinite(counts["received_postal"])
    if not split and np.isfinite(counts["received_online"]):
        both = counts["received_total"] - counts["carried_over"] - counts["received_online"]
        categories = ["Trực tuyến", "Trực tiếp, bưu chính"]
        values = [counts["received_online"], both]
    if not np.isfinite(values).any():
        return message_figure(NO_DATA, default_title if title is None else title)
    total = float(np.nansum(values))
    if total <= 0:
        return message_figure(NO_DOSSIERS, default_title if title is None else title)
    with _themed():
        fig = _new_figure(2.3 + 0.7 * len(values))
        ax = fig.add_subplot()
        _title(fig, title, default_title)
        _count_bars(ax, categories, values, total, [DARK_GREY, MID_GREY, LIGHT_GREY][
            :len(values)])
        ax.set_xlabel(f"Số hồ sơ (tổng số {format_number(total)} hồ sơ tiếp nhận mới)")
    return fig


#: Resolved dossiers by timeliness (Biểu 06 columns 8–10) and pending ones (12–13).
RESOLVED_PARTS = {"resolved_early": "Trước hạn", "resolved_on_time": "Đúng hạn",
                  "resolved_late": "Quá hạn"}
PENDING_PARTS = {"pending_in_time": "Trong hạn", "pending_overdue": "Quá hạn"}
_LATE = ("resolved_late", "pending_overdue")


def timeliness(table: pd.DataFrame, unit_id: str, *, title: str | None = None) -> Figure:
    """Dossiers resolved early / on time / late, and pending in time / overdue, side by side;
    each bar labelled with its count and its share of its group, the late and overdue bars in
    the accent colour. Each panel has its own count scale: a quarter's few open dossiers would
    be invisible next to its hundreds of resolved ones."""
    _check_table(table)
    counts = _unit_counts(table, unit_id, [*RESOLVED_PARTS, *PENDING_PARTS])
    name = _unit_name(_unit_row(table, unit_id), unit_id)
    default_title = f"Tiến độ giải quyết hồ sơ – {name}"
    values = np.array(list(counts.values()), dtype=float)
    if not np.isfinite(values).any():
        return message_figure(NO_DATA, default_title if title is None else title)
    if np.nansum(values) <= 0:
        return message_figure(NO_DOSSIERS, default_title if title is None else title)
    with _themed():
        fig = _new_figure()
        axes = fig.subplots(1, 2, width_ratios=[3, 2])
        _title(fig, title, default_title)
        for ax, parts, group in ((axes[0], RESOLVED_PARTS, "Đã giải quyết"),
                                 (axes[1], PENDING_PARTS, "Đang giải quyết")):
            group_counts = [counts[k] for k in parts]
            total = float(np.nansum(group_counts))
            colors = [ACCENT if k in _LATE else MID_GREY for k in parts]
            top = max(float(np.nanmax(group_counts)) if np.isfinite(group_counts).any()
                      else 0.0, 1.0)
            _count_bars(ax, list(parts.values()), group_counts, total, colors, vertical=True,
                        top=top)
            ax.set_title(f"{group}: {format_number(total)} hồ sơ", fontsize=9,
                         fontweight="normal", loc="center")
        axes[0].set_ylabel("Số hồ sơ")
    return fig
