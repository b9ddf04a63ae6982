"""Architecture rules: the import layers hold, randomness comes only from named
streams, and modules stay small enough to read."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "twin"
MODULES = sorted(PACKAGE.rglob("*.py"))
MAX_LINES = 400

# numpy.random names that do not touch the legacy global state.
NUMPY_RANDOM_OK = {
    "Generator", "SeedSequence", "BitGenerator", "PCG64", "PCG64DXSM", "Philox", "SFC64",
    "MT19937", "default_rng",
}


def _lint_imports() -> list[str]:
    exe = Path(sys.executable).parent / "lint-imports"
    if exe.exists():
        return [str(exe)]
    found = shutil.which("lint-imports")
    assert found, "import-linter is not installed (pip install -e .[dev])"
    return [found]


def test_layers_contract_is_kept() -> None:
    proc = subprocess.run([*_lint_imports(), "--no-cache"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    report = proc.stdout + proc.stderr
    assert proc.returncode == 0, report
    assert "twin layers KEPT" in report
    assert "0 broken" in report


def _random_misuse(source: str, label: str) -> list[str]:
    """Uses of the stdlib ``random`` module or of numpy's legacy global random state."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename=label)):
        where = f"{label}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Import):
            found += [f"{where}: import {a.name}" for a in node.names
                      if a.name == "random" or a.name.startswith("random.")]
        elif isinstance(node, ast.ImportFrom):
            if node.module == "random":
                found.append(f"{where}: from random import ...")
            if node.module == "numpy.random":
                found += [f"{where}: from numpy.random import {a.name}" for a in node.names
                          if a.name not in NUMPY_RANDOM_OK]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
            inner = node.value
            if (inner.attr == "random" and isinstance(inner.value, ast.Name)
                    and inner.value.id in ("np", "numpy")
                    and node.attr not in NUMPY_RANDOM_OK):
                found.append(f"{where}: {inner.value.id}.random.{node.attr}")
    return found


def test_no_global_random_state() -> None:
    misuse = [hit for path in MODULES
              for hit in _random_misuse(path.read_text(encoding="utf-8"),
                                        path.relative_to(ROOT).as_posix())]
    assert misuse == [], "use twin.rng streams (numpy Generators) instead:\n" + "\n".join(misuse)


def test_random_scan_catches_legacy_use() -> None:
    source = (
        "import random\n"
        "from numpy.random import seed, default_rng\n"
        "import numpy as np\n"
        "np.random.seed(1)\n"
        "x = np.random.rand(3)\n"
        "g = np.random.Generator(np.random.PCG64(np.random.SeedSequence(1)))\n"
    )
    assert _random_misuse(source, "s.py") == [
        "s.py:1: import random",
        "s.py:2: from numpy.random import seed",
        "s.py:4: np.random.seed",
        "s.py:5: np.random.rand",
    ]


def test_modules_stay_small() -> None:
    counts = {path.relative_to(ROOT).as_posix(): len(path.read_text(encoding="utf-8")
                                                       .splitlines()) for path in MODULES}
    largest = sorted(counts.items(), key=lambda kv: -kv[1])[:5]
    print("largest modules:", ", ".join(f"{name} {n}" for name, n in largest))
    too_long = {name: n for name, n in counts.items() if n > MAX_LINES}
    assert too_long == {}, f"modules over {MAX_LINES} lines: {too_long}"
