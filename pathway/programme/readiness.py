"""Accreditation readiness: which award criteria a member meets, and who is ready for what.

One member's readiness is evaluated with the guards themselves (``facts_for`` +
``evaluate_all``), so it reads exactly as the refusal of an award would. Finding who is ready
across units is SQL: each criterion becomes an EXISTS or COUNT condition over the instances
(or, for training, the events) table, so filtering and pagination happen in the database, and
the words are worked out only for the page shown.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
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
from pathway.facts import COMPLETE, LEVEL_CHANGES, facts_for
from pathway.people.access import Caller
from pathway.programme.awards import AWARDED, award_or_404, awards_for
from pathway.programme.awards import machine_of as award_machine
from pathway.programme.milestones import ACHIEVED
from pathway.programme.milestones import machine_of as milestone_machine
from pathway.programme.training import machine_of as training_machine
from pathway.store.models import Event, Instance, Member, Unit
from pathway.store.paging import Page, paginate
from workflows.guards import Facts, evaluate_all
from workflows.schema import Award, Catalogue, Guard


def _criteria(catalogue: Catalogue, award: Award, facts: Facts) -> dict[str, Any]:
    verdicts = evaluate_all(award.criteria, facts, catalogue)
    return {"award": award.code, "title": award.title, "level": award.level,
            "ready": all(v.met for v in verdicts),
            "met": [v.as_dict(with_met=False) for v in verdicts if v.met],
            "unmet": [v.as_dict(with_met=False) for v in verdicts if not v.met]}


def _awarded_codes(session: Session, member_ids: list[int]) -> set[tuple[int, str]]:
    rows = session.execute(select(Instance.member_id, Instance.machine).where(
        Instance.member_id.in_(member_ids), Instance.machine.like("award:%"),
        Instance.state == AWARDED)) if member_ids else []
    return {(member_id, machine.partition(":")[2]) for member_id, machine in rows}


def member_readiness(session: Session, catalogue: Catalogue, member: Member, zone: ZoneInfo,
                     awards: list[Award] | None = None) -> list[dict[str, Any]]:
    """For each award of the member's kind: ready or not, and which criteria are met/unmet."""
    facts = facts_for(session, catalogue, member, zone)
    held = _awarded_codes(session, [member.id])
    return [{**_criteria(catalogue, award, facts), "awarded": (member.id, award.code) in held}
            for award in (awards if awards is not None else awards_for(catalogue, member.kind))]


# --- SQL: each criterion as a condition correlated to Member.id ---------------------------

def criterion_clause(catalogue: Catalogue, kind: str, guard: Guard, today: date,
                     zone: ZoneInfo) -> ColumnElement[bool]:
    """The SQL twin of ``workflows.guards`` for one criterion of a member of ``kind``."""
    pathway = catalogue.pathway_for(kind)
    if guard.kind == "milestone":
        row = aliased(Instance)
        return select(row.id).where(row.member_id == Member.id,
                                    row.machine == milestone_machine(guard.target or ""),
                                    row.state == ACHIEVED).exists()
    if guard.kind == "training":
        # A completion counts until it expires, whatever the module's state now (re-enrolled
        # for the refresher, or withdrawn from it): any ``complete`` event in date will do.
        # One range probe on (member_id, machine, effective_at) per member.
        module = catalogue.modules.get(guard.target or "")
        event = aliased(Event)
        conditions = [event.member_id == Member.id,
                      event.machine == training_machine(guard.target or ""),
                      event.trigger == COMPLETE]
        if module is not None and module.valid_for_days:
            # In date while completed_on + valid_for_days > today, i.e. completed after the
            # local day today - valid_for_days ended.
            last_stale = today - timedelta(days=module.valid_for_days)
            conditions.append(event.effective_at >= clock.end_of_day(last_stale, zone))
        return select(event.id).where(*conditions).exists()
    if guard.kind == "milestones_at_level":
        codes = [milestone_machine(m.code) for m in pathway.milestones if m.level == guard.target]
        row = aliased(Instance)
        done = (select(func.count(row.id))
                .where(row.member_id == Member.id, row.machine.in_(codes), row.state == ACHIEVED)
                .scalar_subquery())
        return done >= (guard.at_least or 1)
    if guard.kind == "level":
        target = pathway.level_index(guard.target or "")
        reached = [lv.code for i, lv in enumerate(pathway.levels) if i >= target]
        row = aliased(Instance)
        return select(row.id).where(row.member_id == Member.id, row.machine == PATHWAY,
                                    row.level.in_(reached)).exists()
    if guard.kind == "min_days_at_level":
        # days_at_level >= n  <=>  the latest level change was on or before the local day
        # today - n, i.e. before that day ended.
        row, event = aliased(Instance), aliased(Event)
        since = (select(func.max(event.effective_at))
                 .join(row, row.id == event.instance_id)
                 .where(row.member_id == Member.id, row.machine == PATHWAY,
                        event.trigger.in_(LEVEL_CHANGES))
                 .scalar_subquery())
        return since < clock.end_of_day(today - timedelta(days=guard.at_least or 0), zone)
    # An exit reason is only ever given with an exit, never while checking readiness.
    return false()


