"""A member's page: their pathway in words, what comes next, and the forms to record things."""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from api.access import member_in_scope
from api.context import catalogue, zone
from api.pages import pages
from api.pages.session import current_caller, db_session, signed_in
from pathway import clock
from pathway.engine import PATHWAY, Firing
from pathway.errors import InvalidInput, NotFound, PathwayError
from pathway.people.access import RECORD_READERS
from pathway.people.record import member_record
from pathway.programme import milestones, training
from pathway.programme.milestones import MilestoneView
from pathway.store.models import Member
from pathway.words import kind_words, level_words, readable
from workflows.machine import compile_definition
from workflows.schema import MEMBER_KINDS

WRITERS = ("admin", "coordinator")
# After confirming or declining a member's claim (api.pages.voice).
CLAIM_DONE = {"claim-confirmed": "Claim confirmed: the milestone is recorded.",
              "claim-declined": "Claim declined: the member sees the reason."}


@pages.app_template_filter("level_words")
def level_words_filter(level: str | None, kind: str = MEMBER_KINDS[0]) -> str:
    """``level_2`` -> ``Level 2 – Identifying and building skills`` for that kind's pathway."""
    return level_words(catalogue().pathway_for(kind), level)


@pages.app_template_filter("column_words")
def column_words(column: str) -> str:
    """A count column: a level in words, or a status (``paused`` -> ``Paused``)."""
    definition = catalogue().pathway_for(MEMBER_KINDS[0])
    if definition.level_index(column) >= 0:
        return level_words(definition, column)
    return readable(column)


@pages.app_template_filter("kind_words")
def kind_words_filter(kind: str | None, plural: bool = False) -> str:
    return kind_words(kind, plural=plural)


@pages.app_template_filter("day")
def day_filter(moment: date | datetime | None) -> str:
    """A day as people write it (``3 March 2026``), in the service's time zone."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        moment = clock.local_date(moment, zone())
    return f"{moment.day} {moment:%B %Y}"


@pages.app_template_filter("words")
def words_filter(code: str | None) -> str:
    """Any other code made readable: statuses, triggers, exit reasons, training states."""
    return readable(code)


def member_or_404(member_id: int, *, action: str = "read") -> Member:
    """The member if the caller may see them (audited as the API's read); else the 404 page."""
    try:
        return member_in_scope(member_id, action=action)
    except NotFound:
        abort(404)


class MilestoneForm(FlaskForm):
    code = SelectField("Milestone", validators=[DataRequired("Choose the milestone.")])
    evidence = TextAreaField("Evidence", validators=[Optional(), Length(max=2000)])
    achieved_on = DateField("Date it happened", validators=[Optional()],
                            render_kw={"type": "date"})
    expected_version = HiddenField()


class TrainingForm(FlaskForm):
    expected_version = IntegerField(validators=[Optional()])


def _milestone_form(record_milestones: list[MilestoneView]) -> MilestoneForm:
    form = MilestoneForm()
    form.code.choices = [("", "Choose a milestone")] + [
        (m.code, m.title) for m in record_milestones
        if not m.achieved and m.state != milestones.CLAIMED]
    return form


def render_member(member: Member, *, milestone_form: MilestoneForm | None = None,
                  stale: str | None = None, refusal: str | None = None,
                  status: int = 200) -> tuple[str, int]:
    record = member_record(db_session(), catalogue(), member, zone())
    form = milestone_form or _milestone_form(record.milestones)
    if milestone_form is not None:
        form.code.choices = _milestone_form(record.milestones).code.choices
    definition = catalogue().pathway_for(member.kind)
    return render_template("pages/member.html", record=record, member=member,
                           definition=definition, milestone_form=form,
                           training_form=TrainingForm(formdata=None),
                           may_write=current_caller().role in WRITERS,
                           stale=stale, refusal=refusal,
                           banner=banner(request.args.get("done", ""), record.actions)), status


def banner(done: str, actions: list[str]) -> str | None:
    """The success message after a change (post/redirect/get), for the changes pages make."""
    if done == "milestone":
        return "Milestone recorded."
    what, _, trigger = done.partition("-")
    if what == "training" and trigger in training.triggers(catalogue()):
        return f"Training updated: {readable(trigger).lower()}."
    if what == "action" and trigger in _pathway_triggers(actions):
        return f"{readable(trigger)} recorded."
    if what == "award":
        return "Award made."
    if done in CLAIM_DONE:
        return CLAIM_DONE[done]
    return None


def _pathway_triggers(actions: list[str]) -> set[str]:
    """Every pathway trigger of any kind (after an action the member's state has moved)."""
    known = set(actions)
    for definition in catalogue().definitions.values():
        if definition.machine == PATHWAY:
            known.update(compile_definition(definition).machine.events)
    return known


@pages.get("/members/<int:member_id>")
@signed_in(*RECORD_READERS)
def member(member_id: int) -> tuple[str, int]:
    return render_member(member_or_404(member_id))


@pages.post("/members/<int:member_id>/milestones")
@signed_in(*WRITERS)
def record_milestone(member_id: int) -> Response | tuple[str, int]:
    found = member_or_404(member_id, action="write")
    record = member_record(db_session(), catalogue(), found, zone())
    form = _milestone_form(record.milestones)
    if form.validate_on_submit():
        achieved_on: date | None = form.achieved_on.data
        try:
            milestones.record(db_session(), catalogue(), found, form.code.data,
                              current_caller().actor, zone(), achieved_on=achieved_on,
                              evidence=(form.evidence.data or "").strip() or None)
        except InvalidInput as error:
            db_session().rollback()
            form.achieved_on.errors = [*form.achieved_on.errors, error.message]
        except PathwayError as error:
            db_session().rollback()
            form.code.errors = [*form.code.errors, error.message]
        else:
            db_session().commit()
            return redirect(url_for("pages.member", member_id=found.id, done="milestone"))
    return render_member(found, milestone_form=form, status=422)


@pages.post("/members/<int:member_id>/training/<code>/<trigger>")
@signed_in(*WRITERS)
def move_training(member_id: int, code: str, trigger: str) -> Response | tuple[str, int]:
    found = member_or_404(member_id, action="write")
    form = TrainingForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        training.move(db_session(), catalogue(), found, code,
                      Firing(trigger=trigger, expected_version=form.expected_version.data),
                      current_caller().actor, zone())
    except NotFound:
        abort(404)
    except PathwayError as error:
        db_session().rollback()
        return render_member(found, refusal=error.message, status=409)
    db_session().commit()
    return redirect(url_for("pages.member", member_id=found.id, done=f"training-{trigger}"))
