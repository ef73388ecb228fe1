"""The importer's PostgreSQL write path: the rows go in by ``COPY``, written as text blocks.

Into an empty database (the first import, the usual one for a million rows) the foreign
keys, unique constraints and secondary indexes of the members, instances and events tables
(and the primary keys of the last two) are dropped, the three tables filled by one streamed
``COPY`` each (ids taken from their sequences in one block, in line order), and everything
dropped is re-created from the catalogue's own definitions (``pg_get_indexdef``,
``pg_get_constraintdef``), as a restore does: each index built by one sort and each foreign
key checked by one join, instead of a foreign-key trigger and an index insertion per row
(which were most of the time). DDL is transactional: all of it is inside the caller's one
transaction, so a failure anywhere rolls the import back with the dropped constraints, and
the schema after is the schema before.

Into a database that has members, the rows go into a temporary staging table by one
``COPY``, ids drawn from the members' and instances' own sequences as they arrive, and a few
``INSERT ... SELECT`` statements over the whole file write the members, instances and events
with the keys and indexes in place.

Either way the rows are exactly what ``engine.register`` (and, for a leaver, ``engine.fire``
of ``exit``) would have written, and the ledger rows are summed per day and group in Python
from a count per (day, unit, kind and state).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import (
    BigInteger,
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
    case,
    func,
    insert,
    literal,
    null,
    select,
    text,
)
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import PATHWAY, Actor
from pathway.ops.importer import ImportResult, Members, arrived_state, ledger_changes
from pathway.reports.vocabulary import EXIT, REGISTER
from pathway.store import ledger
from pathway.store.models import Base, Event, Instance, Member
from workflows.machine import split_state
from workflows.schema import Catalogue

TABLES = Base.metadata.tables
MEMBERS = TABLES[Member.__tablename__]
INSTANCES = TABLES[Instance.__tablename__]
EVENTS = TABLES[Event.__tablename__]
# The tables an import fills row by row: their keys and indexes are rebuilt in bulk mode.
BULK_TABLES = (MEMBERS, INSTANCES, EVENTS)
# Tables whose primary key is rebuilt too: a key kept is one index insertion per row, at
# random for the instances (they go in grouped by the distribution's order, not by id). The
# members' key stays: the users' foreign key leans on it, and dropping that would lock the
# users table, which every signed-in request reads, for the whole import.
REKEYED_TABLES = (INSTANCES, EVENTS)
BLOCK = 50_000  # rows per COPY write (and per progress step)
# Bulk mode sorts each index once and checks each foreign key by one join: room for both
# (this transaction only).
MAINTENANCE_WORK_MEM = "512MB"
WORK_MEM = "256MB"
# COPY's text format: NULL is \N, and these four characters are escaped.
NULL = "\\N"
SPECIAL = re.compile(r"[\\\t\n\r]")
ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})

_temporary = MetaData()
# One row per line of the file. ``member_id`` and ``instance_id`` default to the next values
# of the members' and instances' own sequences (set when the table is created), drawn in
# line order as COPY reads the rows.
STAGING = Table(
    "import_staging", _temporary,
    Column("line", Integer, nullable=False), Column("member_id", BigInteger, nullable=False),
    Column("instance_id", BigInteger, nullable=False),
    Column("reference", String(64), nullable=False), Column("unit_id", Integer, nullable=False),
    Column("display_name", String(200)), Column("joined_on", Date, nullable=False),
    Column("shape", Integer, nullable=False), Column("exit_reason", String(64)),
    Column("exited_on", Date),
    prefixes=["TEMPORARY"])
# What each (kind, state) of the file stands for: a file holds a handful of them.
SHAPES = Table(
    "import_shapes", _temporary,
    Column("shape", Integer, primary_key=True), Column("kind", String(32), nullable=False),
    Column("workflow", String(96), nullable=False),
    Column("definition_version", Integer, nullable=False),
    Column("arrived", String(64), nullable=False), Column("state", String(64), nullable=False),
    Column("level", String(32)), Column("status", String(16)),
    prefixes=["TEMPORARY"])
# When each day of the file began in the service's zone (``clock.start_of``), once per day.
DAYS = Table(
    "import_days", _temporary,
    Column("day", Date, primary_key=True), Column("starts", DateTime(timezone=True),
                                                  nullable=False),
    prefixes=["TEMPORARY"])


def _text(value: str | None) -> str:
    """``value`` in COPY's text format."""
    if value is None:
        return NULL
    return value.translate(ESCAPES) if SPECIAL.search(value) else value


