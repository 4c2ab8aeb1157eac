"""Charts of the briefings: one sober theme, Vietnamese labels, ready for A4 print.

Every chart function takes the KPI table of :func:`briefkit.kpis.compute_kpis` (or the stacked
history of :func:`briefkit.kpis.kpi_history`) and returns a :class:`matplotlib.figure.Figure`.
It never calls ``plt.show``: notebooks call :func:`show`, renderers call :func:`figure_svg` or
:func:`figure_png`.

API:

* unit briefing: :func:`online_trend` (history), :func:`peer_comparison`, :func:`channel_mix`,
  :func:`timeliness`;
* overview: :func:`units_vs_target`, :func:`status_heatmap`;
* output: :func:`figure_svg`, :func:`figure_png`, :func:`show` (notebooks; closes the figure);
* theme: :func:`apply_theme`, :func:`theme_rc`, :func:`resolve_serif_font`.

Every chart takes ``title=None`` (a default Vietnamese title) or a text, or ``""`` for none
when the document captions the figure itself.

Design decisions, in one place:

* **Print first.** Figures are 16 cm wide (the text width of an A4 page with the margins of
  Decree 30/2020) and about 6,5 cm high; text is 8,5–10 pt in the serif of the document
  (Times New Roman, else its metric twins Liberation Serif / Tinos, which carry the Vietnamese
  glyphs). Colours are greys plus **one accent** (:data:`ACCENT`) that marks "this unit" and
  "below target"; the target is always a **dashed** dark line. Both survive a black-and-white
  printer: the accent prints as near-black next to light greys.
* **Vietnamese numbers everywhere**: tick labels and annotations go through
  :mod:`briefkit.formatting` ("80,2%", "3.043"), never through matplotlib's formatters.
* **SVG text is text** (``svg.fonttype: none``), in the stylesheet's family list ("Times New
  Roman", "Liberation Serif", "Tinos", serif): the PDF renderer draws it with the document's
  own embedded serif (about 1,000 glyph paths less per unit briefing: its PDF takes about 1 s
  less), it stays sharp in print and can be searched and copied.
  Matplotlib lays the text out with the first of those fonts it finds; they share Times New
  Roman's advance widths, so the layout holds whichever one the reader's renderer picks.
* **Deterministic output**: ids come from a fixed ``svg.hashsalt`` and no date is written, so
  the same data give the same bytes.
* **No figure leaks**: figures are created with :class:`~matplotlib.figure.Figure` directly,
  outside pyplot's registry, so a batch of 20 units never piles up open figures and the
  notebook's inline backend never shows a chart twice.
* **Missing data is a message, not a crash**: a unit without dossiers gets a small figure saying
  "Không phát sinh hồ sơ" (no data reported at all: "Không có số liệu").
* **Names from the data are shown, never obeyed**: a unit's name reaches a chart only through
  :func:`wrap_name` (axis labels) and the title, both of which show its control characters as
  ``\\x1b`` (:mod:`briefkit.textsafety`), as the text of the document does; the SVG is XML,
  which cannot carry them.

The theme is applied inside every chart function and when saving (a ``rc_context``), so charts
look the same whatever the caller's global matplotlib settings; :func:`apply_theme` also sets
it globally for ad-hoc plots in a notebook.
"""

from __future__ import annotations

import contextlib
import functools
import io
import itertools
import textwrap
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

import matplotlib as mpl
import numpy as np
import pandas as pd
import seaborn as sns
from cycler import cycler
from matplotlib import font_manager, patheffects
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import ListedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from briefkit import wording
from briefkit.formatting import MISSING, format_number, format_percent, format_value
from briefkit.kpis import KPIS, STATUS_MET, STATUS_NA, STATUS_NOT_MET, KpiDef, shown_in
from briefkit.textsafety import visible

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# --------------------------------------------------------------------------- theme constants

CM = 1 / 2.54
#: Width of the charts: the text width of A4 portrait with 30 mm / 15–20 mm side margins.
FIG_WIDTH_CM = 16.0
#: Default height of a chart.
FIG_HEIGHT_CM = 6.5

#: The one accent colour: "this unit" and "below target". A dark red that prints near-black.
ACCENT = "#a8201a"
#: A light tint of the accent, for heat-map cells that carry black text.
ACCENT_LIGHT = "#e3958f"
INK = "#000000"
DARK_GREY = "#404040"
MID_GREY = "#8c8c8c"
LIGHT_GREY = "#c8c8c8"
PALE_GREY = "#e6e6e6"
GRID_GREY = "#dadada"
TARGET_COLOR = "#1a1a1a"
TARGET_STYLE: dict[str, Any] = {"color": TARGET_COLOR, "linestyle": (0, (4, 2)),
                                "linewidth": 1.1}

