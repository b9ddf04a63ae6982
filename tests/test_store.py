"""The resume store: data-only entries, checked on load, keyed by all that decides the numbers."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import twin
import twin.executors
import twin.store
from twin.model import ReplicationRecords
from twin.store import FORMAT_VERSION, TABLES, DiskStore, run_key

MMC_PATH = Path(__file__).resolve().parents[1] / "scenarios" / "validation" / "mmc.yaml"


def mmc(**extra: object) -> twin.Scenario:
    return twin.load_scenario(MMC_PATH, overrides={"run.horizon_days": 1,
                                                   "run.warmup_days": 0.2, **extra})


@pytest.fixture(scope="module")
def records() -> ReplicationRecords:
    return twin.simulate(mmc(), 0)


@pytest.fixture
def simulated(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Replication numbers that were computed (not loaded) from now on."""
    calls: list[int] = []
    real = twin.executors.simulate

    def counting(*args: Any, **kwargs: Any) -> ReplicationRecords:
        calls.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(twin.executors, "simulate", counting)
    return calls


def assert_same(a: ReplicationRecords, b: ReplicationRecords) -> None:
    for name in TABLES:
        left, right = getattr(a, name), getattr(b, name)
        assert left.equals(right), name
        pd.testing.assert_frame_equal(left, right, check_exact=True, check_categorical=True)
        assert list(left.dtypes) == list(right.dtypes), name
    assert (a.replication, a.runtime, a.n_events) == (b.replication, b.runtime, b.n_events)


def damaged(entry: Path, reason: str) -> str:
    return f"ignored a damaged stored replication {entry} ({reason}); it is recomputed"


# ------------------------------------------------------------------ round trip
def test_records_round_trip_exactly(tmp_path: Path, records: ReplicationRecords) -> None:
    assert len(records.issues) > 0 and records.escalations.empty  # full and empty tables
    assert "red" not in set(records.issues["colour"])  # a category with unused levels
    warned: list[str] = []
    store = DiskStore(tmp_path, warn=warned.append)
    store.save("k-1", 0, records)
    back = store.load("k-1", 0)
    assert back is not None
    assert_same(records, back)
    assert list(back.escalations["cause"].cat.categories) == list(
        records.escalations["cause"].cat.categories)
    assert warned == []


def test_unusual_column_types_round_trip(tmp_path: Path, records: ReplicationRecords) -> None:
    odd = pd.DataFrame({
        "text": pd.Series(["a", None, "c"], dtype="str"),
        "objects": pd.Series(["x", "y", None], dtype=object),
        "ordered": pd.Categorical(["b", "a", None], categories=["z", "a", "b"], ordered=True),
        "numbers": pd.Categorical([3, 1, 3], categories=[1, 2, 3]),
        "f32": np.array([1.5, np.nan, 3.0], dtype=np.float32),
        "u8": np.array([1, 2, 255], dtype=np.uint8),
        "when": pd.to_datetime(["2020-01-01", None, "2021-01-01"]),
        "maybe": pd.array([True, None, False], dtype="boolean"),
        "count": pd.array([1, None, 3], dtype="Int64"),
    })
    rec = ReplicationRecords(replication=7, issues=records.issues, activity=odd,
                             escalations=odd.iloc[:0], visits=records.visits,
                             complaints=odd.iloc[1:], orders=records.orders,
                             steps=odd.iloc[:1], disputes=odd.iloc[::2], runtime=0.1,
                             n_events=3)
    store = DiskStore(tmp_path)
    store.save("odd", 7, rec)
    back = store.load("odd", 7)
    assert back is not None
    assert_same(rec, back)


def test_an_entry_is_a_folder_of_parquet_and_meta(tmp_path: Path,
                                                  records: ReplicationRecords) -> None:
    DiskStore(tmp_path).save("k-1", 3, records)
    entry = tmp_path / "k-1" / "rep-00003"
    assert sorted(p.name for p in entry.iterdir()) == sorted(
        [f"{t}.parquet" for t in TABLES] + ["meta.json"])
    meta = json.loads((entry / "meta.json").read_text())
    assert meta["format"] == "twin-replication" and meta["version"] == FORMAT_VERSION
    assert (meta["key"], meta["replication"]) == ("k-1", 3)
    assert (meta["runtime"], meta["n_events"]) == (records.runtime, records.n_events)
    assert set(meta["tables"]) == set(TABLES)
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        ["k-1", "rep-00003", "meta.json", *(f"{t}.parquet" for t in TABLES)])