@dataclass(frozen=True)
class Definitions:
    """The loaded tables' keys, foreign keys, unique constraints and plain indexes as the
    catalogue prints them, to be put back exactly."""

    primary_keys: list[tuple[str, str, str]]  # (table, name, definition)
    foreign_keys: list[tuple[str, str, str]]
    uniques: list[tuple[str, str, str]]
    indexes: list[tuple[str, str]]  # (name, CREATE INDEX statement)


class Shapes:
    """What each (kind, state) of the file stands for; a file holds a handful of them, so
    each is worked out once rather than once per row."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.numbers: dict[tuple[str, str], int] = {}
        self.rows: list[dict[str, Any]] = []

    def number(self, kind: str, state: str) -> int:
        number = self.numbers.get((kind, state))
        if number is None:
            definition = self.catalogue.pathway_for(kind)
            level, status = split_state(state)
            number = self.numbers[kind, state] = len(self.rows)
            self.rows.append({"shape": number, "kind": kind, "workflow": definition.name,
                              "definition_version": definition.version,
                              "arrived": arrived_state(state), "state": state, "level": level,
                              "status": status})
        return number


class Days:
    """Each day of the file as COPY text, and the moment it began in the service's zone
    (``clock.start_of``, as ``engine.register`` stamps a day given without a time)."""

    def __init__(self, zone: ZoneInfo, rows: Members) -> None:
        self.zone = zone
        self.days = {*rows.joined_on} | {day for day in set(rows.exited_on) if day is not None}

    def texts(self) -> tuple[dict[date, str], dict[date, str]]:
        """{day: 'YYYY-MM-DD'} and {day: its first moment, ISO 8601 with a space, which
        PostgreSQL reads a little faster than with a 'T'}."""
        return ({day: day.isoformat() for day in self.days},
                {day: clock.start_of(day, self.zone).isoformat(" ") for day in self.days})


def write(session: Session, catalogue: Catalogue, actor: Actor, zone: ZoneInfo,
          rows: Members,
          progress: Callable[[int], None] | None = None) -> ImportResult:
    """``importer.write`` on PostgreSQL: the same rows written, in the caller's transaction."""
    if not rows:
        return ImportResult()
    connection = session.connection()
    now = clock.now()
    shapes, days = Shapes(catalogue), Days(zone, rows)
    pairs = list(zip(rows.kinds, rows.states, strict=True))
    numbered = {pair: shapes.number(*pair) for pair in sorted(set(pairs))}
    by_shape = list(map(numbered.__getitem__, pairs))
    changes: list[str] = []

    def count_changes() -> None:
        changes.extend(_ledger_lines(rows))

    bulk = _members_empty(connection)
    if bulk:
        saved = _drop_for_load(connection)
        _copy_all(connection, shapes, by_shape, days, actor, now, rows, progress, count_changes)
        # Before the restore: the ledger's day index is rebuilt with the others.
        _copy(connection, ledger.CHANGES, ["day", *ledger.GROUP, "delta"], ["".join(changes)])
        _restore(connection, saved)
    else:
        _stage(connection, shapes, by_shape, days, rows, progress)
        for statement in _expansion(actor, now):
            connection.execute(statement)
        for staged in (STAGING, SHAPES, DAYS):
            staged.drop(connection)
        count_changes()
        _copy(connection, ledger.CHANGES, ["day", *ledger.GROUP, "delta"], ["".join(changes)])
    if bulk:
        # Fresh statistics, or the reports plan a million rows as an empty table until
        # autovacuum comes round. ANALYZE counts this transaction's own rows.
        names = ", ".join(t.name for t in (*BULK_TABLES, ledger.CHANGES))
        connection.exec_driver_sql(f"ANALYZE {names}")
    return ImportResult(members=len(rows), by_kind=dict(Counter(rows.kinds)))


