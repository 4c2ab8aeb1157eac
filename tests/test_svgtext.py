"""SVG text drawn a run at a time (:mod:`briefkit.svgtext`): the same words at the same
places as WeasyPrint's letter-by-letter drawing, and the letter-by-letter path kept for text
that needs it."""

from __future__ import annotations

import base64
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import pytest
import weasyprint.svg as wsvg

from briefkit import svgtext
from briefkit.render import html_to_pdf

SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="300pt" height="120pt"
 viewBox="0 0 300 120">
 <text style="font-size: 10px; font-family: 'Liberation Serif', serif"
  transform="translate(10 20)">Tỷ lệ xử lý trực tuyến</text>
 <text style="font-size: 9px; font-family: 'Liberation Serif', serif; text-anchor: middle"
  x="150" y="50">Quý IV 2023: 91,71%</text>
 <text style="font-size: 9px; font-family: 'Liberation Serif', serif; text-anchor: end"
  x="290" y="80">UBND Phường 14</text>
 <text style="font-size: 9px; font-family: 'Liberation Serif', serif"
  x="10 30 50" y="110">ABC</text>
</svg>"""


def node(text: str, **attributes: str) -> SimpleNamespace:
    element = ElementTree.Element("text", attributes)
    element.text = text
    return SimpleNamespace(attrib=dict(attributes), _etree_node=element)


def test_which_runs_are_drawn_whole() -> None:
    assert svgtext.whole_run(node("Quý IV", x="10", y="20"))
    assert svgtext.whole_run(node("Quý IV", transform="translate(1 2)"))
    assert not svgtext.whole_run(node("ABC", x="10 30 50", y="110"))  # a place per letter
    assert not svgtext.whole_run(node("ABC", x="10,30", y="110"))
    assert not svgtext.whole_run(node("ABC", dx="1"))
    assert not svgtext.whole_run(node("ABC", rotate="30"))
    assert not svgtext.whole_run(node("ABC", textLength="40"))
    assert not svgtext.whole_run(node("A"))  # one letter: nothing to gain
    assert not svgtext.whole_run(node(""))


def words(pdf: bytes, tmp_path: Path, name: str) -> list[tuple[str, float, float]]:
    """Each word of the PDF with its left and baseline-ish bottom (pdftotext -bbox)."""
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
    return [(w, float(x), float(y)) for x, y, w in re.findall(
        r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>',
        html)]


def test_same_words_same_places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = "data:image/svg+xml;base64," + base64.b64encode(SVG.encode()).decode()
    html = f'<html><body><img style="width: 12cm" src="{uri}"></body></html>'
    assert svgtext.install()
    whole = html_to_pdf(html)
    original = wsvg.text._briefkit_original
    with monkeypatch.context() as patch:  # WeasyPrint's own letter-by-letter drawing
        patch.setattr(wsvg, "text", original)
        for tag, function in list(wsvg.TAGS.items()):
            if getattr(function, "_briefkit_original", None) is original:
                patch.setitem(wsvg.TAGS, tag, original)
        letters = html_to_pdf(html)
    got, expected = words(whole, tmp_path, "whole"), words(letters, tmp_path, "letters")
    assert [w for w, _, _ in got] == [w for w, _, _ in expected]
    assert [w for w, _, _ in got][:4] == ["Tỷ", "lệ", "xử", "lý"]
    for (word, x, y), (_, x0, y0) in zip(got, expected, strict=True):
        # kerning moves a glyph by a fraction of a point at most; anchors hold
        assert abs(x - x0) < 1.0 and abs(y - y0) < 0.5, word
    assert len(whole) < len(letters)  # one text operator per run instead of per letter
