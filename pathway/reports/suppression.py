"""Small-number suppression for published figures.

Aggregates of small units can identify people (UK GDPR special-category data), so a report
asked for with ``suppress`` follows one rule:

- a count from 1 to 7 is hidden (``None``, and its column named in the row's ``suppressed``);
- every other count is rounded to the nearest 5 (0 stays 0: 8 -> 10, 12 -> 10, 13 -> 15);
- totals are computed from the true counts and then rounded or hidden on their own, never
  added up from the published cells;
- secondary suppression: where a row or a column of a table would show exactly one hidden
  cell, the smallest other non-zero cell of that row or column is hidden too, so that no
  hidden count can be worked out from the total by subtraction.

Rounding alone already leaves every published figure uncertain by up to 2; the secondary
rule closes the case the rule's readers check first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

SMALLEST_SHOWN = 8
ROUND_TO = 5
MARK = "[c]"  # what a hidden cell reads as in CSV (the ONS convention for "confidential")
FEWER = f"fewer than {SMALLEST_SHOWN}"  # how a hidden count, or a folded line, reads

NOTE = ("Small-number suppression: counts from 1 to 7 are hidden (null, named in "
        "'suppressed'), all other counts are rounded to the nearest 5, totals are rounded "
        "on their own from the true figures, and where a row or column would show only one "
        "hidden count a second one is hidden, so no hidden count can be recovered by "
        "subtraction.")


def is_small(count: int) -> bool:
    return 0 < count < SMALLEST_SHOWN


def rounded(count: int) -> int:
    """The nearest multiple of 5 (never a tie for whole numbers)."""
    return (count + ROUND_TO // 2) // ROUND_TO * ROUND_TO


def published(count: int | None) -> int | None:
    """One figure on its own (a total): hidden when small, otherwise rounded."""
    if count is None or is_small(count):
        return None
    return rounded(count)


def hidden_cells(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> list[set[str]]:
    """Which cells of a table to hide: small ones, then secondary ones until none stands alone."""
    hidden = [{c for c in columns if is_small(int(row[c]))} for row in rows]
    changed = True
    while changed:
        changed = False
        for index, row in enumerate(rows):
            if len(hidden[index]) == 1:
                partner = _smallest_visible((row[c], position, c) for position, c
                                            in enumerate(columns) if c not in hidden[index])
                if partner is not None:
                    hidden[index].add(partner)
                    changed = True
        if len(rows) < 2:
            continue
        for column in columns:
            holders = [i for i in range(len(rows)) if column in hidden[i]]
            if len(holders) == 1:
                partner = _smallest_visible((rows[i][column], i, i) for i in range(len(rows))
                                            if column not in hidden[i])
                if partner is not None:
                    hidden[partner].add(column)
                    changed = True
    return hidden


def _smallest_visible(candidates: Any) -> Any:
    """The key of the smallest non-zero candidate (value, order, key), or None."""
    nonzero = [c for c in candidates if int(c[0]) > 0]
    return min(nonzero)[2] if nonzero else None


def suppress_rows(rows: list[dict[str, Any]], columns: Sequence[str]) -> list[dict[str, Any]]:
    """Copies of ``rows`` with their count ``columns`` hidden or rounded, and a ``suppressed``
    list naming the hidden columns of each row (other keys are copied as they are)."""
    hidden = hidden_cells(rows, columns)
    published_rows = []
    for row, secret in zip(rows, hidden, strict=True):
        copy = dict(row)
        for column in columns:
            copy[column] = None if column in secret else rounded(int(row[column]))
        copy["suppressed"] = [c for c in columns if c in secret]
        published_rows.append(copy)
    return published_rows


def suppress_totals(totals: dict[str, Any], columns: Sequence[str]) -> dict[str, Any]:
    """Totals rounded or hidden independently of the cells they add up."""
    copy = dict(totals)
    for column in columns:
        copy[column] = published(int(totals[column]))
    copy["suppressed"] = [c for c in columns if copy[c] is None]
    return copy


def rate(numerator: int | None, denominator: int | None) -> float | None:
    """A proportion to two places, or None when either side is hidden or there is none."""
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 2)


def fold_hidden(rows: list[dict[str, Any]], columns: Sequence[str],
                keys: Sequence[str]) -> list[dict[str, Any]]:
    """Published rows with every count hidden fold into one line whose ``keys`` read
    "fewer than 8": a hidden count next to the category it belongs to (one reason, one
    level, one unit) can still single a person out. The line comes last, its counts hidden."""
    shown = [row for row in rows if any(c not in row.get("suppressed", ()) for c in columns)]
    if len(shown) == len(rows):
        return rows
    folded: dict[str, Any] = {key: FEWER for key in keys}
    folded.update({column: None for column in columns})
    folded["suppressed"] = list(columns)
    return [*shown, folded]
