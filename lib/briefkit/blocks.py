"""The briefing's HTML blocks as a notebook displays them: styled like the document, scoped.

In the exported HTML and PDF the template's stylesheet (``briefing.css``) lays out every block
of :mod:`briefkit.report` and :mod:`briefkit.document`. Inside JupyterLab there is no such
stylesheet, so a block shown with :func:`show` (or displayed as :func:`block`) carries it:

    <div class="bk-doc"><style data-briefkit="notebook">…</style>FRAGMENT</div>

* **scoped**: every selector of the ``<style>`` starts with ``.bk-doc`` (a style element in an
  output applies to the whole JupyterLab page, so an unscoped ``p`` or ``table`` rule would
  restyle JupyterLab itself); the root rule (``html``: the Times-metric serif, 13 pt, black on
  white) becomes ``.bk-doc``'s own.
* **one source of truth**: the rules are not copied by hand, they are derived from
  ``briefing.css`` by :func:`scope_css` (tinycss2, WeasyPrint's CSS parser) on first use:
  ``@page`` and ``print`` rules, print-only properties (``break-*``, ``page``, ``orphans``,
  ``widows``) and selectors of the export's own page structure (``body``, ``.bk-document``,
  markdown cells, cell tags) are left out; ``.bk-html X`` (the export's wrapper of an HTML
  output) becomes ``.bk-doc X``. Notebook-only rules frame them: before, a reset of what
  JupyterLab's output stylesheet gives every table (:data:`NOTEBOOK_RESET_CSS`: striped and
  hovered rows, fixed layout, grey UI text, padded cells); after, the width of the A4 text
  column (:data:`NOTEBOOK_EXTRA_CSS`).
* **carried with each block**: a block still looks right after its cell is re-run alone, the
  notebook is reopened, or the cell that ran first is cleared (a style shown once per session
  would vanish with that cell's output). About 6 kB a block.
* **stripped on export**: the template's ``StripNotebookStylePreprocessor``
  (:mod:`briefkit.render`) replaces each wrapped block by its fragment, so the HTML and PDF
  are byte-identical to those of plain ``display(HTML(fragment))`` outputs and carry the
  stylesheet once, in their ``<head>``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import Any

#: The class of the container of a block displayed in a notebook (the scope of its style).
SCOPE_CLASS = "bk-doc"
SCOPE = f".{SCOPE_CLASS}"
#: Notebook-only rules (nothing in the exported document matches ``.bk-doc``): the width of
#: A4's text column (210 mm less Decree 30's 30 mm and 15 mm margins), so lines break about
#: where they break in the PDF, and that of a landscape page's (297 mm less 2 × 20 mm) for a
#: block that goes on one (Biểu 06).
NOTEBOOK_EXTRA_CSS = (f"{SCOPE} {{ box-sizing: border-box; max-width: 165mm; }}\n"
                      f"{SCOPE}:has(.bk-landscape) {{ max-width: 257mm; }}\n")
#: What JupyterLab's rendered-HTML stylesheet (``.jp-RenderedHTMLCommon``) gives every table,
#: undone inside a block before briefing.css's rules apply: its selectors are as specific as
#: these and come earlier in the page, so these win, and briefing.css's more specific rules
#: (a fixed layout for the header, the cells' padding) still win over them.
NOTEBOOK_RESET_CSS = (
    f"{SCOPE} table {{ color: inherit; font-size: inherit; table-layout: auto; }}\n"
    f"{SCOPE} thead {{ border-bottom: none; }}\n"
    f"{SCOPE} td, {SCOPE} th, {SCOPE} tr {{ line-height: inherit; padding: 0; }}\n"
    f"{SCOPE} tbody tr:nth-child(n), {SCOPE} tbody tr:hover {{ background: transparent; }}\n")

#: Properties that only mean something on a printed page.
_PRINT_ONLY = re.compile(r"^(break-(before|after|inside)|page-break-.*|page|orphans|widows)$")
#: First compounds of selectors that address the export's page structure, not a block:
#: the document shell, markdown cells (not inside a block in a notebook), cell tags.
_EXPORT_ONLY = re.compile(r"^(body|\.bk-document|\.bk-markdown|\.celltag_[\w-]+)(?![\w-])")
_STYLE_OPEN = f'<div class="{SCOPE_CLASS}"><style data-briefkit="notebook">'
_WRAPPED = re.compile(re.escape(_STYLE_OPEN) + r"[^<]*</style>(?P<fragment>.*)</div>\Z",
                      re.DOTALL)


def _split_selectors(prelude: list[Any]) -> list[str]:
    """The selectors of a rule's prelude, split at its top-level commas."""
    import tinycss2

    selectors: list[list[Any]] = [[]]
    for token in prelude:
        if token.type == "literal" and token.value == ",":
            selectors.append([])
        else:
            selectors[-1].append(token)
    return [" ".join(tinycss2.serialize(tokens).split()) for tokens in selectors]


