"""Bulk import of members from a spreadsheet export (CSV), all or nothing.

Every row is validated before anything is written, and every bad row is reported with its
line and field, so a file is fixed in one pass. The writes are what ``engine.register`` does
for one member (member, pathway instance, one ``register`` event), done as bulk inserts in
the caller's single transaction: per-row ORM flushes are two orders of magnitude slower.

A file is checked column by column when it can be (each column's distinct values once);
only a file with something wrong is checked row by row, which names every fault. On SQLite
the rows go straight into the tables; elsewhere through a staging table.

A leaver (``status`` exited) is imported with what ``engine.fire`` would have recorded for
their exit: a ``register`` event at their level on ``joined_on``, then an ``exit`` event with
its ``exit_reason`` (required, one of the pathway's exit reasons) on ``exited_on`` (default:
``joined_on``), so attrition counts them as the distribution does.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import compress, repeat
from pathlib import Path
from typing import Any, NamedTuple, overload
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Connection,
    Dialect,
    Index,
    Table,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex

from pathway import clock
from pathway.engine import PATHWAY, Actor
from pathway.memory import cycle_collector_paused
from pathway.people.references import normalised_reference
from pathway.reports.vocabulary import EXIT, REGISTER
from pathway.store import ledger
from pathway.store.models import Base, Event, Instance, Member, Unit
from workflows.machine import ACTIVE, EXITED, join_state, split_state
from workflows.schema import MEMBER_KINDS, PATHWAY_STATUSES, Catalogue

COLUMNS = ("reference", "kind", "unit", "display_name", "joined_on", "level", "status",
           "exit_reason", "exited_on")
LEAVING = ("exit_reason", "exited_on")  # only for rows with status exited
REQUIRED = ("reference", "kind", "unit")
# Column widths in the schema: PostgreSQL refuses longer text, so say so per row first.
MAX_LENGTH = {"reference": 64, "display_name": 200}
LOOKUP_CHUNK = 500
WRITE_CHUNK = 20_000


@dataclass(frozen=True)
class RowFault:
    """What is wrong with one field of one row."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.field}: {self.message}"


class ImportRefused(Exception):
    """The file cannot be imported; ``faults`` lists every problem found."""

    def __init__(self, faults: list[RowFault]) -> None:
        self.faults = faults
        super().__init__(f"{len(faults)} problem(s) in the file; nothing was imported")


class MemberRow(NamedTuple):
    """One valid row, ready to write (a tuple: an import builds one per line)."""

    line: int
    reference: str
    kind: str
    unit_id: int
    display_name: str | None
    joined_on: date
    state: str
    exit_reason: str | None = None
    exited_on: date | None = None

    @property
    def arrived(self) -> str:
        return arrived_state(self.state)


def arrived_state(state: str) -> str:
    """The state a member in ``state`` was registered in on the day they joined: a leaver
    was active at their level first."""
    level, status = split_state(state)
    return join_state(level, ACTIVE) if status == EXITED else state


class Members(Sequence[MemberRow]):
    """Valid rows held column by column, as checking by column finds them and as the writers
    read them: a million rows need no tuple each, built and then taken apart again."""

    __slots__ = ("exit_reasons", "exited_on", "joined_on", "kinds", "lines", "names",
                 "references", "states", "unit_ids")

    def __init__(self, lines: Sequence[int], references: Sequence[str], kinds: Sequence[str],
                 unit_ids: Sequence[int], names: Sequence[str | None],
                 joined_on: Sequence[date], states: Sequence[str],
                 exit_reasons: Sequence[str | None], exited_on: Sequence[date | None]) -> None:
        self.lines, self.references, self.kinds, self.unit_ids = (lines, references, kinds,
                                                                  unit_ids)
        self.names, self.joined_on, self.states = names, joined_on, states
        self.exit_reasons, self.exited_on = exit_reasons, exited_on

    @classmethod
    def of(cls, rows: Iterable[MemberRow]) -> Members:
        rows = list(rows)
        if not rows:
            return cls([], [], [], [], [], [], [], [], [])
        return cls(*zip(*rows, strict=True))

    def columns(self) -> tuple[Sequence[Any], ...]:
        """The columns in ``MemberRow``'s order."""
        return (self.lines, self.references, self.kinds, self.unit_ids, self.names,
                self.joined_on, self.states, self.exit_reasons, self.exited_on)

    def __len__(self) -> int:
        return len(self.lines)

    @overload
    def __getitem__(self, index: int) -> MemberRow: ...

    @overload
    def __getitem__(self, index: slice) -> Members: ...

    def __getitem__(self, index: int | slice) -> MemberRow | Members:
        if isinstance(index, slice):
            return Members(*(column[index] for column in self.columns()))
        return MemberRow(*(column[index] for column in self.columns()))

    def __iter__(self) -> Iterator[MemberRow]:
        return map(MemberRow, *self.columns())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # mutable columns, equal by content

    def __repr__(self) -> str:
        return f"Members({list(self)!r})"


