"""The package's layers, read from its imports (ast): lower layers never import higher ones.

Layers, bottom to top: ``errors`` and ``stats`` (shared by all) → ``model`` (one
run) → ``plots`` (figures) → ``runs`` (running and storing runs) → ``analysis``
(questions answered with many runs) → the command line and the package's own
``__init__``. A module may import from its own layer and those below, never above,
and never another module's ``_private`` name.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGE = ROOT / "simulation"
LAYERS = {"errors": 0, "stats": 0, "model": 1, "plots": 2, "runs": 3, "analysis": 4,
          "testing": 4,
          "cli": 5, "app": 5, "__init__": 5, "__main__": 5}
MODULES = sorted(PACKAGE.rglob("*.py"))


def layer_of(module: str) -> int:
    """The layer of a dotted module name inside the package (``simulation.runs.sweep``)."""
    parts = module.split(".")
    assert parts[0] == "simulation", module
    top = parts[1] if len(parts) > 1 else "__init__"
    return LAYERS[top]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module imported, names imported, line) of every import inside the package."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "simulation":
                found.append((target, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names
                      if a.name.split(".")[0] == "simulation"]
    return found


def test_every_module_has_a_layer():
    for path in MODULES:
        layer_of(module_name(path))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_a_higher_layer_or_a_private_name(path):
    here = module_name(path)
    for target, names, line in imports(path):
        if here == "simulation" or here == "simulation.__main__":
            continue  # the top: may import anything
        assert layer_of(target) <= layer_of(here), (
            f"{here} (layer {layer_of(here)}) imports {target} (layer {layer_of(target)}) "
            f"at line {line}")
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{here} imports private {private} from {target} at line {line}"


def test_the_check_can_fail():
    """A module that imports upwards, and one that imports a private name, are caught."""
    bad = PACKAGE / "model" / "_layer_probe.py"
    try:
        bad.write_text("from ..runs.sweep import run_many\nfrom .config import _kind_of\n")
        found = imports(bad)
        assert layer_of(found[0][0]) > layer_of(module_name(bad))
        assert found[1][1] == ["_kind_of"]
    finally:
        bad.unlink()
