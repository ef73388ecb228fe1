"""An action on a member's pathway: the form (GET) and its confirmation (POST).

The form says what the action needs, in words: criteria met or not, what blocks it, what an
override waives. It carries the pathway version it was drawn from, so a confirmation made
after someone else changed the record writes nothing and shows the record as it is now.
"""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from api.context import catalogue, zone
from api.pages import pages
from api.pages.members import WRITERS, member_or_404, render_member
from api.pages.session import current_caller, db_session, signed_in
from pathway.engine import PATHWAY, Firing, fire
from pathway.errors import (
    GuardsUnmet,
    InvalidInput,
    InvalidTrigger,
    NotFound,
    PathwayError,
    VersionConflict,
)
from pathway.people import voice
from pathway.people.actions import Action, action_for
from pathway.people.members import pathway_of, transfer
from pathway.people.units import units_query
from pathway.store.models import Member
from pathway.words import level_words, readable

STALE = "The record has changed since you opened it"
REQUIRED = "required"  # a criterion's enforcement that no override waives
VIEW_CHOICES = ((voice.AGREES, "Yes"), (voice.DISAGREES, "No"), (voice.NOT_ASKED, "Not asked"))


class ActionForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[Optional(), Length(max=2000)])
    on = DateField("Date it happened", validators=[Optional()], render_kw={"type": "date"})
    exit_reason = SelectField("Reason for leaving", validators=[Optional()])
    # A leaver's own words about leaving: the attrition report learns from them.
    feedback = TextAreaField("Their feedback on the service", validators=[Optional(), Length(max=2000)])
    unit = SelectField("Unit", validators=[Optional()])
    override = BooleanField("Go ahead without the advisory criteria")
    expected_version = HiddenField()
    # The member's view of the move, kept on its event.
    member_agrees = RadioField("Does the member agree?", validators=[Optional()])
    member_words = TextAreaField("Their words", validators=[Optional(), Length(max=2000)])
    why_not_asked = TextAreaField("Why not asked", validators=[Optional(), Length(max=2000)])


# A view's form fields, by the keys ``pathway.people.voice`` names them.
VIEW_FIELDS = {"agrees": "member_agrees", "words": "member_words",
               "why_not_asked": "why_not_asked"}


def _form(member: Member, action: Action, *, formdata: bool = True) -> ActionForm:
    form = ActionForm() if formdata else ActionForm(formdata=None)
    form.member_agrees.choices = list(VIEW_CHOICES)
    definition = catalogue().pathway_for(member.kind)
    form.exit_reason.choices = [("", "Choose a reason")] + [
        (code, readable(code)) for code in definition.exit_reasons]
    form.unit.choices = [("", "Choose a unit")] + [
        (u.code, f"{u.name} ({u.code})")
        for u in db_session().scalars(units_query(current_caller())) if u.id != member.unit_id]
    return form


def _action_or_404(member: Member, trigger: str) -> Action:
    action = action_for(db_session(), catalogue(), member, pathway_of(db_session(), member),
                        trigger, zone())
    if action is None:
        abort(404)
    return action


def _render(member: Member, action: Action, form: ActionForm, *, stale: bool = False,
            errors: list[tuple[str, str]] | None = None, status: int = 200) -> tuple[str, int]:
    instance = pathway_of(db_session(), member)
    if not form.expected_version.data or stale:
        form.expected_version.data = str(instance.version)
    definition = catalogue().pathway_for(member.kind)
    return render_template("pages/action.html", member=member, action=action, form=form,
                           instance=instance, definition=definition, stale=stale,
                           stale_message=STALE, errors=errors or [],
                           label=readable(action.trigger),
                           to_words=level_words(definition, action.to_state.split(".")[0])
                           if action.to_state else None), status


@pages.get("/members/<int:member_id>/actions/<trigger>")
@signed_in(*WRITERS)
def action_form(member_id: int, trigger: str) -> tuple[str, int]:
    member = member_or_404(member_id)
    action = _action_or_404(member, trigger)
    return _render(member, action, _form(member, action, formdata=False))


