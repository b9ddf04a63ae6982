"""Finished replications kept so that an interrupted run resumes where it stopped.

A replication is stored under a key made from everything that decides its
numbers: the resolved scenario, the root seed, twin's version and a digest of
its code (so an upgraded or edited twin never reuses replications of an older
one) and the content of every file the scenario reads (its map). ``DiskStore``
keeps data only, never code: one folder per replication,
``<root>/<key>/rep-NNNNN/``, holding each record table as Parquet and a
``meta.json`` with the SHA-256 of every table. It is written under a temporary
name and renamed, so a killed run loses at most the replications still running.
Nothing is ever unpickled, so a result folder from someone else cannot run their
code; an entry that fails any check is ignored with a warning and recomputed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import stat
import warnings
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from twin.finished import Finished
from twin.folders import folder_name
from twin.model import ReplicationRecords
from twin.outdir import remove
from twin.records import TABLES as RECORD_TABLES
from twin.scenario.community import FileMap
from twin.scenario.schema import Scenario
from twin.version import code_digest, twin_version

FORMAT = "twin-replication"
"""What a stored replication's ``meta.json`` says it is."""
FORMAT_VERSION = 5
"""Version of the stored layout; entries of any other version are recomputed."""
TABLES = tuple(RECORD_TABLES)
"""Record tables of a replication, one Parquet file each."""
TMP_PREFIX = ".tmp-rep-"
"""Start of the name of an entry being written (removed by ``DiskStore.clean``)."""
META = "meta.json"
_ENTRY = re.compile(r"rep-\d{5,}")
_CHUNK = 1 << 20
_MAX_META = 16 << 20  # bytes; a larger meta.json is not one of ours
_SAFE_PYARROW = (14, 0, 1)  # older versions unpickle arrow.py_extension_type data
_FILE_DIGESTS: dict[tuple[str, int, int], str] = {}
"""SHA-256 of input files by (resolved path, size, mtime_ns), so big maps are hashed once."""


# ------------------------------------------------------------------------------ keys
def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's content (``"missing"`` when there is no such regular file)."""
    try:
        resolved = Path(path).resolve()
        info = resolved.stat()
    except (OSError, RuntimeError, ValueError):  # ValueError: a NUL in the path
        return "missing"
    if not stat.S_ISREG(info.st_mode):  # a folder, a pipe or a device is not a map
        return "missing"
    cache = (str(resolved), info.st_size, info.st_mtime_ns)
    if cache not in _FILE_DIGESTS:
        try:
            _FILE_DIGESTS[cache] = _sha256_file(resolved)
        except OSError:
            return "unreadable"
    return _FILE_DIGESTS[cache]


def input_files(scenario: Scenario) -> list[str]:
    """Paths of the files a scenario reads (today: a file map)."""
    return [scenario.map.path] if isinstance(scenario.map, FileMap) else []


def run_key(scenario: Scenario, seed: int) -> str:
    """Key of (resolved scenario, seed, twin version and code digest, content of the
    files it reads), usable as one folder name (it starts with the scenario's safe
    folder name)."""
    text = json.dumps({
        "store": FORMAT_VERSION,
        "twin": twin_version(),
        "code": code_digest(),
        "seed": int(seed),
        "scenario": scenario.model_dump_json(),
        "files": [[path, file_digest(path)] for path in input_files(scenario)],
    }, sort_keys=True)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return f"{folder_name(scenario.name)}-{digest}"


class MemoryStore:
    """Replications kept in memory (for one process's repeated calls), as they came
    back: with their KPIs."""

    def __init__(self) -> None:
        self._data: dict[tuple[str, int], Finished | ReplicationRecords] = {}

    def load(self, key: str, replication: int) -> Finished | ReplicationRecords | None:
        """The stored replication, if any."""
        return self._data.get((key, replication))

    def save(self, key: str, replication: int,
             records: Finished | ReplicationRecords) -> None:
        """Keep a finished replication."""
        self._data[(key, replication)] = records


# ---------------------------------------------------------------------------- tables
class Damaged(Exception):
    """A stored replication failed a check; the message says which."""


def _encode(frame: pd.DataFrame) -> tuple[pa.Table, list[dict[str, Any]]]:
    """Arrow table of ``frame`` (categoricals as their codes) and its column types."""
    if not frame.columns.is_unique or not all(isinstance(c, str) for c in frame.columns):
        raise ValueError("record tables need unique text column names")
    encoded = frame.copy(deep=False)
    columns: list[dict[str, Any]] = []
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):
            cats = dtype.categories
            columns.append({"name": name, "dtype": "category", "categories": cats.tolist(),
                            "categories_dtype": str(cats.dtype), "ordered": bool(dtype.ordered)})
            encoded[name] = frame[name].cat.codes
        else:
            columns.append({"name": name, "dtype": str(dtype)})
    return pa.Table.from_pandas(encoded, preserve_index=None, nthreads=1), columns