# (day, unit id, kind, level, status): a group of the distribution ledger on a day.
LedgerKey = tuple[date, int, str, str | None, str | None]


def ledger_changes(rows: Members) -> dict[LedgerKey, int]:
    """What the rows' ``register`` events (and a leaver's ``exit``) add to the distribution
    ledger: the net change per day and group, as ``ledger.record_changes`` counts them,
    leaving out groups whose changes cancel.

    Counted a block at a time: on PostgreSQL this runs while a COPY is being read, and one
    count of a million rows would hold the interpreter from the thread feeding that COPY.
    """
    states = set(rows.states)
    group = {state: split_state(state) for state in states}
    arrived = {state: split_state(arrived_state(state)) for state in states}
    level = {state: group[0] for state, group in arrived.items()}
    status = {state: group[1] for state, group in arrived.items()}
    # Every row arrives on the day it joined; keyed by the group itself, so nothing is
    # built per key afterwards (most keys are a single row).
    net: Counter[LedgerKey] = Counter()
    for start in range(0, len(rows), WRITE_CHUNK):
        part = slice(start, start + WRITE_CHUNK)
        net.update(zip(rows.joined_on[part], rows.unit_ids[part], rows.kinds[part],
                       map(level.__getitem__, rows.states[part]),
                       map(status.__getitem__, rows.states[part]), strict=True))
    leaving = [day is not None for day in rows.exited_on]
    exits = Counter(zip(filter(None, rows.exited_on), compress(rows.unit_ids, leaving),
                        compress(rows.kinds, leaving), compress(rows.states, leaving),
                        strict=True))
    for (day, unit_id, kind, state), n in exits.items():
        net[day, unit_id, kind, *arrived[state]] -= n
        net[day, unit_id, kind, *group[state]] += n
    return {key: delta for key, delta in net.items() if delta}


@dataclass
class ImportResult:
    members: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


class Sheet:
    """The rows of a file, kept as read (lists of cells, or the cells of each column when the
    file could be read that way) with each row's starting line.

    Iterating gives (line, {column: text}) as validation by row reads them; ``validate``
    reads the cells column by column instead, without a dict per row.
    """

    def __init__(self, names: list[str], nul: bool = True) -> None:
        self.names = names
        self.lines: list[int] = []
        # Whether any cell may hold a NUL (read_csv knows from one scan of the text).
        self.nul = nul
        self._rows: list[list[str]] | None = []
        self._by_column: list[list[str]] | None = None  # one list per header column

    @property
    def rows(self) -> list[list[str]]:
        if self._rows is None:
            self._rows = [list(cells) for cells in zip(*self._by_column or [], strict=True)]
        return self._rows

    @rows.setter
    def rows(self, rows: list[list[str]]) -> None:
        self._rows, self._by_column = rows, None

    def read_by_column(self, by_column: list[list[str]]) -> None:
        """The cells as the header's columns, every row as wide as the header."""
        self._rows, self._by_column = None, by_column

    def __len__(self) -> int:
        return len(self.lines)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        names = self.names
        for line, cells in zip(self.lines, self.rows, strict=True):
            if len(cells) > len(names):
                # Extra cells: keep them visible to validation rather than dropping data.
                yield line, {"__extra__": str(len(cells) - len(names)),
                             **dict(zip(names, cells, strict=False))}
            else:
                yield line, dict(zip(names, cells, strict=False))

    def columns(self) -> dict[str, Sequence[str]] | None:
        """Each column's cells, trimmed (blank where a short row has none); None when some
        row has more cells than the header has columns (validation by row reports it)."""
        width = len(self.names)
        transposed: Sequence[Sequence[str]]
        if self._by_column is not None:
            transposed = self._by_column
        else:
            widths = set(map(len, self.rows))
            if widths and max(widths) > width:
                return None
            rows = self.rows
            if widths - {width}:
                rows = [cells + [""] * (width - len(cells)) for cells in rows]
            transposed = list(zip(*rows, strict=True)) if rows else [()] * width
        columns: dict[str, Sequence[str]] = {}
        for name in COLUMNS:
            if name not in self.names:
                columns[name] = [""] * len(self)
                continue
            cells = transposed[self.names.index(name)]
            if len(set(cells[:1000])) > 250:  # mostly distinct (references): trim each
                columns[name] = list(map(str.strip, cells))
                continue
            trimmed = {text: text.strip() for text in set(cells) if text != text.strip()}
            columns[name] = list(map(trimmed.get, cells, cells)) if trimmed else cells
        return columns


