"""Administration (/admin): units, and the people who use the service (create, invite, reset,
revoke). An invitation link is shown once, on the page that made it, and never stored."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.wrappers import Response

from api.pages import pages
from api.pages.session import current_caller, db_session, signed_in
from api.units import UnitPatchSchema, UnitSchema
from pathway import clock
from pathway.errors import PathwayError
from pathway.people import sign_in as sign_in_rules
from pathway.people.access import ROLES, SCOPED_ROLES
from pathway.people.units import UNIT_KINDS, create_unit, unit_by_code
from pathway.people.users import create_user
from pathway.store.models import Login, Member, Unit, User
from pathway.words import readable

UNIT_FIELDS = ("code", "name", "kind", "locality")
ROLE_HINTS = {
    "admin": "Everything, in every unit, including this page.",
    "coordinator": "Members of their units: records, actions, milestones and training.",
    "training_lead": "Training and award readiness in their units.",
    "viewer": "Reports for their units, never one person's record.",
    "member": "Their own pathway only.",
}


def _first_messages(error: ValidationError) -> dict[str, str]:
    messages = error.messages if isinstance(error.messages, dict) else {"_": error.messages}
    return {field: (text[0] if isinstance(text, list) else str(text))
            for field, text in messages.items()}


def _people(session: Any) -> list[dict[str, Any]]:
    logins = {login.user_id: login for login in session.scalars(select(Login))}
    references = {member_id: reference for member_id, reference in session.execute(
        select(Member.id, Member.reference).join(User, User.member_id == Member.id))}
    people = []
    for user in session.scalars(select(User).order_by(User.name, User.id)):
        login = logins.get(user.id)
        if user.revoked_at is not None:
            state = "Revoked"
        elif login is not None and login.password_hash:
            state = "Can sign in"
        elif login is not None:
            state = "Invited"
        else:
            state = "API token only"
        if user.role == "member":
            scope = references.get(user.member_id, "-") if user.member_id else "-"
        elif user.role in SCOPED_ROLES:
            scope = "All units" if user.all_units else (
                ", ".join(sorted(u.name for u in user.units)) or "-")
        else:
            scope = "Everything"
        people.append({"id": user.id, "name": user.name, "role": user.role, "scope": scope,
                       "state": state, "active": sign_in_rules.is_active(user),
                       "username": login.username if login else None})
    return people


def _admin_page(status: int = 200, **extra: Any) -> tuple[str, int]:
    session = db_session()
    units = list(session.scalars(select(Unit).order_by(Unit.name)))
    context: dict[str, Any] = {
        "units": units, "people": _people(session), "unit_kinds": UNIT_KINDS,
        "roles": ROLES, "role_hints": ROLE_HINTS, "readable": readable,
        "unit_errors": {}, "unit_values": {}, "person_errors": {}, "person_values": {},
        "invitation": None, "notice": request.args.get("notice")}
    context.update(extra)
    return render_template("pages/admin.html", **context), status


@pages.get("/admin")
@signed_in("admin")
def admin() -> tuple[str, int]:
    return _admin_page()


@pages.post("/admin/units")
@signed_in("admin")
def add_unit() -> Response | tuple[str, int]:
    values = {key: request.form.get(key, "").strip() for key in UNIT_FIELDS}
    data = {key: value for key, value in values.items() if value or key != "locality"}
    session = db_session()
    try:
        loaded = UnitSchema().load(data)
        unit = create_unit(session, **loaded)
    except ValidationError as error:
        session.rollback()
        return _admin_page(400, unit_errors=_first_messages(error), unit_values=values)
    except PathwayError as error:
        session.rollback()
        return _admin_page(400, unit_errors={"code": error.message}, unit_values=values)
    session.commit()
    return redirect(url_for("pages.admin", notice=f"Added the unit {unit.name}."))


@pages.route("/admin/units/<code>", methods=["GET", "POST"])
@signed_in("admin")
def edit_unit(code: str) -> Response | str | tuple[str, int]:
    session = db_session()
    unit = unit_by_code(session, code, current_caller())
    if request.method == "GET":
        return render_template("pages/admin_unit.html", unit=unit, unit_kinds=UNIT_KINDS,
                               readable=readable, errors={},
                               values={"name": unit.name, "kind": unit.kind,
                                       "locality": unit.locality or ""})
    values = {key: request.form.get(key, "").strip() for key in ("name", "kind", "locality")}
    try:
        loaded = UnitPatchSchema().load({**values, "locality": values["locality"] or None})
    except ValidationError as error:
        return render_template("pages/admin_unit.html", unit=unit, unit_kinds=UNIT_KINDS,
                               readable=readable, errors=_first_messages(error),
                               values=values), 400
    for key, value in loaded.items():
        setattr(unit, key, value)
    session.commit()
    return redirect(url_for("pages.admin", notice=f"Saved the unit {unit.name}."))


def _person_error(error: PathwayError) -> dict[str, str]:
    field = next(iter(getattr(error, "errors", {}) or {}), "name")
    return {{"unit": "units", "member": "member", "role": "role",
             "username": "name"}.get(field, "name"): error.message}


@pages.post("/admin/people")
@signed_in("admin")
def add_person() -> Response | tuple[str, int]:
    name = request.form.get("name", "").strip()
    role = request.form.get("role", "")
    unit_codes = request.form.getlist("units")
    all_units = request.form.get("all_units") == "yes"
    reference = request.form.get("member", "").strip()
    values = {"name": name, "role": role, "units": unit_codes, "all_units": all_units,
              "member": reference}
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Enter the person's name"
    elif len(name) > 120:
        errors["name"] = "The name must be 120 characters or fewer"
    if role not in ROLES:
        errors["role"] = "Choose what they will do"
    member_id = None
    session = db_session()
    if role == "member" and not errors:
        member = session.scalars(select(Member).where(Member.reference == reference)).first()
        if member is None:
            errors["member"] = ("Enter the reference of the member this person is, like "
                                "SU-0042")
        else:
            member_id = member.id
    if not errors:
        try:
            user, _token = create_user(
                session, name, role,
                unit_codes=unit_codes if role in SCOPED_ROLES and not all_units else None,
                all_units=all_units and role in SCOPED_ROLES, member_id=member_id)
            link = sign_in_rules.create_invitation(session, user, current_caller().name)
        except PathwayError as error:
            errors = _person_error(error)
    if errors:
        session.rollback()
        return _admin_page(400, person_errors=errors, person_values=values)
    session.commit()
    return _admin_page(201, invitation={"name": user.name,
                                        "username": sign_in_rules.normalise(user.name),
                                        "url": url_for("pages.invitation", token=link,
                                                       _external=True),
                                        "made": "added"})


def _person(user_id: int) -> User:
    user = db_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@pages.post("/admin/people/<int:user_id>/reset")
@signed_in("admin")
def reset_person(user_id: int) -> tuple[str, int]:
    session = db_session()
    user = _person(user_id)
    try:
        link = sign_in_rules.reset_password(session, user, current_caller().name)
    except PathwayError as error:
        session.rollback()
        return _admin_page(400, notice=error.message)
    session.commit()
    return _admin_page(200, invitation={"name": user.name,
                                        "username": sign_in_rules.normalise(user.name),
                                        "url": url_for("pages.invitation", token=link,
                                                       _external=True),
                                        "made": "reset"})


@pages.post("/admin/people/<int:user_id>/revoke")
@signed_in("admin")
def revoke_person(user_id: int) -> Response:
    session = db_session()
    user = _person(user_id)
    if user.id == current_caller().user_id:
        return redirect(url_for("pages.admin", notice="You cannot revoke yourself; ask another "
                                                      "administrator."))
    if user.revoked_at is None:
        user.revoked_at = clock.now()
        session.commit()
    return redirect(url_for("pages.admin", notice=f"Revoked {user.name}: they can no longer "
                                                  "sign in or use their API token."))
