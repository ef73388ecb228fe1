"""Signing in and out, the home page, and setting a password from an invitation link."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from api.pages import pages
from api.pages.session import HOMES, begin, db_session, end, home_of, signed_in_now
from pathway import clock
from pathway.errors import InvalidInput, NotFound
from pathway.people import sign_in as sign_in_rules
from pathway.store.db import unit_of_work

WRONG_DETAILS = ("The username or password is not right. Check them and try again; "
                 "if you have forgotten your password, ask your Pathway administrator.")
ROLE_NAMES = {"admin": "administrator", "coordinator": "coordinator",
              "training_lead": "training lead", "viewer": "strategy group",
              "member": "member"}
NAVIGATION = {
    "admin": [("Administration", "/admin"), ("Units", "/units"), ("Readiness", "/readiness"),
              ("Reports", "/reports")],
    "coordinator": [("Units", "/units"), ("Reports", "/reports")],
    "training_lead": [("Units", "/units"), ("Readiness", "/readiness"), ("Reports", "/reports")],
    "viewer": [("Reports", "/reports")],
    "member": [("My pathway", "/me")],
}
# The proposals board ("you said, we did") is every role's.
for _menu in NAVIGATION.values():
    _menu.append(("Proposals", "/proposals"))


@pages.app_context_processor
def layout() -> dict[str, Any]:
    """What the layout needs: the signed-in person (if a page looked them up) and their menu."""
    caller = g.get("page_caller")
    return {"signed_in_caller": caller,
            "navigation": NAVIGATION.get(caller.role, []) if caller else [],
            "role_name": lambda role: ROLE_NAMES.get(role, role)}


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site (never //elsewhere or a full address) is followed."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return None


@pages.get("/")
def home() -> str | Response:
    caller = signed_in_now()
    if caller is not None and caller.role in HOMES:
        return redirect(home_of(caller))
    return render_template("pages/home.html")


def _locked_message(until: Any) -> str:
    minutes = max(1, round((until - clock.now()).total_seconds() / 60))
    return (f"There have been too many attempts to sign in with this username, so it is locked "
            f"for {minutes} more minute{'s' if minutes != 1 else ''}. Try again after that, or "
            "ask your Pathway administrator for help.")


@pages.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> str | Response | tuple[str, int]:
    caller = signed_in_now()
    target = _safe_next(request.values.get("next"))
    if request.method == "GET":
        if caller is not None:
            return redirect(target or home_of(caller))
        return render_template("pages/sign_in.html", username="", errors={}, next=target,
                               expired=bool(request.args.get("expired")))
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    errors: dict[str, str] = {}
    if not username:
        errors["username"] = "Enter your username"
    if not password:
        errors["password"] = "Enter your password"  # noqa: S105 (a message, not a password)
    if errors:
        return render_template("pages/sign_in.html", username=username, errors=errors,
                               next=target, expired=False), 400
    # Its own transaction, committed whatever the outcome: a failure must be counted.
    with unit_of_work(current_app.config["DATABASE_URL"]) as session:
        attempt = sign_in_rules.attempt(session, username, password)
    name = sign_in_rules.normalise(username)
    if attempt.outcome is sign_in_rules.Outcome.SIGNED_IN and attempt.caller is not None:
        current_app.logger.info("signed in", extra={"event": "sign_in", "username": name,
                                                    "role": attempt.caller.role})
        begin(attempt.caller, attempt.fingerprint)
        return redirect(target or home_of(attempt.caller))
    if attempt.outcome is sign_in_rules.Outcome.LOCKED and attempt.locked_until is not None:
        current_app.logger.warning("sign-in refused: locked",
                                   extra={"event": "sign_in_locked", "username": name})
        message = _locked_message(attempt.locked_until)
        status = 429
    else:
        current_app.logger.warning("sign-in failed",
                                   extra={"event": "sign_in_failed", "username": name})
        message = WRONG_DETAILS
        status = 401
    return render_template("pages/sign_in.html", username=username, errors={"username": message},
                           next=target, expired=False, failed=True), status


@pages.post("/sign-out")
def sign_out() -> Response:
    caller = signed_in_now()
    if caller is not None:
        current_app.logger.info("signed out", extra={"event": "sign_out",
                                                     "username": sign_in_rules.normalise(caller.name)})
    end()
    return redirect(url_for("pages.sign_in", signed_out=1))


@pages.route("/invite/<token>", methods=["GET", "POST"])
def invitation(token: str) -> str | Response | tuple[str, int]:
    """Set a password from a one-time link an administrator made."""
    session = db_session()
    try:
        _, user = sign_in_rules.open_invitation(session, token)
    except NotFound as refused:
        return render_template("pages/invitation_closed.html", message=refused.message), 404
    username = sign_in_rules.normalise(user.name)
    if request.method == "GET":
        return render_template("pages/invitation.html", username=username, errors={})
    password = request.form.get("password", "")
    again = request.form.get("password_again", "")
    errors: dict[str, str] = {}
    if password != again:
        errors["password_again"] = "The two passwords are not the same"  # noqa: S105
    else:
        try:
            sign_in_rules.accept_invitation(session, token, password)
        except InvalidInput as refused:
            errors["password"] = refused.message
    if errors:
        session.rollback()
        return render_template("pages/invitation.html", username=username, errors=errors), 400
    session.commit()
    current_app.logger.info("password set from an invitation",
                            extra={"event": "invitation_accepted", "username": username})
    return redirect(url_for("pages.sign_in", password_set=1))
