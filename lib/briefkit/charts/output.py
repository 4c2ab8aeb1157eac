"""The charts as files and in notebooks: SVG text, PNG bytes, display and release."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator

import matplotlib as mpl
from matplotlib.figure import Figure

from briefkit.charts.theme import _themed


@contextlib.contextmanager
def _laid_out_for_svg(fig: Figure) -> Iterator[None]:
    """The figure laid out once, as saving it as SVG lays it out, and drawn once.

    A figure with a layout engine (every chart's: constrained layout) is drawn twice by
    ``savefig``: a whole draw with drawing disabled, only for the layout engine to run at its
    start, then the real one. Here the engine runs alone, measuring text with the renderer
    the SVG print measures with (an SVG canvas, as ``savefig`` switches to; the same
    positions, the same bytes), and is set aside while ``savefig`` draws, so the figure is
    drawn once: ~25 % of a chart's SVG time. The engine is put back afterwards."""
    engine = fig.get_layout_engine()
    if engine is None or not fig.axes:  # (a figure without axes is not laid out either)
        yield
        return
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    canvas, dpi = fig.canvas, fig.dpi
    # a new canvas also records the figure's dpi as its "original" one (what savefig's
    # dpi="figure" means; on a HiDPI screen not the dpi it has now): kept as it was
    original_dpi = getattr(fig, "_original_dpi", None)
    FigureCanvasSVG(fig)  # (becomes fig.canvas)
    try:
        engine.execute(fig)
    finally:
        fig.dpi = dpi  # the SVG print measures at 72 dpi and leaves it so
        fig.set_canvas(canvas)
        if original_dpi is not None:
            fig._original_dpi = original_dpi  # type: ignore[attr-defined]
    with mpl.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)  # none at all (with "none", savefig would still pre-draw)
    try:
        yield
    finally:
        fig.set_layout_engine(engine)


def figure_svg(fig: Figure) -> str:
    """The figure as SVG text: text as ``<text>`` in the document's serif, fixed ids, no date,
    so identical for identical figures."""
    buffer = io.StringIO()
    with _themed(), _laid_out_for_svg(fig):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "briefkit"})
    return buffer.getvalue()


def figure_png(fig: Figure, dpi: int = 200) -> bytes:
    """The figure as PNG bytes (200 dpi by default: sharp on paper)."""
    buffer = io.BytesIO()
    with _themed():
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def svg_element(svg: str) -> str:
    """The ``<svg>`` element of an SVG document, without the XML declaration and doctype
    before it: what a notebook's ``image/svg+xml`` output holds (IPython's ``SVG`` finds it by
    parsing the whole document with minidom, ~9 ms a chart; matplotlib writes the element as
    the rest of the document, so it is cut out as it stands)."""
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("not an SVG document: no <svg> element")
    return svg[start:].rstrip()


def show(fig: Figure, fmt: str = "svg") -> None:
    """Display the figure in a notebook (SVG by default, sharp in print) and close it."""
    from IPython.display import Image, display

    try:
        if fmt == "svg":
            display({"image/svg+xml": svg_element(figure_svg(fig))}, raw=True)
        elif fmt == "png":
            width_px = round(fig.get_figwidth() * 96)  # physical size on a 96-dpi screen
            display(Image(data=figure_png(fig), format="png", width=width_px))
        else:
            raise ValueError(f"fmt must be 'svg' or 'png', got {fmt!r}")
    finally:
        close(fig)


def close(fig: Figure) -> None:
    """Release a figure: one created through pyplot leaves pyplot's registry and is cleared;
    the charts' own figures (outside pyplot) are freed with their last reference, so clearing
    them (re-initialising every axes, ~6 ms a chart) would buy nothing."""
    manager = getattr(fig.canvas, "manager", None)
    if manager is None:
        return
    import matplotlib.pyplot as plt

    plt.close(fig)
    fig.clear()
