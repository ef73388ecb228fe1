"""A member's involvement and payment page: what was booked and where it stands, what is left
under each benefit-safe limit, and (for coordinators) booking, moving records on, and choosing
the limits. A member sees their own, read only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from api.context import catalogue, zone
from api.pages import pages
from api.pages.members import WRITERS, member_or_404
from api.pages.session import current_caller, db_session, signed_in
from pathway import clock
from pathway.errors import Conflict, InvalidInput, NotFound, PathwayError
from pathway.involvement import earnings, limits, records
from pathway.involvement.earnings import BenefitLimitReached, pounds
from pathway.store.models import BenefitLimitSetting, Member
from workflows.involvement import (
    CUSTOM,
    DECLINED,
    PAID,
    PAYMENTS,
    PERIODS,
    VOLUNTEER,
    VOUCHER,
)
from workflows.vocabulary import APPROVE, CANCEL, INVOLVEMENT_TRIGGERS, MARK_DONE, PAY

READERS = (*WRITERS, "member")
BUTTONS = {MARK_DONE: "Mark done", CANCEL: "Cancel", APPROVE: "Approve", PAY: "Pay"}
PAYMENT_WORDS = {PAID: "Paid", VOUCHER: "Voucher", DECLINED: "Declined payment",
                 VOLUNTEER: "Volunteer (unpaid)"}
BANNERS = {"booked": "Involvement booked.", "limits": "Benefit-safe limits saved.",
           **{trigger: f"{BUTTONS[trigger]}: recorded." for trigger in INVOLVEMENT_TRIGGERS}}


@pages.app_template_filter("pounds")
def pounds_filter(pence: int | None) -> str:
    return "" if pence is None else pounds(pence)


def _pence(text: str, field: str, errors: dict[str, str], label: str) -> int | None:
    """``12.50`` or ``£12.50`` as 1250 pence; empty as None."""
    cleaned = text.strip().lstrip("£").replace(",", "")
    if not cleaned:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = Decimal(-1)
    # Bounded before rounding: quantizing a huge value is itself an error.
    if not value.is_finite() or value < 0 or value > 1_000_000 \
            or value != value.quantize(Decimal("0.01")):
        errors[field] = f"{label} must be an amount in pounds, like 12.50."
        return None
    return int(value * 100)


def render_page(member: Member, *, errors: dict[str, str] | None = None,
                values: dict[str, str] | None = None, over: str | None = None,
                refusal: str | None = None, status: int = 200) -> tuple[str, int]:
    session = db_session()
    today = clock.today(zone())
    setting = session.get(BenefitLimitSetting, member.id)
    caller = current_caller()
    return render_template(
        "pages/involvement.html", member=member,
        items=records.records_of(session, catalogue(), member),
        headroom=earnings.headroom(session, catalogue(), member.id, today),
        settings=limits.settings_view(catalogue(), setting, today),
        rules=catalogue().benefit_rules, custom=CUSTOM, periods=PERIODS,
        activities=catalogue().activities, payments=PAYMENTS, payment_words=PAYMENT_WORDS,
        buttons=BUTTONS, approve=APPROVE, cancel=CANCEL,
        may_write=caller.role in WRITERS, own=caller.role not in WRITERS,
        errors=errors or {}, values=values or {}, over=over, refusal=refusal,
        banner=BANNERS.get(request.args.get("done", "")), today=today), status


@pages.get("/members/<int:member_id>/involvement")
@signed_in(*READERS)
def involvement(member_id: int) -> tuple[str, int]:
    return render_page(member_or_404(member_id))


@pages.post("/members/<int:member_id>/involvement")
@signed_in(*WRITERS)
def book_involvement(member_id: int) -> Response | tuple[str, int]:
    member = member_or_404(member_id, action="write")
    form = request.form
    values = {key: form.get(key, "") for key in ("activity", "on", "hours", "payment", "amount",
                                                 "expenses", "note", "reason")}
    errors: dict[str, str] = {}
    if values["activity"] not in catalogue().activities:
        errors["activity"] = "Choose the activity."
    on: date | None = None
    try:
        on = date.fromisoformat(values["on"])
    except ValueError:
        errors["on"] = "Enter the date of the activity, for example 2026-03-31."
    hours: Decimal | None = None
    try:
        hours = Decimal(values["hours"].strip())
    except InvalidOperation:
        errors["hours"] = "Enter the hours, for example 1.5."
    if values["payment"] not in PAYMENTS:
        errors["payment"] = "Choose how the member is paid."
    amount = _pence(values["amount"], "amount", errors, "Amount")
    expenses = _pence(values["expenses"], "expenses", errors, "Expenses") or 0
    override = form.get("override") == "yes"
    if errors or on is None or hours is None:
        return render_page(member, errors=errors, values=values, status=422)
    try:
        records.book(db_session(), catalogue(), member, current_caller().actor, zone(),
                     activity=values["activity"], on=on, hours=hours,
                     payment=values["payment"], amount_pence=amount, expenses_pence=expenses,
                     note=values["note"], override=override, reason=values["reason"])
    except BenefitLimitReached as refused:
        db_session().rollback()
        return render_page(member, values=values, over=refused.message,
                           errors={"override": refused.message}, status=409)
    except InvalidInput as error:
        db_session().rollback()
        field = {"amount_pence": "amount", "expenses_pence": "expenses"}.get(
            next(iter(error.errors)), next(iter(error.errors)))
        return render_page(member, errors={field: error.message}, values=values, status=422)
    except PathwayError as error:
        db_session().rollback()
        return render_page(member, values=values, refusal=error.message, status=409)
    db_session().commit()
    return redirect(url_for("pages.involvement", member_id=member.id, done="booked"))


@pages.post("/members/<int:member_id>/involvement/<int:record_id>/transitions")
@signed_in(*WRITERS)
def move_involvement(member_id: int, record_id: int) -> Response | tuple[str, int]:
    member = member_or_404(member_id, action="write")
    trigger = request.form.get("trigger", "")
    version = request.form.get("expected_version", "")
    try:
        records.change(db_session(), catalogue(), member, record_id, trigger,
                       current_caller().actor, zone(), reason=request.form.get("reason"),
                       override=request.form.get("override") == "yes",
                       expected_version=int(version) if version.isdigit() else None)
    except NotFound:
        db_session().rollback()
        return render_page(member, refusal="That involvement record is not this member's.",
                           status=404)
    except (Conflict, InvalidInput) as error:
        db_session().rollback()
        return render_page(member, refusal=error.message, status=409)
    db_session().commit()
    return redirect(url_for("pages.involvement", member_id=member.id, done=trigger))


@pages.post("/members/<int:member_id>/benefit-limits")
@signed_in(*WRITERS)
def save_benefit_limits(member_id: int) -> Response | tuple[str, int]:
    member = member_or_404(member_id, action="write")
    errors: dict[str, str] = {}
    chosen = request.form.getlist("rules")
    custom: dict[str, Any] | None = None
    if CUSTOM in chosen:
        pence = _pence(request.form.get("custom_limit", ""), "custom_limit", errors,
                       "The member's own limit")
        if pence is None and "custom_limit" not in errors:
            errors["custom_limit"] = "Enter the member's own limit in pounds, like 50.00."
        custom = {"period": request.form.get("custom_period"), "limit_pence": pence}
    if errors:
        return render_page(member, errors=errors, status=422)
    try:
        limits.set_limits(db_session(), catalogue(), member, current_caller().actor, chosen,
                          custom)
    except InvalidInput as error:
        db_session().rollback()
        return render_page(member, errors={"rules": error.message}, status=422)
    db_session().commit()
    return redirect(url_for("pages.involvement", member_id=member.id, done="limits"))