@cycle_collector_paused()
def read_csv(path: Path) -> Sheet:
    """The rows of the file, each with its starting line; UTF-8 with or without a BOM.

    Raises ImportRefused for a missing or unusable header.
    """
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        try:
            header = next(reader)
        except StopIteration:
            raise ImportRefused([RowFault(1, "header", "the file is empty; it needs a header "
                                                      f"row: {','.join(COLUMNS)}")]) from None
        names = [name.strip().lower() for name in header]
        faults = [RowFault(1, name or f"column {i + 1}",
                           f"unknown column; columns are: {', '.join(COLUMNS)}")
                  for i, name in enumerate(names) if name not in COLUMNS]
        faults += [RowFault(1, name, "column appears more than once")
                   for name in sorted({n for n in names if names.count(n) > 1 and n in COLUMNS})]
        faults += [RowFault(1, name, "required column is missing")
                   for name in REQUIRED if name not in names]
        if faults:
            raise ImportRefused(faults)
        first = reader.line_num + 1
        rest = handle.read()
        sheet = Sheet(names, nul="\x00" in rest)
    if '"' not in rest and _read_by_column(sheet, rest, first):
        return sheet
    if '"' not in rest:
        # Nothing quoted, so no line break inside a cell: each line is one row, and the
        # rows are read (and blank lines found) without a step per row in Python.
        reader = csv.reader(io.StringIO(rest, newline=""))
        sheet.rows = list(reader)
        sheet.lines = list(range(first, first + len(sheet.rows)))
        if all(map(str.strip, map("".join, sheet.rows))):
            return sheet
        kept = [(line, cells) for line, cells in zip(sheet.lines, sheet.rows, strict=True)
                if "".join(cells).strip()]
        sheet.lines, sheet.rows = [line for line, _ in kept], [cells for _, cells in kept]
        return sheet
    reader = csv.reader(io.StringIO(rest, newline=""))
    rows, lines = sheet.rows.append, sheet.lines.append
    line = first
    for cells in reader:
        if "".join(cells).strip():  # not a blank line (one join, not a scan per cell)
            rows(cells)
            lines(line)
        line = first + reader.line_num
    return sheet


