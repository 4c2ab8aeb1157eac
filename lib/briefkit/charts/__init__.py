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

The package, one module per step, each reading only the ones before it::

    theme ─► common ─► trend, ranked, counts (unit briefing) ─► overview ─► output

* :mod:`~briefkit.charts.theme`: sizes, colours and labels, the serif font, the rcParams
  (:func:`theme_rc`, :func:`apply_theme`), applied inside every chart function and when
  saving, and the figure every chart draws on.
* :mod:`~briefkit.charts.common`: what the charts share: the KPI table checked, Vietnamese
  numbers, unit names wrapped (:func:`wrap_name`), titles, :func:`message_figure`, the common
  target and the ranking.
* :mod:`~briefkit.charts.trend`: :func:`online_trend`.
* :mod:`~briefkit.charts.ranked`: :func:`peer_comparison`, and the ranked bars it shares with
  :func:`units_vs_target`.
* :mod:`~briefkit.charts.counts`: :func:`channel_mix`, :func:`timeliness`.
* :mod:`~briefkit.charts.overview`: :func:`units_vs_target`, :func:`status_heatmap`.
* :mod:`~briefkit.charts.output`: :func:`figure_svg`, :func:`figure_png`, :func:`show`,
  :func:`close`.

Every name is read from the package itself (``briefkit.charts.X``): the API of ``__all__`` and,
as explicit re-exports (``X as X``), the constants and the helpers that tests and notebooks
read; the other helpers stay in their modules.
"""

from briefkit.charts.common import (
    NAME_ABBREVIATIONS as NAME_ABBREVIATIONS,
    balanced_wrap as balanced_wrap,
    message_figure,
    wrap_name,
)
from briefkit.charts.counts import (
    CHANNELS,
    PENDING_PARTS as PENDING_PARTS,
    RESOLVED_PARTS as RESOLVED_PARTS,
    channel_mix,
    timeliness,
)
from briefkit.charts.output import close, figure_png, figure_svg, show
from briefkit.charts.overview import (
    HEATMAP_KPIS,
    default_heatmap_kpis,
    status_heatmap,
    units_vs_target,
)
from briefkit.charts.ranked import (
    PEER_CHART_AROUND as PEER_CHART_AROUND,
    PEER_CHART_EDGE as PEER_CHART_EDGE,
    PEER_CHART_MAX as PEER_CHART_MAX,
    peer_comparison,
)
from briefkit.charts.theme import (
    ACCENT,
    ACCENT_LIGHT as ACCENT_LIGHT,
    CM as CM,
    DARK_GREY as DARK_GREY,
    FALLBACK_SERIF as FALLBACK_SERIF,
    FIG_HEIGHT_CM as FIG_HEIGHT_CM,
    FIG_WIDTH_CM as FIG_WIDTH_CM,
    GRID_GREY as GRID_GREY,
    INK as INK,
    LIGHT_GREY as LIGHT_GREY,
    MID_GREY as MID_GREY,
    NO_DATA,
    NO_DOSSIERS,
    OWN_TARGET_ARTIST,
    PALE_GREY as PALE_GREY,
    RATE_LABEL_DECIMALS as RATE_LABEL_DECIMALS,
    SERIF_CANDIDATES as SERIF_CANDIDATES,
    STATUS_BAR_COLORS as STATUS_BAR_COLORS,
    STATUS_CELL_COLORS as STATUS_CELL_COLORS,
    STATUS_LABELS,
    SVG_HASHSALT as SVG_HASHSALT,
    TARGET_ARTIST,
    TARGET_COLOR as TARGET_COLOR,
    TARGET_LABEL as TARGET_LABEL,
    TARGET_STYLE as TARGET_STYLE,
    VALUE_ARTIST,
    VIETNAMESE_SAMPLE as VIETNAMESE_SAMPLE,
    _has_glyphs as _has_glyphs,
    apply_theme,
    resolve_serif_font,
    theme_rc,
)
from briefkit.charts.trend import online_trend

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
