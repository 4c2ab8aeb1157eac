"""The document settings (``params/header.yaml``): header, closing block, file names.

One YAML file says everything about the *official document* that is not a figure: the
Decree-30 header (parent and issuing body, number, place, date), the closing block (the
signing authority, the signer, the recipients, the archive line), whether a small reference
line is printed, and the names of the output files. :func:`load_settings` reads and
validates it, collecting every problem with the file and the key it is about
(``params/header.yaml: signature.recipients[2]: must be text``), so a clerk fixes the file in
one pass; ``briefkit run`` does this before anything is computed (exit status 2).

Per-document overrides: ``overview:`` for the overview, ``units: {<unit id>: …}`` for a unit
briefing (a unit's briefing may be issued and signed by the unit itself and sent to other
recipients). :func:`resolve` gives the settings one document uses: the top level with its
override on top (``signature`` merged key by key, every other key replaced).

File names (:func:`file_stem`): patterns with ``{slug}`` (the unit's folder name),
``{unit_id}`` (the id, cleaned to a file-name-safe text) and ``{period}`` (``2023Q4``),
default ``BC-TTHC_{slug}_{period}`` for a unit, ``BC-TTHC_tong-hop_{period}`` for the overview
and ``PL-TTHC_{period}`` for the annex; the extension is added (a pattern may end with it).
"""

from __future__ import annotations

import datetime as _dt
import re
import string
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from briefkit.problems import InputError, Problem

__all__ = [
    "ANNEX_KEYS",
    "DEFAULT_FILE_NAMES",
    "FILE_NAME_FIELDS",
    "OVERRIDE_KEYS",
    "SETTINGS_KEYS",
    "check_unit_overrides",
    "file_stem",
    "load_settings",
    "resolve",
    "settings_problems",
    "source_name",
    "unit_part",
]

#: Output file names when the settings give none (without extension).
DEFAULT_FILE_NAMES: dict[str, str] = {
    "unit": "BC-TTHC_{slug}_{period}",
    "overview": "BC-TTHC_tong-hop_{period}",
    "annex": "PL-TTHC_{period}",
}
#: The fields a file-name pattern may use.
FILE_NAME_FIELDS = ("slug", "unit_id", "period")
_EXTENSIONS = (".pdf", ".html", ".ipynb", ".xlsx")
_TEXT_KEYS = ("parent_body", "issuing_body", "symbol", "place", "archive")
#: The keys ``overview:`` and ``units.<id>:`` may override.
OVERRIDE_KEYS = ("parent_body", "issuing_body", "number", "symbol", "place", "signature",
                 "recipients", "archive")
#: Every top-level key of the settings file.
SETTINGS_KEYS = ("parent_body", "issuing_body", "number", "symbol", "place", "date",
                 "signature", "recipients", "archive", "reference_line", "file_names",
                 "annex", "overview", "units")
#: The keys of ``annex:``, the frame of the annex's Biểu 06 (:class:`briefkit.bieu06.Frame`).
ANNEX_KEYS = ("reporting_unit", "receiving_unit", "preparer", "head")
_SIGNATURE_KEYS = ("authority", "title", "signer")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def source_name(path: str | Path) -> str:
    """The file as a message names it: relative to the current folder when inside it."""
    path = Path(path)
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def _is_text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _check_text(value: object, key: str, out: list[tuple[str, str]], *,
                number_ok: bool = False) -> None:
    if value is None:
        return
    if number_ok and isinstance(value, int) and not isinstance(value, bool):
        return
    if not _is_text(value):
        out.append((key, "must be text" + (" or a number" if number_ok else "")
                    + f" (got {value!r})"))


def _check_items(value: list[object], key: str, out: list[tuple[str, str]]) -> None:
    for i, item in enumerate(value):
        if not _is_text(item):
            out.append((f"{key}[{i}]", f"must be text (got {item!r})"))


def _check_lines(value: object, key: str, out: list[tuple[str, str]]) -> None:
    """Text, or a list of texts (one per printed line)."""
    if value is None or _is_text(value):
        return
    if not isinstance(value, list):
        out.append((key, f"must be text or a list of texts (got {value!r})"))
        return
    _check_items(value, key, out)


def _check_signature(value: object, key: str, out: list[tuple[str, str]], *,
                     complete: bool) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        out.append((key, "must be a mapping with authority, title and signer"))
        return
    for name in value:
        if name not in _SIGNATURE_KEYS:
            out.append((f"{key}.{name}", f"unknown key (known: {', '.join(_SIGNATURE_KEYS)})"))
    _check_lines(value.get("authority"), f"{key}.authority", out)
    for name in ("title", "signer"):
        if value.get(name) is None and complete:
            out.append((f"{key}.{name}", "missing (the signing block needs the signer's "
                        "title and name)"))
        _check_text(value.get(name), f"{key}.{name}", out)