def _read_by_column(sheet: Sheet, text: str, first: int) -> bool:
    """Read ``text`` (the lines after the header, nothing quoted) straight into columns, when
    every line has exactly the header's cells and a reference: then the whole text splits
    into its cells at once and each column is a slice of them. False, reading nothing, for
    anything else (a short, long or blank row, a lone carriage return), which the csv
    reader reads row by row."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
        if "\r" in text:
            return False
    lines = text.split("\n")
    if lines[-1] == "":  # the last line's line break
        lines.pop()
    width = len(sheet.names)
    if not lines or set(map(str.count, lines, repeat(","))) != {width - 1}:
        return False
    cells = ",".join(lines).split(",")
    by_column = [cells[column::width] for column in range(width)]
    if not all(map(str.strip, by_column[sheet.names.index("reference")])):
        return False  # maybe a blank row: the csv reader's path leaves those out
    sheet.read_by_column(by_column)
    sheet.lines = list(range(first, first + len(lines)))
    return True


class _Validator:
    """Checks rows one by one, collecting every fault rather than stopping at the first."""

    def __init__(self, session: Session, catalogue: Catalogue, zone: ZoneInfo) -> None:
        self.session = session
        self.today = clock.today(zone)
        self.units: dict[str, int] = {code: unit_id for code, unit_id in
                                      session.execute(select(Unit.code, Unit.id))}
        self.levels = {kind: catalogue.pathway_for(kind).states for kind in MEMBER_KINDS}
        self.initial = {kind: catalogue.pathway_for(kind).initial for kind in MEMBER_KINDS}
        self.exit_reasons = {kind: catalogue.pathway_for(kind).exit_reasons
                             for kind in MEMBER_KINDS}
        self.seen: dict[str, int] = {}
        self.faults: list[RowFault] = []
        # A file holds few distinct dates and states: each is parsed or joined once.
        self.days: dict[str, date | None] = {}
        self.states: dict[tuple[str, str, str], str] = {}

    def day(self, text: str) -> date | None:
        """``text`` as a date, None when it is not one (YYYY-MM-DD)."""
        if text not in self.days:
            try:
                self.days[text] = date.fromisoformat(text)
            except ValueError:
                self.days[text] = None
        return self.days[text]

    def fault(self, line: int, column: str, message: str) -> None:
        self.faults.append(RowFault(line, column, message))

    def row(self, line: int, cells: dict[str, str]) -> MemberRow | None:
        before = len(self.faults)
        if "__extra__" in cells:
            self.fault(line, "row", f"{cells['__extra__']} more cell(s) than the header has columns")
        given = cells.get
        values = {name: (given(name) or "").strip() for name in COLUMNS}
        if "\x00" in "".join(values.values()):  # one scan per row, not one per field
            for name, value in values.items():
                if "\x00" in value:
                    self.fault(line, name, "contains a NUL character")
        for name, limit in MAX_LENGTH.items():
            if len(values[name]) > limit and "\x00" not in values[name]:
                self.fault(line, name, f"is longer than {limit} characters")

        reference, problem = normalised_reference(values["reference"])
        if not values["reference"]:
            self.fault(line, "reference", "is required")
        elif problem is not None:
            self.fault(line, "reference", problem)
        elif reference in self.seen:
            self.fault(line, "reference", f"duplicate reference {reference!r} (also on line "
                                          f"{self.seen[reference]})")
        else:
            self.seen[reference] = line

        kind = values["kind"]
        if kind not in MEMBER_KINDS:
            self.fault(line, "kind", f"unknown kind {kind!r}; kinds are: {', '.join(MEMBER_KINDS)}"
                       if kind else "is required")
        unit_id = self.units.get(values["unit"])
        if unit_id is None:
            self.fault(line, "unit", f"unknown unit {values['unit']!r}" if values["unit"]
                       else "is required")

        joined_on = self.today
        if values["joined_on"]:
            parsed = self.day(values["joined_on"])
            if parsed is None:
                self.fault(line, "joined_on", f"{values['joined_on']!r} is not a date "
                                              "(YYYY-MM-DD)")
            else:
                joined_on = parsed
                if joined_on > self.today:
                    self.fault(line, "joined_on", f"{joined_on.isoformat()} is in the future")

        state = self.initial.get(kind, "")
        level, status = values["level"], values["status"]
        if level and kind in self.levels and level not in self.levels[kind]:
            self.fault(line, "level", f"unknown level {level!r}; levels are: "
                                      f"{', '.join(self.levels[kind])}")
        if status and status not in PATHWAY_STATUSES:
            self.fault(line, "status", f"unknown status {status!r}; statuses are: "
                                       f"{', '.join(PATHWAY_STATUSES)}")
        if level or status:
            key = (state, level, status)
            if key not in self.states:
                self.states[key] = join_state(level or state, status or ACTIVE)
            state = self.states[key]
        exit_reason, exited_on = self.leaving(line, values, kind, joined_on)

        if len(self.faults) > before or unit_id is None:
            return None
        return MemberRow(line, reference, kind, unit_id, values["display_name"] or None,
                         joined_on, state, exit_reason, exited_on)

    def leaving(self, line: int, values: dict[str, str], kind: str,
                joined_on: date) -> tuple[str | None, date | None]:
        """A leaver's reason (required) and day (default: the day they joined)."""
        if values["status"] != EXITED:
            for name in LEAVING:
                if values[name]:
                    self.fault(line, name, f"only for a member who has left (status "
                                           f"{EXITED})")
            return None, None
        reasons = self.exit_reasons.get(kind, ())
        reason = values["exit_reason"]
        if not reason:
            self.fault(line, "exit_reason", "is required for a member who has left; reasons "
                                            f"are: {', '.join(reasons)}")
        elif kind in self.exit_reasons and reason not in reasons:
            self.fault(line, "exit_reason", f"unknown exit reason {reason!r}; reasons are: "
                                            f"{', '.join(reasons)}")
        exited_on = joined_on
        if values["exited_on"]:
            parsed = self.day(values["exited_on"])
            if parsed is None:
                self.fault(line, "exited_on", f"{values['exited_on']!r} is not a date "
                                              "(YYYY-MM-DD)")
            else:
                exited_on = parsed
                if exited_on > self.today:
                    self.fault(line, "exited_on", f"{exited_on.isoformat()} is in the future")
                elif exited_on < joined_on:
                    self.fault(line, "exited_on", f"{exited_on.isoformat()} is before the "
                                                  f"member joined ({joined_on.isoformat()})")
        return reason or None, exited_on

    def already_registered(self, rows: Members) -> None:
        """References that exist in the database already (looked up in chunks)."""
        if not rows or self.session.scalar(select(Member.id).limit(1)) is None:
            return  # no members yet: nothing to look up
        for start in range(0, len(rows), LOOKUP_CHUNK):
            part = slice(start, start + LOOKUP_CHUNK)
            lines = dict(zip(rows.references[part], rows.lines[part], strict=True))
            taken = self.session.scalars(select(Member.reference)
                                          .where(Member.reference.in_(list(lines))))
            for reference in taken:
                self.fault(lines[reference], "reference",
                           f"a member with reference {reference!r} already exists")

    def by_column(self, sheet: Sheet) -> Members | None:
        """Every row, when every row is valid, checked column by column: each column's
        distinct values once (a file has few kinds, units, levels, statuses or dates).

        None when anything may be wrong: then ``row`` checks each row to name every fault,
        so what is reported does not depend on which way the rows were checked.
        """
        columns = sheet.columns()
        if columns is None or (sheet.nul and any("\x00" in "".join(cells)
                                                 for cells in columns.values())):
            return None
        if any(max(map(len, columns[name]), default=0) > limit
               for name, limit in MAX_LENGTH.items()):
            return None
        references = self._references(columns["reference"])
        kinds, units = columns["kind"], columns["unit"]
        if (references is None or not set(kinds) <= set(MEMBER_KINDS)
                or not set(units) <= self.units.keys()):
            return None
        # One string per kind rather than one per line: every later lookup by kind (the
        # writers', the ledger's count) then finds it by identity, about twice as fast.
        kinds = list(map(dict(zip(MEMBER_KINDS, MEMBER_KINDS, strict=True)).__getitem__, kinds))
        days = self._days(columns["joined_on"])
        states = self._states(kinds, columns["level"], columns["status"])
        if days is None or states is None or not self._leaving(columns, days):
            return None

        statuses, exited_on = columns["status"], columns["exited_on"]
        joined = list(map(days.__getitem__, columns["joined_on"]))
        left: list[date | None] = [None] * len(joined)
        # A leaver's day: given, or the day they joined.
        for i in compress(range(len(joined)), map(EXITED.__eq__, statuses)):
            left[i] = self.days[exited_on[i]] if exited_on[i] else joined[i]
        return Members(sheet.lines, references, kinds, list(map(self.units.__getitem__, units)),
                       [name or None for name in columns["display_name"]], joined,
                       list(map(states.__getitem__, zip(kinds, columns["level"], statuses,
                                                        strict=True))),
                       [reason or None for reason in columns["exit_reason"]], left)

    def _references(self, given: Sequence[str]) -> Sequence[str] | None:
        """The references as stored, when every one may be used and none is repeated."""
        if not all(given):
            return None
        everything = "".join(given)
        if everything.isascii() and everything.isprintable():
            references = given  # already trimmed, and NFC leaves printable ASCII as it is
        else:
            references = []
            for raw in given:
                reference, problem = normalised_reference(raw)
                if problem is not None:
                    return None
                references.append(reference)
        return references if len(set(references)) == len(references) else None

    def _days(self, given: Sequence[str]) -> dict[str, date] | None:
        """Each distinct ``joined_on`` as a day (blank: today), when none is wrong."""
        days = {}
        for text in set(given):
            day = self.day(text) if text else self.today
            if day is None or day > self.today:
                return None
            days[text] = day
        return days

    def _states(self, kinds: Sequence[str], levels: Sequence[str],
                statuses: Sequence[str]) -> dict[tuple[str, str, str], str] | None:
        """The state of each distinct kind, level and status, when all are known."""
        states = {}
        for kind, level, status in set(zip(kinds, levels, statuses, strict=True)):
            if (level and level not in self.levels[kind]) or (
                    status and status not in PATHWAY_STATUSES):
                return None
            state = self.initial[kind]
            states[kind, level, status] = (join_state(level or state, status or ACTIVE)
                                           if level or status else state)
        return states

    def _leaving(self, columns: dict[str, Sequence[str]], joined: dict[str, date]) -> bool:
        """Whether every leaver has a known reason and a sensible day, and nobody else
        has either."""
        kinds, statuses = columns["kind"], columns["status"]
        reasons, exited_on = columns["exit_reason"], columns["exited_on"]
        for kind, status, reason, day in set(zip(kinds, statuses, reasons, exited_on,
                                                 strict=True)):
            if status != EXITED:
                if reason or day:
                    return False
            elif (not reason or reason not in self.exit_reasons[kind]
                  or (day and ((parsed := self.day(day)) is None or parsed > self.today))):
                return False
        if any(exited_on):
            for day, on in set(zip(exited_on, columns["joined_on"], strict=True)):
                if day and self.days[day] < joined[on]:  # type: ignore[operator]
                    return False
        return True


