"""The overview's charts: all units ranked against the target (:func:`units_vs_target`) and
the units × KPIs status heat map (:func:`status_heatmap`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from briefkit.charts.common import (
    _best_first,
    _check_table,
    _empty_reason,
    _fmt,
    _kpi,
    _title,
    balanced_wrap,
    message_figure,
    wrap_name,
)
from briefkit.charts.ranked import _ranked_bars
from briefkit.charts.theme import (
    DARK_GREY,
    FIG_WIDTH_CM,
    INK,
    LIGHT_GREY,
    NO_DATA,
    PALE_GREY,
    STATUS_BAR_COLORS,
    STATUS_CELL_COLORS,
    STATUS_LABELS,
    _new_figure,
    _themed,
)
from briefkit.formatting import MISSING
from briefkit.kpis import KPIS, STATUS_MET, STATUS_NA, STATUS_NOT_MET, shown_in


def units_vs_target(table: pd.DataFrame, kpi: str = "online_rate", *,
                    title: str | None = None) -> Figure:
    """All units (not roll-ups) ranked best first, bars coloured by status (Đạt / Chưa đạt /
    Không áp dụng), the common target as a dashed line and units' own targets as marks."""
    kdef = _kpi(kpi)
    _check_table(table)
    rows = table[table["kpi"] == kpi]
    if "is_rollup" in rows.columns:
        rows = rows[~rows["is_rollup"].astype(bool)]
    default_title = f"{kdef.label} của các đơn vị"
    if rows.empty or not np.isfinite(rows["value"].astype(float)).any():
        reason = _empty_reason(rows["denominator"]) if "denominator" in rows.columns \
            else NO_DATA
        return message_figure(reason, default_title if title is None else title)
    ranked = _best_first(rows, kdef)
    status: np.ndarray = (ranked["status"].astype(str).to_numpy() if "status" in ranked.columns
                          else np.full(len(ranked), STATUS_NA))
    present = [s for s in (STATUS_MET, STATUS_NOT_MET, STATUS_NA) if s in set(status)]
    legend = [Patch(facecolor=STATUS_BAR_COLORS[s],
                    edgecolor=DARK_GREY if s == STATUS_NA else STATUS_BAR_COLORS[s],
                    linewidth=0.6 if s == STATUS_NA else 0.0, label=STATUS_LABELS[s])
              for s in present]
    return _ranked_bars(
        ranked, kdef, title, default_title,
        colors=[STATUS_BAR_COLORS.get(s, PALE_GREY) for s in status], highlight=None,
        legend=legend,
        edgecolors=[DARK_GREY if s == STATUS_NA else STATUS_BAR_COLORS.get(s, PALE_GREY)
                    for s in status])


#: The heat map's columns when none are given: the overview's (declared on the KPI definitions,
#: :attr:`briefkit.kpis.KpiDef.shown`).
HEATMAP_KPIS = shown_in("heatmap")


def default_heatmap_kpis(table: pd.DataFrame) -> list[str]:
    """The heat map's default columns: the KPIs of :data:`HEATMAP_KPIS` that have a target
    for some unit; without any target, the rates of it that have a value."""
    present = set(table["kpi"])
    if "status" in table.columns:
        judged = set(table.loc[table["status"] != STATUS_NA, "kpi"])
        chosen = [k for k in HEATMAP_KPIS if k in judged]
        if chosen:
            return chosen
    valued = set(table.loc[table["value"].notna(), "kpi"])
    return [k for k in HEATMAP_KPIS if k in present and k in valued and KPIS[k].is_rate]


_STATUS_CODE = {STATUS_MET: 0, STATUS_NOT_MET: 1, STATUS_NA: 2}


