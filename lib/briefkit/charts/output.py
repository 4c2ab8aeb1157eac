"""The charts as files and in notebooks: SVG text, PNG bytes, display and release."""

from __future__ import annotations

import io

from matplotlib.figure import Figure

from briefkit.charts.theme import _themed


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