@cycle_collector_paused()
def validate(session: Session, catalogue: Catalogue, zone: ZoneInfo,
             rows: Iterable[tuple[int, dict[str, str]]]) -> Members:
    """Every row checked; ImportRefused listing every fault (by line and field) if any."""
    validator = _Validator(session, catalogue, zone)
    valid = validator.by_column(rows) if isinstance(rows, Sheet) else None
    if valid is None:
        valid = Members.of(member for line, cells in rows
                           if (member := validator.row(line, cells)))
    validator.already_registered(valid)
    if validator.faults:
        raise ImportRefused(sorted(validator.faults, key=lambda f: f.line))
    return valid


@cycle_collector_paused()
def write(session: Session, catalogue: Catalogue, actor: Actor, zone: ZoneInfo,
          rows: Sequence[MemberRow],
          progress: Callable[[int], None] | None = None) -> ImportResult:
    """Insert members, their pathway instances, events and ledger rows in bulk (not committed).

    Each member gets exactly what ``engine.register`` gives one: an instance at version 1 in
    its starting state, entered at the start of ``joined_on``, and one event from nothing. A
    leaver's instance is then at version 2, exited at the start of ``exited_on``, with the
    ``exit`` event that took it there.
    """
    members = rows if isinstance(rows, Members) else Members.of(rows)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        # Imported here: that module builds on this one's rows and results.
        from pathway.ops import importer_postgres

        return importer_postgres.write(session, catalogue, actor, zone, members, progress)
    return _write_sqlite(connection, catalogue, actor, zone, members, progress)


