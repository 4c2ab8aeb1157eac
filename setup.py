"""Build step: ship the top-level ``notebooks/`` and ``params/`` inside the wheel.

Everything else (metadata, dependencies, package data) is in pyproject.toml. The notebooks and
the default parameter files stay at the repository's top level, where users and the docs
expect them, and are their only copy in the repository; building a wheel copies them into
``briefkit/resources/notebooks/`` and ``briefkit/resources/params/``, where
:mod:`briefkit.packaged` reads them with ``importlib.resources``. An editable install
(``pip install -e .``) copies nothing: briefkit reads the checkout's folders directly.
The sdist carries both folders (MANIFEST.in), so a wheel built from it has them too.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: Top-level folder → the files of it that ship (copied to briefkit/resources/<folder>/).
SHIPPED = {"notebooks": "*.ipynb", "params": "*.yaml"}


class BuildPyWithProjectFiles(build_py):
    """``build_py`` plus the copy of the shipped top-level folders into the build."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's folders
        for folder, pattern in SHIPPED.items():
            sources = sorted((HERE / folder).glob(pattern))
            if not sources:
                raise SystemExit(f"setup.py: no {folder}/{pattern} to ship in {HERE}")
            target = Path(self.build_lib, "briefkit", "resources", folder)
            self.mkpath(str(target))
            for source in sources:
                self.copy_file(str(source), str(target / source.name))


setup(cmdclass={"build_py": BuildPyWithProjectFiles})