def _members_empty(connection: Connection) -> bool:
    """Whether this is the first import; registrations wait for this one from here on.

    SHARE ROW EXCLUSIVE lets readers go on but no other transaction add a member, so the
    answer holds until commit.
    """
    connection.exec_driver_sql(f"LOCK TABLE {MEMBERS.name} IN SHARE ROW EXCLUSIVE MODE")
    return bool(connection.execute(select(~select(MEMBERS.c.id).exists())).scalar_one())


def _sequence(connection: Connection, owner: Table) -> str:
    name = connection.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"),
                              {"t": owner.name}).scalar_one()
    if name is None:
        raise RuntimeError(f"{owner.name}.id has no sequence")
    return str(name)


def _reserve(connection: Connection, owner: Table, count: int) -> int:
    """The first of ``count`` consecutive new ids of ``owner``, taken from its sequence.

    Only under ``_drop_for_load``'s exclusive lock: nobody else can insert (and so draw an
    id) until commit, and whoever draws next starts after the block.
    """
    sequence = _sequence(connection, owner)
    first = int(connection.execute(text("SELECT nextval(:s)"), {"s": sequence}).scalar_one())
    if count > 1:
        connection.execute(text("SELECT setval(:s, :last)"),
                           {"s": sequence, "last": first + count - 1})
    return first


def _columns(owner: Table, names: list[str]) -> str:
    """``names`` for a COPY into ``owner``: every column left out must have no default the
    models fill in Python (COPY never sees those), so it is NULL or the server's default."""
    for column in owner.columns:
        if column.name not in names and column.default is not None:
            raise RuntimeError(f"{owner.name}.{column.name} has a Python-side default")
    return ", ".join(names)


def _copy(connection: Connection, owner: Table, names: list[str], blocks: Iterable[str],
          meanwhile: Callable[[], None] | None = None) -> None:
    """Stream blocks of COPY text into ``owner``: PostgreSQL reads one block while Python
    writes the next. ``meanwhile`` runs once the last block is queued, while PostgreSQL is
    still reading them, so that Python's work for what comes next overlaps this table's."""
    driver = connection.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(  # type: ignore[union-attr]
            f"COPY {owner.name} ({_columns(owner, names)}) FROM STDIN",
            writer=QueuedLibpqWriter(cursor)) as copy:
        for block in blocks:
            copy.write(block)
        if meanwhile is not None:
            meanwhile()