# SQLite: the rows go straight in from columns, ``ROWS_PER_STATEMENT`` to a statement
# (``_Insert``), as the driver's own values, converted once per distinct value. Member and
# instance ids are given, not read back: the writing transaction (``BEGIN IMMEDIATE``) holds
# the database from its first statement, so nothing else can take the next ones meanwhile.
BULK_TABLES = (Member.__tablename__, Instance.__tablename__, Event.__tablename__,
               ledger.CHANGES.name)
ROWS_PER_STATEMENT = 50
# Pages the import's connection may keep in memory (KiB): the rows of an import and their
# indexes, rather than spilling half-built pages to the log and reading them back.
IMPORT_CACHE_KIB = 512 * 1024


def _write_sqlite(connection: Connection, catalogue: Catalogue, actor: Actor, zone: ZoneInfo,
                  rows: Members,
                  progress: Callable[[int], None] | None) -> ImportResult:
    result = ImportResult()
    if not rows:
        return result
    tables = Base.metadata.tables
    members, instances, events = (tables[Member.__tablename__], tables[Instance.__tablename__],
                                  tables[Event.__tablename__])
    dialect = connection.dialect
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def stored(column: Column[Any], values: Iterable[Any]) -> dict[Any, Any]:
        """The driver's value (dates as text on SQLite) of each distinct value."""
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        return {value: value if process is None else process(value) for value in values}

    _, references, kinds, unit_ids, names, joined, states, reasons, left = rows.columns()
    n = len(rows)
    # Per distinct state: its level and status, and what the member arrived as.
    arrived = {state: arrived_state(state) for state in set(states)}
    level_of = {state: split_state(state) for state in {*states, *arrived.values()}}
    definitions = {kind: catalogue.pathway_for(kind) for kind in set(kinds)}
    workflow = {kind: definition.name for kind, definition in definitions.items()}
    version = {kind: definition.version for kind, definition in definitions.items()}
    leavers = [index for index, day in enumerate(left) if day is not None]

    first_member, first_instance = (
        (connection.scalar(select(func.max(table.c.id))) or 0) + 1
        for table in (members, instances))
    previous_cache = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    cursor.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
    # Into empty tables the secondary indexes are built once, after the rows are in, rather
    # than row by row (most are not in the rows' order). Same transaction: DDL in SQLite is
    # transactional, so a failed import leaves them as they were.
    rebuilt = _drop_indexes(connection)

    now = clock.now()
    at = stored(events.c.at, [now])[now]
    days = {*joined, *(left[index] for index in leavers)}
    day_text = stored(members.c.joined_on, days)
    moments = {day: clock.start_of(day, zone) for day in days}
    moment_text = stored(events.c.effective_at, moments.values())
    start_of = {day: moment_text[moment] for day, moment in moments.items()}
    member_ids = range(first_member, first_member + n)
    instance_ids = range(first_instance, first_instance + n)
    joined_text = list(map(day_text.__getitem__, joined))
    effective = list(map(start_of.__getitem__, joined))
    entered_at = list(effective)
    versions = [1] * n
    for index in leavers:
        entered_at[index] = start_of[left[index]]
        versions[index] = 2
    arrivals = list(map(arrived.__getitem__, states))
    levels, statuses = zip(*map(level_of.__getitem__, states), strict=True)
    workflows = list(map(workflow.__getitem__, kinds))
    definition_versions = list(map(version.__getitem__, kinds))

    add_member = _Insert(dialect, members, {
        "id": ..., "reference": ..., "kind": ..., "unit_id": ..., "display_name": ...,
        "joined_on": ..., "created_at": at})
    add_instance = _Insert(dialect, instances, {
        "id": ..., "member_id": ..., "machine": PATHWAY, "workflow": ..., "state": ...,
        "level": ..., "status": ..., "unit_id": ..., "kind": ..., "version": ...,
        "entered_at": ..., "definition_version": ...})

    def event(seq: int, trigger: str, **given: Any) -> _Insert:
        return _Insert(dialect, events, {
            "instance_id": ..., "member_id": ..., "seq": seq, "machine": PATHWAY,
            "trigger": trigger, "from_state": ..., "to_state": ..., "unit_id": ...,
            "actor": actor.name, "user_id": actor.user_id, "at": at, "effective_at": ...,
            "override": stored(events.c.override, [False])[False], "definition_version": ...,
            **given})
    add_register = event(1, REGISTER, from_state=None, exit_reason=None)
    add_exit = event(2, EXIT, exit_reason=...)
    for start in range(0, n, WRITE_CHUNK):
        end = min(start + WRITE_CHUNK, n)
        part = slice(start, end)
        add_member.run(cursor, member_ids[part], references[part], kinds[part], unit_ids[part],
                       names[part], joined_text[part])
        add_instance.run(cursor, instance_ids[part], member_ids[part], workflows[part],
                         states[part], levels[part], statuses[part], unit_ids[part],
                         kinds[part], versions[part], entered_at[part],
                         definition_versions[part])
        add_register.run(cursor, instance_ids[part], member_ids[part], arrivals[part],
                         unit_ids[part], effective[part], definition_versions[part])
        leaving = leavers[bisect_left(leavers, start):bisect_left(leavers, end)]
        add_exit.run(cursor, *([column[index] for index in leaving] for column in (
            instance_ids, member_ids, arrivals, states, unit_ids, entered_at,
            definition_versions, reasons)))
        done = kinds[part]
        for kind in set(done):
            result.by_kind[kind] = result.by_kind.get(kind, 0) + done.count(kind)
        result.members += end - start
        if progress is not None:
            progress(end - start)

    # The distribution ledger: one row per day and group with a net change. Counted on a
    # second thread while SQLite builds the other tables' indexes: building one is a single
    # step of the statement, which lets go of the interpreter, so the two share the cores.
    ledger_indexes = [dropped for dropped in rebuilt if dropped.table is ledger.CHANGES]
    with ThreadPoolExecutor(max_workers=1) as counter:
        counting = counter.submit(ledger_changes, rows)
        for dropped in rebuilt:
            if dropped.table is not ledger.CHANGES:
                dropped.create(connection)
        changes = counting.result()
    days_changed, *groups = zip(*changes, strict=True)
    _Insert(dialect, ledger.CHANGES, dict.fromkeys(["day", *ledger.GROUP, "delta"], ...)).run(
        cursor, list(map(day_text.__getitem__, days_changed)), *groups, list(changes.values()))
    for dropped in ledger_indexes:
        dropped.create(connection)
    cursor.execute(f"PRAGMA cache_size = {int(previous_cache or 0)}")
    return result


