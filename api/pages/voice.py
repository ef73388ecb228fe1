"""The member's voice on the pages: their view of each move and what they say they did (on
/me), and the claims staff confirm or decline (on the member's page and per unit)."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from api.access import member_in_scope, note_reads
from api.context import catalogue, zone
from api.pages import pages
from api.pages.members import WRITERS, member_or_404, render_member
from api.pages.session import current_caller, db_session, signed_in
from pathway.errors import InvalidInput, NotFound, PathwayError
from pathway.people import voice
from pathway.people.access import RECORD_READERS
from pathway.people.record import moves_of
from pathway.people.units import unit_by_code
from pathway.programme import milestones

OWN = ("member",)


class ViewForm(FlaskForm):
    agrees = RadioField("Do you agree with this move?",
                        validators=[DataRequired("Choose Yes or No.")])
    words = TextAreaField("In your own words", validators=[Optional(), Length(max=2000)])


class ClaimForm(FlaskForm):
    code = SelectField("Which milestone", validators=[DataRequired("Choose the milestone.")])
    achieved_on = DateField("Date it happened", validators=[Optional()],
                            render_kw={"type": "date"})
    evidence = TextAreaField("What happened", validators=[Optional(), Length(max=2000)])


class DeclineForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[
        DataRequired("Enter a reason: the member will see it."), Length(max=2000)])


def _own_member_id() -> int:
    member_id = current_caller().member_id
    if member_id is None:
        abort(404)
    return member_id


def _errors(form: FlaskForm, prefix: str = "") -> dict[str, str]:
    return {f"{prefix}{name}": messages[0] for name, messages in form.errors.items()
            if name != "csrf_token" and messages}


# --- the member's view of a move ---------------------------------------------------------------

@pages.route("/me/moves/<int:event_id>/view", methods=["GET", "POST"])
@signed_in(*OWN)
def my_view(event_id: int) -> Response | tuple[str, int]:
    member = member_in_scope(_own_member_id())
    move = next((m for m in moves_of(db_session(), catalogue(), member)
                 if m.event_id == event_id), None)
    if move is None:
        abort(404)
    form = ViewForm() if request.method == "POST" else ViewForm(formdata=None)
    form.agrees.choices = [(voice.AGREES, "Yes"), (voice.DISAGREES, "No")]
    errors: dict[str, str] = {}
    if request.method == "POST":
        if form.validate():
            try:
                voice.add_view(db_session(), catalogue(), member, event_id,
                               {"agrees": form.agrees.data, "words": form.words.data},
                               current_caller().actor, zone(), on_behalf=False)
            except PathwayError as error:
                db_session().rollback()
                errors["words"] = error.message
            else:
                db_session().commit()
                return redirect(url_for("pages.me", done="view") + "#my-moves")
        errors = {**_errors(form), **errors}
    if "agrees" in errors:
        errors["agrees"] = errors["agrees"] if form.agrees.data else "Choose Yes or No."
    return render_template("pages/me_view.html", member=member, move=move, form=form,
                           errors=errors), 422 if errors else 200


# --- something the member did ------------------------------------------------------------------

def _claim_choices(member_id: int) -> list[tuple[str, str]]:
    member = member_in_scope(member_id)
    views = milestones.milestones_of(db_session(), member,
                                     milestones.catalogue_for(catalogue(), member.kind), zone())
    return [("", "Choose a milestone")] + [
        (m.code, m.title) for m in views
        if m.state in (milestones.NOT_ACHIEVED, milestones.DECLINED)]


@pages.route("/me/claims", methods=["GET", "POST"])
@signed_in(*OWN)
def my_claim() -> Response | tuple[str, int]:
    member = member_in_scope(_own_member_id())
    form = ClaimForm() if request.method == "POST" else ClaimForm(formdata=None)
    form.code.choices = _claim_choices(member.id)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if form.validate():
            try:
                milestones.claim(db_session(), catalogue(), member, form.code.data,
                                 current_caller().actor, zone(),
                                 achieved_on=form.achieved_on.data,
                                 evidence=(form.evidence.data or "").strip() or None)
            except InvalidInput as error:
                db_session().rollback()
                errors["achieved_on"] = error.message
            except PathwayError as error:
                db_session().rollback()
                errors["code"] = error.message
            else:
                db_session().commit()
                return redirect(url_for("pages.me", done="sent") + "#my-claims")
        if form.achieved_on.errors:
            errors.setdefault("achieved_on", "Enter the date as a real date, for example "
                                             "3 March 2026.")
        errors = {**_errors(form), **errors}
    return render_template("pages/me_claim.html", member=member, form=form,
                           errors=errors), 422 if errors else 200


# --- staff: confirm or decline a claim ---------------------------------------------------------

def _claimed_or_404(member_id: int, code: str) -> milestones.MilestoneView:
    member = member_or_404(member_id)
    found = next((m for m in milestones.milestones_of(
        db_session(), member, milestones.catalogue_for(catalogue(), member.kind), zone())
        if m.code == code and m.state == milestones.CLAIMED), None)
    if found is None:
        abort(404)
    return found


@pages.post("/members/<int:member_id>/claims/<code>/confirm")
@signed_in(*WRITERS)
def confirm_claim(member_id: int, code: str) -> Response | tuple[str, int]:
    member = member_or_404(member_id, action="write")
    try:
        milestones.confirm(db_session(), catalogue(), member, code, current_caller().actor,
                           zone())
    except NotFound:
        abort(404)
    except PathwayError as error:
        db_session().rollback()
        return render_member(member, refusal=error.message, status=409)
    db_session().commit()
    return redirect(url_for("pages.member", member_id=member.id, done="claim-confirmed"))


@pages.route("/members/<int:member_id>/claims/<code>/decline", methods=["GET", "POST"])
@signed_in(*WRITERS)
def decline_claim(member_id: int, code: str) -> Response | tuple[str, int]:
    claimed = _claimed_or_404(member_id, code)
    member = member_or_404(member_id, action="write" if request.method == "POST" else "read")
    form = DeclineForm() if request.method == "POST" else DeclineForm(formdata=None)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if form.validate():
            try:
                milestones.decline(db_session(), catalogue(), member, code,
                                   current_caller().actor, zone(), reason=form.reason.data or "")
            except PathwayError as error:
                db_session().rollback()
                errors["reason"] = error.message
            else:
                db_session().commit()
                return redirect(url_for("pages.member", member_id=member.id,
                                        done="claim-declined"))
        errors = {**_errors(form), **errors}
    return render_template("pages/decline.html", member=member, claimed=claimed, form=form,
                           errors=errors), 422 if errors else 200


# --- claims waiting in a unit ------------------------------------------------------------------

@pages.get("/units/<code>/claims")
@signed_in(*RECORD_READERS)
def unit_claims(code: str) -> str:
    caller = current_caller()
    try:
        found = unit_by_code(db_session(), code, caller)
    except NotFound:
        abort(404)
    waiting = milestones.claims_waiting(db_session(), catalogue(), [found.id], zone())
    note_reads((member.id for member, _ in waiting), "claims_waiting")
    return render_template("pages/unit_claims.html", unit=found, waiting=waiting,
                           may_write=caller.role in WRITERS)
