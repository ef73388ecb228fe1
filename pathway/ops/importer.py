"""Bulk import of members from a spreadsheet export (CSV), all or nothing.

Every row is validated before anything is written, and every bad row is reported with its
line and field, so a file is fixed in one pass. The writes are what ``engine.register`` does
for one member (member, pathway instance, one ``register`` event), done as bulk Core inserts
in the caller's single transaction: per-row ORM flushes are two orders of magnitude slower.

A leaver (``status`` exited) is imported with what ``engine.fire`` would have recorded for
their exit: a ``register`` event at their level on ``joined_on``, then an ``exit`` event with
its ``exit_reason`` (required, one of the pathway's exit reasons) on ``exited_on`` (default:
``joined_on``), so attrition counts them as the distribution does.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import PATHWAY, Actor
from pathway.people.references import normalised_reference
from pathway.reports.vocabulary import EXIT, REGISTER
from pathway.store import ledger
from pathway.store.models import Base, Event, Instance, Member, Unit
from workflows.machine import EXITED, join_state, split_state
from workflows.schema import MEMBER_KINDS, PATHWAY_STATUSES, Catalogue

COLUMNS = ("reference", "kind", "unit", "display_name", "joined_on", "level", "status",
           "exit_reason", "exited_on")
LEAVING = ("exit_reason", "exited_on")  # only for rows with status exited
REQUIRED = ("reference", "kind", "unit")
# Column widths in the schema: PostgreSQL refuses longer text, so say so per row first.
MAX_LENGTH = {"reference": 64, "display_name": 200}
LOOKUP_CHUNK = 500
WRITE_CHUNK = 5_000


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


@dataclass(frozen=True)
class MemberRow:
    """One valid row, ready to write."""

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
        """The state registered on ``joined_on``: a leaver was active at their level first."""
        level, status = split_state(self.state)
        return join_state(level, "active") if status == EXITED else self.state


@dataclass
class ImportResult:
    members: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def read_csv(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of the file as (line number, {column: text}); UTF-8 with or without a BOM.

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
        line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):
                if len(cells) > len(names):
                    # Extra cells: keep them visible to validation rather than dropping data.
                    yield line, {"__extra__": str(len(cells) - len(names)),
                                 **dict(zip(names, cells, strict=False))}
                else:
                    yield line, dict(zip(names, cells, strict=False))
            line = reader.line_num + 1


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

    def fault(self, line: int, column: str, message: str) -> None:
        self.faults.append(RowFault(line, column, message))

    def row(self, line: int, cells: dict[str, str]) -> MemberRow | None:
        before = len(self.faults)
        if "__extra__" in cells:
            self.fault(line, "row", f"{cells['__extra__']} more cell(s) than the header has columns")
        values = {name: (cells.get(name) or "").strip() for name in COLUMNS}
        for name, value in values.items():
            if "\x00" in value:
                self.fault(line, name, "contains a NUL character")
            elif name in MAX_LENGTH and len(value) > MAX_LENGTH[name]:
                self.fault(line, name, f"is longer than {MAX_LENGTH[name]} characters")

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
            try:
                joined_on = date.fromisoformat(values["joined_on"])
            except ValueError:
                self.fault(line, "joined_on", f"{values['joined_on']!r} is not a date "
                                              "(YYYY-MM-DD)")
            else:
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
            state = join_state(level or state, status or "active")
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
            try:
                exited_on = date.fromisoformat(values["exited_on"])
            except ValueError:
                self.fault(line, "exited_on", f"{values['exited_on']!r} is not a date "
                                              "(YYYY-MM-DD)")
            else:
                if exited_on > self.today:
                    self.fault(line, "exited_on", f"{exited_on.isoformat()} is in the future")
                elif exited_on < joined_on:
                    self.fault(line, "exited_on", f"{exited_on.isoformat()} is before the "
                                                  f"member joined ({joined_on.isoformat()})")
        return reason or None, exited_on

    def already_registered(self, rows: list[MemberRow]) -> None:
        """References that exist in the database already (looked up in chunks)."""
        for start in range(0, len(rows), LOOKUP_CHUNK):
            chunk = rows[start:start + LOOKUP_CHUNK]
            lines = {row.reference: row.line for row in chunk}
            taken = self.session.scalars(select(Member.reference)
                                          .where(Member.reference.in_(list(lines))))
            for reference in taken:
                self.fault(lines[reference], "reference",
                           f"a member with reference {reference!r} already exists")


def validate(session: Session, catalogue: Catalogue, zone: ZoneInfo,
             rows: Iterable[tuple[int, dict[str, str]]]) -> list[MemberRow]:
    """Every row checked; ImportRefused listing every fault (by line and field) if any."""
    validator = _Validator(session, catalogue, zone)
    valid = [member for line, cells in rows if (member := validator.row(line, cells))]
    validator.already_registered(valid)
    if validator.faults:
        raise ImportRefused(sorted(validator.faults, key=lambda f: f.line))
    return valid


def write(session: Session, catalogue: Catalogue, actor: Actor, zone: ZoneInfo,
          rows: list[MemberRow],
          progress: Callable[[int], None] | None = None) -> ImportResult:
    """Insert members, their pathway instances and events in bulk (not committed).

    Each member gets exactly what ``engine.register`` gives one: an instance at version 1 in
    its starting state, entered at the start of ``joined_on``, and one event from nothing. A
    leaver's instance is then at version 2, exited at the start of ``exited_on``, with the
    ``exit`` event that took it there.
    """
    connection = session.connection()
    # The tables as Table (``Member.__table__`` is only a FromClause to the type checker).
    tables = Base.metadata.tables
    members, instances, events = (tables[Member.__tablename__], tables[Instance.__tablename__],
                                  tables[Event.__tablename__])
    definitions = {kind: catalogue.pathway_for(kind) for kind in MEMBER_KINDS}
    now = clock.now()
    result = ImportResult()
    for start in range(0, len(rows), WRITE_CHUNK):
        chunk = rows[start:start + WRITE_CHUNK]
        # Plain executemany, then the new ids read back by their unique keys: RETURNING in
        # parameter order degrades to one statement per row on SQLite.
        connection.execute(insert(members), [
            {"reference": r.reference, "kind": r.kind, "unit_id": r.unit_id,
             "display_name": r.display_name, "joined_on": r.joined_on, "created_at": now}
            for r in chunk])
        member_ids = dict(connection.execute(
            select(members.c.reference, members.c.id)
            .where(members.c.reference.in_([r.reference for r in chunk]))).all())
        starts = []
        for row in chunk:
            level, status = split_state(row.state)
            definition = definitions[row.kind]
            left = row.exited_on is not None
            starts.append({"member_id": member_ids[row.reference], "machine": PATHWAY,
                           "workflow": definition.name, "state": row.state, "level": level,
                           "status": status, "unit_id": row.unit_id, "kind": row.kind,
                           "version": 2 if left else 1,
                           "entered_at": clock.start_of(row.exited_on or row.joined_on, zone),
                           "definition_version": definition.version})
        connection.execute(insert(instances), starts)
        instance_ids = dict(connection.execute(
            select(instances.c.member_id, instances.c.id)
            .where(instances.c.machine == PATHWAY,
                   instances.c.member_id.in_(list(member_ids.values())))).all())
        connection.execute(insert(events), [
            event for row, values in zip(chunk, starts, strict=True)
            for event in _events(row, values, instance_ids[values["member_id"]], actor, now,
                                 zone)])
        ledger.record_changes(connection, _ledger_changes(chunk))
        for row in chunk:
            result.by_kind[row.kind] = result.by_kind.get(row.kind, 0) + 1
        result.members += len(chunk)
        if progress is not None:
            progress(len(chunk))
    return result


def _ledger_changes(chunk: list[MemberRow]) -> Iterator[tuple[date, ledger.Group, int]]:
    """What the register (and a leaver's exit) events add to the distribution ledger."""
    for row in chunk:
        arrived = ledger.group_of(row.unit_id, row.kind, row.arrived)
        yield row.joined_on, arrived, 1
        if row.exited_on is not None:
            yield row.exited_on, arrived, -1
            yield row.exited_on, ledger.group_of(row.unit_id, row.kind, row.state), 1


def _events(row: MemberRow, values: dict[str, Any], instance_id: int, actor: Actor,
            now: datetime, zone: ZoneInfo) -> list[dict[str, Any]]:
    """The register event, and for a leaver the exit event after it."""
    common = {"instance_id": instance_id, "member_id": values["member_id"], "machine": PATHWAY,
              "unit_id": row.unit_id, "actor": actor.name, "user_id": actor.user_id, "at": now,
              "override": False, "definition_version": values["definition_version"]}
    events = [{**common, "seq": 1, "trigger": REGISTER, "from_state": None,
               "to_state": row.arrived, "effective_at": clock.start_of(row.joined_on, zone),
               "exit_reason": None}]
    if row.exited_on is not None:
        events.append({**common, "seq": 2, "trigger": EXIT, "from_state": row.arrived,
                       "to_state": row.state, "effective_at": values["entered_at"],
                       "exit_reason": row.exit_reason})
    return events
