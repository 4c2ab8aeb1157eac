"""The files briefkit ships: the notebooks, the default parameter files and the nbconvert
template, read with :mod:`importlib.resources`.

In a wheel (``pip install briefkit``, ``pip install .``) they are package data under
``briefkit/resources/``: ``templates/`` lives there in the source tree too, while
``notebooks/`` and ``params/`` are copied at build time from the repository's top-level
``notebooks/`` and ``params/`` (``setup.py``), their one source. An editable install
(``pip install -e .``, what ``make setup`` does) or a bare checkout has no copies: the
checkout's own top-level folders are used, so there is nothing that could drift.

A project folder's own ``./notebooks`` and ``./params`` win over these defaults where the
batch looks for them (:func:`briefkit.batch.plan.default_notebooks_dir`,
:func:`~briefkit.batch.plan.default_header_file`); ``briefkit init`` writes a project with
copies of them (:mod:`briefkit.project`).
"""

from __future__ import annotations

import atexit
from contextlib import ExitStack
from functools import cache
from importlib.resources import as_file, files
from importlib.resources.abc import Traversable
from pathlib import Path

__all__ = ["checkout_root", "notebook_path", "notebooks_dir", "params_dir", "params_path",
           "resource_dir", "templates_dir"]

#: Where the shipped folders sit inside the package.
RESOURCES = "resources"
NOTEBOOKS = "notebooks"
PARAMS = "params"
TEMPLATES = "templates"

_extracted = ExitStack()
atexit.register(_extracted.close)


def checkout_root() -> Path | None:
    """The repository this package was imported from (an editable install or ``lib/`` on the
    path), recognised by its ``pyproject.toml`` beside ``lib/briefkit``; None for a wheel."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "lib" / "briefkit").is_dir():
        return root
    return None


def _on_disk(resource: Traversable) -> Path:
    """A real folder for ``resource`` (nbconvert, WeasyPrint and shutil need paths): the
    resource itself for an unpacked install, else extracted once for this process."""
    if isinstance(resource, Path):
        return resource
    return Path(_extracted.enter_context(as_file(resource)))  # pragma: no cover — zipped


@cache
def resource_dir(name: str) -> Path:
    """The shipped folder ``name`` (``notebooks``, ``params``, ``templates``): the package's
    copy, else the checkout's top-level folder of that name. When neither exists (a broken
    install) the package's path, so whatever reads it names the missing file there."""
    packaged = files("briefkit").joinpath(RESOURCES, name)
    if packaged.is_dir():
        return _on_disk(packaged)
    root = checkout_root()
    if root is not None and (root / name).is_dir():
        return root / name
    return Path(str(packaged))


def notebooks_dir() -> Path:
    """The shipped notebooks (``unit_briefing.ipynb``, ``overview.ipynb``)."""
    return resource_dir(NOTEBOOKS)


def params_dir() -> Path:
    """The shipped parameter files (``targets.yaml``, ``index766.yaml``, ``header.yaml``)."""
    return resource_dir(PARAMS)


def templates_dir() -> Path:
    """The folder holding the ``briefing`` nbconvert template."""
    return resource_dir(TEMPLATES)


def notebook_path(name: str) -> Path:
    """One shipped notebook, e.g. ``notebook_path("unit_briefing.ipynb")``."""
    return notebooks_dir() / name


def params_path(name: str) -> Path:
    """One shipped parameter file, e.g. ``params_path("index766.yaml")``."""
    return params_dir() / name
