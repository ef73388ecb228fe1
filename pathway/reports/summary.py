"""The strategy group's page: what moved in the period (the "quick wins"), the carer gap, and
who has waited longest, in figures and in words."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import PATHWAY
from pathway.reports.history import days_between, level_reached_at
from pathway.reports.scope import Period, Scope, tally
from pathway.reports.suppression import published, suppress_rows, suppress_totals
from pathway.reports.vocabulary import ACTIVE, EXIT, REGISTER, TRAINING_COMPLETED
from pathway.store.models import Event, Instance, Member, Unit
from workflows.schema import LIFECYCLES

ACTIVITY = ("joined", "advances", "step_backs", "exits", "awards", "training_completed")
GAP = ("service_users", "carers")
WAITING_LIMIT = 10
LONG_WAIT_DAYS = 180
TRAINING, _, AWARD = LIFECYCLES
# The award lifecycle's trigger that makes an award is named like the machine (award.yaml).
AWARDED = AWARD


def _prefixed(column: Any, prefix: str) -> Any:
    """``machine`` starts with ``prefix`` as a range an index can use (':' + 1 is ';')."""
    return and_(column >= prefix + ":", column < prefix + ";")


def _activity(session: Session, scope: Scope, period: Period) -> list[dict[str, Any]]:
    """Events effective in the period per unit (the unit the member was in at the event)."""
    levels = scope.levels
    counted = (REGISTER, *levels.up, *levels.down, EXIT)
    # Only the triggers counted: the period is then a few ranges of
    # ix_events_machine_trigger_effective_at rather than every pathway event in it, and the
    # units listed are those with a move counted, as for awards and training below.
    pathway = (select(Event.unit_id.label("unit_id"),
                      tally(Event.trigger == REGISTER, "joined"),
                      tally(Event.trigger.in_(levels.up), "advances"),
                      tally(Event.trigger.in_(levels.down), "step_backs"),
                      tally(Event.trigger == EXIT, "exits"))
               .join(Member, Member.id == Event.member_id)
               .where(Event.machine == PATHWAY, Event.trigger.in_(counted),
                      Event.effective_at >= period.begins, Event.effective_at < period.ends,
                      scope.units(Event.unit_id))
               .group_by(Event.unit_id))
    made = (select(Event.unit_id.label("unit_id"),
                   tally(_prefixed(Event.machine, AWARD), "awards"),
                   tally(_prefixed(Event.machine, TRAINING), "training_completed"))
            .join(Member, Member.id == Event.member_id)
            .where(or_(and_(_prefixed(Event.machine, AWARD), Event.trigger == AWARDED),
                       and_(_prefixed(Event.machine, TRAINING),
                            Event.trigger == TRAINING_COMPLETED)),
                   Event.effective_at >= period.begins, Event.effective_at < period.ends,
                   scope.units(Event.unit_id))
            .group_by(Event.unit_id))
    per_unit: dict[int, dict[str, int]] = {}
    for statement in (pathway, made):
        for record in session.execute(statement).mappings():
            counts = per_unit.setdefault(record["unit_id"], dict.fromkeys(ACTIVITY, 0))
            counts.update({k: int(v or 0) for k, v in record.items() if k != "unit_id"})
    return _named(session, per_unit)


def _carer_gap(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Active carers and active service users per unit now."""
    active = Instance.status == ACTIVE
    statement = (select(Member.unit_id,
                        tally(and_(active, Member.kind == "service_user"), "service_users"),
                        tally(and_(active, Member.kind == "carer"), "carers"))
                 .join(Instance, and_(Instance.member_id == Member.id,
                                      Instance.machine == PATHWAY))
                 .where(scope.units(Member.unit_id)).group_by(Member.unit_id))
    per_unit = {unit_id: {"service_users": int(users or 0), "carers": int(carers or 0)}
                for unit_id, users, carers in session.execute(statement)}
    return _named(session, per_unit)


def _named(session: Session, per_unit: dict[int, dict[str, int]]) -> list[dict[str, Any]]:
    """Rows keyed by unit code, in code order."""
    codes = dict(session.execute(select(Unit.id, Unit.code).where(Unit.id.in_(per_unit))).all())
    return sorted(({"unit": codes[unit_id], **counts} for unit_id, counts in per_unit.items()),
                  key=lambda row: row["unit"])


def _waiting_query(scope: Scope, now: datetime) -> tuple[Any, Any]:
    reached = level_reached_at(scope.levels, Instance.id, Instance.level, None, Instance)
    days = days_between(now, reached)
    statement = (select(Member.reference, Unit.code, Member.kind, Instance.level,
                        reached.label("since"), days.label("days"))
                 .join(Instance, and_(Instance.member_id == Member.id,
                                      Instance.machine == PATHWAY))
                 .join(Unit, Unit.id == Member.unit_id)
                 .where(Instance.status == ACTIVE, Instance.level.in_(scope.levels.lower),
                        scope.units(Member.unit_id)))
    return statement, days