STATUS_LABELS = wording.STATUS_WORDS  # the words of every output (briefkit.wording)
#: Bar colours by status (overview ranking).
STATUS_BAR_COLORS = {STATUS_MET: MID_GREY, STATUS_NOT_MET: ACCENT, STATUS_NA: PALE_GREY}
#: Cell colours by status (heat map); the text on them stays black.
STATUS_CELL_COLORS = {STATUS_MET: PALE_GREY, STATUS_NOT_MET: ACCENT_LIGHT, STATUS_NA: "#ffffff"}

#: Labels of artists (hidden from legends by the leading "_") that tests and callers can find.
TARGET_ARTIST = "_target"
OWN_TARGET_ARTIST = "_target_own"
VALUE_ARTIST = "_value"

NO_DOSSIERS = "Không phát sinh hồ sơ"
NO_DATA = "Không có số liệu"
TARGET_LABEL = "Chỉ tiêu"

#: Text that must render: checked against the font's character map.
VIETNAMESE_SAMPLE = "ắặẫỹữựƯĐđơờởỡợ"
#: Serif families to try, in order: the font of official documents, then its metric twins.
SERIF_CANDIDATES = ("Times New Roman", "Liberation Serif", "Tinos")
#: Bundled with matplotlib and covers Vietnamese; used (with a warning) when no candidate is.
FALLBACK_SERIF = "DejaVu Serif"
SVG_HASHSALT = "briefkit"

#: Decimal places of rates in chart annotations ("80,2%"); targets keep 2 ("84,47%") because
#: directives state them that way.
RATE_LABEL_DECIMALS = 1

def _has_glyphs(path: str, sample: str = VIETNAMESE_SAMPLE) -> bool:
    """Whether the font file maps every character of ``sample``."""
    try:
        charmap = mpl.ft2font.FT2Font(path).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ord(ch) in charmap for ch in sample)


@functools.cache
def resolve_serif_font() -> str:
    """The serif family the charts use: the first of :data:`SERIF_CANDIDATES` that is installed
    and has the Vietnamese glyphs, else :data:`FALLBACK_SERIF` with a warning (once)."""
    for family in SERIF_CANDIDATES:
        try:
            path = font_manager.findfont(font_manager.FontProperties(family=family),
                                         fallback_to_default=False)
        except ValueError:
            continue
        if _has_glyphs(path):
            return family
    warnings.warn(
        f"None of the serif fonts {', '.join(SERIF_CANDIDATES)} with Vietnamese glyphs is "
        f"installed; charts use {FALLBACK_SERIF}. Install fonts-liberation2 or fonts-croscore.",
        stacklevel=2,
    )
    return FALLBACK_SERIF


def _serif_list(family: str) -> list[str]:
    """``font.serif`` for a resolved family: the Times-metric candidates in the stylesheet's
    order (each renderer takes the first it has; same widths, so the layout holds), or the
    fallback alone when none of them has the Vietnamese glyphs (its widths differ)."""
    return list(SERIF_CANDIDATES) if family in SERIF_CANDIDATES else [family]


def theme_rc() -> dict[str, Any]:
    """The rcParams of the briefing theme (seaborn's "ticks" style and "paper" context,
    overridden for print)."""
    family = resolve_serif_font()
    rc: dict[str, Any] = {**sns.axes_style("ticks"), **sns.plotting_context("paper")}
    rc.update({
        # Fonts: the generic "serif", so that the SVG names the document's whole CSS list
        # ('Times New Roman', 'Liberation Serif', 'Tinos', …, serif) and the browser or
        # WeasyPrint picks the same font as for the body text; matplotlib measures with the
        # first of them installed (all have the same advance widths).
        "font.family": ["serif"],
        "font.serif": _serif_list(family),
        "font.size": 9.0,
        "axes.titlesize": 10.0,
        "axes.titleweight": "bold",
        "axes.titlelocation": "left",
        "axes.titlepad": 8.0,
        "axes.labelsize": 9.0,
        "xtick.labelsize": 8.5,
        "ytick.labelsize": 8.5,
        "legend.fontsize": 8.5,
        "legend.title_fontsize": 8.5,
        "figure.titlesize": 10.0,
        "text.parse_math": False,  # "$" or "_" in a unit name is text
        # Colours: black text, greys, no background tint.
        "text.color": INK,
        "axes.labelcolor": INK,
        "axes.edgecolor": DARK_GREY,
        "axes.facecolor": "white",
        "figure.facecolor": "white",
        "savefig.facecolor": "white",
        "xtick.color": DARK_GREY,
        "ytick.color": DARK_GREY,
        "xtick.labelcolor": INK,
        "ytick.labelcolor": INK,
        "axes.prop_cycle": cycler(color=[DARK_GREY, MID_GREY, LIGHT_GREY]),
        "axes.linewidth": 0.7,
        "xtick.major.width": 0.7,
        "ytick.major.width": 0.7,
        "xtick.major.size": 3.0,
        "ytick.major.size": 3.0,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": False,
        "grid.color": GRID_GREY,
        "grid.linewidth": 0.5,
        "grid.linestyle": "-",
        "lines.linewidth": 1.4,
        "lines.markersize": 4.5,
        "patch.linewidth": 0.0,
        "patch.edgecolor": DARK_GREY,
        "hatch.color": MID_GREY,
        "legend.frameon": False,
        "legend.handlelength": 1.6,
        # Size: A4 text width; layout that never clips tick labels.
        "figure.figsize": (FIG_WIDTH_CM * CM, FIG_HEIGHT_CM * CM),
        "figure.dpi": 100,
        "savefig.dpi": 200,
        "figure.constrained_layout.use": True,
        "figure.constrained_layout.h_pad": 0.04,
        "figure.constrained_layout.w_pad": 0.04,
        # Output: SVG text as text (WeasyPrint draws it with the document's embedded font,
        # sharp in print, searchable), deterministic ids, TrueType if someone saves a PDF.
        "svg.fonttype": "none",
        "svg.hashsalt": SVG_HASHSALT,
        "pdf.fonttype": 42,
        "ps.fonttype": 42,
    })
    return rc


