"""Accreditation readiness: which award criteria a member meets, and who is ready for what.

One member's readiness is evaluated with the guards themselves (``facts_for`` +
``evaluate_all``), so it reads exactly as the refusal of an award would. Finding who is ready
across units is SQL: each guard kind has its SQL twin here (``SQL_TWINS``, keyed by the kinds
of ``workflows.guards.KINDS``), an EXISTS or COUNT condition over the instances (or, for
training, the events) table, so filtering and pagination happen in the database, and the words
are worked out only for the page shown.

A readiness list leaves out members who have left the pathway unless asked for
(``include_exited`` or ``status``): a leaver is never waiting for an award.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    false,
    func,
    literal_column,
    not_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from pathway import clock
from pathway.engine import PATHWAY
from pathway.facts import facts_for
from pathway.people.access import Caller
from pathway.programme.awards import award_or_404, awards_for
from pathway.store.models import Event, Instance, Member, Unit
from pathway.store.paging import Page, paginate
from workflows import guards
from workflows.guards import Facts, Setting, evaluate_all, setting_for
from workflows.machine import EXITED
from workflows.schema import PATHWAY_STATUSES, Award, Catalogue, Guard
from workflows.vocabulary import ACHIEVED, AWARD, AWARDED, COMPLETE, MachineRef

__all__ = ["CSV_COLUMNS", "SQL_TWINS", "AwardReadiness", "ReadinessRow", "criterion_clause",
           "member_readiness", "readiness_csv", "readiness_page", "readiness_query",
           "readiness_rows"]


class CriterionWords(TypedDict):
    criterion: str
    description: str
    enforcement: str


class AwardReadiness(TypedDict):
    """One award as a member stands towards it."""

    award: str
    title: str
    level: str
    ready: bool
    met: list[CriterionWords]
    unmet: list[CriterionWords]
    awarded: bool


class ReadinessRow(AwardReadiness):
    """One line of a readiness list: the member, and one award of their kind."""

    member_id: int
    reference: str
    kind: str
    unit: str
    member_level: str | None
    status: str | None


def _words(verdict: guards.Verdict) -> CriterionWords:
    return CriterionWords(criterion=verdict.criterion, description=verdict.description,
                          enforcement=verdict.enforcement)


def _standing(catalogue: Catalogue, award: Award, facts: Facts, awarded: bool) -> AwardReadiness:
    verdicts = evaluate_all(award.criteria, facts, catalogue)
    return AwardReadiness(award=award.code, title=award.title, level=award.level,
                          ready=all(v.met for v in verdicts),
                          met=[_words(v) for v in verdicts if v.met],
                          unmet=[_words(v) for v in verdicts if not v.met],
                          awarded=awarded)


def _awarded_codes(session: Session, member_ids: list[int]) -> set[tuple[int, str]]:
    rows: Iterable[tuple[int, str]] = session.execute(select(Instance.member_id,
                                                              Instance.machine).where(
        Instance.member_id.in_(member_ids), Instance.machine.like(MachineRef.like(AWARD)),
        Instance.state == AWARDED)) if member_ids else []
    return {(member_id, MachineRef.parse(machine).code or "") for member_id, machine in rows}


def member_readiness(session: Session, catalogue: Catalogue, member: Member, zone: ZoneInfo,
                     awards: list[Award] | None = None) -> list[AwardReadiness]:
    """For each award of the member's kind: ready or not, and which criteria are met/unmet."""
    facts = facts_for(session, catalogue, member, zone)
    held = _awarded_codes(session, [member.id])
    return [_standing(catalogue, award, facts, (member.id, award.code) in held)
            for award in (awards if awards is not None else awards_for(catalogue, member.kind))]


# --- SQL: each guard kind as a condition correlated to Member.id ---------------------------

@dataclass(frozen=True)
class Where:
    """What a guard's SQL twin reads: the member kind's setting, today and the zone."""

    setting: Setting
    today: date
    zone: ZoneInfo


SqlTwin = Callable[[Guard, Where], ColumnElement[bool]]


def _milestone_sql(guard: Guard, where: Where) -> ColumnElement[bool]:
    row = aliased(Instance)
    return select(row.id).where(row.member_id == Member.id,
                                row.machine == str(MachineRef.milestone(guard.target or "")),
                                row.state == ACHIEVED).exists()


def _training_sql(guard: Guard, where: Where) -> ColumnElement[bool]:
    # A completion counts until it expires, whatever the module's state now (re-enrolled
    # for the refresher, or withdrawn from it): any ``complete`` event in date will do.
    # One range probe on (member_id, machine, effective_at) per member.
    module = where.setting.catalogue.modules.get(guard.target or "")
    event = aliased(Event)
    conditions = [event.member_id == Member.id,
                  event.machine == str(MachineRef.training(guard.target or "")),
                  event.trigger == COMPLETE]
    if module is not None and module.valid_for_days:
        # In date while completed_on + valid_for_days > today, i.e. completed after the
        # local day today - valid_for_days ended.
        last_stale = where.today - timedelta(days=module.valid_for_days)
        conditions.append(event.effective_at >= clock.end_of_day(last_stale, where.zone))
    return select(event.id).where(*conditions).exists()


