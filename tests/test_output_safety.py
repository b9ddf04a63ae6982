"""No command deletes or writes what the user did not ask twin to replace, and failed
replications are shown, not hidden."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import twin.executors
from twin.cli import app
from twin.outdir import TMP_TOKEN, OutputRefused, write_folder

ROOT = Path(__file__).resolve().parents[1]
MMC = ROOT / "scenarios" / "validation" / "mmc.yaml"
FAST = ["--set", "run.horizon_days=1", "--set", "run.warmup_days=0.25", "--replications", "2"]
runner = CliRunner()


def scenario(folder: Path, name: str, file: str = "s.yaml") -> Path:
    path = folder / file
    path.write_text(f"extends: {MMC}\nname: {json.dumps(name)}\n", encoding="utf-8")
    return path


def invoke(*args: str) -> Any:
    res = runner.invoke(app, [str(a) for a in args])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output
    return res


def tree(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("name", ["../../victim", "/tmp/abs-victim", "", ".", "..", "a/../b"])
def test_a_name_never_leads_outside_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        name: str) -> None:
    work = tmp_path / "work" / "deep"
    work.mkdir(parents=True)
    (tmp_path / "victim").mkdir()
    (tmp_path / "victim" / "keep.txt").write_text("mine")
    monkeypatch.chdir(work)
    path = scenario(work, name or "x")
    if name == "":
        path.write_text(f"extends: {MMC}\nname: ''\n", encoding="utf-8")
        assert invoke("run", path, *FAST).exit_code == 2  # an empty name is refused
        return
    before = tree(tmp_path)
    res = invoke("run", path, *FAST)
    assert res.exit_code == 0, res.output
    created = tree(tmp_path) - before
    assert created and all(p == "work/deep/out" or p.startswith("work/deep/out/")
                           for p in created), created
    assert (tmp_path / "victim" / "keep.txt").read_text() == "mine"
    assert not Path("/tmp/abs-victim").exists()


def test_compare_keeps_every_run_inside_out(tmp_path: Path) -> None:
    a = scenario(tmp_path, "../up", "a.yaml")
    b = scenario(tmp_path, "..\\up", "b.yaml")
    c = scenario(tmp_path, "../UP", "c.yaml")
    out = tmp_path / "cmp"
    res = invoke("compare", a, b, c, *FAST, "--out", out)
    assert res.exit_code == 0, res.output
    runs = sorted(p.name for p in out.iterdir() if (p / "issues.parquet").exists())
    assert runs == ["_UP-3", "_up", "_up-2"]
    assert {p.name for p in tmp_path.iterdir()} == {"a.yaml", "b.yaml", "c.yaml", "cmp"}
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["kind"] == "compare" and manifest["status"] == "complete"
    assert manifest["runs"]["..\\up"]["folder"] == "_up-2"


@pytest.mark.parametrize("command", ["run", "compare", "sweep"])
def test_out_at_a_foreign_folder_is_refused(tmp_path: Path, command: str) -> None:
    docs = tmp_path / "mydocs"
    docs.mkdir()
    (docs / "thesis.docx").write_text("years of work")
    path = scenario(tmp_path, "s")
    extra = ["--vary", "workforce.per_grid=2,3"] if command == "sweep" else []
    res = invoke(command, path, *extra, *FAST, "--out", docs)
    assert res.exit_code == 2
    assert res.output.splitlines()[0] == (
        f"command line: --out: {docs} is a folder that twin did not write (it holds "
        "thesis.docx); choose another --out, or pass --force to write twin's files into it "
        "(nothing else is deleted)")
    assert tree(docs) == {"thesis.docx"}


def test_force_writes_into_a_foreign_folder_and_deletes_nothing(tmp_path: Path) -> None:
    docs = tmp_path / "mydocs"
    (docs / "chapter").mkdir(parents=True)
    (docs / "thesis.docx").write_text("years of work")
    (docs / "chapter" / "1.txt").write_text("one")
    res = invoke("run", scenario(tmp_path, "s"), *FAST, "--out", docs, "--force")
    assert res.exit_code == 0, res.output
    assert (docs / "thesis.docx").read_text() == "years of work"
    assert (docs / "chapter" / "1.txt").read_text() == "one"
    assert (docs / "issues.parquet").exists() and (docs / "report.html").exists()


def test_an_earlier_result_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "res"
    path = scenario(tmp_path, "s")
    assert invoke("run", path, *FAST, "--out", out).exit_code == 0
    first = (out / "manifest.json").read_text()
    assert invoke("run", path, *FAST, "--seed", "5", "--out", out).exit_code == 0
    assert (out / "manifest.json").read_text() != first
    assert not [p for p in tmp_path.iterdir() if TMP_TOKEN in p.name]


def test_out_dot_writes_into_the_working_folder(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = scenario(tmp_path, "s")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    res = invoke("run", path, *FAST, "--out", ".")
    assert res.exit_code == 0, res.output
    assert (here / "issues.parquet").exists()
    res = invoke("run", path, *FAST, "--out", ".")  # again: an earlier result, in place
    assert res.exit_code == 0, res.output
    assert Path.cwd() == here and here.is_dir()


def test_leftovers_of_a_killed_write_are_cleaned(tmp_path: Path) -> None:
    out = tmp_path / "res"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"twin_version": "0"}))
    beside = tmp_path / f".res.{TMP_TOKEN}-abc123"
    beside.mkdir()
    (beside / "issues.parquet").write_text("half")
    inside = out / f".kpis.csv.{TMP_TOKEN}-xyz"
    inside.write_text("half")
    mine = tmp_path / ".res.backup"
    mine.write_text("the user's")
    assert invoke("run", scenario(tmp_path, "s"), *FAST, "--out", out).exit_code == 0
    assert not beside.exists() and not inside.exists()
    assert mine.read_text() == "the user's"


def test_write_folder_refuses_a_foreign_folder(tmp_path: Path) -> None:
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "x").write_text("x")
    with pytest.raises(OutputRefused, match="is a folder that twin did not write"):
        write_folder(tmp_path / "f", lambda tmp: None)
    assert (tmp_path / "f" / "x").read_text() == "x"


def _failing(reps: set[int]) -> Any:
    real = twin.executors.simulate

    def simulate(scenario: Any, replication: int, *args: Any, **kwargs: Any) -> Any:
        if replication in reps:
            raise RuntimeError(f"boom in replication {replication}")
        return real(scenario, replication, *args, **kwargs)

    return simulate


def test_some_replications_fail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(twin.executors, "simulate", _failing({1}))
    out = tmp_path / "res"
    res = invoke("run", scenario(tmp_path, "s"), *FAST, "--out", out)
    assert res.exit_code == 1
    assert "s: replication 1 failed: RuntimeError: boom in replication 1" in res.output
    assert "1 of 2 replications failed and are left out" in res.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert list(manifest["failed_replications"]) == ["1"]
    page = (out / "report.html").read_text()
    assert 'class="failed"' in page and "RuntimeError: boom in replication 1" in page


def test_every_replication_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(twin.executors, "simulate", _failing({0, 1}))
    out = tmp_path / "res"
    res = invoke("run", scenario(tmp_path, "s"), *FAST, "--out", out)
    assert res.exit_code == 1
    assert "s: replication 0 failed: RuntimeError: boom in replication 0" in res.output
    assert "every replication failed; nothing was written" in res.output
    assert "KeyError" not in res.output
    assert not out.exists()
    cmp = invoke("compare", scenario(tmp_path, "a", "a.yaml"), scenario(tmp_path, "b", "b.yaml"),
                 *FAST, "--out", tmp_path / "cmp")
    assert cmp.exit_code == 1
    assert "every replication of a, b failed; no comparison or report was written" in cmp.output


def test_a_dead_cluster_address_is_reported_at_once(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    started = time.perf_counter()
    res = invoke("run", scenario(tmp_path, "s"), *FAST, "--cluster", "tcp://127.0.0.1:9")
    assert res.exit_code == 2
    assert res.output.startswith("command line: --cluster: cannot reach a Dask scheduler at "
                                 "'tcp://127.0.0.1:9' (Connection refused)")
    assert time.perf_counter() - started < 10


def test_compare_refuses_a_foreign_folder_where_a_run_would_go(tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    (out / "b").mkdir(parents=True)
    (out / "manifest.json").write_text(json.dumps({"twin_version": "0"}))  # an old result
    (out / "b" / "notes.txt").write_text("mine")
    res = invoke("compare", scenario(tmp_path, "a", "a.yaml"), scenario(tmp_path, "b", "b.yaml"),
                 *FAST, "--out", out)
    assert res.exit_code == 2
    assert res.output.splitlines()[0].startswith(
        f"command line: --out: {out / 'b'} is a folder that twin did not write")
    assert (out / "b" / "notes.txt").read_text() == "mine"
    assert tree(out / "b") == {"notes.txt"}
