"""What may happen: workflow definitions (YAML data) and their compiled state machines.

Pure Python: no database and no Flask. ``load()`` reads a folder of definitions (the shipped
ones by default, or ``PATHWAY_WORKFLOWS``) and validates it, raising ``DefinitionError`` with
every fault located in its file.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from workflows.schema import Catalogue, DefinitionError, load_folder

DEFAULT_FOLDER = Path(__file__).parent / "definitions"

__all__ = ["DEFAULT_FOLDER", "Catalogue", "DefinitionError", "load", "load_folder"]


def configured_folder() -> Path:
    return Path(os.environ.get("PATHWAY_WORKFLOWS") or DEFAULT_FOLDER)


@lru_cache(maxsize=8)
def _load_cached(folder: str) -> Catalogue:
    return load_folder(folder)


def load(folder: str | Path | None = None) -> Catalogue:
    """The validated catalogue for ``folder`` (default: configured), loaded once per folder."""
    return _load_cached(str(Path(folder) if folder else configured_folder()))
