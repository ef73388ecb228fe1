"""A realistic demo: the paper's service and ~150 synthetic members with 18 months of history.

The service is the one Freeman et al. (2016) describe: five inpatient units (low secure,
locked rehabilitation, open rehabilitation, two step-down houses) plus three community teams
and a prison in-reach team, across three localities. Names are invented; references are
pseudonymous (SU-0001, CA-0001, ST-0001).

Every change is written through the one write path (``engine.register``, ``engine.fire``,
``members.transfer``) with backdated ``on`` dates in order, so guards, overrides, history and
``pathway check`` behave exactly as they do for real records. Each member's story is a small
seeded simulation: the same seed tells the same stories, counted back from today.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import PATHWAY, Actor, Firing, fire
from pathway.facts import expires_on
from pathway.ops import demo_proposals
from pathway.ops.demo_involvement import book_demo_involvement
from pathway.people import voice
from pathway.people.access import Caller
from pathway.people.members import register_member, transfer
from pathway.people.units import create_unit
from pathway.people.users import create_user
from pathway.programme.awards import AWARDED
from pathway.programme.milestones import ACHIEVED
from pathway.reports.vocabulary import ACTIVE, EXIT, PAUSE, REJOIN, RESUME
from pathway.store.models import Event, Member, Unit, User
from workflows.guards import Facts, TrainingRecord, Verdict, evaluate_all
from workflows.machine import EXITED, PAUSED
from workflows.schema import LIFECYCLES, Catalogue, Definition, Guard, Transition

TRAINING, MILESTONE, AWARD = LIFECYCLES
ENROLLED, COMPLETED, WITHDRAWN = "enrolled", "completed", "withdrawn"  # training states

SEED = 2016
HISTORY_DAYS = 548  # about 18 months, as long as the paper's strategy group had been meeting
DEMO_ADMIN = "demo-admin"

COORDINATOR = Actor(name="demo coordinator", role="coordinator")
# The member's view given at the review of a move: (cumulative chance, view); the rest: none.
MEMBER_VIEWS: tuple[tuple[float, dict[str, str | None]], ...] = (
    (0.45, {"agrees": "yes", "words": "I feel ready and I want to give it a go."}),
    (0.6, {"agrees": "yes", "words": None}),
    (0.7, {"agrees": "no", "words": "I would have liked a bit longer where I was."}),
    (0.8, {"agrees": "not_asked", "words": None,
           "why_not_asked": "Not well enough to talk it through on the day; to ask next "
                            "week."}),
)
CLAIM_EVIDENCE = ("I went to the ward meeting and spoke about the garden project.",
                  "My buddy showed me round and we meet on Thursdays.")
DECLINE_REASON = ("Thanks for telling us. We could not find a record of it yet: bring it up "
                  "at your next review and we will add it.")
TRAINING_LEAD = Actor(name="demo training lead", role="training_lead")
# members.transfer checks the caller's unit scope; the demo sees every unit.
SERVICE = Caller(user_id=0, name="demo", role="admin", all_units=True, unit_ids=frozenset())


@dataclass(frozen=True)
class UnitPlan:
    code: str
    name: str
    kind: str
    locality: str
    beds: int | None = None


UNITS = (
    UnitPlan("llys-derwen", "Llys Derwen low secure unit (two wards of 14 beds)", "low_secure",
             "Bridgend", 28),
    UnitPlan("ty-celyn", "Tŷ Celyn locked rehabilitation ward (18 beds)", "locked_rehab",
             "Neath Port Talbot", 18),
    UnitPlan("cefn-yr-afon", "Cefn yr Afon open rehabilitation ward (18 beds)", "open_rehab",
             "Bridgend", 18),
    UnitPlan("ty-bryn", "Tŷ Bryn step-down house (8 beds)", "step_down", "Swansea", 8),
    UnitPlan("ty-nant", "Tŷ Nant step-down house (8 beds)", "step_down", "Neath Port Talbot", 8),
    UnitPlan("community-rehabilitation", "Community Rehabilitation Team", "community", "Swansea"),
    UnitPlan("adult-community-forensic", "Adult Community Forensic Team", "community",
             "Neath Port Talbot"),
    UnitPlan("criminal-justice-liaison", "Criminal Justice and Liaison Team", "community",
             "Bridgend"),
    UnitPlan("prison-inreach", "Prison In-reach Team", "prison_inreach", "Swansea"),
)
# The step-down journey: where a service user moves on to from each kind of unit.
NEXT_KIND = {"prison_inreach": "low_secure", "low_secure": "locked_rehab",
             "locked_rehab": "open_rehab", "open_rehab": "step_down", "step_down": "community"}
# Where service users are when they join (roughly the beds, plus community and prison).
START_WEIGHTS = {"low_secure": 24, "locked_rehab": 16, "open_rehab": 16, "step_down": 6,
                 "community": 18, "prison_inreach": 6}

FIRST_NAMES = (
    "Rhys", "Carys", "Dafydd", "Sian", "Gareth", "Ffion", "Owain", "Megan", "Huw", "Bethan",
    "Aled", "Cerys", "Iwan", "Nia", "Gethin", "Lowri", "Tomos", "Elin", "Emyr", "Angharad",
    "James", "Sarah", "David", "Emma", "Mark", "Rachel", "Paul", "Claire", "Steven", "Helen",
    "Lee", "Kelly", "Wayne", "Donna", "Craig", "Lisa", "Jason", "Michelle", "Darren", "Nicola",
)
INITIALS = "ABDEGHJLMOPRTW"

EVIDENCE = {
    "buddy_assigned": "Matched with a buddy from the ward's peer group on arrival.",
    "involvement_information_received": "Given the involvement leaflet and the dates of the "
                                        "next forum.",
    "advocate_met": "Met the advocate on the fortnightly visit.",
    "community_meeting_attended": "Came to the Tuesday community meeting and spoke about the "
                                  "garden project.",
    "feedback_given": "Filled in the satisfaction questionnaire; suggestion added to the "
                      "Red/Amber/Green board.",
    "active_role_identified": "Talked through interests with key worker: wants to help with "
                              "the newsletter and welcome packs.",
    "role_description_agreed": "Role description for peer welcome volunteer agreed and signed.",
    "joint_training_attended": "Attended the joint training day with staff, service users and "
                               "carers.",
    "team_building_attended": "Joined the unit team-building afternoon.",
    "practised_with_support": "Co-chaired the community meeting with support from staff.",
    "own_care_plan_written": "Wrote own care and activity plan, reviewed with the care "
                             "coordinator.",
    "chaired_own_ctp": "Chaired own CTP review; the team followed the agenda they set.",
    "recruitment_panel_member": "Sat on the interview panel for a support worker post, from "
                                "shortlisting onwards.",
    "meeting_representative": "Represents people on the unit at the monthly service "
                              "development meeting.",
    "forum_approved_development": "Part of the forum that approved the new visiting "
                                  "arrangements.",
    "co_delivered_training": "Co-delivered the recovery module of staff induction.",
    "community_stigma_work": "Spoke at the Time to Change stall at the local library.",
    "newcomer_supported": "Buddying a new admission through their first weeks.",
    "welcome_meeting_offered": "Family liaison meeting offered and held on the unit.",
    "carer_view_in_ctp": "Carer's view recorded in the CTP at the last review.",
    "carer_forum_attended": "Came to the carers' forum at the resource centre.",
    "issues_on_agenda": "Service user and carer issues are the first standing item of the ward "
                        "meeting.",
    "perspective_in_reports": "Tribunal and CPA reports now carry a service user perspective "
                              "section.",
    "carer_view_recorded": "Carer's perspective recorded in the CTPs of their caseload.",
    "rag_board_updated": "Keeps the Red/Amber/Green board of proposed developments current.",
    "training_agenda_shaped": "Helped set next year's training agenda with the forum.",
    "supported_practice": "Supported a service user to chair the community meeting.",
    "co_recruited_staff": "Ran the recruitment for a nursing post with a service user and a "
                          "carer on the panel.",
    "development_through_forum": "Took the new activity timetable to the forum for approval.",
    "mentor_for_peer_roles": "Mentors the service user coordinator.",
}
FEEDBACK = {
    "moved_away": "Moving out of the area; glad to have been part of it.",
    "discharged_no_longer_involved": "Discharged and settling in at home; may come back to "
                                     "help with training.",
    "unwell": "Needs to focus on staying well for now.",
    "lost_contact": "No reply to letters or calls since the last meeting.",
    "other_commitments": "Found it hard to balance meetings with work and other commitments.",
    "not_for_me": "Meetings felt too formal; would rather give feedback by questionnaire.",
    "caring_role_ended": "No longer caring since their relative moved on from the service.",
    "bereavement": "Family bereavement; the team sent a card and an open invitation back.",
    "left_post": "Left for a post in another health board; handed over the forum work.",
    "moved_unit_outside_service": "Moved to a team outside Rehabilitation & Recovery.",
    "long_term_absence": "On long-term leave.",
    "other": "Left without giving a reason.",
}
# Exit reasons each kind gives most often (the paper: carers struggle to balance commitments).
EXIT_WEIGHTS = {
    "service_user": {"discharged_no_longer_involved": 4, "unwell": 3, "moved_away": 2,
                     "lost_contact": 2, "not_for_me": 2, "other_commitments": 1, "other": 1},
    "carer": {"other_commitments": 6, "caring_role_ended": 2, "lost_contact": 2,
              "not_for_me": 1, "unwell": 1, "moved_away": 1, "bereavement": 1},
    "staff": {"left_post": 5, "moved_unit_outside_service": 2, "long_term_absence": 1,
              "other_commitments": 1, "not_for_me": 1},
}

PAUSE_REASONS = {
    "service_user": ("Unwell; taking a break from involvement work.",
                     "Readmitted to an acute ward for a while.",
                     "Wants to focus on moving on first."),
    "carer": ("Caring needs more of their time for now.", "Unwell; will be in touch.",
              "Family matters need their time for a while."),
    "staff": ("On secondment for three months.", "On parental leave.",
              "Covering another ward; involvement work on hold."),
}


@dataclass(frozen=True)
class Temper:
    """How a kind of member tends to move: hazards per month-ish step of their story."""

    exit: float
    pause: float
    rejoin: float
    advance: float
    step_back: float
    gap: tuple[int, int]


TEMPERS = {
    "service_user": Temper(exit=0.35, pause=1.2, rejoin=0.3, advance=2.5, step_back=0.6,
                           gap=(12, 40)),
    "carer": Temper(exit=1.6, pause=0.6, rejoin=0.25, advance=0.8, step_back=0.1, gap=(14, 50)),
    "staff": Temper(exit=0.25, pause=0.3, rejoin=0.1, advance=2.5, step_back=0.1, gap=(14, 40)),
}
MEMBERS = {"service_user": 92, "staff": 38, "carer": 22}
PREFIX = {"service_user": "SU", "carer": "CA", "staff": "ST"}


@dataclass(frozen=True)
class LifecycleTriggers:
    """The lifecycle triggers the demo fires, found in the definitions by where they lead."""

    achieve: str
    enrol: str
    complete: str
    withdraw: str
    reenrol: str
    award: str

    @classmethod
    def of(cls, catalogue: Catalogue) -> LifecycleTriggers:
        def to(machine: str, dest: str, source: str | None = None) -> str:
            return next(t.trigger for t in catalogue.lifecycle(machine).transitions
                        if t.dest == dest and source in (None, t.source))

        first = catalogue.lifecycle(TRAINING).initial
        return cls(achieve=to(MILESTONE, ACHIEVED), enrol=to(TRAINING, ENROLLED, first),
                   complete=to(TRAINING, COMPLETED), withdraw=to(TRAINING, WITHDRAWN),
                   reenrol=to(TRAINING, ENROLLED, WITHDRAWN), award=to(AWARD, AWARDED))


@dataclass
class DemoSummary:
    units: int = 0
    members: Counter[str] = field(default_factory=Counter)
    events: int = 0

    def __str__(self) -> str:
        kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(self.members.items()))
        return (f"Loaded the demo: {self.units} units, {sum(self.members.values())} members "
                f"({kinds}), {self.events} events.")


def database_is_empty(session: Session) -> bool:
    """No units and no members: the only state the demo loads into."""
    return (session.scalar(select(func.count()).select_from(Unit)) == 0
            and session.scalar(select(func.count()).select_from(Member)) == 0)


def admin_token(session: Session) -> tuple[str, int]:
    """A new demo admin token; every earlier demo admin token is revoked (token, revoked)."""
    revoked = session.execute(update(User).where(User.name == DEMO_ADMIN,
                                                 User.revoked_at.is_(None))
                              .values(revoked_at=clock.now()))
    revoked_count = revoked.rowcount if isinstance(revoked, CursorResult) else 0
    _, token = create_user(session, DEMO_ADMIN, "admin")
    return token, revoked_count


class _Ended(Exception):
    """The story has reached today."""


class _Story:
    """One member's history, fired event by event from the day they joined."""

    def __init__(self, load: _Load, member: Member, rng: random.Random) -> None:
        self.load = load
        self.member = member
        self.rng = rng
        self.kind = member.kind
        self.definition: Definition = load.catalogue.pathway_for(member.kind)
        self.levels = list(self.definition.states)
        self.temper = TEMPERS[member.kind]
        self.day = member.joined_on
        self.level = self.levels.index(self.definition.initial)
        self.status = ACTIVE
        self.triggers = load.triggers
        self.milestones: set[str] = set()
        self.training: dict[str, str] = {}
        self.completed_on: dict[str, date] = {}
        self.awarded: set[str] = set()
        self.considered: set[int] = set()  # levels where an override was weighed already

    # -- the write path ------------------------------------------------------------------
    def fire(self, machine: str, trigger: str, actor: Actor = COORDINATOR, **firing: object
             ) -> None:
        fire(self.load.session, self.load.catalogue, self.member, machine,
             Firing(trigger=trigger, on=self.day, **firing), actor,  # type: ignore[arg-type]
             self.load.zone)
        self.load.summary.events += 1

    def wait(self, low: int | None = None, high: int | None = None) -> None:
        low, high = (low, high) if low is not None and high is not None else self.temper.gap
        self.day += timedelta(days=self.rng.randint(low, high))
        if self.day > self.load.last_day:
            raise _Ended

    # -- what happens ---------------------------------------------------------------------
    def tell(self) -> None:
        try:
            self.welcome()
            while True:
                self.wait()
                if self.status == EXITED:
                    if self.rng.random() >= self.temper.rejoin:
                        return
                    self.wait(60, 200)
                    self.rejoin()
                elif self.status == PAUSED:
                    self.while_paused()
                else:
                    self.while_active()
        except _Ended:
            return

    def welcome(self) -> None:
        first = {"service_user": "buddy_assigned", "carer": "welcome_meeting_offered",
                 "staff": "issues_on_agenda"}[self.kind]
        self.wait(0, 10)
        if self.rng.random() < 0.85 and first in self.codes_up_to(0):
            self.achieve(first)
        if self.kind == "staff" and self.day < self.load.first_day + timedelta(days=60):
            self.first_buddies()
        if self.kind == "carer" and self.rng.random() < 0.35:
            # The carer gap: many carers come once or twice and are not seen again.
            self.wait(7, 60)
            self.exit()

    def first_buddies(self) -> None:
        """Some founding staff trained as buddies straight away; a year on, that has lapsed."""
        refreshers = sorted((m for m in self.load.catalogue.modules.values() if m.valid_for_days),
                            key=lambda m: m.valid_for_days or 0)
        if not refreshers or self.rng.random() > 0.4:
            return
        code = refreshers[0].code
        self.wait(3, 20)
        self.fire(f"{TRAINING}:{code}", self.triggers.enrol, TRAINING_LEAD)
        self.training[code] = ENROLLED
        self.wait(14, 40)
        self.finish_training()

    def while_active(self) -> None:
        temper = self.temper
        choices: list[tuple[float, Callable[[], None]]] = [
            (1.0, self.nothing), (temper.exit * 0.25, self.exit),
            (temper.pause * 0.3, self.pause)]
        if self.open_milestones():
            choices.append((3.0, self.milestone))
        if any(state == ENROLLED for state in self.training.values()):
            choices.append((4.0, self.finish_training))
        elif self.next_module():
            choices.append((2.0, self.start_training))
        if self.advance_transition() and self.milestones_at(self.level) >= 1:
            choices.append((temper.advance, self.advance))
        if self.step_back_transition():
            choices.append((temper.step_back * 0.3, self.step_back))
        if self.next_units():
            choices.append((1.2, self.move_on))
        self.choose(choices)()

    def while_paused(self) -> None:
        choices: list[tuple[float, Callable[[], None]]] = [
            (1.0, self.resume), (0.4, self.exit), (1.5, self.nothing)]
        if self.next_units():
            choices.append((0.4, self.move_on))
        self.choose(choices)()

    def choose(self, choices: list[tuple[float, Callable[[], None]]]) -> Callable[[], None]:
        weights, actions = zip(*choices, strict=True)
        return self.rng.choices(actions, weights=weights)[0]

    def nothing(self) -> None:
        """A quiet month: no event."""

    # -- milestones and awards ------------------------------------------------------------
    def codes_up_to(self, level: int) -> list[str]:
        return [m.code for m in self.definition.milestones
                if self.levels.index(m.level) <= level]

    def open_milestones(self) -> list[str]:
        return [code for code in self.codes_up_to(self.level) if code not in self.milestones]

    def milestones_at(self, level: int) -> int:
        return sum(1 for m in self.definition.milestones
                   if m.code in self.milestones and self.levels.index(m.level) == level)

    def milestone(self) -> None:
        codes = self.open_milestones()
        here = [c for c in codes if c not in self.codes_up_to(self.level - 1)] or codes
        transition = self.advance_transition()
        wanted = [g.target for g in (transition.guards if transition else ())
                  if g.kind == "milestone" and g.target in here]
        self.achieve(self.rng.choice(wanted if wanted and self.rng.random() < 0.7 else here))

    def achieve(self, code: str) -> None:
        self.fire(f"{MILESTONE}:{code}", self.triggers.achieve,
                  note=EVIDENCE.get(code, "Recorded by the unit coordinator at the monthly "
                                          "review."))
        self.milestones.add(code)
        self.consider_awards()

    def facts(self) -> Facts:
        """What the engine will know, from the story's own record (no query needed)."""
        training = {}
        for code, state in self.training.items():
            done = self.completed_on.get(code) if state == COMPLETED else None
            valid = self.load.catalogue.modules[code].valid_for_days
            training[code] = TrainingRecord(state, done,
                                            expires_on(done, valid) if done else None)
        return Facts(kind=self.kind, today=self.load.today, level=self.levels[self.level],
                     status=self.status, milestones=frozenset(self.milestones),
                     training=training)

    def unmet(self, guards: tuple[Guard, ...]) -> list[Verdict]:
        return [v for v in evaluate_all(guards, self.facts(), self.load.catalogue) if not v.met]

    def consider_awards(self) -> None:
        """Award what the member is ready for (most of the time: some wait to be noticed)."""
        if self.status != ACTIVE:
            return
        for award in self.load.catalogue.awards.values():
            if (award.kind != self.kind or award.code in self.awarded
                    or self.levels.index(award.level) > self.level
                    or self.unmet(award.criteria) or self.rng.random() < 0.15):
                continue
            self.fire(f"{AWARD}:{award.code}", self.triggers.award, TRAINING_LEAD,
                      reason="Portfolio reviewed at the accreditation panel.")
            self.awarded.add(award.code)

    # -- training -------------------------------------------------------------------------
    def next_module(self) -> str | None:
        needed = self.required_module()
        if needed and self.training.get(needed) not in (ENROLLED, COMPLETED):
            return needed
        offered = [code for code, module in self.load.catalogue.modules.items()
                   if self.levels.index(module.level) <= self.level + (self.kind == "staff")
                   and self.training.get(code) != COMPLETED]
        expired = [code for code, done in self.completed_on.items()
                   if (ends := expires_on(done, self.load.catalogue.modules[code].valid_for_days))
                   and self.day >= ends and self.rng.random() < 0.3]
        if offered:
            # Mostly the programme's order, sometimes whatever runs next in the area.
            return offered[0] if self.rng.random() < 0.5 else self.rng.choice(offered)
        return expired[0] if expired else None

    def required_module(self) -> str | None:
        transition = self.advance_transition()
        if transition is None:
            return None
        return next((g.target for g in transition.guards
                     if g.kind == "training" and g.enforcement == "required"), None)

    def start_training(self) -> None:
        code = self.next_module()
        if code is None:
            return
        trigger = self.triggers.enrol if code not in self.training else self.triggers.reenrol
        self.fire(f"{TRAINING}:{code}", trigger, TRAINING_LEAD)
        self.training[code] = ENROLLED

    def finish_training(self) -> None:
        code = next(c for c, state in self.training.items() if state == ENROLLED)
        if self.rng.random() < 0.12:
            self.fire(f"{TRAINING}:{code}", self.triggers.withdraw, TRAINING_LEAD,
                      reason=self.rng.choice(("Course clashed with ward leave.",
                                              "Not ready for a group course yet.",
                                              "Will join the next cohort.")))
            self.training[code] = WITHDRAWN
            return
        self.fire(f"{TRAINING}:{code}", self.triggers.complete, TRAINING_LEAD,
                  note="Attended all sessions; portfolio signed off.")
        self.training[code] = COMPLETED
        self.completed_on[code] = self.day
        self.consider_awards()

    # -- the pathway ----------------------------------------------------------------------
    def _moving(self, up: bool) -> Transition | None:
        """The definition's transition from the level held to the next one up (or down)."""
        here = self.levels[self.level]
        for transition in self.definition.transitions:
            if transition.source == here and transition.dest in self.levels:
                higher = self.levels.index(transition.dest) > self.level
                if higher == up and transition.dest != here:
                    return transition
        return None

    def advance_transition(self) -> Transition | None:
        return self._moving(up=True)

    def step_back_transition(self) -> Transition | None:
        return self._moving(up=False)

    def advance(self) -> None:
        transition = self.advance_transition()
        if transition is None:
            return
        unmet = self.unmet(transition.guards)
        if not unmet:
            self.fire(PATHWAY, transition.trigger,
                      reason="Agreed at the monthly involvement review.",
                      member_view=self.view_at_review())
        elif any(v.enforcement == "required" for v in unmet):
            # The review books the course that stands in the way, if it is not booked yet.
            if ENROLLED not in self.training.values():
                self.start_training()
            return
        elif self.level in self.considered:
            return
        elif self.rng.random() > (0.3 if len(unmet) == 1 else 0.08):
            # The review looked at an early advance once and chose to wait for the actions.
            self.considered.add(self.level)
            return
        else:
            self.fire(PATHWAY, transition.trigger, override=True,
                      reason="Ready in practice: the team agreed to support the next step "
                             "before the remaining actions are recorded.",
                      member_view=self.view_at_review())
        self.level = self.levels.index(transition.dest)
        self.consider_awards()

    def view_at_review(self) -> dict[str, object] | None:
        """What the member said of the move at the review (drawn apart from the story's own
        chances, so every other event of the demo stays as it was)."""
        draw = random.Random(f"{self.load.seed}:view:{self.member.id}:{self.day}").random()
        for below, view in MEMBER_VIEWS:
            if draw < below:
                return voice.checked_view(view)
        return None

    def step_back(self) -> None:
        transition = self.step_back_transition()
        if transition is None:
            return
        self.fire(PATHWAY, transition.trigger,
                  reason=self.rng.choice(("Readmitted after a relapse; rebuilding with support.",
                                          "Asked to step back while things settle at home.",
                                          "Readiness has dipped; agreed to ease off for now.")))
        self.level = self.levels.index(transition.dest)

    def pause(self) -> None:
        self.fire(PATHWAY, PAUSE, reason=self.rng.choice(PAUSE_REASONS[self.kind]))
        self.status = PAUSED

    def resume(self) -> None:
        self.fire(PATHWAY, RESUME, reason="Feeling ready to get involved again.")
        self.status = ACTIVE

    def exit(self) -> None:
        weights = {r: w for r, w in EXIT_WEIGHTS[self.kind].items()
                   if r in self.definition.exit_reasons} or dict.fromkeys(
                       self.definition.exit_reasons, 1)
        reason = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        self.fire(PATHWAY, EXIT, exit_reason=reason, reason="Exit conversation held.",
                  note=FEEDBACK.get(reason))
        self.status = EXITED

    def rejoin(self) -> None:
        self.fire(PATHWAY, REJOIN, reason=self.rng.choice((
            "Came back through the forum.", "Asked to get involved again.",
            "Rejoined after an invitation from their buddy.")))
        self.status = ACTIVE
        if self.definition.rejoin_to in self.levels:  # otherwise "held": the level stays
            self.level = self.levels.index(self.definition.rejoin_to)

    def next_units(self) -> list[Unit]:
        """Where a service user could step down to next (with a bed free)."""
        if self.kind != "service_user":
            return []
        kind = NEXT_KIND.get(self.load.units[self.member.unit_id].kind)
        return self.load.places(kind) if kind else []

    def move_on(self) -> None:
        target = self.rng.choice(self.next_units())
        before = self.load.units[self.member.unit_id]
        transfer(self.load.session, self.load.catalogue, self.member, target.code, COORDINATOR,
                 SERVICE, self.load.zone, on=self.day,
                 reason=f"Stepped down from {before.name.split(' (')[0]} as planned at the "
                        "CTP review.")
        self.load.summary.events += 1


