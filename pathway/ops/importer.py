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
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Executable,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    union_all,
)
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
            if "".join(cells).strip():  # not a blank line (one join, not a scan per cell)
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
                self.states[key] = join_state(level or state, status or "active")
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


# One chunk of valid rows at a time, in the columns the inserts below read: the database
# then expands it into members, instances, events and ledger rows (``INSERT ... SELECT``), so
# Python builds one plain tuple per row instead of a parameter dict per row and table.
STAGING = Table(
    "import_staging", MetaData(),
    Column("line", Integer, primary_key=True), Column("reference", String(64)),
    Column("kind", String(32)), Column("unit_id", Integer), Column("display_name", String(200)),
    Column("joined_on", Date), Column("joined_at", DateTime(timezone=True)),
    Column("workflow", String(96)), Column("definition_version", Integer),
    Column("arrived", String(64)), Column("arrived_level", String(32)),
    Column("arrived_status", String(16)), Column("state", String(64)),
    Column("level", String(32)), Column("status", String(16)), Column("version", Integer),
    Column("entered_at", DateTime(timezone=True)), Column("exit_reason", String(64)),
    Column("exited_on", Date),
    prefixes=["TEMPORARY"])


def write(session: Session, catalogue: Catalogue, actor: Actor, zone: ZoneInfo,
          rows: list[MemberRow],
          progress: Callable[[int], None] | None = None) -> ImportResult:
    """Insert members, their pathway instances, events and ledger rows in bulk (not committed).

    Each member gets exactly what ``engine.register`` gives one: an instance at version 1 in
    its starting state, entered at the start of ``joined_on``, and one event from nothing. A
    leaver's instance is then at version 2, exited at the start of ``exited_on``, with the
    ``exit`` event that took it there.
    """
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        from pathway.ops import importer_postgres

        return importer_postgres.write(session, catalogue, actor, zone, rows, progress)
    definitions = {kind: catalogue.pathway_for(kind) for kind in MEMBER_KINDS}
    starts: dict[date, datetime] = {}

    def start_of(day: date) -> datetime:
        if day not in starts:
            starts[day] = clock.start_of(day, zone)
        return starts[day]

    states: dict[tuple[str, str], tuple[str, str, str, str, str, str]] = {}

    def split(state: str, arrived: str) -> tuple[str, str, str, str, str, str]:
        """The staged arrived, arrived_level, arrived_status, state, level and status."""
        if (state, arrived) not in states:
            states[state, arrived] = (arrived, *split_state(arrived), state,
                                      *split_state(state))
        return states[state, arrived]

    STAGING.create(connection)
    expand = _expansion(connection, actor, clock.now())
    result = ImportResult()
    for start in range(0, len(rows), WRITE_CHUNK):
        chunk = rows[start:start + WRITE_CHUNK]
        staged = []
        for r in chunk:
            definition = definitions[r.kind]
            staged.append((
                r.line, r.reference, r.kind, r.unit_id, r.display_name, r.joined_on,
                start_of(r.joined_on), definition.name, definition.version,
                *split(r.state, r.arrived), 1 if r.exited_on is None else 2,
                start_of(r.exited_on or r.joined_on), r.exit_reason, r.exited_on))
        _stage(connection, staged)
        for statement in expand:
            connection.execute(statement)
        connection.execute(delete(STAGING))
        for row in chunk:
            result.by_kind[row.kind] = result.by_kind.get(row.kind, 0) + 1
        result.members += len(chunk)
        if progress is not None:
            progress(len(chunk))
    STAGING.drop(connection)
    return result


