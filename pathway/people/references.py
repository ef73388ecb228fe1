"""Members' references: one rule, wherever a reference comes in (API, import, demo).

A reference is what staff type and search for, and it must be unique: two that look the
same must be the same. So it is trimmed and put in Unicode NFC, and refused when blank,
longer than 64 characters, or holding characters nobody sees or that reorder the text on
screen: controls, zero-width characters, bidi overrides and isolates, line separators.
"""

from __future__ import annotations

import unicodedata

from pathway.errors import InvalidInput

MAX_LENGTH = 64
# Unicode categories never allowed: controls, format characters (zero-width spaces and
# joiners, the byte-order mark, bidi embeddings, overrides and isolates), surrogates,
# private use, unassigned, and line or paragraph separators.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def normalised_reference(raw: str) -> tuple[str, str | None]:
    """The reference as stored, and what is wrong with it (None when it may be used)."""
    reference = unicodedata.normalize("NFC", raw).strip()
    if not reference:
        return reference, "must not be blank"
    # Printable ASCII has none of the refused characters: skip the per-character look-up.
    for character in () if reference.isascii() and reference.isprintable() else reference:
        if unicodedata.category(character) in REFUSED_CATEGORIES or (
                character.isspace() and character != " "):
            return reference, (f"must not contain invisible or direction-changing characters "
                               f"(U+{ord(character):04X})")
    if len(reference) > MAX_LENGTH:
        return reference, f"must be at most {MAX_LENGTH} characters"
    return reference, None


def normalise_reference(raw: str) -> str:
    """The reference as stored, or ``InvalidInput`` naming ``reference``."""
    reference, problem = normalised_reference(raw)
    if problem is not None:
        raise InvalidInput("reference", f"The reference {problem}.")
    return reference