def ready_clause(catalogue: Catalogue, award: Award, today: date,
                 zone: ZoneInfo) -> ColumnElement[bool]:
    return and_(*[criterion_clause(catalogue, award.kind, g, today, zone) for g in award.criteria])


def awarded_clause(award: Award) -> ColumnElement[bool]:
    row = aliased(Instance)
    return select(row.id).where(row.member_id == Member.id,
                                row.machine == award_machine(award.code),
                                row.state == AWARDED).exists()


def readiness_query(catalogue: Catalogue, caller: Caller, zone: ZoneInfo, *,
                    award: str | None = None, unit_id: int | None = None,
                    ready: bool | None = None, awarded: bool | None = None) -> Select[Any]:
    """Rows of (member_id, award_order): every in-scope member paired with each award of their
    kind (or the one asked for), filtered on readiness in SQL, by member then award."""
    awards = [award_or_404(catalogue, award)] if award else awards_for(catalogue)
    today = clock.today(zone)
    branches = []
    for order, item in enumerate(awards):
        branch = (select(Member.id.label("member_id"),
                         literal_column(str(order), Integer).label("award_order"))
                  .where(Member.kind == item.kind, caller.unit_clause(Member.unit_id)))
        if unit_id is not None:
            branch = branch.where(Member.unit_id == unit_id)
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


def readiness_page(session: Session, catalogue: Catalogue, caller: Caller, zone: ZoneInfo, *,
                   page: int, page_size: int, award: str | None = None,
                   unit_id: int | None = None, ready: bool | None = None,
                   awarded: bool | None = None) -> Page:
    """One page of members with their readiness, in words for just the rows shown."""
    awards = [award_or_404(catalogue, award)] if award else awards_for(catalogue)
    found = paginate(session, readiness_query(catalogue, caller, zone, award=award,
                                              unit_id=unit_id, ready=ready, awarded=awarded),
                     page, page_size, scalars=False)
    ids = sorted({member_id for member_id, _ in found.items})
    members = {m.id: (m, code, p) for m, code, p in session.execute(
        select(Member, Unit.code, Instance)
        .join(Unit, Unit.id == Member.unit_id)
        .outerjoin(Instance, and_(Instance.member_id == Member.id, Instance.machine == PATHWAY))
        .where(Member.id.in_(ids)))} if ids else {}
    held = _awarded_codes(session, ids)
    facts: dict[int, Facts] = {}
    items = []
    for member_id, order in found.items:
        member, unit_code, pathway = members[member_id]
        if member_id not in facts:
            facts[member_id] = facts_for(session, catalogue, member, zone)
        item = awards[order]
        items.append({"member_id": member.id, "reference": member.reference,
                      "kind": member.kind, "unit": unit_code,
                      "member_level": pathway.level if pathway else None,
                      "status": pathway.status if pathway else None,
                      **_criteria(catalogue, item, facts[member_id]),
                      "awarded": (member.id, item.code) in held})
    return Page(items=items, page=found.page, page_size=found.page_size, total=found.total)
