"""Process start-up: the imports briefkit's own processes defer until they are used.

``jsonschema``, which nbformat imports to read any notebook (papermill and nbconvert read
them with it), imports ``rfc3987_syntax`` for its ``iri`` and ``iri-reference`` formats when
that package is installed, and ``rfc3987_syntax`` builds about 35 Earley parsers at import:
**1.8 s** on this machine, in every process that reads a notebook, for formats that no
notebook schema uses (python-jsonschema/jsonschema#1428, opendatahub-io/notebooks#3532).
Nothing of briefkit's asks for it; JupyterLab brings it (``jupyter-events`` requires
``jsonschema[format-nongpl]``), so it is there wherever analysts work in JupyterLab, and a
batch run paid it in the driver and in every worker (``python -X importtime -c "import
nbformat"``).

:func:`defer_imports` puts a stand-in for such a module in :data:`sys.modules`: ``from
rfc3987_syntax import is_valid_syntax`` then binds a function that imports the real module on
its first call, and any other attribute of the stand-in imports it on first access. So
nothing changes but *when* the module is imported: jsonschema still checks ``iri`` formats,
with the real parser, in the process that asks for one.

Only briefkit's own processes call it (the ``briefkit`` command, batch workers): importing
:mod:`briefkit` in someone else's process changes nothing there.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["SLOW_IMPORTS", "defer_imports"]

#: Modules deferred by default, each with the names its importers bind with ``from … import``
#: (those become functions that import the module on their first call).
SLOW_IMPORTS: Mapping[str, Sequence[str]] = {"rfc3987_syntax": ("is_valid_syntax",)}

_LOCK = threading.RLock()


class _StandIn(types.ModuleType):
    """What :data:`sys.modules` holds for a deferred module until it is used."""

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):  # import machinery probing the stand-in: not a use
            raise AttributeError(attr)
        return getattr(_real(self.__name__), attr)


def _real(name: str) -> types.ModuleType:
    """The real module ``name``, imported now if only its stand-in is there."""
    with _LOCK:
        module = sys.modules.get(name)
        if isinstance(module, _StandIn):
            del sys.modules[name]
            module = importlib.import_module(name)
        elif module is None:
            module = importlib.import_module(name)
        return module


def _deferred_function(name: str, attr: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real(name), attr)(*args, **kwargs)

    call.__name__ = call.__qualname__ = attr
    call.__doc__ = f"{name}.{attr}, imported on the first call (see briefkit.startup)."
    return call


def defer_imports(modules: Mapping[str, Sequence[str]] = SLOW_IMPORTS) -> list[str]:
    """Put a stand-in in :data:`sys.modules` for each of ``modules`` (a top-level module name
    → the names importers take from it) that is installed and not imported yet; returns the
    names deferred. Idempotent."""
    deferred = []
    with _LOCK:
        for name, functions in modules.items():
            if name in sys.modules or "." in name:
                continue
            try:
                spec = importlib.util.find_spec(name)
            except (ImportError, ValueError):
                continue
            if spec is None:
                continue
            stand_in = _StandIn(name, f"{name}, imported when first used (briefkit.startup)")
            for attr in functions:
                setattr(stand_in, attr, _deferred_function(name, attr))
            sys.modules[name] = stand_in
            deferred.append(name)
    return deferred