class _Load:
    """The whole demo in one unit of work."""

    def __init__(self, session: Session, catalogue: Catalogue, zone: ZoneInfo,
                 seed: int) -> None:
        self.session = session
        self.catalogue = catalogue
        self.zone = zone
        self.seed = seed
        self.triggers = LifecycleTriggers.of(catalogue)
        self.today = clock.today(zone)
        self.last_day = self.today - timedelta(days=1)
        self.first_day = self.last_day - timedelta(days=HISTORY_DAYS)
        self.summary = DemoSummary()
        self.units: dict[int, Unit] = {}
        self.beds: dict[int, int | None] = {}
        # Service users who end up in each unit (not exited): no ward ends up over its beds.
        self.occupied: Counter[int] = Counter()
        self.still_involved: list[Member] = []  # for the involvement bookings

    def places(self, kind: str) -> list[Unit]:
        """Units of that kind with a bed free (community and prison teams have no beds)."""
        return [u for u in self.units.values() if u.kind == kind
                and ((beds := self.beds[u.id]) is None or self.occupied[u.id] < beds)]

    def run(self) -> DemoSummary:
        for plan in UNITS:
            unit = create_unit(self.session, plan.code, plan.name, plan.kind, plan.locality)
            self.units[unit.id] = unit
            self.beds[unit.id] = plan.beds
        self.summary.units = len(UNITS)
        for index, (kind, joined_on, name) in enumerate(self.plan_members()):
            rng = random.Random(f"{self.seed}:{index}")
            unit = self.starting_unit(kind, rng)
            self.summary.members[kind] += 1
            reference = f"{PREFIX[kind]}-{self.summary.members[kind]:04d}"
            member = register_member(self.session, self.catalogue, COORDINATOR,
                                     reference=reference, kind=kind, unit=unit.code,
                                     display_name=name, joined_on=joined_on, zone=self.zone)
            self.summary.events += 1
            story = _Story(self, member, rng)
            story.tell()
            if kind == "service_user" and story.status != EXITED:
                self.occupied[member.unit_id] += 1
            if story.status != EXITED:
                self.still_involved.append(member)
        self.summary.events += book_demo_involvement(self.session, self.catalogue,
                                                     self.still_involved, self.zone, self.today)
        self.voices()
        # The proposals board ("you said, we did"): a few cards in every column.
        demo_proposals.load(self.session, self.catalogue, self.zone)
        return self.summary

    def voices(self) -> None:
        """The demo member (as ``demo_sign_ins`` picks them) changes their view of their
        latest move and has a claim waiting and one declined; a neighbour on their unit has a
        claim waiting too, so the coordinator's unit has something to confirm."""
        from pathway.ops.demo_sign_ins import demo_member  # the demo's own member user
        from pathway.programme import milestones

        member = demo_member(self.session)
        if member is None:
            return
        neighbour = self.session.scalars(
            select(Member).where(Member.unit_id == member.unit_id, Member.id != member.id,
                                 Member.kind == member.kind).order_by(Member.id)).first()
        yesterday = self.last_day
        for someone, claims in ((member, 2), *(((neighbour, 1),) if neighbour else ())):
            said = Actor(name=someone.reference, role="member")
            views = [m for m in milestones.milestones_of(
                self.session, someone, milestones.catalogue_for(self.catalogue, someone.kind),
                self.zone) if m.state == milestones.NOT_ACHIEVED][:claims]
            for index, open_one in enumerate(views):
                milestones.claim(self.session, self.catalogue, someone, open_one.code, said,
                                 self.zone, achieved_on=yesterday,
                                 evidence=CLAIM_EVIDENCE[index % len(CLAIM_EVIDENCE)])
                self.summary.events += 1
                if index == 1:
                    milestones.decline(self.session, self.catalogue, someone, open_one.code,
                                       COORDINATOR, self.zone, reason=DECLINE_REASON,
                                       on=yesterday)
                    self.summary.events += 1
        moved = self.session.scalars(
            select(Event).where(Event.member_id == member.id, Event.machine == PATHWAY,
                                Event.trigger.in_(self.catalogue.pathway_for(member.kind)
                                                  .triggers))
            .order_by(Event.id.desc())).first()
        if moved is not None:
            voice.add_view(self.session, self.catalogue, member, moved.id,
                           {"agrees": voice.AGREES,
                            "words": "Looking back, it was the right time for me."},
                           Actor(name=member.reference, role="member"), self.zone,
                           on_behalf=False, on=yesterday)
            self.summary.events += 1

    def plan_members(self) -> list[tuple[str, date, str | None]]:
        """Who joins when, oldest first (so references count up with joining dates)."""
        rng = random.Random(self.seed)
        span = (self.last_day - self.first_day).days
        planned = []
        for kind, count in MEMBERS.items():
            founding = 0.5 if kind == "staff" else 0.3
            for _ in range(count):
                offset = (rng.randint(0, 60) if rng.random() < founding
                          else rng.randint(0, span - 14))
                planned.append((kind, self.first_day + timedelta(days=offset),
                                self.display_name(rng)))
        planned.sort(key=lambda p: (p[1], p[0]))
        return planned

    @staticmethod
    def display_name(rng: random.Random) -> str | None:
        """Optional and minimal: most people give a first name or nothing."""
        draw = rng.random()
        if draw < 0.4:
            return None
        name = rng.choice(FIRST_NAMES)
        return name if draw < 0.85 else f"{name} {rng.choice(INITIALS)}."

    def starting_unit(self, kind: str, rng: random.Random) -> Unit:
        if kind == "service_user":
            kinds = list(START_WEIGHTS)
            while kinds:
                chosen = rng.choices(kinds, weights=[START_WEIGHTS[k] for k in kinds])[0]
                if places := self.places(chosen):
                    return rng.choice(places)
                kinds.remove(chosen)
        # Staff work in every unit; carers follow someone on an inpatient unit or a team.
        pool = [u for u in self.units.values()
                if kind == "staff" or u.kind not in ("prison_inreach",)]
        return rng.choice(pool)


def load(session: Session, catalogue: Catalogue, zone: ZoneInfo, *,
         seed: int = SEED) -> DemoSummary:
    """Load the demo into an empty database (the caller checks and commits)."""
    return _Load(session, catalogue, zone, seed).run()
