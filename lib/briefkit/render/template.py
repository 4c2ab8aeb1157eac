"""The ``briefing`` nbconvert template the exporters render with: where it is, its
stylesheet, and the ``briefkit.*`` metas its ``<head>`` carries into the PDF."""

from __future__ import annotations

from briefkit import packaged

#: Folder holding the ``briefing`` nbconvert template (package data, found with
#: importlib.resources: :func:`briefkit.packaged.templates_dir`).
TEMPLATES_DIR = packaged.templates_dir()
TEMPLATE_NAME = "briefing"
#: The ``<meta name="briefkit.…">`` of a briefing's head and the custom keys of the PDF's
#: document information they become (``pdfinfo -custom`` lists them).
PDF_CUSTOM_KEYS: dict[str, str] = {
    "briefkit.period": "BriefkitPeriod",
    "briefkit.convention": "BriefkitConvention",
    "briefkit.unit-id": "BriefkitUnitID",
    "briefkit.data-sha256": "BriefkitDataSHA256",
    "briefkit.parameters": "BriefkitParameters",
    "briefkit.version": "BriefkitVersion",
}

#: The template's stylesheet, which ``index.html.j2`` inlines in every briefing.
STYLESHEET = TEMPLATES_DIR / TEMPLATE_NAME / "static" / "briefing.css"