def _milestones_at_level_sql(guard: Guard, where: Where) -> ColumnElement[bool]:
    codes = [str(MachineRef.milestone(code))
             for code in where.setting.milestone_codes_at(guard.target or "")]
    row = aliased(Instance)
    done = (select(func.count(row.id))
            .where(row.member_id == Member.id, row.machine.in_(codes), row.state == ACHIEVED)
            .scalar_subquery())
    return done >= (guard.at_least or 1)


def _level_sql(guard: Guard, where: Where) -> ColumnElement[bool]:
    row = aliased(Instance)
    return select(row.id).where(
        row.member_id == Member.id, row.machine == PATHWAY,
        row.level.in_(where.setting.level_codes_from(guard.target or ""))).exists()


def _min_days_at_level_sql(guard: Guard, where: Where) -> ColumnElement[bool]:
    # days_at_level >= n  <=>  the latest level change was on or before the local day
    # today - n, i.e. before that day ended.
    row, event = aliased(Instance), aliased(Event)
    level_triggers = where.setting.pathway.level_triggers if where.setting.pathway else ()
    since = (select(func.max(event.effective_at))
             .join(row, row.id == event.instance_id)
             .where(row.member_id == Member.id, row.machine == PATHWAY,
                    event.trigger.in_(level_triggers))
             .scalar_subquery())
    return since < clock.end_of_day(where.today - timedelta(days=guard.at_least or 0),
                                    where.zone)


def _exit_reason_sql(guard: Guard, where: Where) -> ColumnElement[bool]:
    # An exit reason is only ever given with an exit, never while checking readiness.
    return false()


def _member_agrees_sql(guard: Guard, where: Where) -> ColumnElement[bool]:
    # The member's view comes with a move, never while checking readiness.
    return false()


# The SQL twin of each guard kind of ``workflows.guards.KINDS`` (a test holds them equal).
SQL_TWINS: Final[Mapping[str, SqlTwin]] = {
    guards.MILESTONE: _milestone_sql,
    guards.TRAINING: _training_sql,
    guards.MILESTONES_AT_LEVEL: _milestones_at_level_sql,
    guards.LEVEL: _level_sql,
    guards.MIN_DAYS_AT_LEVEL: _min_days_at_level_sql,
    guards.EXIT_REASON: _exit_reason_sql,
    guards.MEMBER_AGREES: _member_agrees_sql,
}


def criterion_clause(catalogue: Catalogue, kind: str, guard: Guard, today: date,
                     zone: ZoneInfo) -> ColumnElement[bool]:
    """The SQL twin of ``workflows.guards`` for one criterion of a member of ``kind``."""
    twin = SQL_TWINS.get(guard.kind)
    if twin is None:
        raise ValueError(f"unknown guard kind {guard.kind!r}")
    return twin(guard, Where(setting_for(catalogue, kind), today, zone))


def ready_clause(catalogue: Catalogue, award: Award, today: date,
                 zone: ZoneInfo) -> ColumnElement[bool]:
    return and_(*[criterion_clause(catalogue, award.kind, g, today, zone) for g in award.criteria])


def awarded_clause(award: Award) -> ColumnElement[bool]:
    row = aliased(Instance)
    return select(row.id).where(row.member_id == Member.id,
                                row.machine == str(MachineRef.award(award.code)),
                                row.state == AWARDED).exists()


def _pathway_status_is(status: str) -> ColumnElement[bool]:
    row = aliased(Instance)
    return select(row.id).where(row.member_id == Member.id, row.machine == PATHWAY,
                                row.status == status).exists()