def _copy_all(connection: Connection, shapes: Shapes, by_shape: list[int], days: Days,
              actor: Actor, now: datetime, rows: Members,
              progress: Callable[[int], None] | None,
              meanwhile: Callable[[], None] | None = None) -> None:
    """Members, instances and events straight in by COPY, ids chosen here: member, instance
    and register event ids in line order, then the leavers' exit events in line order.

    Pathway rows and events go in the order of their costliest index, so that index's sort
    finds them already in order and stops after one pass (their ids need not follow: their
    keys are rebuilt too): pathway rows by unit and shape, events by trigger and day. Python's work for each
    table is done while PostgreSQL reads the one before; ``meanwhile`` runs while it reads
    the instances.
    """
    count = len(rows)
    unit_ids, joined, left = rows.unit_ids, rows.joined_on, rows.exited_on
    leavers = [i for i, day in enumerate(left) if day is not None]
    first_member = _reserve(connection, MEMBERS, count)
    first_instance = _reserve(connection, INSTANCES, count)
    first_event = _reserve(connection, EVENTS, count + len(leavers))
    on, starts = days.texts()
    looked = [{name: (str(value) if isinstance(value, int) else _text(value))
               for name, value in shape.items()} for shape in shapes.rows]
    units = {unit_id: str(unit_id) for unit_id in set(unit_ids)}
    actor_text = f"{_text(actor.name)}\t{NULL if actor.user_id is None else actor.user_id}"

    # Asked before any COPY starts: the connection answers nothing else during one.
    rank = _collation_rank(connection, [(s["kind"], s["level"], s["status"])
                                        for s in shapes.rows])
    register_first = _collation_rank(connection, [(REGISTER,), (EXIT,)]) == [0, 1]

    def members() -> Iterator[str]:
        kinds = [s["kind"] for s in looked]
        references, names = _texts(rows.references), _texts(rows.names)
        for start in range(0, count, BLOCK):
            part = slice(start, start + BLOCK)
            yield "".join([f"{first_member + i}\t{reference}\t{kinds[shape]}\t{units[unit]}\t"
                           f"{name}\t{on[day]}\n"
                           for i, reference, shape, unit, name, day in zip(
                               range(start, count), references[part], by_shape[part],
                               unit_ids[part], names[part], joined[part], strict=False)])

    def instances() -> Iterator[str]:
        # What only the shape decides, before and after the unit.
        before = [f"{PATHWAY}\t{s['workflow']}\t{s['state']}\t{s['level']}\t{s['status']}\t"
                  for s in looked]
        after = [f"\t{s['kind']}\t" for s in looked]
        version = [s["definition_version"] for s in looked]
        groups: dict[tuple[int, int], list[str]] = {}
        for i, (shape, unit, day, day_left) in enumerate(zip(by_shape, unit_ids, joined, left,
                                                             strict=True)):
            key = (unit, rank[shape])
            lines = groups.get(key)
            if lines is None:
                lines = groups[key] = []
            lines.append(f"{first_instance + i}\t{first_member + i}\t{before[shape]}"
                         f"{units[unit]}{after[shape]}"
                         f"{1 if day_left is None else 2}\t"
                         f"{starts[day if day_left is None else day_left]}\t"
                         f"{version[shape]}\n")
        for key in sorted(groups):
            yield "".join(groups.pop(key))

    def registers(order: list[int]) -> Iterator[str]:
        opening = [f"{PATHWAY}\t{REGISTER}\t{NULL}\t{s['arrived']}\t" for s in looked]
        version = [f"\tf\t{s['definition_version']}\t{NULL}\n" for s in looked]
        for start in range(0, count, BLOCK):
            block = order[start:start + BLOCK]
            yield "".join([f"{first_event + i}\t{first_instance + i}\t{first_member + i}\t1\t"
                           f"{opening[shape]}{units[unit]}\t{actor_text}\t"
                           f"{starts[day]}{version[shape]}"
                           for i, shape, unit, day in zip(
                               block, _picked(by_shape, block), _picked(unit_ids, block),
                               _picked(joined, block), strict=True)])
            if progress is not None:
                progress(len(block))

    def exits(order: list[int]) -> Iterator[str]:
        closing = [f"{PATHWAY}\t{EXIT}\t{s['arrived']}\t{s['state']}\t" for s in looked]
        version = [f"\tf\t{s['definition_version']}\t" for s in looked]
        reasons = rows.exit_reasons
        event_id = {i: first_event + count + n for n, i in enumerate(leavers)}
        for start in range(0, len(order), BLOCK):
            yield "".join([f"{event_id[i]}\t{first_instance + i}\t{first_member + i}\t2\t"
                           f"{closing[by_shape[i]]}{units[unit_ids[i]]}\t{actor_text}\t"
                           f"{starts[left[i]]}{version[by_shape[i]]}"  # type: ignore[index]
                           f"{_text(reasons[i])}\n" for i in order[start:start + BLOCK]])

    made: list[str] = []
    orders: list[list[int]] = []

    def prepare() -> None:
        made.extend(instances())
        orders.extend([_in_day_order(joined, range(count)), _in_day_order(left, leavers)])

    def events() -> Iterator[str]:
        in_day_order, leavers_in_day_order = orders
        if register_first:
            yield from registers(in_day_order)
        yield from exits(leavers_in_day_order)
        if not register_first:
            yield from registers(in_day_order)

    # The instances' text and the events' order are made while the members are read, what
    # ``meanwhile`` makes while the instances are read, and the events' text as they go in.
    put_back = _stamped(connection, [MEMBERS.c.created_at, EVENTS.c.at], now)
    _copy(connection, MEMBERS, ["id", "reference", "kind", "unit_id", "display_name",
                                "joined_on"], members(), prepare)
    _copy(connection, INSTANCES, ["id", "member_id", "machine", "workflow", "state", "level",
                                  "status", "unit_id", "kind", "version", "entered_at",
                                  "definition_version"], made, meanwhile)
    made.clear()
    _copy(connection, EVENTS, ["id", "instance_id", "member_id", "seq", "machine", "trigger",
                               "from_state", "to_state", "unit_id", "actor", "user_id",
                               "effective_at", "override", "definition_version",
                               "exit_reason"], events())
    put_back()


