"""twin's own version, read from the installed package metadata."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version


@lru_cache(maxsize=1)
def twin_version() -> str:
    """Installed version of twin (``"unknown"`` when run from an uninstalled tree)."""
    try:
        return version("twin")
    except PackageNotFoundError:
        return "unknown"