def readiness_query(catalogue: Catalogue, caller: Caller, zone: ZoneInfo, *,
                    award: str | None = None, unit_id: int | None = None,
                    ready: bool | None = None, awarded: bool | None = None,
                    status: str | None = None, include_exited: bool = False
                    ) -> Select[int, int]:
    """Rows of (member_id, award_order): every in-scope member paired with each award of their
    kind (or the one asked for), filtered in SQL, by member then award.

    ``ready``: only those who meet every criterion now (true) or who do not (false).
    ``awarded``: only those holding the award now (true) or not holding it (false).
    ``status``: only members whose pathway is active, paused or exited. Without it, members
    who have left (exited) are left out unless ``include_exited``.
    """
    if status is not None and status not in PATHWAY_STATUSES:
        raise ValueError(f"unknown pathway status {status!r}")
    awards = [award_or_404(catalogue, award)] if award else awards_for(catalogue)
    today = clock.today(zone)
    branches = []
    for order, item in enumerate(awards):
        branch = (select(Member.id.label("member_id"),
                         literal_column(str(order), Integer).label("award_order"))
                  .where(Member.kind == item.kind, caller.unit_clause(Member.unit_id.expression)))
        if unit_id is not None:
            branch = branch.where(Member.unit_id == unit_id)
        if status is not None:
            branch = branch.where(_pathway_status_is(status))
        elif not include_exited:
            branch = branch.where(not_(_pathway_status_is(EXITED)))
        if ready is not None:
            clause = ready_clause(catalogue, item, today, zone)
            branch = branch.where(clause if ready else not_(clause))
        if awarded is not None:
            clause = awarded_clause(item)
            branch = branch.where(clause if awarded else not_(clause))
        branches.append(branch)
    if not branches:
        # A programme without awards: nobody to list (and no empty UNION to build).
        return select(Member.id.label("member_id"),
                      literal_column("0", Integer).label("award_order")).where(false())
    rows = union_all(*branches).subquery() if len(branches) > 1 else branches[0].subquery()
    return select(rows.c.member_id, rows.c.award_order).order_by(rows.c.member_id,
                                                                 rows.c.award_order)


def _worded(session: Session, catalogue: Catalogue, awards: list[Award], zone: ZoneInfo,
            found: list[tuple[int, int]]) -> list[ReadinessRow]:
    """The rows found, in words: three queries for the members, one ``facts_for`` each."""
    ids = sorted({member_id for member_id, _ in found})
    members = {m.id: (m, code, p) for m, code, p in session.execute(
        select(Member, Unit.code, Instance)
        .join(Unit, Unit.id == Member.unit_id)
        .outerjoin(Instance, and_(Instance.member_id == Member.id, Instance.machine == PATHWAY))
        .where(Member.id.in_(ids)))} if ids else {}
    held = _awarded_codes(session, ids)
    facts: dict[int, Facts] = {}
    items: list[ReadinessRow] = []
    for member_id, order in found:
        member, unit_code, pathway = members[member_id]
        if member_id not in facts:
            facts[member_id] = facts_for(session, catalogue, member, zone)
        item = awards[order]
        standing = _standing(catalogue, item, facts[member_id], (member.id, item.code) in held)
        items.append(ReadinessRow(member_id=member.id, reference=member.reference,
                                  kind=member.kind, unit=unit_code,
                                  member_level=pathway.level if pathway else None,
                                  status=pathway.status if pathway else None, **standing))
    return items


def readiness_page(session: Session, catalogue: Catalogue, caller: Caller, zone: ZoneInfo, *,
                   page: int, page_size: int, award: str | None = None,
                   unit_id: int | None = None, ready: bool | None = None,
                   awarded: bool | None = None, status: str | None = None,
                   include_exited: bool = False) -> Page:
    """One page of members with their readiness, in words for just the rows shown (the
    filters are those of ``readiness_query``)."""
    awards = [award_or_404(catalogue, award)] if award else awards_for(catalogue)
    found = paginate(session, readiness_query(catalogue, caller, zone, award=award,
                                              unit_id=unit_id, ready=ready, awarded=awarded,
                                              status=status, include_exited=include_exited),
                     page, page_size, scalars=False)
    items = _worded(session, catalogue, awards, zone,
                    [(member_id, order) for member_id, order in found.items])
    return Page(items=list(items), page=found.page, page_size=found.page_size, total=found.total)


def readiness_rows(session: Session, catalogue: Catalogue, caller: Caller, zone: ZoneInfo, *,
                   award: str | None = None, unit_id: int | None = None,
                   ready: bool | None = None, awarded: bool | None = None,
                   status: str | None = None, include_exited: bool = False
                   ) -> list[ReadinessRow]:
    """Every row of the list at once (for a spreadsheet), with the filters of
    ``readiness_query``."""
    awards = [award_or_404(catalogue, award)] if award else awards_for(catalogue)
    found = session.execute(readiness_query(catalogue, caller, zone, award=award,
                                            unit_id=unit_id, ready=ready, awarded=awarded,
                                            status=status, include_exited=include_exited))
    return _worded(session, catalogue, awards, zone,
                   [(member_id, order) for member_id, order in found])


CSV_COLUMNS: Final = ("member_id", "reference", "kind", "unit", "member_level", "status",
                      "award", "title", "level", "ready", "awarded", "met", "unmet")


# A spreadsheet runs a cell starting with one of these as a formula: such text is written
# with a leading apostrophe, which shows it as the text it is.
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def _cell(row: Mapping[str, Any], column: str) -> object:
    value = row[column]
    if column in ("met", "unmet"):
        # Each criterion in words, one after another: what a coordinator reads on screen.
        value = "; ".join(c["description"] for c in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return f"'{value}"
    return "" if value is None else value


def readiness_csv(rows: Iterable[ReadinessRow]) -> str:
    """The list as CSV: one header line, one line per member and award."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow([_cell(row, column) for column in CSV_COLUMNS])
    return out.getvalue()