def _stage(connection: Connection, staged: list[tuple[Any, ...]]) -> None:
    """One chunk into the staging table by one executemany (PostgreSQL: importer_postgres)."""
    names = ", ".join(column.name for column in STAGING.columns)
    # The driver's own values (dates as text on SQLite), converted once per distinct value.
    dialect = connection.dialect
    converters: list[tuple[int, Callable[[Any], Any], dict[Any, Any]]] = []
    for index, column in enumerate(STAGING.columns):
        processor = column.type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            converters.append((index, processor, {}))
    if converters:
        converted = []
        for values in staged:
            row = list(values)
            for index, convert, seen in converters:
                value = row[index]
                if value not in seen:
                    seen[value] = convert(value)
                row[index] = seen[value]
            converted.append(tuple(row))
        staged = converted
    marks = ", ".join("?" if dialect.paramstyle == "qmark" else "%s" for _ in STAGING.columns)
    connection.exec_driver_sql(
        f"INSERT INTO {STAGING.name} ({names}) VALUES ({marks})",  # noqa: S608 (our columns)
        staged)


def _expansion(connection: Connection, actor: Actor, now: datetime) -> list[Executable]:
    """The statements that turn the staged rows into what ``engine.register`` (and, for a
    leaver, ``engine.fire`` of ``exit``) would have written."""
    tables = Base.metadata.tables
    members, instances, events = (tables[Member.__tablename__], tables[Instance.__tablename__],
                                  tables[Event.__tablename__])
    s = STAGING.c
    at = literal(now, DateTime(timezone=True))
    add_members = insert(members).from_select(
        ["reference", "kind", "unit_id", "display_name", "joined_on", "created_at"],
        select(s.reference, s.kind, s.unit_id, s.display_name, s.joined_on, at)
        .order_by(s.line))
    member = members.join(STAGING, members.c.reference == s.reference)
    add_instances = insert(instances).from_select(
        ["member_id", "machine", "workflow", "state", "level", "status", "unit_id", "kind",
         "version", "entered_at", "definition_version"],
        select(members.c.id, literal(PATHWAY, String), s.workflow, s.state, s.level, s.status,
               s.unit_id, s.kind, s.version, s.entered_at, s.definition_version)
        .select_from(member).order_by(s.line))
    pathway = member.join(instances, (instances.c.member_id == members.c.id)
                          & (instances.c.machine == PATHWAY))
    event_columns = ["instance_id", "member_id", "seq", "machine", "trigger", "from_state",
                     "to_state", "unit_id", "actor", "user_id", "at", "effective_at",
                     "override", "definition_version", "exit_reason"]

    def event(seq: int, trigger: str, from_state: Any, to_state: Any, effective_at: Any,
              exit_reason: Any) -> Select[Any]:
        return (select(instances.c.id, members.c.id, literal(seq, Integer),
                       literal(PATHWAY, String), literal(trigger, String), from_state, to_state,
                       s.unit_id, literal(actor.name, String),
                       literal(actor.user_id, Integer), at, effective_at,
                       literal(False, Boolean), s.definition_version, exit_reason)
                .select_from(pathway).order_by(s.line))

    add_registers = insert(events).from_select(event_columns, event(
        1, REGISTER, null(), s.arrived, s.joined_at, null()))
    add_exits = insert(events).from_select(event_columns, event(
        2, EXIT, s.arrived, s.state, s.entered_at, s.exit_reason
    ).where(s.exited_on.is_not(None)))
    return [add_members, add_instances, add_registers, add_exits, _ledger_rows()]


def _ledger_rows() -> Executable:
    """What the register (and a leaver's exit) events add to the distribution ledger: one
    row per day and group with a net change, as ``ledger.record_changes`` writes them."""
    s = STAGING.c
    left = s.exited_on.is_not(None)
    moves = union_all(
        select(s.joined_on.label("day"), s.unit_id, s.kind, s.arrived_level.label("level"),
               s.arrived_status.label("status"), literal(1, Integer).label("delta")),
        select(s.exited_on, s.unit_id, s.kind, s.arrived_level, s.arrived_status,
               literal(-1, Integer)).where(left),
        select(s.exited_on, s.unit_id, s.kind, s.level, s.status, literal(1, Integer))
        .where(left)).subquery("moves")
    keys = [moves.c.day, *(moves.c[name] for name in ledger.GROUP)]
    return insert(ledger.CHANGES).from_select(
        ["day", *ledger.GROUP, "delta"],
        select(*keys, func.sum(moves.c.delta)).group_by(*keys)
        .having(func.sum(moves.c.delta) != 0))
