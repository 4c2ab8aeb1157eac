"""The template's filters for images: SVG made fit for inlining or for a ``data:`` URL,
and base64 payloads without line breaks."""

from __future__ import annotations

import re

_XML_PROLOGUE = re.compile(r"<\?xml[^>]*\?>|<!DOCTYPE[^>[]*(\[[^]]*\])?\s*>", re.IGNORECASE)


def inline_svg(svg: str | list[str]) -> str:
    """An SVG document made fit for inlining in HTML: no XML declaration or DOCTYPE (the
    matplotlib DOCTYPE even names a W3C URL), no leading whitespace."""
    text = "".join(svg) if isinstance(svg, list) else str(svg)
    return _XML_PROLOGUE.sub("", text).strip()


def svg_base64(svg: str | list[str]) -> str:
    """An SVG document as the base64 payload of a ``data:image/svg+xml`` URL (see the
    template): :func:`inline_svg`'s clean-up (no DOCTYPE naming a W3C URL), UTF-8."""
    import base64

    return base64.b64encode(inline_svg(svg).encode("utf-8")).decode("ascii")


def data_uri_payload(data: str | list[str]) -> str:
    """Base64 image data as stored in a notebook, without the line breaks some writers add."""
    text = "".join(data) if isinstance(data, list) else str(data)
    return re.sub(r"\s+", "", text)
