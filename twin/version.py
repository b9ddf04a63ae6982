"""twin's own version, read from the installed package metadata, and a digest of its code."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
"""The folder of the ``twin`` package."""


@lru_cache(maxsize=1)
def twin_version() -> str:
    """Installed version of twin (``"unknown"`` when run from an uninstalled tree)."""
    try:
        return version("twin")
    except PackageNotFoundError:
        return "unknown"


def package_digest(folder: Path) -> str:
    """SHA-256 (first 16 hex digits) of the Python files under ``folder``, each with
    its path relative to it, in a fixed order."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


@lru_cache(maxsize=1)
def code_digest() -> str:
    """:func:`package_digest` of twin itself, computed once per process.

    The version number alone does not change while twin is developed from a source
    tree (or runs uninstalled, as ``"unknown"``); the digest changes with any edit.
    """
    return package_digest(PACKAGE)
