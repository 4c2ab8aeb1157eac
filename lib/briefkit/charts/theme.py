"""The briefing theme: sizes, colours and labels, the serif font, the rcParams, and the figure
every chart draws on.

The theme is applied inside every chart function and when saving (a ``rc_context``), so charts
look the same whatever the caller's global matplotlib settings; :func:`apply_theme` also sets
it globally for ad-hoc plots in a notebook.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

import matplotlib as mpl
import seaborn as sns
from cycler import cycler
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from briefkit import wording
from briefkit.kpis import STATUS_MET, STATUS_NA, STATUS_NOT_MET

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