def _waiting(session: Session, scope: Scope, now: datetime) -> dict[str, Any]:
    statement, days = _waiting_query(scope, now)
    long_waits = session.scalar(select(func.count()).select_from(
        statement.where(days > LONG_WAIT_DAYS).subquery())) or 0
    figures: dict[str, Any] = {"waiting_over_days": LONG_WAIT_DAYS,
                               "waiting_over": int(long_waits)}
    if not scope.reads_member_data:
        figures.update(waiting_longest=[], waiting_withheld=True)
        return figures
    ordered = statement.order_by(days.desc(), Member.id).limit(WAITING_LIMIT)
    figures.update(waiting_withheld=False, waiting_longest=[
        {"reference": reference, "unit": unit, "kind": kind, "level": level,
         "since": clock.as_utc(since) if since is not None else None, "days": days_at}
        for reference, unit, kind, level, since, days_at in session.execute(ordered)])
    return figures


def _at_top_level(session: Session, scope: Scope) -> int:
    return int(session.scalar(
        select(func.count()).select_from(Instance).join(Member, Member.id == Instance.member_id)
        .where(Instance.machine == PATHWAY, Instance.status == ACTIVE,
               Instance.level == scope.levels.top, scope.units(Member.unit_id))) or 0)


def top_level_key(scope: Scope) -> str:
    """The summary's compatibility key for the top level: ``<top level code>_now``, which is
    ``level_3_now`` with the shipped definitions (``top_level_now`` is the same count under a
    name that does not depend on the definitions)."""
    return f"{scope.levels.top}_now"


def summary(session: Session, scope: Scope, period: Period, now: datetime) -> dict[str, Any]:
    activity = _activity(session, scope, period)
    totals = {name: sum(row[name] for row in activity) for name in ACTIVITY}
    gap = _carer_gap(session, scope)
    at_top: int | None = _at_top_level(session, scope)
    waiting = _waiting(session, scope, now)
    if scope.suppress:
        activity = suppress_rows(activity, ACTIVITY)
        totals = suppress_totals(totals, ACTIVITY)
        gap = suppress_rows(gap, GAP)
        at_top = published(at_top)
        waiting["waiting_over"] = published(waiting["waiting_over"])
    for row in gap:
        row["carers_per_service_user"] = (
            round(row["carers"] / row["service_users"], 2)
            if row["carers"] is not None and row["service_users"] else None)
    report = {"from": period.start, "to": period.end, **scope.echo(),
              "activity": {"rows": activity, "totals": totals}, "carer_gap": gap,
              top_level_key(scope): at_top, "top_level": scope.levels.top,
              "top_level_now": at_top, **waiting}
    report["quick_wins"] = quick_wins(report, scope)
    report["gaps"] = gaps(report, scope)
    return report


def figure(count: int | None, one: str, many: str | None = None, *,
           approximate: bool = False) -> str:
    """A count in words: a hidden count reads "fewer than 8", a rounded one "about"."""
    many = many or one + "s"
    if count is None:
        return f"fewer than 8 {many}"
    about = "about " if approximate and count else ""
    return f"{about}{count} {one if count == 1 and not about else many}"


def _lowered(title: str) -> str:
    """A level's title inside a sentence: "Working in partnership" -> "working in ..."."""
    return title[:1].lower() + title[1:]


def _sentence(text: str) -> str:
    return text[0].upper() + text[1:]


def quick_wins(report: dict[str, Any], scope: Scope) -> list[str]:
    """What went well, in words a strategy group can read out."""
    totals = report["activity"]["totals"]
    rounded = report["suppressed"]
    levels = scope.levels
    span = f"from {report['from'].isoformat()} to {report['to'].isoformat()}"
    said = [
        (totals["advances"], f"{{}} up a level {span}.", ("step", "steps")),
        (totals["awards"], "{} made.", ("accreditation award", None)),
        (totals["training_completed"], "{} completed.", ("training module", None)),
        (totals["joined"], "{} joined.", ("new member", None)),
        (report["top_level_now"], f"{{}} now {_lowered(levels.title(levels.top))} at "
                                  f"{levels.name(levels.top)}.", ("member", None)),
    ]
    wins = [_sentence(text.format(figure(count, *words, approximate=rounded)))
            for count, text, words in said if count != 0]
    best = [row for row in report["activity"]["rows"] if row["advances"]]
    if best and not rounded:
        top = max(best, key=lambda row: (row["advances"], row["unit"]))
        wins.append(f"Most steps up in {top['unit']}: {figure(top['advances'], 'step')}.")
    return wins or ["No steps up, awards or completed training were recorded in this period."]


def gaps(report: dict[str, Any], scope: Scope) -> list[str]:
    """Where attention is needed: the carer gap, leavers, step-backs and long waits."""
    rounded = report["suppressed"]
    found = []
    short = [row for row in report["carer_gap"] if row["service_users"]
             and (row["carers"] or 0) < row["service_users"]]
    short.sort(key=lambda row: (row["carers_per_service_user"] or 0, row["unit"]))
    for row in short[:3]:
        carers = figure(row["carers"], "active carer", approximate=rounded)
        users = figure(row["service_users"], "active service user", approximate=rounded)
        found.append(f"Carer gap in {row['unit']}: {carers} for {users}.")
    totals = report["activity"]["totals"]
    said = [
        (totals["exits"], "{} left in the period.", ("member", None)),
        (totals["step_backs"], "{} back a level in the period.", ("step", None)),
        (report["waiting_over"], f"{{}} waited more than {report['waiting_over_days']} days "
                                 f"at {scope.levels.either(scope.levels.lower)}.",
         ("member has", "members have")),
    ]
    found += [_sentence(text.format(figure(count, *words, approximate=rounded)))
              for count, text, words in said if count != 0]
    return found