def scope_selector(selector: str, scope: str = SCOPE, *, screen: bool = False) -> str | None:
    """``selector`` confined to ``scope``: ``html`` becomes the scope itself, ``.bk-html X``
    becomes ``scope X``, anything else ``scope selector``; None for a selector of the export's
    page structure (``body``, ``.bk-document``, ``.bk-markdown …``, ``.celltag_…``) and, in
    ``@media screen`` (``screen``), for ``html``: there it is the backdrop around the page,
    and a block is the page."""
    if _EXPORT_ONLY.match(selector) or ".bk-markdown" in selector:
        return None
    if selector == "html" or selector.startswith("html "):
        return None if screen else scope + selector[4:]
    if selector.startswith(".bk-html "):
        return scope + selector[8:]
    return f"{scope} {selector}"


def _declarations(content: list[Any]) -> str:
    import tinycss2

    kept = []
    for decl in tinycss2.parse_blocks_contents(content, skip_comments=True,
                                               skip_whitespace=True):
        if decl.type != "declaration" or _PRINT_ONLY.match(decl.lower_name):
            continue
        value = " ".join(tinycss2.serialize(decl.value).split())
        kept.append(f"{decl.lower_name}: {value}{' !important' if decl.important else ''}")
    return "; ".join(kept)


def _scope_rules(rules: Iterable[Any], scope: str, screen: bool = False) -> list[str]:
    import tinycss2

    out: list[str] = []
    for rule in rules:
        if rule.type == "qualified-rule":
            selectors = [s for s in (scope_selector(sel, scope, screen=screen)
                                     for sel in _split_selectors(rule.prelude)) if s]
            body = _declarations(rule.content or [])
            if selectors and body:
                out.append(f"{', '.join(selectors)} {{ {body}; }}")
        elif rule.type == "at-rule" and rule.lower_at_keyword == "media":
            media = {t.lower_value for t in rule.prelude if t.type == "ident"}
            if media & {"screen", "all"} and "print" not in media:
                # a notebook is on a screen: the rules apply unconditionally
                out += _scope_rules(tinycss2.parse_rule_list(
                    rule.content or [], skip_comments=True, skip_whitespace=True), scope,
                    screen=True)
        # @page, @media print, and any other at-rule: nothing for a block on screen
    return out


def scope_css(css_text: str, scope: str = SCOPE) -> str:
    """A stylesheet confined to the elements inside ``scope``, for a block on a screen.

    Every rule's selectors are rewritten by :func:`scope_selector` (those of the export's page
    structure dropped); ``@page`` rules and non-screen media are dropped, ``@media screen``
    rules unwrapped; print-only declarations (``break-*``, ``page``, ``orphans``, ``widows``)
    dropped; a rule left without a selector or a declaration is dropped. One rule a line,
    comments removed.
    """
    import tinycss2

    rules = tinycss2.parse_stylesheet(css_text, skip_comments=True, skip_whitespace=True)
    return "\n".join(_scope_rules(rules, scope)) + "\n"


def stylesheet_path() -> Path:
    """The template's stylesheet (package data), the one source of the blocks' look."""
    from briefkit import packaged

    return packaged.templates_dir() / "briefing" / "static" / "briefing.css"


@functools.cache
def notebook_css() -> str:
    """The style every block carries in a notebook: :data:`NOTEBOOK_RESET_CSS`, then
    ``briefing.css`` scoped to ``.bk-doc`` (:func:`scope_css`), then
    :data:`NOTEBOOK_EXTRA_CSS`; built once per process."""
    return (NOTEBOOK_RESET_CSS + scope_css(stylesheet_path().read_text(encoding="utf-8"))
            + NOTEBOOK_EXTRA_CSS)


def wrap(fragment: str) -> str:
    """A fragment as a notebook shows it: in ``<div class="bk-doc">`` with its scoped style."""
    css = notebook_css()
    if "<" in css:  # never the case for briefing.css; a stylesheet must not close the element
        css = escape(css, quote=False)
    return f"{_STYLE_OPEN}{css}</style>{fragment}</div>"


def unwrap(html: str) -> str | None:
    """The fragment of a block :func:`wrap` made, or None for any other HTML."""
    match = _WRAPPED.match(html)
    return match.group("fragment") if match else None


class Block:
    """One or more HTML fragments displayed as one styled block (``text/html``:
    :func:`wrap`)."""

    def __init__(self, *fragments: str) -> None:
        self.fragment = "".join(fragments)

    def _repr_html_(self) -> str:
        return wrap(self.fragment)

    def __repr__(self) -> str:
        return f"<briefkit block, {len(self.fragment)} characters of HTML>"


def block(*fragments: str) -> Block:
    """The fragments (from :mod:`briefkit.report`, :mod:`briefkit.document`) as one block a
    notebook displays styled like the document: ``display(block(report.header_html(h)))``."""
    return Block(*fragments)


def show(*fragments: str) -> None:
    """Display the fragments as one styled block (what the notebooks call)."""
    from IPython.display import display

    display(Block(*fragments))


__all__ = [
    "NOTEBOOK_EXTRA_CSS",
    "NOTEBOOK_RESET_CSS",
    "SCOPE",
    "SCOPE_CLASS",
    "Block",
    "block",
    "notebook_css",
    "scope_css",
    "scope_selector",
    "show",
    "stylesheet_path",
    "unwrap",
    "wrap",
]
