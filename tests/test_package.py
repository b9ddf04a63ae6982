"""The package's public names: one list (``twin._HOMES``) that ``__all__`` and the
imports for type checkers follow, every name resolving to the object at its home."""

from __future__ import annotations

import ast
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import twin

ROOT = Path(__file__).resolve().parents[1]


def _type_checking_names() -> dict[str, tuple[str, str | None]]:
    """Name -> (module, attribute or None for a module) of the ``if TYPE_CHECKING:``
    block of ``twin/__init__.py``."""
    tree = ast.parse((ROOT / "twin" / "__init__.py").read_text(encoding="utf-8"))
    blocks = [node for node in tree.body if isinstance(node, ast.If)
              and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"]
    assert len(blocks) == 1
    names: dict[str, tuple[str, str | None]] = {}
    for node in blocks[0].body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                shown = alias.asname or alias.name
                assert node.module is not None
                names[shown] = ((f"twin.{alias.name}", None) if node.module == "twin"
                                else (node.module, alias.name))
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
            for target in node.targets:
                assert isinstance(target, ast.Name)
                names[target.id] = names[node.value.id]
        else:
            raise AssertionError(f"unexpected statement at line {node.lineno}")
    return names


def test_all_is_the_list_of_homes() -> None:
    assert twin.__all__ == sorted(twin._HOMES)
    assert len(set(twin.__all__)) == len(twin.__all__)


def test_the_imports_for_type_checkers_name_the_same_homes() -> None:
    assert _type_checking_names() == twin._HOMES


def test_the_type_checking_imports_mark_each_name_as_re_exported() -> None:
    # ``from m import x as x`` (or an assignment): a typed package's importers see x
    tree = ast.parse((ROOT / "twin" / "__init__.py").read_text(encoding="utf-8"))
    block = next(node for node in tree.body if isinstance(node, ast.If))
    for node in block.body:
        if isinstance(node, ast.ImportFrom):
            assert all(alias.asname == alias.name for alias in node.names), node.lineno


def test_every_public_name_resolves_to_the_object_at_its_home() -> None:
    for name, (module, attribute) in twin._HOMES.items():
        home = import_module(module)
        expected = home if attribute is None else getattr(home, attribute)
        assert getattr(twin, name) is expected, name
    assert twin.run is twin.run_replications


def test_every_home_names_an_object_defined_or_re_exported_there() -> None:
    for module, attribute in twin._HOMES.values():
        if attribute is not None:
            assert attribute in vars(import_module(module)), (module, attribute)


def test_a_fresh_import_star_gives_the_public_names() -> None:
    code = ("from twin import *\nimport twin\n"
            "print(sorted(n for n in twin.__all__ if n not in globals()))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert done.stdout.strip() == "[]"
