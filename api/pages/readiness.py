"""The training lead's page: readiness by award, Award on a ready member, and completions
running out in the next 30 / 60 / 90 days per unit."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import HiddenField, StringField
from wtforms.validators import DataRequired

from api.access import note_reads
from api.context import catalogue, zone
from api.pages import pages
from api.pages.members import member_or_404
from api.pages.session import current_caller, db_session, signed_in
from pathway.errors import PathwayError
from pathway.people.units import units_query
from pathway.programme import awards, readiness
from pathway.programme.expiring import WINDOWS, expiring_completions

AWARDERS = ("admin", "training_lead")
PAGE_SIZE = 25
# The "Show" choices: (ready, awarded) as the readiness list filters them.
SHOWN: dict[str, tuple[bool | None, bool | None]] = {
    "all": (None, None), "to_award": (True, False), "not_ready": (False, False),
    "awarded": (None, True)}


class AwardForm(FlaskForm):
    member_id = HiddenField(validators=[DataRequired()])
    award = StringField(validators=[DataRequired()])


@pages.get("/readiness")
@signed_in(*AWARDERS)
def readiness_page(refusal: str | None = None, status: int = 200) -> tuple[str, int]:
    caller = current_caller()
    known = awards.awards_for(catalogue())
    chosen = request.args.get("award") or request.form.get("award") or \
        (known[0].code if known else "")
    if chosen not in catalogue().awards:
        chosen = known[0].code if known else ""
    shown = request.args.get("show", "all")
    ready, awarded = SHOWN.get(shown, (None, None))
    page_number = request.args.get("page", "1")
    number = int(page_number) if page_number.isdigit() and int(page_number) > 0 else 1
    page = readiness.readiness_page(db_session(), catalogue(), caller, zone(), page=number,
                                    page_size=PAGE_SIZE, award=chosen or None, ready=ready,
                                    awarded=awarded)
    expiring = expiring_completions(db_session(), catalogue(), caller, zone())
    # Both lists name members: audited as the API's readiness list is.
    note_reads((row["member_id"] for row in page.items), "readiness_list")
    note_reads((item.member_id for unit in expiring for item in unit.items), "list")
    last = max(1, -(-page.total // PAGE_SIZE))
    units = list(db_session().scalars(units_query(caller)))
    return render_template(
        "pages/readiness.html", awards=known, chosen=chosen, shown=shown, page=page,
        last_page=last, expiring=expiring, windows=WINDOWS, refusal=refusal,
        units=units, unit_names={unit.code: unit.name for unit in units},
        done=request.args.get("done") == "award",
        previous_url=url_for("pages.readiness_page", award=chosen, show=shown,
                             page=page.page - 1) if page.page > 1 else None,
        next_url=url_for("pages.readiness_page", award=chosen, show=shown,
                         page=page.page + 1) if page.page < last else None), status


@pages.post("/readiness/award")
@signed_in(*AWARDERS)
def make_award() -> Response | tuple[str, int]:
    form = AwardForm()
    if not form.validate_on_submit() or not (form.member_id.data or "").isdigit():
        abort(400)
    member = member_or_404(int(form.member_id.data or 0), action="write")
    try:
        awards.accredit(db_session(), catalogue(), member, form.award.data or "",
                        current_caller().actor, zone())
    except PathwayError as error:
        db_session().rollback()
        return readiness_page(refusal=f"{member.reference}: {error.message}", status=409)
    db_session().commit()
    return redirect(url_for("pages.readiness_page", award=form.award.data, done="award"))