def status_heatmap(table: pd.DataFrame, kpis: Sequence[str] | None = None, *,
                   include_total: bool = True, title: str | None = None,
                   width_cm: float = FIG_WIDTH_CM) -> Figure:
    """Units × KPIs, each cell coloured by status (Đạt / Chưa đạt / Không áp dụng) and showing
    the value; "Chưa đạt" values in bold so that the status reads without colour.

    Columns are the KPIs' short labels (wrapped, or turned upright when the columns are
    narrow); rows the units in the table's order, then the all-units roll-up (``*``) when
    ``include_total``. ``width_cm`` widens the chart for a landscape annex page."""
    _check_table(table)
    chosen = list(dict.fromkeys(kpis)) if kpis is not None else default_heatmap_kpis(table)
    for k in chosen:
        _kpi(k)
    default_title = "Kết quả thực hiện các chỉ tiêu của các đơn vị"
    rows = table[table["kpi"].isin(chosen)]
    if "is_rollup" in rows.columns:
        rollup = rows["is_rollup"].astype(bool)
    else:
        rollup = rows["unit_id"].astype(str).str.startswith("*")
    frame = pd.concat([rows[~rollup], rows[rollup & (rows["unit_id"].astype(str) == "*")]
                       if include_total else rows.iloc[0:0]])
    if not chosen or frame.empty:
        return message_figure(NO_DATA, default_title if title is None else title)
    frame = frame.assign(unit_id=frame["unit_id"].astype(str)).drop_duplicates(
        ["unit_id", "kpi"])
    order = list(dict.fromkeys(frame["unit_id"]))
    value = frame.pivot(index="unit_id", columns="kpi", values="value").reindex(
        index=order, columns=chosen)
    if "status" in frame.columns:
        status = frame.pivot(index="unit_id", columns="kpi", values="status").reindex(
            index=order, columns=chosen).fillna(STATUS_NA)
    else:
        status = pd.DataFrame(STATUS_NA, index=order, columns=chosen)
    codes = status.apply(lambda col: col.map(_STATUS_CODE)).fillna(2).to_numpy(dtype=float)
    names = (frame.drop_duplicates("unit_id").set_index("unit_id")["unit_name"].astype(str)
             if "unit_name" in frame.columns else pd.Series(order, index=order))
    row_labels = [wrap_name(names.get(u, u), 40, 1) for u in order]

    # Column headers: wrapped horizontally when the columns are wide enough, else upright.
    label_cm = 0.16 * max(len(r) for r in row_labels) + 0.6
    col_cm = (width_cm - label_cm - 0.4) / len(chosen)
    chars = int(col_cm / 0.14)  # ~1,4 mm per 8-pt character
    upright = chars < 11
    col_labels = [balanced_wrap(KPIS[k].label, 22 if upright else chars) for k in chosen]
    header_lines = max(lab.count("\n") + 1 for lab in col_labels)
    longest = max(len(line) for lab in col_labels for line in lab.split("\n"))
    header_cm = 0.14 * longest + 0.2 if upright else 0.34 * header_lines + 0.2
    height = 1.2 + header_cm + 0.5 * len(order) + 0.8

    with _themed():
        fig = _new_figure(height, width_cm)
        ax = fig.add_subplot()
        _title(fig, title, default_title)
        cmap = ListedColormap([STATUS_CELL_COLORS[s] for s in (STATUS_MET, STATUS_NOT_MET,
                                                               STATUS_NA)])
        # labels are set afterwards: seaborn lays them out vertically for a trial draw first
        sns.heatmap(codes, ax=ax, cmap=cmap, vmin=-0.5, vmax=2.5, cbar=False,
                    linewidths=0.6, linecolor=LIGHT_GREY, xticklabels=False,
                    yticklabels=False)
        ax.set_xticks(np.arange(len(chosen)) + 0.5, labels=col_labels)
        ax.set_yticks(np.arange(len(order)) + 0.5, labels=row_labels)
        ax.xaxis.tick_top()
        ax.tick_params(axis="both", length=0, pad=3)
        ax.tick_params(axis="x", labelsize=8)
        ax.tick_params(axis="y", labelrotation=0)
        for tick in ax.get_xticklabels():
            tick.set_rotation(90 if upright else 0)
            tick.set_horizontalalignment("center")
            tick.set_verticalalignment("bottom")
            tick.set_multialignment("left" if upright else "center")
        for i, unit in enumerate(order):
            for j, k in enumerate(chosen):
                # the pivoted "value" column: a float (NaN when missing)
                st, v = status.iat[i, j], cast(float, value.iat[i, j])
                ax.text(j + 0.5, i + 0.5, _fmt(v, KPIS[k]) if pd.notna(v) else MISSING,
                        ha="center", va="center", fontsize=8,
                        fontweight="bold" if st == STATUS_NOT_MET else "normal",
                        color=DARK_GREY if st == STATUS_NA else INK)
            if unit == "*":
                ax.axhline(i, color=DARK_GREY, linewidth=1.0)
                ax.get_yticklabels()[i].set_fontweight("bold")
        for spine in ax.spines.values():
            spine.set_visible(True)
            spine.set_color(LIGHT_GREY)
            spine.set_linewidth(0.6)
        legend = [Patch(facecolor=STATUS_CELL_COLORS[s], edgecolor=LIGHT_GREY, linewidth=0.6,
                        label=STATUS_LABELS[s]) for s in (STATUS_MET, STATUS_NOT_MET,
                                                          STATUS_NA)]
        fig.legend(handles=legend, loc="outside lower center", ncols=3, columnspacing=2.0)
    return fig