def test_saving_again_replaces_an_entry(tmp_path: Path, records: ReplicationRecords) -> None:
    store = DiskStore(tmp_path)
    store.save("k", 0, records)
    (tmp_path / "k" / "rep-00000" / "issues.parquet").write_bytes(b"junk")
    store.save("k", 0, records)
    back = DiskStore(tmp_path, warn=pytest.fail).load("k", 0)
    assert back is not None and back.issues.equals(records.issues)
    assert sorted(p.name for p in (tmp_path / "k").iterdir()) == ["rep-00000"]


# -------------------------------------------------------------- never unpickled
class Planted:
    """Unpickling this runs a shell command that leaves a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[str]]:
        return os.system, (f"touch '{self.marker}'",)


def test_a_planted_pickle_is_never_executed(tmp_path: Path, simulated: list[int],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = mmc()
    key = run_key(scenario, scenario.run.seed)
    marker = tmp_path / "pwned"
    evil = pickle.dumps(Planted(marker))
    pickle.loads(evil)  # the payload works...
    assert marker.exists()
    marker.unlink()  # ...so a marker below means the store unpickled it
    root = tmp_path / "store"
    (root / key).mkdir(parents=True)
    (root / key / "rep-00000.pkl").write_bytes(evil)  # the old layout
    # ...and a pickle in the new layout, with a matching sha256 in meta.json
    DiskStore(root, warn=lambda _: None).save(key, 1, twin.simulate(scenario, 1))
    entry = root / key / "rep-00001"
    (entry / "issues.parquet").write_bytes(evil)
    meta = json.loads((entry / "meta.json").read_text())
    meta["tables"]["issues"]["sha256"] = hashlib.sha256(evil).hexdigest()
    (entry / "meta.json").write_text(json.dumps(meta))
    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, lambda *a, **k: pytest.fail("pickle was used"))
    warned: list[str] = []
    result = twin.run_replications(scenario, replications=2,
                                   store=DiskStore(root, warn=warned.append))
    assert not marker.exists()
    assert sorted(simulated) == [0, 1]  # both recomputed
    assert result.replications == (0, 1)
    assert warned == [
        f"ignored 1 old or foreign entries in {root / key} (e.g. rep-00000.pkl); they are "
        "never loaded (delete them to silence this)",
        damaged(entry, "unreadable issues.parquet: ArrowInvalid")]
    assert (root / key / "rep-00000.pkl").read_bytes() == evil  # left alone


# ------------------------------------------------------------- damaged entries
def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:100])


@pytest.mark.parametrize("damage", [_flip, _truncate, Path.unlink])
def test_a_damaged_parquet_is_recomputed(tmp_path: Path, simulated: list[int],
                                         damage: Callable[[Path], Any]) -> None:
    scenario = mmc()
    first = twin.run_replications(scenario, replications=2, store=DiskStore(tmp_path))
    entry = next(tmp_path.glob("mmc-*/rep-00001"))
    damage(entry / "issues.parquet")
    simulated.clear()
    warned: list[str] = []
    again = twin.run_replications(scenario, replications=2,
                                  store=DiskStore(tmp_path, warn=warned.append))
    reason = ("missing issues.parquet" if damage is Path.unlink
              else "sha256 mismatch in issues.parquet")
    assert warned == [damaged(entry, reason)]
    assert simulated == [1]
    pd.testing.assert_frame_equal(first.issues, again.issues)
    repaired = DiskStore(tmp_path, warn=pytest.fail).load(entry.parent.name, 1)
    assert repaired is not None and repaired.issues.equals(first.issues.query(
        "replication == 1").drop(columns="replication").reset_index(drop=True))


def _set(field: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(meta: dict[str, Any]) -> None:
        meta[field] = value
    return edit


def _sha(meta: dict[str, Any]) -> None:
    meta["tables"]["visits"]["sha256"] = "0" * 64


def _categories(meta: dict[str, Any]) -> None:
    meta["tables"]["issues"]["columns"][1]["categories"] = ["a", "a"]


@pytest.mark.parametrize(("edit", "reason"), [
    (_set("key", "other-0123"), "key mismatch in meta.json"),
    (_set("version", FORMAT_VERSION + 1),
     f"format version {FORMAT_VERSION + 1}, expected {FORMAT_VERSION}"),
    (_set("format", "pickle"), "meta.json is not a twin replication"),
    (_set("replication", 1), "replication mismatch in meta.json"),
    (_set("n_events", "many"), "bad runtime or n_events in meta.json"),
    (_set("tables", {}), "unexpected tables in meta.json"),
    (_sha, "sha256 mismatch in visits.parquet"),
    (_categories, "unreadable issues.parquet: ValueError"),
    (_set("runtime", 10 ** 400), "unreadable: OverflowError"),
    (None, "unreadable meta.json"),
])
def test_a_tampered_meta_is_recomputed(tmp_path: Path, records: ReplicationRecords,
                                       edit: Callable[[dict[str, Any]], None] | None,
                                       reason: str) -> None:
    DiskStore(tmp_path).save("k", 0, records)
    entry = tmp_path / "k" / "rep-00000"
    if edit is None:
        (entry / "meta.json").write_text("{not json")
    else:
        meta = json.loads((entry / "meta.json").read_text())
        edit(meta)
        (entry / "meta.json").write_text(json.dumps(meta))
    warned: list[str] = []
    assert DiskStore(tmp_path, warn=warned.append).load("k", 0) is None
    assert warned == [damaged(entry, reason)]


def test_garbage_with_a_matching_sha256_never_raises(tmp_path: Path,
                                                    records: ReplicationRecords) -> None:
    DiskStore(tmp_path).save("k", 0, records)
    entry = tmp_path / "k" / "rep-00000"
    meta_text = (entry / "meta.json").read_text()
    original = (entry / "issues.parquet").read_bytes()
    rng = np.random.default_rng(5)
    for _ in range(40):
        data = bytearray(original)
        for at in rng.integers(0, len(data), size=3):
            data[at] = int(rng.integers(0, 256))
        (entry / "issues.parquet").write_bytes(bytes(data))
        meta = json.loads(meta_text)
        meta["tables"]["issues"]["sha256"] = hashlib.sha256(data).hexdigest()
        (entry / "meta.json").write_text(json.dumps(meta))
        warned: list[str] = []
        loaded = DiskStore(tmp_path, warn=warned.append).load("k", 0)
        assert (loaded is None) == (len(warned) == 1)


def test_the_default_warning_is_a_python_warning(tmp_path: Path,
                                                 records: ReplicationRecords) -> None:
    DiskStore(tmp_path).save("k", 0, records)
    (tmp_path / "k" / "rep-00000" / "meta.json").unlink()
    with pytest.warns(UserWarning, match=r"rep-00000 \(missing meta.json\); it is recomputed"):
        assert DiskStore(tmp_path).load("k", 0) is None


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_a_pipe_in_place_of_a_file_does_not_hang(tmp_path: Path,
                                                 records: ReplicationRecords) -> None:
    DiskStore(tmp_path).save("k", 0, records)
    entry = tmp_path / "k" / "rep-00000"
    (entry / "activity.parquet").unlink()
    os.mkfifo(entry / "activity.parquet")
    warned: list[str] = []
    assert DiskStore(tmp_path, warn=warned.append).load("k", 0) is None
    assert warned == [damaged(entry, "activity.parquet is not a regular file")]


def test_a_linked_key_folder_is_not_used(tmp_path: Path, records: ReplicationRecords) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "k").symlink_to(elsewhere, target_is_directory=True)
    warned: list[str] = []
    store = DiskStore(tmp_path / "store", warn=warned.append)
    store.save("k", 0, records)
    assert store.load("k", 0) is None
    assert list(elsewhere.iterdir()) == []
    assert len(warned) == 1 and "it is a link" in warned[0]


# ---------------------------------------------------------------------- keys
def _map_file(folder: Path, length: float) -> Path:
    graph = nx.Graph()
    for v, (x, y) in {"a": (0, 0), "b": (100, 0), "c": (100, 100)}.items():
        graph.add_node(v, x=float(x), y=float(y), grid="g")
    graph.add_edge("a", "b", length=length)
    graph.add_edge("b", "c", length=100.0)
    path = folder / "streets.json"
    path.write_text(json.dumps(nx.node_link_data(graph, edges="links")), encoding="utf-8")
    return path


def _file_scenario(folder: Path) -> twin.Scenario:
    data = {
        "name": "mapped",
        "map": {"source": "file", "path": "streets.json", "speed": 50.0},
        "grids": {"assignment": "attribute", "attribute": "grid"},
        "demand": {"categories": [{"name": "job", "rate_per_hour": 1.0,
                                   "service": {"distribution": "fixed", "value": 5}}]},
        "run": {"horizon_days": 1, "warmup_days": 0.1, "replications": 1},
    }
    (folder / "scenario.yaml").write_text(json.dumps(data), encoding="utf-8")
    return twin.load_scenario(folder / "scenario.yaml")


def test_the_map_content_is_in_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    map_path = _map_file(tmp_path, 120.0)
    scenario = _file_scenario(tmp_path)
    hashed: list[Path] = []
    real = twin.store._sha256_file
    def counting(path: Path) -> str:
        hashed.append(path)
        return real(path)

    monkeypatch.setattr(twin.store, "_sha256_file", counting)
    first = run_key(scenario, 1)
    assert run_key(scenario, 1) == first and len(hashed) == 1  # cached, not hashed again
    assert run_key(scenario, 2) != first
    _map_file(tmp_path, 1234.5)  # same path, other content
    changed = run_key(scenario, 1)
    assert changed != first and len(hashed) == 2
    _map_file(tmp_path, 120.0)
    assert run_key(scenario, 1) == first  # same content, same key
    map_path.unlink()
    missing = run_key(scenario, 1)  # still computable
    assert missing not in (first, changed) and missing.startswith("mapped-")


def test_the_twin_version_is_in_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = mmc()
    before = run_key(scenario, 1)
    monkeypatch.setattr(twin.store, "twin_version", lambda: "99.0")
    assert run_key(scenario, 1) != before


def test_a_hostile_name_keeps_files_inside_the_store(tmp_path: Path) -> None:
    root = tmp_path / "a" / "b" / "store"
    scenario = mmc(name="../../x")
    key = run_key(scenario, 1)
    assert key.startswith("_.._x-") and "/" not in key
    twin.run_replications(scenario, replications=1, store=DiskStore(root))
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_dir()) == sorted(
        ["a", "b", "store", key, "rep-00000"])
    for path in tmp_path.rglob("*"):
        assert path.is_dir() or path.resolve().is_relative_to(root.resolve())
    for bad in ("../x", "a/b", ".", "..", ".hidden", ""):
        with pytest.raises(ValueError):
            DiskStore(root).load(bad, 0)


# ------------------------------------------------------------------ leftovers
def test_leftovers_of_a_killed_save_are_removed(tmp_path: Path,
                                                records: ReplicationRecords) -> None:
    root = tmp_path / "store"
    DiskStore(root).save("k", 0, records)
    half = root / "k" / ".tmp-rep-00001-0a1b2c3d4e5f"
    half.mkdir()
    (half / "issues.parquet").write_bytes(b"half")
    (root / "k" / ".tmp-rep-old-ffffffffffff").write_bytes(b"x")
    (root / "k" / "notes.txt").write_text("someone else's")
    outside = tmp_path / ".tmp-rep-00000-outside"
    outside.mkdir()
    warned: list[str] = []
    store = DiskStore(root, warn=warned.append)
    assert not half.exists() and not (root / "k" / ".tmp-rep-old-ffffffffffff").exists()
    assert (root / "k" / "notes.txt").exists() and outside.exists()
    assert store.clean() == 0
    back = store.load("k", 0)
    assert back is not None and back.issues.equals(records.issues)
    assert warned == [f"ignored 1 old or foreign entries in {root / 'k'} (e.g. notes.txt); "
                      "they are never loaded (delete them to silence this)"]


def test_a_failed_save_leaves_nothing(tmp_path: Path, records: ReplicationRecords,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(twin.store.pq, "write_table", broken)
    with pytest.raises(OSError):
        DiskStore(tmp_path).save("k", 0, records)
    assert list((tmp_path / "k").iterdir()) == []