def _decode(table: pa.Table, columns: Any, file: str) -> pd.DataFrame:
    """The frame that :func:`_encode` was given, exactly (dtypes and categories)."""
    frame = table.to_pandas()
    if not isinstance(columns, list) or list(frame.columns) != [
            c.get("name") if isinstance(c, dict) else None for c in columns]:
        raise Damaged(f"unexpected columns in {file}")
    for spec in columns:
        name = spec["name"]
        if spec.get("dtype") == "category":
            dtype = _category_dtype(tuple(spec["categories"]), spec["categories_dtype"],
                                    spec["ordered"] is True)
            frame[name] = pd.Categorical.from_codes(frame[name].to_numpy(), dtype=dtype)
        elif str(frame[name].dtype) != spec.get("dtype"):
            frame[name] = frame[name].astype(spec["dtype"])
    return frame


@lru_cache(maxsize=256)
def _category_dtype(categories: tuple[Any, ...], dtype: str, ordered: bool
                    ) -> pd.CategoricalDtype:
    return pd.CategoricalDtype(pd.Index(categories, dtype=dtype), ordered=ordered)


def _regular_bytes(path: Path, limit: int | None = None) -> bytes:
    """Content of a regular file (not a link, pipe or device), at most ``limit`` bytes."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise Damaged(f"missing {path.name}") from None
    if not stat.S_ISREG(info.st_mode):
        raise Damaged(f"{path.name} is not a regular file")
    if limit is not None and info.st_size > limit:
        raise Damaged(f"{path.name} is too large")
    return path.read_bytes()


def read_entry(entry: Path, key: str, replication: int) -> ReplicationRecords:
    """Check and read one stored replication.

    Raises
    ------
    Damaged
        Naming the first check that failed.
    """
    if entry.is_symlink() or not entry.is_dir():
        raise Damaged("not a folder")
    try:
        meta = json.loads(_regular_bytes(entry / META, _MAX_META))
    except (ValueError, RecursionError):
        raise Damaged(f"unreadable {META}") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise Damaged(f"{META} is not a twin replication")
    if meta.get("version") != FORMAT_VERSION:
        raise Damaged(f"format version {meta.get('version')!r}, expected {FORMAT_VERSION}")
    if meta.get("key") != key:
        raise Damaged(f"key mismatch in {META}")
    if meta.get("replication") != replication:
        raise Damaged(f"replication mismatch in {META}")
    runtime, n_events, tables = meta.get("runtime"), meta.get("n_events"), meta.get("tables")
    if not isinstance(runtime, int | float) or isinstance(runtime, bool) or not isinstance(
            n_events, int) or isinstance(n_events, bool):
        raise Damaged(f"bad runtime or n_events in {META}")
    if not isinstance(tables, dict) or sorted(tables) != sorted(TABLES):
        raise Damaged(f"unexpected tables in {META}")
    frames: dict[str, pd.DataFrame] = {}
    for name in TABLES:
        file = f"{name}.parquet"
        spec = tables[name]
        data = _regular_bytes(entry / file)
        if not isinstance(spec, dict) or hashlib.sha256(data).hexdigest() != spec.get("sha256"):
            raise Damaged(f"sha256 mismatch in {file}")
        try:
            frames[name] = _decode(pq.read_table(pa.BufferReader(data)), spec.get("columns"),
                                   file)
        except Damaged:
            raise
        except Exception as exc:  # noqa: BLE001 - whatever the file holds, it is not ours
            raise Damaged(f"unreadable {file}: {type(exc).__name__}") from None
    return ReplicationRecords(replication=replication, runtime=float(runtime),
                              n_events=n_events, **frames)


def write_entry(folder: Path, key: str, replication: int, records: ReplicationRecords
                ) -> None:
    """Write one replication's tables and ``meta.json`` into the (new, empty) ``folder``."""
    tables: dict[str, Any] = {}
    for name in TABLES:
        table, columns = _encode(getattr(records, name))
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        data = sink.getvalue().to_pybytes()
        _write_new(folder / f"{name}.parquet", data)
        tables[name] = {"sha256": hashlib.sha256(data).hexdigest(), "columns": columns}
    meta = {"format": FORMAT, "version": FORMAT_VERSION, "key": key,
            "replication": replication, "runtime": records.runtime,
            "n_events": int(records.n_events), "twin_version": twin_version(),
            "tables": tables}
    _write_new(folder / META, json.dumps(meta, allow_nan=False).encode("utf-8"))


def _write_new(path: Path, data: bytes) -> None:
    # Not fsynced: a rename that outlives its files (power loss) leaves an entry
    # whose sha256 check fails, so it is recomputed.
    with path.open("xb") as fh:
        fh.write(data)


def _pyarrow_is_safe() -> bool:
    numbers = [int(n) for n in re.findall(r"\d+", pa.__version__)[:3]]
    return tuple(numbers) >= _SAFE_PYARROW


