"""Folder names made from labels, safely.

A scenario's ``name`` is a label chosen by whoever wrote the file: it may hold
``/``, ``..``, spaces or nothing at all. Whenever twin needs a folder or file
name from a label it goes through :func:`folder_name`, which keeps letters
(any script), digits, ``-``, ``_``, ``.``, ``=`` and ``,`` and replaces every
other character by ``_``. The result never contains a path separator, never
starts with a dot (so it is neither ``.``, ``..`` nor hidden), is never empty
and is at most 80 characters long, so ``folder / folder_name(label)`` always
stays inside ``folder``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

MAX_LENGTH = 80
"""Longest folder name made from a label (characters)."""
_UNSAFE = re.compile(r"[^\w\-.=,]", re.UNICODE)
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)),
             *(f"LPT{i}" for i in range(1, 10))}


def folder_name(label: str) -> str:
    """A safe folder name for ``label``.

    Examples
    --------
    >>> folder_name("baseline")
    'baseline'
    >>> folder_name("../../victim"), folder_name("/etc"), folder_name("")
    ('_.._victim', '_etc', 'unnamed')
    >>> folder_name("三色 预警")
    '三色_预警'
    """
    text = unicodedata.normalize("NFC", str(label))
    text = _UNSAFE.sub("_", text)
    if text.startswith("."):
        text = "_" + text.lstrip(".")
    text = re.sub(r"_+", "_", text)
    if not text.strip("_"):
        text = "unnamed" if not label else "_"
    if text.split(".")[0].upper() in _RESERVED:
        text = "_" + text
    if len(text) > MAX_LENGTH:  # keep it unique: a short hash of the whole label
        digest = hashlib.sha256(str(label).encode("utf-8")).hexdigest()[:8]
        text = f"{text[: MAX_LENGTH - 9]}-{digest}"
    return text


def unique_folder_names(labels: Iterable[str]) -> list[str]:
    """Safe folder names for ``labels``, distinct even where two labels map to one
    name (compared without regard to case, for case-insensitive file systems).

    Examples
    --------
    >>> unique_folder_names(["a/b", "a_b", "A_B", "c"])
    ['a_b', 'a_b-2', 'A_B-3', 'c']
    """
    taken: set[str] = set()
    out: list[str] = []
    for label in labels:
        base = folder_name(label)
        name, k = base, 2
        while name.casefold() in taken:
            name, k = f"{base}-{k}", k + 1
        taken.add(name.casefold())
        out.append(name)
    return out
