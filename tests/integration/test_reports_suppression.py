"""Small-number suppression: small counts hidden, the rest rounded, nothing recoverable."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pathway.reports.suppression import (
    hidden_cells,
    published,
    rate,
    rounded,
    suppress_rows,
    suppress_totals,
)

COLUMNS = ("level_1", "level_2", "level_3", "total")


def _line(level_1: int, level_2: int, level_3: int) -> dict[str, int]:
    return {"level_1": level_1, "level_2": level_2, "level_3": level_3,
            "total": level_1 + level_2 + level_3}


def test_counts_from_1_to_7_are_hidden_and_the_rest_rounded_to_5():
    assert [published(n) for n in (0, 1, 7, 8, 10, 12, 13, 17, 18, 102)] == [
        0, None, None, 10, 10, 10, 15, 15, 20, 100]
    assert rounded(0) == 0


def test_a_row_with_one_small_count_hides_a_second_one():
    rows = suppress_rows([_line(20, 3, 0)], COLUMNS)
    # Without the second cell, 25 - 20 would give the hidden 3 back (near enough).
    assert rows == [{"level_1": None, "level_2": None, "level_3": 0, "total": 25,
                     "suppressed": ["level_1", "level_2"]}]


def test_a_column_with_one_small_count_hides_a_second_one():
    rows = suppress_rows([_line(30, 0, 0), _line(2, 40, 0), _line(50, 0, 0)], COLUMNS)
    # Column level_1 had only the 2 hidden: the smallest other (30) goes too; that row then
    # shows one hidden cell, so its total goes, and the total column in turn needs a partner.
    # Level 2 keeps one hidden cell: every other count in that column is a known 0 and the
    # column's total is itself rounded (40 could be 38 to 42).
    assert [row["suppressed"] for row in rows] == [
        ["level_1", "total"], ["level_1", "level_2", "total"], []]
    assert rows[2] == {**_line(50, 0, 0), "suppressed": []}


def test_totals_are_rounded_from_the_true_figures_not_added_up():
    rows = [_line(9, 0, 0), _line(9, 0, 0)]
    published_rows = suppress_rows(rows, COLUMNS)
    assert [r["level_1"] for r in published_rows] == [10, 10]
    totals = suppress_totals({"level_1": 18, "level_2": 0, "level_3": 0, "total": 18}, COLUMNS)
    assert totals == {"level_1": 20, "level_2": 0, "level_3": 0, "total": 20, "suppressed": []}


def test_a_rate_needs_both_figures():
    assert rate(None, 10) is None
    assert rate(5, 0) is None
    assert rate(5, 10) == 0.5


@given(st.lists(st.tuples(*(st.integers(0, 30) for _ in range(3))), min_size=1, max_size=6))
def test_no_row_or_column_ever_shows_exactly_one_hidden_cell_beside_other_counts(cells):
    rows = [_line(*numbers) for numbers in cells]
    hidden = hidden_cells(rows, COLUMNS)
    for index, row in enumerate(rows):
        assert all(not 0 < row[c] < 8 or c in hidden[index] for c in COLUMNS)
        others = [row[c] for c in COLUMNS if c not in hidden[index]]
        assert len(hidden[index]) != 1 or not any(others)
    if len(rows) > 1:
        for column in COLUMNS:
            holders = [i for i in range(len(rows)) if column in hidden[i]]
            rest = [rows[i][column] for i in range(len(rows)) if i not in holders]
            assert len(holders) != 1 or not any(rest)
