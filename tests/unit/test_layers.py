"""The arrows point one way: api -> pathway -> workflows. A module never imports a layer above it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "workflows": ("pathway", "api", "flask", "sqlalchemy"),
    "pathway": ("api", "flask"),
}


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer: str) -> None:
    above = FORBIDDEN[layer]
    found = [f"{path.relative_to(ROOT)} imports {name}"
             for path in sorted((ROOT / layer).rglob("*.py"))
             for name in sorted(_imported(path))
             if name.split(".")[0] in above]
    assert found == []