def _stamped(connection: Connection, columns: list[Column[Any]],
             moment: datetime) -> Callable[[], None]:
    """Make ``moment`` the default of ``columns`` for the load, so that each COPY leaves them
    out (parsing the same timestamp text for every row was a third of reading the members),
    and give back what puts their own defaults back."""
    quote = connection.dialect.identifier_preparer.quote
    own: list[tuple[str, str | None]] = []
    for column in columns:
        table, name = column.table.name, quote(column.name)
        own.append((f"ALTER TABLE {table} ALTER COLUMN {name}", connection.execute(text(
            "SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d JOIN pg_attribute a "
            "ON a.attrelid = d.adrelid AND a.attnum = d.adnum "
            "WHERE d.adrelid = CAST(:t AS regclass) AND a.attname = :c"),
            {"t": table, "c": column.name}).scalar()))
        # Our own moment, never input: DDL takes no parameters.
        connection.exec_driver_sql(f"ALTER TABLE {table} ALTER COLUMN {name} "
                                   f"SET DEFAULT '{moment.isoformat()}'::timestamptz")

    def put_back() -> None:
        for alter, default in own:
            connection.exec_driver_sql(
                f"{alter} DROP DEFAULT" if default is None else f"{alter} SET DEFAULT {default}")

    return put_back


def _texts(values: Sequence[str | None]) -> Sequence[str]:
    """``values`` in COPY's text format: escaped one by one only when some value needs it."""
    if SPECIAL.search("".join(filter(None, values))) is None:
        return [NULL if value is None else value for value in values]
    return list(map(_text, values))


def _in_day_order(days: Sequence[date | None], indexes: Iterable[int]) -> list[int]:
    """``indexes`` ordered by their day (stable: line order within a day).

    A step per row rather than one sort: this runs while a COPY is being read, and a sort
    of a million keys would hold the interpreter from the thread feeding that COPY.
    """
    by_day: dict[date | None, list[int]] = {}
    for i in indexes:
        day = days[i]
        same = by_day.get(day)
        if same is None:
            by_day[day] = [i]
        else:
            same.append(i)
    return [i for day in sorted(by_day, key=lambda d: (d is None, d)) for i in by_day[day]]


def _picked(values: Sequence[Any], indexes: list[int]) -> list[Any]:
    return [values[i] for i in indexes]


def _collation_rank(connection: Connection, keys: list[tuple[str | None, ...]]) -> list[int]:
    """Each key's place in PostgreSQL's own ascending order of them (the columns' collation,
    NULLs last), as an index over those columns orders them; a file holds a handful."""
    if not keys:
        return []
    width = len(keys[0])
    columns = ", ".join(f"c{c}" for c in range(width))
    values = ", ".join(f"({n}, " + ", ".join(f"CAST(:k{n}_{c} AS text)" for c in range(width))
                       + ")" for n in range(len(keys)))
    parameters = {f"k{n}_{c}": key[c] for n, key in enumerate(keys) for c in range(width)}
    ranked = connection.execute(text(
        f"SELECT n FROM (VALUES {values}) AS key (n, {columns}) "  # noqa: S608
        f"ORDER BY {columns}"), parameters).scalars().all()
    place = {number: position for position, number in enumerate(ranked)}
    return [place[n] for n in range(len(keys))]