def _problems(form: ActionForm, action: Action) -> list[tuple[str, str]]:
    """What the form is missing, each as (field, message), before anything is fired."""
    problems = [(name, message) for name, messages in form.errors.items()
                if name != "csrf_token" for message in messages]
    reason = (form.reason.data or "").strip()
    wants_override = bool(form.override.data) and bool(
        action.advisory_unmet or (action.agreement and form.member_agrees.data != voice.AGREES))
    if not reason and (action.reason_required or wants_override):
        why = "to go ahead without the advisory criteria" if wants_override and \
            not action.reason_required else f"to {readable(action.trigger).lower()}"
        problems.append(("reason", f"Enter a reason: one is needed {why}."))
    if action.asks_exit_reason and not form.exit_reason.data:
        problems.append(("exit_reason", "Choose the reason for leaving."))
    if action.asks_unit and not form.unit.data:
        problems.append(("unit", "Choose the unit to move to."))
    if (not action.asks_unit and form.member_agrees.data == voice.NOT_ASKED
            and not (form.why_not_asked.data or "").strip()):
        problems.append(("why_not_asked", "Say why the member was not asked for their view."))
    agrees = form.member_agrees.data == voice.AGREES
    if action.agreement == REQUIRED and not agrees:
        problems.append(("member_agrees", "This move needs the member’s agreement: choose Yes "
                                          "once they agree."))
    elif action.agreement and not agrees and not form.override.data:
        problems.append(("member_agrees", "The member has not agreed to this move: choose Yes "
                                          "if they do, or tick “Go ahead without the advisory "
                                          "criteria” and give a reason."))
    if action.advisory_unmet and not action.blocking and not form.override.data:
        problems.append(("override", "Nothing was changed: some advisory criteria are not met. "
                                     "Tick “Go ahead without the advisory criteria” and give "
                                     "a reason, or meet them first."))
    return problems


def _view(form: ActionForm) -> dict[str, object] | None:
    """The member's view as the form gives it; none when the question was not answered."""
    if not form.member_agrees.data:
        return None
    return voice.checked_view({"agrees": form.member_agrees.data,
                               "words": form.member_words.data,
                               "why_not_asked": form.why_not_asked.data}, field="")


def _feedback(form: ActionForm, action: Action) -> str | None:
    """What the leaver said about leaving, kept on the exit event; only asked on leaving."""
    return ((form.feedback.data or "").strip() or None) if action.asks_exit_reason else None


def _stale(member: Member, trigger: str) -> tuple[str, int]:
    """Nothing written: the form again as the record is now, or the member page when the
    action is no longer possible from the state the record is in now."""
    now = action_for(db_session(), catalogue(), member, pathway_of(db_session(), member),
                     trigger, zone())
    if now is None:
        return render_member(member, stale=STALE, status=409)
    return _render(member, now, _form(member, now, formdata=False), stale=True, status=409)


@pages.post("/members/<int:member_id>/actions/<trigger>")
@signed_in(*WRITERS)
def confirm_action(member_id: int, trigger: str) -> Response | tuple[str, int]:
    member = member_or_404(member_id, action="write")
    drawn = request.form.get("expected_version", "")
    version = int(drawn) if drawn.isdigit() else None
    # First: a form drawn from an older record is never confirmed, even when its action is
    # no longer possible at all.
    if version is not None and version != pathway_of(db_session(), member).version:
        return _stale(member, trigger)
    action = _action_or_404(member, trigger)
    form = _form(member, action)
    form.validate()
    if action.blocking:
        return _render(member, action, form, errors=[(
            "criteria", "This cannot be confirmed until the required criteria are met.")],
            status=409)
    problems = _problems(form, action)
    if problems:
        return _render(member, action, form, errors=problems, status=422)
    reason = (form.reason.data or "").strip() or None
    try:
        if action.asks_unit:
            transfer(db_session(), catalogue(), member, form.unit.data or "",
                     current_caller().actor, current_caller(), zone(), reason=reason,
                     on=form.on.data, expected_version=version)
        else:
            fire(db_session(), catalogue(), member, PATHWAY,
                 Firing(trigger=trigger, reason=reason, override=bool(form.override.data),
                        expected_version=version, on=form.on.data,
                        exit_reason=form.exit_reason.data or None,
                        note=_feedback(form, action),
                        member_view=_view(form)), current_caller().actor,
                 zone())
    except (VersionConflict, InvalidTrigger, GuardsUnmet):
        # Someone else changed the record between our look and our write.
        db_session().rollback()
        return _stale(member, trigger)
    except InvalidInput as error:
        db_session().rollback()
        field = next(iter(error.errors))
        field = VIEW_FIELDS.get(field, field)
        return _render(member, action, form, status=422,
                       errors=[(field if field in form else "reason", error.message)])
    except NotFound as error:
        db_session().rollback()
        return _render(member, action, form, errors=[("unit", error.message)], status=422)
    except PathwayError as error:
        db_session().rollback()
        return _render(member, action, form, errors=[("reason", error.message)], status=409)
    db_session().commit()
    return redirect(url_for("pages.member", member_id=member.id, done=f"action-{trigger}"))
