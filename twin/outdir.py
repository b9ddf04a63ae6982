"""Result folders: what twin may write, replace or clean, and nothing else.

The rules, which every command follows:

- A result folder is recognised by its ``manifest.json`` (a JSON object with a
  ``twin_version`` key). twin replaces only a folder that is absent, empty, or
  recognised; any other existing folder is refused unless the user passes
  ``--force``, and then twin writes its files into it and deletes nothing else.
- A new result is written under a temporary name beside the target and swapped
  in when complete, so the earlier result is kept until then. Temporary names
  carry the token ``twin-tmp``; leftovers of a killed run are removed at the
  next run into the same folder, and only those.
- Names inside a result folder come from :func:`twin.folders.folder_name`, so a
  scenario's ``name`` never leads outside the folder.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from twin.version import twin_version

MANIFEST = "manifest.json"
TMP_TOKEN = "twin-tmp"
"""Part of the name of every temporary file or folder twin creates."""


class OutputRefused(Exception):
    """A result would replace something twin did not write."""


def is_result_folder(path: Path) -> bool:
    """Whether ``path`` holds a twin result (its manifest names a twin version)."""
    try:
        data = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and "twin_version" in data


def _is_empty(path: Path) -> bool:
    try:
        return not any(e for e in path.iterdir() if TMP_TOKEN not in e.name)
    except OSError:
        return False


def out_problems(out: Path, force: bool = False) -> list[str]:
    """Why ``out`` cannot receive a result (empty list: it can)."""
    try:
        if out.exists() and not out.is_dir():
            return [f"{out} exists and is not a folder"]
        blocked = [p for p in out.parents if p.exists() and not p.is_dir()]
    except (OSError, ValueError) as exc:
        return [f"{out} cannot be used ({exc})"]
    if blocked:
        return [f"{blocked[0]} is a file, not a folder"]
    if out.is_dir() and not force and not _is_empty(out) and not is_result_folder(out):
        names = sorted(e.name for e in out.iterdir())
        return [f"{out} is a folder that twin did not write (it holds {', '.join(names[:3])}"
                f"{', ...' if len(names) > 3 else ''}); choose another --out, "
                "or pass --force to write twin's files into it (nothing else is deleted)"]
    return []


def check_replaceable(out: Path, force: bool = False) -> None:
    """Raise OutputRefused unless a result may be written at ``out``."""
    problems = out_problems(out, force)
    if problems:
        raise OutputRefused(problems[0])


def clean_leftovers(out: Path) -> list[Path]:
    """Remove temporary files and folders a killed run left in and beside ``out``."""
    removed = []
    places = [(out.parent, f".{out.name}.{TMP_TOKEN}")]
    if out.is_dir():
        places.append((out, "."))
    for folder, prefix in places:
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(prefix) and TMP_TOKEN in entry.name:
                remove(entry)
                removed.append(entry)
    return removed


def remove(path: Path) -> None:
    """Delete a file, link or folder (never following links); errors are ignored."""
    try:
        if path.is_symlink() or not path.is_dir():
            path.unlink(missing_ok=True)
        else:
            shutil.rmtree(path, ignore_errors=True)
    except OSError:
        pass


def write_folder(out: Path, fill: Callable[[Path], None], force: bool = False) -> Path:
    """Write a result folder atomically: ``fill`` writes into a fresh temporary folder,
    which then replaces ``out`` (absent, empty or an earlier result) or, for a folder
    twin did not write (only with ``force``) or the working folder, is merged into
    it file by file. Returns ``out``."""
    target = Path(os.path.abspath(out))  # "." and ".." become names
    check_replaceable(target, force)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.{TMP_TOKEN}-", dir=target.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; a result folder is for sharing
    try:
        fill(tmp)
        if not target.exists():
            tmp.rename(target)
        elif _merge_needed(target):
            _merge_into(tmp, target)
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            old = target.with_name(f".{target.name}.{TMP_TOKEN}-old")
            remove(old)
            target.rename(old)
            tmp.rename(target)
            remove(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


def _merge_needed(target: Path) -> bool:
    """A folder not wholly twin's, or one the user is standing in, is written into."""
    cwd = Path.cwd().resolve()
    resolved = target.resolve()
    inside = resolved == cwd or resolved in cwd.parents
    return inside or not (is_result_folder(target) or _is_empty(target))


def _merge_into(source: Path, target: Path) -> None:
    for entry in source.iterdir():
        dest = target / entry.name
        if dest.is_dir() and not dest.is_symlink():
            shutil.rmtree(dest)
        elif dest.exists() or dest.is_symlink():
            dest.unlink()
        entry.rename(dest)


def atomic_write(path: Path, data: bytes | str, *, fsync: bool = False,
                 mode: int = 0o644) -> None:
    """Write one file under a temporary name, then rename it into place: the one
    way twin writes a file, so a failure at any point leaves the old file (or none).

    Text is written as UTF-8 with its newlines unchanged. ``fsync`` flushes the data
    to disk before the rename (for a file the user will edit, not a result that a
    rerun rebuilds); ``mode`` is the new file's permissions.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{TMP_TOKEN}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            if fsync:
                fh.flush()
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # mkstemp makes it private; results are for sharing
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def claim(out: Path, kind: str, extra: Mapping[str, Any] | None = None) -> None:
    """Mark ``out`` as a twin result in progress (for a compare or sweep, which write
    into the folder as they go), unless it already is one."""
    out.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out)
    if not is_result_folder(out):
        body = {"twin_version": twin_version(), "kind": kind, "status": "running",
                **(extra or {})}
        atomic_write(out / MANIFEST, json.dumps(body, indent=2) + "\n")