def _ledger_lines(rows: Members) -> list[str]:
    """``importer.ledger_changes`` as COPY text, in day order: the day index then grows at
    its end instead of all over."""
    return [f"{day.isoformat()}\t{unit_id}\t{_text(kind)}\t{_text(level)}\t{_text(status)}\t"
            f"{delta}\n" for (day, unit_id, kind, level, status), delta
            in sorted(ledger_changes(rows).items())]


def _stage(connection: Connection, shapes: Shapes, by_shape: list[int], days: Days,
           rows: Members, progress: Callable[[int], None] | None) -> None:
    """Every row into the staging table by one ``COPY``, and the lookups it refers to; ids
    are drawn from the members' and instances' own sequences as the rows arrive."""
    STAGING.create(connection)
    for column, owner in (("member_id", MEMBERS), ("instance_id", INSTANCES)):
        connection.exec_driver_sql(
            f"ALTER TABLE {STAGING.name} ALTER COLUMN {column} "
            f"SET DEFAULT nextval('{_sequence(connection, owner)}')")
    on, _ = days.texts()

    def lines() -> Iterator[str]:
        references, names = _texts(rows.references), _texts(rows.names)
        reasons = _texts(rows.exit_reasons)
        for start in range(0, len(rows), BLOCK):
            part = slice(start, start + BLOCK)
            block = [f"{line}\t{reference}\t{unit}\t{name}\t{on[day]}\t{shape}\t{reason}\t"
                     f"{NULL if day_left is None else on[day_left]}\n"
                     for line, reference, unit, name, day, shape, reason, day_left in zip(
                         rows.lines[part], references[part], rows.unit_ids[part], names[part],
                         rows.joined_on[part], by_shape[part], reasons[part],
                         rows.exited_on[part], strict=True)]
            yield "".join(block)
            if progress is not None:
                progress(len(block))

    _copy(connection, STAGING, [c.name for c in STAGING.columns
                                if c.name not in ("member_id", "instance_id")], lines())
    SHAPES.create(connection)
    DAYS.create(connection)
    if shapes.rows:
        connection.execute(insert(SHAPES), shapes.rows)
        connection.execute(insert(DAYS), [{"day": day, "starts": clock.start_of(day, days.zone)}
                                          for day in days.days])
    connection.exec_driver_sql(f"ANALYZE {STAGING.name}, {SHAPES.name}, {DAYS.name}")


def _drop_for_load(connection: Connection) -> Definitions:
    """Drop the loaded tables' foreign keys, unique constraints and plain indexes (and the
    ledger's), and the primary keys of ``REKEYED_TABLES`` with the foreign keys (of any
    table) that lean on them, keeping every definition to put it back."""
    connection.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'")
    connection.exec_driver_sql(f"SET LOCAL work_mem = '{WORK_MEM}'")
    names = [t.name for t in BULK_TABLES]
    rekeyed = [t.name for t in REKEYED_TABLES]
    reindexed = [*names, ledger.CHANGES.name]
    constraints = connection.execute(text(
        "SELECT c.contype, c.conrelid::regclass::text, quote_ident(c.conname), "
        "pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE (c.conrelid = ANY(CAST(:names AS regclass[])) AND c.contype IN ('f', 'u') "
        # A unique constraint another table's foreign key leans on has to stay.
        "AND NOT (c.contype = 'u' AND EXISTS (SELECT 1 FROM pg_constraint f "
        "WHERE f.contype = 'f' AND f.conindid = c.conindid))) "
        "OR (c.contype = 'p' AND c.conrelid = ANY(CAST(:rekeyed AS regclass[]))) "
        "OR (c.contype = 'f' AND c.confrelid = ANY(CAST(:rekeyed AS regclass[]))) "
        "ORDER BY c.conrelid::regclass::text, c.conname"),
        {"names": names, "rekeyed": rekeyed}).all()
    indexes = connection.execute(text(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = ANY(CAST(:names AS regclass[])) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) "
        "ORDER BY 1"), {"names": reindexed}).all()
    saved = Definitions(
        primary_keys=[(t, n, d) for kind, t, n, d in constraints if kind == "p"],
        foreign_keys=[(t, n, d) for kind, t, n, d in constraints if kind == "f"],
        uniques=[(t, n, d) for kind, t, n, d in constraints if kind == "u"],
        indexes=[(n, d) for n, d in indexes])
    # Foreign keys first: a primary key cannot go while one leans on it.
    for owner, name, _ in (*saved.foreign_keys, *saved.uniques, *saved.primary_keys):
        connection.exec_driver_sql(f"ALTER TABLE {owner} DROP CONSTRAINT {name}")
    for name, _ in saved.indexes:
        connection.exec_driver_sql(f"DROP INDEX {name}")
    return saved