class _Insert:
    """An INSERT of many rows into one table on SQLite, given column by column.

    ``values`` maps each column to ``...`` (bound per row) or to a value the same for every
    row, written into the statement as a literal: the import's own constants and its actor's
    name, never a cell of the file. The rows go in ``ROWS_PER_STATEMENT`` at a time as one
    multi-row ``VALUES``: a step of the statement per block rather than per row, which
    measured 1.8x faster than ``executemany`` of one row per step for the same rows.
    """

    def __init__(self, dialect: Dialect, table: Table, values: dict[str, Any]) -> None:
        quote = dialect.identifier_preparer.quote
        self.head = (f"INSERT INTO {table.name} "  # noqa: S608 (names and literals are ours)
                     f"({', '.join(quote(name) for name in values)}) VALUES ")
        self.row = "(" + ", ".join(
            "?" if value is ... else "NULL" if value is None else
            str(int(value)) if isinstance(value, int) else
            "'" + str(value).replace("'", "''") + "'"
            for value in values.values()) + ")"
        self.width = sum(value is ... for value in values.values())

    def statement(self, rows: int) -> str:
        return self.head + ", ".join([self.row] * rows)

    def run(self, cursor: sqlite3.Cursor, *columns: Sequence[Any]) -> None:
        """Insert the rows whose values (one column per ``...``, in order) are ``columns``."""
        width, n = self.width, len(columns[0])
        values: list[Any] = [None] * (n * width)
        for offset, column in enumerate(columns):
            values[offset::width] = column  # the rows' values one after another, in C
        block = ROWS_PER_STATEMENT * width
        whole = n // ROWS_PER_STATEMENT * block
        if whole:
            cursor.executemany(self.statement(ROWS_PER_STATEMENT),
                               (values[at:at + block] for at in range(0, whole, block)))
        if whole < len(values):
            cursor.execute(self.statement((len(values) - whole) // width), values[whole:])


def _drop_indexes(connection: Connection) -> list[Index]:
    """Drop the secondary indexes of the empty tables an import writes, to build them once
    after the load. Only an index defined as the schema defines it (a changed one stays) and
    without planner statistics (``ANALYZE``'s, which dropping it would lose)."""
    stored: dict[str, str] = dict(connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").all())
    analysed: set[str] = set()
    if connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        analysed = {name for (name,) in connection.exec_driver_sql(
            "SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL")}
    quote = connection.dialect.identifier_preparer.quote
    dropped = []
    for name in BULK_TABLES:
        table = Base.metadata.tables[name]
        if connection.execute(select(literal(1)).select_from(table).limit(1)).first():
            continue
        for index in sorted(table.indexes, key=lambda i: str(i.name)):
            ddl = str(CreateIndex(index).compile(dialect=connection.dialect))
            if (not index.unique and index.name in stored and index.name not in analysed
                    and " ".join(ddl.split()) == " ".join(stored[index.name].split())):
                connection.exec_driver_sql(f"DROP INDEX {quote(str(index.name))}")
                dropped.append(index)
    return dropped