def apply_theme() -> dict[str, Any]:
    """Set the briefing theme globally (for ad-hoc plots in a notebook) and return it.

    The chart functions of this module apply the theme themselves, whatever the global state.
    """
    rc = theme_rc()
    # matplotlib types rcParams' keys as a Literal of the known names; theme_rc's are all known
    mpl.rcParams.update(cast("dict[RcKeyType, Any]", rc))
    return rc


@contextlib.contextmanager
def _themed() -> Iterator[None]:
    """The theme for the duration of a chart's construction or saving."""
    with mpl.rc_context(cast("dict[RcKeyType, Any]", theme_rc())):  # known keys, as above
        yield


def _new_figure(height_cm: float = FIG_HEIGHT_CM, width_cm: float = FIG_WIDTH_CM,
                **kwargs: Any) -> Figure:
    """A figure outside pyplot's registry (nothing to close, nothing shown twice), on an Agg
    canvas so that text can be measured while laying out."""
    fig = Figure(figsize=(width_cm * CM, height_cm * CM), layout="constrained", **kwargs)
    FigureCanvasAgg(fig)
    return fig


# --------------------------------------------------------------------------- output


def figure_svg(fig: Figure) -> str:
    """The figure as SVG text: text as ``<text>`` in the document's serif, fixed ids, no date,
    so identical for identical figures."""
    buffer = io.StringIO()
    with _themed():
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "briefkit"})
    return buffer.getvalue()


def figure_png(fig: Figure, dpi: int = 200) -> bytes:
    """The figure as PNG bytes (200 dpi by default: sharp on paper)."""
    buffer = io.BytesIO()
    with _themed():
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def show(fig: Figure, fmt: str = "svg") -> None:
    """Display the figure in a notebook (SVG by default, sharp in print) and close it."""
    from IPython.display import SVG, Image, display

    try:
        if fmt == "svg":
            display(SVG(figure_svg(fig)))
        elif fmt == "png":
            width_px = round(fig.get_figwidth() * 96)  # physical size on a 96-dpi screen
            display(Image(data=figure_png(fig), format="png", width=width_px))
        else:
            raise ValueError(f"fmt must be 'svg' or 'png', got {fmt!r}")
    finally:
        close(fig)


def close(fig: Figure) -> None:
    """Release a figure (also one created through pyplot)."""
    import matplotlib.pyplot as plt

    plt.close(fig)
    fig.clear()


# --------------------------------------------------------------------------- helpers


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


# --------------------------------------------------------------------------- unit charts


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


def _value_locator(kpi: KpiDef, lo: float, hi: float) -> FixedLocator | MaxNLocator:
    if kpi.kind == "rate":
        step = 0.1 if hi - lo <= 0.5 else 0.2
        start = np.ceil(lo / step - 1e-9) * step
        ticks = np.arange(start, min(hi, 1.0) + 1e-9, step)
        return FixedLocator(np.round(ticks, 10).tolist())
    return MaxNLocator(nbins=5, integer=kpi.kind == "count")


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
    fig.draw_without_rendering()
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


# --------------------------------------------------------------------------- overview charts


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


__all__ = [
    "ACCENT",
    "CHANNELS",
    "HEATMAP_KPIS",
    "NO_DATA",
    "NO_DOSSIERS",
    "OWN_TARGET_ARTIST",
    "STATUS_LABELS",
    "TARGET_ARTIST",
    "VALUE_ARTIST",
    "apply_theme",
    "channel_mix",
    "close",
    "default_heatmap_kpis",
    "figure_png",
    "figure_svg",
    "message_figure",
    "online_trend",
    "peer_comparison",
    "resolve_serif_font",
    "show",
    "status_heatmap",
    "theme_rc",
    "timeliness",
    "units_vs_target",
    "wrap_name",
]
