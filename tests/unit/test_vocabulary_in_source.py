"""The pathway's vocabulary lives in the definitions: no level code or trigger name is spelled
out as a string anywhere in `pathway/` or `api/`, so a board's own definitions are honoured."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import workflows
from workflows import vocabulary
from workflows.schema import load_folder

ROOT = Path(__file__).resolve().parents[2]


def _vocabulary() -> set[str]:
    """Every level code and every trigger the shipped definitions and the engine know."""
    catalogue = load_folder(workflows.DEFAULT_FOLDER)
    words: set[str] = set()
    for definition in catalogue.definitions.values():
        words.update(level.code for level in definition.levels)
        words.update(definition.triggers)
    words.update(vocabulary.BUILT_IN_TRIGGERS)
    # "award" is also a noun the API's fields and parameters are named by (API.md fixes
    # `{"award": code}` and `?award=`), as the machine kind is: the noun is not the trigger.
    # "done" is also the pages' query parameter after a change (post/redirect/get, e.g.
    # ``?done=advance``), older than the involvement lifecycle's trigger of that name; the
    # code that fires the trigger names it by ``vocabulary.MARK_DONE``.
    return words - set(vocabulary.MACHINE_KINDS) - {vocabulary.MARK_DONE}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _names_not_words(tree: ast.AST) -> set[int]:
    """Strings that name Python or command-line things, not the pathway's words: the entries
    of ``__all__`` (functions called ``register``, ``revoke``) and click command names."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
                isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets):
            found.update(id(item) for item in ast.walk(node.value))
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("command", "group") and node.args):
            found.add(id(node.args[0]))
    return found


def _string_literals(path: Path) -> Iterator[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    skipped = _docstrings(tree) | _names_not_words(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            yield node.lineno, node.value


def test_no_level_code_or_trigger_name_is_spelled_out_in_pathway_or_api() -> None:
    vocabulary = _vocabulary()
    sources = [p for folder in ("pathway", "api") for p in (ROOT / folder).rglob("*.py")
               if "migrations" not in p.parts]
    found = [f"{path.relative_to(ROOT)}:{line}: {text!r}"
             for path in sources for line, text in _string_literals(path) if text in vocabulary]
    assert found == [], "read these from the catalogue or workflows.vocabulary:\n" + "\n".join(found)