def _check_recipients(value: object, key: str, out: list[tuple[str, str]]) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        out.append((key, f"must be a list of texts, one recipient each (got {value!r})"))
        return
    _check_items(value, key, out)


def _check_override(value: object, key: str, out: list[tuple[str, str]]) -> None:
    if not isinstance(value, Mapping):
        out.append((key, f"must be a mapping of settings to override (got {value!r})"))
        return
    for name in value:
        if name not in OVERRIDE_KEYS:
            out.append((f"{key}.{name}", "cannot be set per document (these can: "
                        f"{', '.join(OVERRIDE_KEYS)})"))
    for name in _TEXT_KEYS:
        _check_text(value.get(name), f"{key}.{name}", out)
    if "issuing_body" in value and value["issuing_body"] is None:
        out.append((f"{key}.issuing_body", "must be text"))
    _check_text(value.get("number"), f"{key}.number", out, number_ok=True)
    _check_signature(value.get("signature"), f"{key}.signature", out, complete=False)
    _check_recipients(value.get("recipients"), f"{key}.recipients", out)


def _check_pattern(value: object, key: str, out: list[tuple[str, str]], *,
                   unit: bool) -> None:
    if not _is_text(value):
        out.append((key, f"must be a file-name pattern, e.g. {DEFAULT_FILE_NAMES['unit']!r} "
                    f"(got {value!r})"))
        return
    text = str(value)
    if "/" in text or "\\" in text:
        out.append((key, "a file name, not a path: no '/' or '\\'"))
        return
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(text) if f is not None}
    except ValueError as exc:
        out.append((key, f"not a valid pattern: {exc}"))
        return
    unknown = sorted(fields - set(FILE_NAME_FIELDS))
    if unknown:
        out.append((key, f"unknown field(s) {', '.join('{' + f + '}' for f in unknown)} "
                    f"(known: {', '.join('{' + f + '}' for f in FILE_NAME_FIELDS)})"))
    elif unit and not fields & {"slug", "unit_id"}:
        out.append((key, "must contain {slug} or {unit_id}, so that the briefings of "
                    "several units attached to one dispatch have different names"))
    elif not _safe_name(_strip_extension(text.format(slug="x", unit_id="x", period="x"))):
        out.append((key, "gives an empty file name"))


def _check_date(value: object, out: list[tuple[str, str]]) -> None:
    if value is None or isinstance(value, _dt.date):
        return
    if isinstance(value, str):
        try:
            _dt.date.fromisoformat(value.strip()[:10])
            return
        except ValueError:
            pass
    out.append(("date", f"must be a date such as 2022-05-20, or empty for the day of the "
                f"run (got {value!r})"))


def settings_problems(settings: object, source: str) -> list[Problem]:
    """Every problem of a parsed settings file (``source`` names it in the messages)."""
    out: list[tuple[str, str]] = []
    if not isinstance(settings, Mapping):
        return [Problem(source, "must be a mapping of settings (see params/header.yaml)",
                        rule="bad_value")]
    for key in settings:
        if key not in SETTINGS_KEYS:
            out.append((str(key), f"unknown key (known: {', '.join(SETTINGS_KEYS)})"))
    if not _is_text(settings.get("issuing_body")):
        out.append(("issuing_body", "missing: the header needs the issuing body"))
    for key in _TEXT_KEYS:
        if key != "issuing_body":
            _check_text(settings.get(key), key, out)
    _check_text(settings.get("number"), "number", out, number_ok=True)
    _check_date(settings.get("date"), out)
    _check_signature(settings.get("signature"), "signature", out, complete=True)
    _check_recipients(settings.get("recipients"), "recipients", out)
    reference = settings.get("reference_line")
    if reference is not None and not isinstance(reference, bool):
        out.append(("reference_line", f"must be true or false (got {reference!r})"))
    names = settings.get("file_names")
    if names is not None:
        if not isinstance(names, Mapping):
            out.append(("file_names", "must be a mapping with unit, overview and annex"))
        else:
            for kind in names:
                if kind not in DEFAULT_FILE_NAMES:
                    out.append((f"file_names.{kind}",
                                f"unknown key (known: {', '.join(DEFAULT_FILE_NAMES)})"))
                else:
                    _check_pattern(names[kind], f"file_names.{kind}", out,
                                   unit=kind == "unit")
    annex = settings.get("annex")
    if annex is not None:
        if not isinstance(annex, Mapping):
            out.append(("annex", f"must be a mapping with {', '.join(ANNEX_KEYS)}"))
        else:
            for name in annex:
                if name not in ANNEX_KEYS:
                    out.append((f"annex.{name}",
                                f"unknown key (known: {', '.join(ANNEX_KEYS)})"))
                else:
                    _check_text(annex[name], f"annex.{name}", out)
    if settings.get("overview") is not None:
        _check_override(settings["overview"], "overview", out)
    units = settings.get("units")
    if units is not None:
        if not isinstance(units, Mapping):
            out.append(("units", "must be a mapping from unit id to its settings"))
        else:
            for unit_id, value in units.items():
                if not isinstance(unit_id, str):
                    out.append((f"units.{unit_id}", "a unit id must be text: write it in "
                                f"quotes (\"{unit_id}\"; YAML reads 007 as the number 7)"))
                    continue
                _check_override(value, f"units.{unit_id}", out)
    return [Problem(source, f"{key}: {message}", rule="bad_setting") for key, message in out]


