"""The end of an official document and what it says about itself outside its text.

* :func:`closing_html`: the closing block of Decree 30/2020/NĐ-CP (annex I) after the body:
  on the left "Nơi nhận:" (12 pt, bold italic) over the recipients (11 pt, one per line,
  "- …;", the last "- Lưu: VT, ….") and on the right the signing authority and title (caps,
  bold: "TM. ỦY BAN NHÂN DÂN" / "KT. CHỦ TỊCH" / "PHÓ CHỦ TỊCH"), room for the signature and
  the signer's name (bold). From the document settings (:mod:`briefkit.settings`), with the
  unit's or the overview's override. The block never leaves the last paragraph alone on the
  page before it (``break-before: avoid`` in the stylesheet) and never splits.
* :func:`reference_line_html`: an optional small line "Kỳ báo cáo: quý IV/2023 · Dữ liệu:
  <12 hex>" when the settings ask for it (``reference_line: true``).
* :func:`document_info`: the document's metadata — title suffix, subject, keywords, the
  data fingerprint, the period, the parameters (paths relative to the data folder) and the
  file name the export should carry — as a display output of its own mimetype, which the
  briefing template does not print and :class:`briefkit.render.BriefingMetadataPreprocessor`
  turns into the PDF's document information (and ``<meta>`` in the HTML head). So the
  provenance is where machines and auditors look, never in the official text.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from briefkit import __version__
from briefkit.settings import resolve
from briefkit.textsafety import html_text, visible

__all__ = [
    "DOCUMENT_INFO_MIMETYPE",
    "DocumentInfo",
    "closing_html",
    "document_info",
    "portable_parameters",
    "recipient_lines",
    "reference_line_html",
]

#: The mimetype of the display output carrying a document's metadata.
DOCUMENT_INFO_MIMETYPE = "application/vnd.briefkit.document+json"
_SHORT_SHA = 12


def _e(value: Any) -> str:
    """Any value as HTML text: escaped, control characters shown (``\\x1b``; see
    :mod:`briefkit.textsafety`, the one rule of every output)."""
    return html_text(value)


def _line_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [str(item).strip() for item in items if str(item).strip()]


def recipient_lines(settings: Mapping[str, Any]) -> list[str]:
    """The recipients as printed: "- Thường trực Quận ủy;" …, the last "- Lưu: VT, VP.".

    Each recipient is written as given, without a leading "-" or a trailing ";"/"." (they
    are added here); the archive line ("VT, VP" or "Lưu: VT, VP") comes last."""
    lines = []
    for item in _line_list(settings.get("recipients")):
        text = item.lstrip("-–• ").rstrip(";.,").strip()
        if text:
            lines.append(f"- {text};")
    archive = str(settings.get("archive") or "").strip()
    if archive:
        text = archive.lstrip("-–• ").rstrip(";.").strip()
        if not text.casefold().startswith("lưu"):
            text = f"Lưu: {text}"
        lines.append(f"- {text}.")
    elif lines:
        lines[-1] = lines[-1][:-1] + "."
    return lines


def closing_html(settings: Mapping[str, Any], unit_id: str | None = None,
                 provenance: Mapping[str, Any] | None = None) -> str:
    """The closing block of ``unit_id``'s briefing (None: the overview), and the reference
    line when the settings ask for it (see the module docstring). Empty when the settings
    name neither a signer nor recipients."""
    own = resolve(settings, unit_id)
    recipients = recipient_lines(own)
    signature = own.get("signature") or {}
    authority = [line.upper() for line in
                 [*_line_list(signature.get("authority")), *_line_list(signature.get("title"))]]
    signer = str(signature.get("signer") or "").strip()
    parts: list[str] = []
    if recipients or authority or signer:
        left = ""
        if recipients:
            left = ('<p class="bk-recipients-title">Nơi nhận:</p>'
                    + "".join(f'<p class="bk-recipient">{_e(line)}</p>' for line in recipients))
        right = "".join(f'<p class="bk-authority">{_e(line)}</p>' for line in authority)
        right += '<div class="bk-signature-space"></div>'
        if signer:
            right += f'<p class="bk-signer">{_e(signer)}</p>'
        parts.append('<table class="bk-closing"><colgroup><col class="bk-closing-left">'
                     '<col class="bk-closing-right"></colgroup><tbody><tr>'
                     f'<td class="bk-recipients">{left}</td>'
                     f'<td class="bk-signature">{right}</td></tr></tbody></table>')
    if own.get("reference_line") and provenance:
        parts.append(reference_line_html(provenance))
    return "".join(parts)


def reference_line_html(provenance: Mapping[str, Any]) -> str:
    """"Kỳ báo cáo: quý IV/2023 · Dữ liệu: 3f2a9c0b71de" in small print (the period label and
    the first 12 hex digits of the data fingerprint, nothing else)."""
    parts = []
    period = provenance.get("period")
    if period is not None and hasattr(period, "label"):
        period = period.label()
    if period:
        parts.append(f'Kỳ báo cáo: <span class="bk-nowrap">{_e(period)}</span>')
    sha = str(provenance.get("data_sha256") or "")
    if sha:
        parts.append(f"Dữ liệu: {_e(sha[:_SHORT_SHA])}")
    return f'<p class="bk-reference">{" · ".join(parts)}</p>' if parts else ""


# ---------------------------------------------------------------------------- metadata


def portable_parameters(parameters: Mapping[str, Any],
                        data_dir: str | Path | None = None) -> dict[str, Any]:
    """``parameters`` without absolute paths: ``data_dir`` becomes the data folder's name, a
    path inside the data folder its path relative to it, any other path its file name.
    Values that are not paths are kept."""
    root = Path(data_dir or parameters.get("data_dir") or "").expanduser()
    root_abs = Path(os.path.abspath(root)) if str(root) else None
    out: dict[str, Any] = {}
    for key, value in parameters.items():
        if key == "data_dir" and value is not None:
            out[key] = Path(str(value)).name or str(value)
        elif isinstance(value, Path) or (isinstance(value, str) and (
                key.endswith(("_file", "_dir")) or os.path.isabs(value))):
            out[key] = _portable_path(value, root_abs)
        else:
            out[key] = value
    return out


def _portable_path(value: str | Path, root: Path | None) -> str:
    path = Path(value).expanduser()
    if not path.is_absolute():
        return PurePosixPath(*path.parts).as_posix() if path.parts else str(value)
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name


def _shown(value: Any) -> Any:
    """``value`` with every text in it through :func:`briefkit.textsafety.visible`."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, Mapping):
        return {key: _shown(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_shown(item) for item in value]
    return value


class DocumentInfo:
    """A display output carrying a document's metadata (see the module docstring). In
    JupyterLab it shows as one line of text; the briefing exporters print nothing of it.
    Its texts (a unit's name and id) have their control characters shown as ``\\x1b``, as
    the document's text has (:mod:`briefkit.textsafety`)."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data: dict[str, Any] = _shown(dict(data))

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        text = (f"Thông tin tài liệu (không in): {self.data.get('file_stem', '')} · "
                f"{self.data.get('subject', '')}")
        return {DOCUMENT_INFO_MIMETYPE: self.data, "text/plain": text}

    def __repr__(self) -> str:
        return f"DocumentInfo({self.data!r})"


def document_info(provenance: Mapping[str, Any], settings: Mapping[str, Any] | None = None,
                  *, unit_id: str | None = None, unit_name: str | None = None,
                  period: Any = None) -> DocumentInfo:
    """The metadata of ``unit_id``'s briefing (None: the overview) from its provenance
    (:func:`briefkit.manifest.provenance`, or a unit slice's) and the document settings.

    Title suffix: the unit's name (the PDF title is the document's heading " – " it);
    subject: the period and the unit; keywords; author: the issuing body; and custom keys
    for the data fingerprint, the period, the convention, the parameters (as JSON, no
    absolute path) and the briefkit version; ``file_stem``: the name the settings give the
    exported file (:func:`briefkit.settings.file_stem`).
    """
    from briefkit.settings import file_stem

    settings = settings or {}
    own = resolve(settings, unit_id)
    label = provenance.get("period")
    spec = provenance.get("period_spec")
    if period is not None:
        label, spec = period.label(), period.spec
    convention = provenance.get("convention") or getattr(period, "convention", None)
    sha = str(provenance.get("data_sha256") or "")
    parameters = portable_parameters(provenance.get("parameters") or {})
    if unit_id is not None:
        from briefkit.batch.slugs import unit_slug

        stem = file_stem(settings, "unit", period=str(spec or ""), slug=unit_slug(unit_id),
                         unit_id=unit_id)
    else:
        stem = file_stem(settings, "overview", period=str(spec or ""))
    subject = f"Kỳ báo cáo: {label}" if label else ""
    if unit_name:
        subject += f"; đơn vị: {unit_name} ({unit_id})" if unit_id else f"; {unit_name}"
    if sha:
        subject += f"; dữ liệu sha256: {sha}"
    keywords = ["TTHC", "DVCTT", *([str(spec)] if spec else []),
                *([str(unit_id)] if unit_id else ["tổng hợp"]),
                *([f"sha256:{sha}"] if sha else [])]
    custom = {
        "briefkit.period": spec, "briefkit.convention": convention,
        "briefkit.unit-id": unit_id, "briefkit.data-sha256": sha or None,
        "briefkit.parameters": json.dumps(parameters, ensure_ascii=False, sort_keys=True,
                                          default=str),
        "briefkit.version": str(provenance.get("version") or __version__),
    }
    return DocumentInfo({
        "title_suffix": unit_name if unit_id else None,
        "subject": subject.lstrip("; "),
        "keywords": keywords,
        "author": str(own.get("issuing_body") or "").strip() or None,
        "file_stem": stem,
        "custom": {k: str(v) for k, v in custom.items() if v is not None},
    })
