"""briefkit: KPI briefings on administrative procedures from one-stop-shop dossier records."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("briefkit")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