# ------------------------------------------------------------------------------ disk
class DiskStore:
    """Replications kept under a folder: ``<root>/<key>/rep-NNNNN/`` (Parquet + meta.json).

    Parameters
    ----------
    root
        The store folder (created when the first replication is saved).
    warn
        Called with the text of each warning (an ignored damaged, old or foreign
        entry); default :func:`warnings.warn`.
    """

    def __init__(self, root: str | Path, warn: Callable[[str], None] | None = None) -> None:
        self.root = Path(root)
        self.warn: Callable[[str], None] = warn if warn is not None else warnings.warn
        self._folders: dict[Path, bool] = {}  # key folder -> usable (checked once)
        self._safe = _pyarrow_is_safe()
        if not self._safe:
            self.warn(f"pyarrow {pa.__version__} can run code from Parquet files; stored "
                      f"replications in {self.root} are not used (install pyarrow >= 14.0.1)")
        self.clean()

    def clean(self) -> int:
        """Remove entries left half-written by a killed save; return how many."""
        removed = 0
        try:
            folders = [f for f in self.root.iterdir() if f.is_dir() and not f.is_symlink()]
        except OSError:
            return 0
        for folder in folders:
            try:
                leftovers = [p for p in folder.iterdir() if p.name.startswith(TMP_PREFIX)]
            except OSError:
                continue
            for path in leftovers:
                remove(path)
                removed += 1
        return removed

    def _entry(self, key: str, replication: int) -> Path:
        if not key or key.startswith(".") or Path(key).name != key or "\\" in key:
            raise ValueError(f"not a store key: {key!r}")
        if int(replication) < 0:
            raise ValueError(f"replication numbers start at 0 (got {replication})")
        return self.root / key / f"rep-{int(replication):05d}"

    def _usable(self, folder: Path) -> bool:
        """Whether a key folder may be used; warns once about what it holds that is
        never loaded (old pickles, foreign files) or if it leads outside the store."""
        if folder in self._folders:
            return self._folders[folder]
        usable = True
        if folder.is_symlink():
            usable = False
            self.warn(f"ignored the stored replications in {folder}: it is a link, not a "
                      "folder; nothing is loaded from or saved to it")
        elif folder.is_dir():
            try:
                names = sorted(p.name for p in folder.iterdir())
            except OSError:
                names = []
            foreign = [n for n in names if not _ENTRY.fullmatch(n) and
                       not n.startswith(TMP_PREFIX)]
            if foreign:
                self.warn(f"ignored {len(foreign)} old or foreign entries in {folder} "
                          f"(e.g. {foreign[0]}); they are never loaded (delete them to "
                          "silence this)")
        self._folders[folder] = usable = usable and self._safe
        return usable

    def load(self, key: str, replication: int) -> ReplicationRecords | None:
        """The stored replication, if any; a damaged one counts as absent (with a warning)."""
        entry = self._entry(key, replication)
        if not self._usable(entry.parent):
            return None
        if not entry.exists() and not entry.is_symlink():
            return None
        try:
            return read_entry(entry, key, replication)
        except Damaged as exc:
            reason = str(exc)
        except OSError as exc:
            reason = f"cannot read it: {exc.strerror or type(exc).__name__}"
        except Exception as exc:  # noqa: BLE001 - a stored file must never stop a run
            reason = f"unreadable: {type(exc).__name__}"
        self.warn(f"ignored a damaged stored replication {entry} ({reason}); it is recomputed")
        return None

    def save(self, key: str, replication: int,
             records: Finished | ReplicationRecords) -> None:
        """Write a finished replication's records atomically (temporary folder, then
        rename); its KPIs are not kept (they are computed again on loading)."""
        entry = self._entry(key, replication)
        folder = entry.parent
        if not self._usable(folder):
            return
        if isinstance(records, Finished):
            records = records.records()
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{TMP_PREFIX}{int(replication):05d}-{secrets.token_hex(6)}"
        tmp.mkdir()
        try:
            write_entry(tmp, key, int(replication), records)
            self._publish(tmp, entry)
        finally:
            remove(tmp)  # gone after a successful rename; else the half-written entry

    @staticmethod
    def _publish(tmp: Path, entry: Path) -> None:
        """Rename ``tmp`` to ``entry``, moving aside whatever (damaged) entry is there."""
        try:
            os.rename(tmp, entry)
        except OSError:
            if not entry.exists() and not entry.is_symlink():
                raise
            aside = entry.with_name(f"{TMP_PREFIX}old-{secrets.token_hex(6)}")
            try:
                os.rename(entry, aside)
            except FileNotFoundError:  # another process moved it first
                pass
            try:
                os.rename(tmp, entry)
            except OSError:
                if not entry.is_dir():  # not published by another process either
                    raise
            remove(aside)

