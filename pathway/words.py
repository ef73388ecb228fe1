"""Codes in the words people read: levels, triggers, statuses, kinds and exit reasons.

Level titles come from the member kind's pathway definition, so a catalogue that renames a
level renames it on every page; everything else is the code made readable.
"""

from __future__ import annotations

from workflows.schema import Definition


def readable(code: str | None) -> str:
    """``step_back`` -> ``Step back``; ``lost_contact`` -> ``Lost contact``."""
    if not code:
        return ""
    words = code.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:]


def level_words(definition: Definition, level: str | None) -> str:
    """``level_2`` -> ``Level 2 – Identifying and building skills`` (as the catalogue says)."""
    if not level:
        return ""
    index = definition.level_index(level)
    if index < 0:
        return readable(level)
    return f"Level {index + 1} – {definition.level_title(level)}"


def level_number(definition: Definition, level: str | None) -> str:
    """``level_2`` -> ``Level 2``: for column headings where the title would not fit."""
    index = definition.level_index(level or "")
    return f"Level {index + 1}" if index >= 0 else readable(level)


def kind_words(kind: str | None, *, plural: bool = False) -> str:
    """``service_user`` -> ``Service user`` (``Service users``)."""
    words = readable(kind)
    # "staff" is already plural
    return words + "s" if plural and words and not words.lower().endswith("staff") else words
