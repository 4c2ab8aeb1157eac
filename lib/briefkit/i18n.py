"""The language of the command line's messages: Vietnamese by default, English on request.

Messages are written in English in the code, wrapped in :func:`_` / :func:`ngettext` (gettext;
Babel extracts them, see the README's "Translations"); the Vietnamese catalogue is
``briefkit/locale/vi/LC_MESSAGES/briefkit.po``, compiled to ``briefkit.mo`` beside it.

The language is chosen once, at import, from the environment the way gettext looks at it:
``BRIEFKIT_LANG`` if set, else the first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``
that is set (``LANGUAGE`` may list several: ``fr:en``). English when that value asks for it
(``en``, ``en_US.UTF-8``…), Vietnamese otherwise — ``C``, ``POSIX``, unset, or any language
briefkit has no catalogue for: this tool's users are Vietnamese offices.

:func:`_` looks the message up in the *current* language each time it is called, so
:func:`set_language` (or the :func:`language` context manager) switches what is printed from
then on. Texts evaluated at import (the command line's ``--help``) keep the language chosen
at import.
"""

from __future__ import annotations

import gettext as _gettext
import io
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

__all__ = ["DEFAULT_LANGUAGE", "DOMAIN", "LANGUAGES", "LOCALE_DIR", "N_", "_",
           "current_language", "language", "language_from_env", "ngettext", "number",
           "set_language"]

DOMAIN = "briefkit"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: The languages briefkit speaks; the first is the default.
LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"
#: Environment variables that choose the language, in the order gettext reads them (briefkit's
#: own override first).
ENV_VARS = ("BRIEFKIT_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_translations: _gettext.NullTranslations = _gettext.NullTranslations()
_language = "en"


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """``"en"`` or ``"vi"`` for the environment ``environ`` (default: ``os.environ``)."""
    env = os.environ if environ is None else environ
    for name in ENV_VARS:
        value = env.get(name, "").strip()
        if not value:
            continue
        for entry in value.split(":"):
            code = entry.strip().lower().replace("-", "_")
            for known in LANGUAGES:
                if code == known or code.startswith(known + "_") or code.startswith(known + "."):
                    return known
        return DEFAULT_LANGUAGE  # C, POSIX, or a language without a catalogue
    return DEFAULT_LANGUAGE


def _catalogue(code: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``code``; compiled from its ``.po`` in memory when the
    ``.mo`` is missing (a source tree where nobody ran ``pybabel compile``)."""
    folder = LOCALE_DIR / code / "LC_MESSAGES"
    mo = folder / f"{DOMAIN}.mo"
    if mo.is_file():
        with mo.open("rb") as handle:
            return _gettext.GNUTranslations(handle)
    po = folder / f"{DOMAIN}.po"
    if not po.is_file():
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=code, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return _gettext.GNUTranslations(buffer)


def set_language(code: str) -> str:
    """Speak ``code`` (``vi``/``en``, or a locale name such as ``en_US.UTF-8``) from now on;
    returns the language now current."""
    global _translations, _language
    chosen = language_from_env({"BRIEFKIT_LANG": code})
    _translations = _gettext.NullTranslations() if chosen == "en" else _catalogue(chosen)
    _language = chosen
    return chosen


def current_language() -> str:
    return _language


@contextmanager
def language(code: str) -> Iterator[str]:
    """Speak ``code`` inside the block, then the previous language again (tests)."""
    before = _language
    try:
        yield set_language(code)
    finally:
        set_language(before)


def _(message: str) -> str:
    """``message`` (English, as written in the code) in the current language."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a message for the count ``n`` in the current language (Vietnamese has
    one form)."""
    return _translations.ngettext(singular, plural, n)


def number(n: float, decimals: int = 0) -> str:
    """A number the way the current language writes it: ``10.181.542`` and ``1,3`` in
    Vietnamese, ``10,181,542`` and ``1.3`` in English, with ``decimals`` digits after the
    separator: the documents' :func:`~briefkit.formatting.format_number` (rounded half up),
    in the terminal's language."""
    from briefkit.formatting import LOCALE, format_number

    return format_number(n, decimals, locale=LOCALE if _language == "vi" else "en")


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (translate it with
    :func:`_` where it is shown)."""
    return message


set_language(language_from_env())