def _restore(connection: Connection, saved: Definitions) -> None:
    """Everything ``_drop_for_load`` dropped, as it was: keys and indexes by one sort each,
    then each foreign key checked against the loaded rows by one join."""
    for owner, name, definition in saved.primary_keys:
        connection.exec_driver_sql(f"ALTER TABLE {owner} ADD CONSTRAINT {name} {definition}")
    for _, definition in saved.indexes:
        connection.exec_driver_sql(definition)
    for owner, name, definition in (*saved.uniques, *saved.foreign_keys):
        connection.exec_driver_sql(f"ALTER TABLE {owner} ADD CONSTRAINT {name} {definition}")


def _expansion(actor: Actor, now: datetime) -> list[Executable]:
    """The statements that turn the staged rows into what ``engine.register`` (and, for a
    leaver, ``engine.fire`` of ``exit``) would have written; Core ``from_select``, so any
    default a model declares is filled as on the ORM path."""
    s, k = STAGING.c, SHAPES.c
    joined, left = DAYS.alias("joined"), DAYS.alias("left")
    shaped = STAGING.join(SHAPES, k.shape == s.shape)
    dated = shaped.join(joined, joined.c.day == s.joined_on).outerjoin(
        left, left.c.day == s.exited_on)
    at = literal(now, DateTime(timezone=True))
    add_members = insert(MEMBERS).from_select(
        ["id", "reference", "kind", "unit_id", "display_name", "joined_on", "created_at"],
        select(s.member_id, s.reference, k.kind, s.unit_id, s.display_name, s.joined_on, at)
        .select_from(shaped).order_by(s.line))
    add_instances = insert(INSTANCES).from_select(
        ["id", "member_id", "machine", "workflow", "state", "level", "status", "unit_id",
         "kind", "version", "entered_at", "definition_version"],
        select(s.instance_id, s.member_id, literal(PATHWAY, String), k.workflow, k.state,
               k.level, k.status, s.unit_id, k.kind,
               case((s.exited_on.is_(None), 1), else_=2),
               func.coalesce(left.c.starts, joined.c.starts), k.definition_version)
        .select_from(dated).order_by(s.line))
    event_columns = ["instance_id", "member_id", "seq", "machine", "trigger", "from_state",
                     "to_state", "unit_id", "actor", "user_id", "at", "effective_at",
                     "override", "definition_version", "exit_reason"]

    def event(seq: int, trigger: str, from_state: Any, to_state: Any, effective_at: Any,
              exit_reason: Any) -> Select[Any]:
        return (select(s.instance_id, s.member_id, literal(seq, Integer),
                       literal(PATHWAY, String), literal(trigger, String), from_state, to_state,
                       s.unit_id, literal(actor.name, String),
                       literal(actor.user_id, Integer), at, effective_at,
                       literal(False, Boolean), k.definition_version, exit_reason)
                .select_from(dated).order_by(s.line))

    add_registers = insert(EVENTS).from_select(event_columns, event(
        1, REGISTER, null(), k.arrived, joined.c.starts, null()))
    add_exits = insert(EVENTS).from_select(event_columns, event(
        2, EXIT, k.arrived, k.state, left.c.starts, s.exit_reason
    ).where(s.exited_on.is_not(None)))
    return [add_members, add_instances, add_registers, add_exits]
