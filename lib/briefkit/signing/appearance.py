"""The visible signature stamp (optional: ``briefkit sign --image PNG [--seal PNG]``).

Decree 30/2020 (Appendix I) shows a digital signature as the signer's image (a blue PNG)
between the title and the name, the organisation's seal (a red PNG) overlapping about a third
of the signer's image on its left, and the signing time in ISO 8601 with the Vietnamese
offset. The stamp is drawn here as one transparent picture — the images, then two lines of
text in a Times-metric font with Vietnamese glyphs ("Ký bởi: …", "Thời gian ký: …") — and
pyHanko places it in the signature field's appearance. Drawing the text into the picture
keeps every Vietnamese letter (PDF's standard fonts have none) and keeps the bytes the same
for the same inputs.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

__all__ = ["STAMP_SIZE_PT", "stamp_image"]

#: The stamp's size on the page, in PDF points (width, height).
STAMP_SIZE_PT = (220.0, 100.0)
_SCALE = 4  # pixels per point: about 290 dpi, sharp in print
_INK = (0, 0, 0, 255)
_FONT_FILES = ("Tinos-Regular.ttf", "LiberationSerif-Regular.ttf")


def _font(size_px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in _FONT_FILES:
        try:
            return ImageFont.truetype(name, size_px)
        except OSError:
            continue
    from matplotlib import font_manager  # DejaVu ships with matplotlib, Vietnamese included

    path = font_manager.findfont(font_manager.FontProperties(family="DejaVu Serif"))
    return ImageFont.truetype(path, size_px)


def _load(path: Path, what: str) -> Image.Image:
    try:
        with Image.open(path) as img:
            img.load()
            return img.convert("RGBA")
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read the {what} image ({exc})") from None


def _fit(img: Image.Image, width: int, height: int) -> Image.Image:
    ratio = min(width / img.width, height / img.height)
    size = (max(1, round(img.width * ratio)), max(1, round(img.height * ratio)))
    return img.resize(size, Image.Resampling.LANCZOS)


def stamp_image(signer: str, signed_at: str, *, image: Path | None = None,
                seal: Path | None = None) -> Image.Image:
    """The stamp as an RGBA picture of :data:`STAMP_SIZE_PT` × 4 pixels: ``image`` (the
    signer's) in the upper part with ``seal`` overlapping a third of it on its left, then
    "Ký bởi: ``signer``" and "Thời gian ký: ``signed_at``" below (``seal`` goes with
    ``image`` only). Raises ValueError for an unreadable image."""
    width, height = (round(v * _SCALE) for v in STAMP_SIZE_PT)
    canvas = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    text_px = 10 * _SCALE
    picture_h = height - 2 * round(text_px * 1.3) - 2 * _SCALE
    if image is not None:
        signature = _fit(_load(image, "signer's"), width // 2, picture_h)
        left = (width - signature.width) // 2
        canvas.alpha_composite(signature, (left, (picture_h - signature.height) // 2))
        if seal is not None:  # over the signature, its right edge a third of the way in
            stamp = _fit(_load(seal, "seal"), width // 2, picture_h)
            seal_left = max(0, left + signature.width // 3 - stamp.width)
            canvas.alpha_composite(stamp, (seal_left, (picture_h - stamp.height) // 2))
    draw = ImageDraw.Draw(canvas)
    font = _font(text_px)
    y = picture_h + _SCALE
    for line in (f"Ký bởi: {signer}", f"Thời gian ký: {signed_at}"):
        draw.text((width // 2, y), line, font=font, fill=_INK, anchor="ma")
        y += round(text_px * 1.3)
    return canvas