def load_settings(path: str | Path | None) -> dict[str, Any]:
    """The settings in ``path`` (YAML), validated; ``{}`` without a file. Raises
    :class:`~briefkit.problems.InputError` listing every problem, each naming the file and
    the key."""
    from briefkit.yamlfiles import read_yaml

    if not path:
        return {}
    path = Path(path)
    source = source_name(path)
    try:
        settings = read_yaml(path, source)  # strictly: see briefkit.yamlfiles
    except FileNotFoundError:
        raise InputError([Problem(source, "settings file not found",
                                  rule="missing_file")]) from None
    except OSError as exc:
        raise InputError([Problem(source, f"cannot be read: {exc.strerror or exc}",
                                  rule="unreadable_file")]) from None
    problems = settings_problems(settings, source)
    if problems:
        raise InputError(problems)
    return dict(settings)


def check_unit_overrides(settings: Mapping[str, Any], unit_ids: Sequence[str],
                         source: str) -> list[Problem]:
    """``units.<id>`` entries whose id is not a unit of the data."""
    known = set(unit_ids)
    return [Problem(source, f"units.{u}: unknown unit id (not in units.csv)",
                    rule="unknown_unit")
            for u in (settings.get("units") or {}) if isinstance(u, str) and u not in known]


def unit_part(settings: Mapping[str, Any], unit_id: str) -> dict[str, Any]:
    """The settings of a unit's briefing, resolved (:func:`resolve`): its own override
    applied, no ``units`` or ``overview`` left (so another unit's override does not change
    this unit's prepared data, and the briefing's header shows the unit's issuing body)."""
    return resolve(settings, unit_id) if settings else {}


def resolve(settings: Mapping[str, Any], unit_id: str | None = None) -> dict[str, Any]:
    """The settings of one document: the unit's (``unit_id``) or the overview's (None)
    override on top of the top level; ``signature`` is merged key by key."""
    override = (settings.get("units") or {}).get(unit_id) if unit_id is not None \
        else settings.get("overview")
    merged = {k: v for k, v in settings.items() if k not in ("units", "overview")}
    for key, value in (override or {}).items():
        if key == "signature" and isinstance(value, Mapping):
            merged[key] = {**(merged.get("signature") or {}), **value}
        else:
            merged[key] = value
    return merged


def _strip_extension(name: str) -> str:
    for ext in _EXTENSIONS:
        if name.lower().endswith(ext):
            return name[: -len(ext)]
    return name


def _safe_name(text: str) -> str:
    """A file-name-safe text: no diacritics (``đ`` → ``d``), every run of characters other
    than ``A-Z a-z 0-9 _ . -`` a ``_``, no leading dot."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return _UNSAFE_NAME.sub("_", text).strip("_").lstrip(".")


def file_stem(settings: Mapping[str, Any] | None, kind: str, *, period: str,
              slug: str = "", unit_id: str = "") -> str:
    """The output file name without extension of a ``unit`` briefing, the ``overview`` or
    the ``annex``: the settings' pattern (``file_names.<kind>``) or :data:`DEFAULT_FILE_NAMES`,
    filled in and made file-name safe."""
    patterns = (settings or {}).get("file_names") or {}
    pattern = _strip_extension(str(patterns.get(kind) or DEFAULT_FILE_NAMES[kind]))
    name = pattern.format(slug=slug, unit_id=_safe_name(unit_id), period=_safe_name(period))
    return _safe_name(name) or _safe_name(DEFAULT_FILE_NAMES[kind].format(
        slug=slug, unit_id=unit_id, period=period))
