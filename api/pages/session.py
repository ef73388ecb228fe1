"""Who is signed in to the pages: the session cookie, its timeouts, and the views' guard.

The cookie (Flask's signed session) holds only the user's id, a fingerprint of their password
hash and two times. Every request looks the user up again, so revoking someone or resetting
their password signs them out at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for
from sqlalchemy.orm import Session

from api import db
from pathway import clock
from pathway.people.access import Caller
from pathway.people.sign_in import signed_in_caller
from pathway.store.db import unit_of_work

F = TypeVar("F", bound=Callable[..., Any])

USER = "user_id"
FINGERPRINT = "password"
SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"


def db_session() -> Session:
    """The request's database session (the same one the API's views use)."""
    return db.session()


def _timeouts() -> tuple[timedelta, timedelta]:
    return (timedelta(minutes=current_app.config["PATHWAY_SESSION_IDLE_MINUTES"]),
            timedelta(hours=current_app.config["PATHWAY_SESSION_ABSOLUTE_HOURS"]))


def begin(caller: Caller, fingerprint: str) -> None:
    """Start a signed-in session (a new cookie: nothing from before signing in is kept)."""
    session.clear()
    now = clock.now().timestamp()
    session[USER] = caller.user_id
    session[FINGERPRINT] = fingerprint
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now
    session.permanent = True


def end() -> None:
    session.clear()


def _caller_from_cookie() -> Caller | None:
    """The signed-in caller, or None when nobody is, or the session has timed out."""
    if "page_caller" in g:
        return g.page_caller
    caller = None
    user_id, fingerprint = session.get(USER), session.get(FINGERPRINT)
    if isinstance(user_id, int) and isinstance(fingerprint, str):
        idle, absolute = _timeouts()
        now = clock.now().timestamp()
        signed_in_at = float(session.get(SIGNED_IN_AT, 0))
        seen_at = float(session.get(SEEN_AT, 0))
        if now - seen_at > idle.total_seconds() or now - signed_in_at > absolute.total_seconds():
            g.session_expired = True
            session.clear()
        else:
            # Its own short read, before the request's session (which may hold a write lock).
            with unit_of_work(current_app.config["DATABASE_URL"], write=False) as lookup:
                caller = signed_in_caller(lookup, user_id, fingerprint)
            if caller is None:
                session.clear()
            elif now - seen_at > 60:  # refresh the idle clock, at most once a minute
                session[SEEN_AT] = now
    g.page_caller = caller
    return caller


def signed_in_now() -> Caller | None:
    """The signed-in caller if there is one (for pages anyone may open, like the home page)."""
    return _caller_from_cookie()


def current_caller() -> Caller:
    """The caller of a page guarded by ``signed_in`` (the same ``Caller`` a token gives)."""
    caller = _caller_from_cookie()
    if caller is None:
        abort(401)
    return caller


def current_user_name() -> str:
    return current_caller().name


def signed_in(*roles: str) -> Callable[[F], F]:
    """Only signed-in people with one of ``roles`` (any role when none are named).

    Not signed in: to the sign-in page, coming back here afterwards. Another role: "Page not
    found" (404), exactly as an out-of-scope record is, so a page never tells who may see it.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            caller = _caller_from_cookie()
            if caller is None:
                target = request.full_path if request.method == "GET" else request.path
                return redirect(url_for("pages.sign_in", next=target.rstrip("?"),
                                        expired=1 if g.get("session_expired") else None))
            if roles and caller.role not in roles:
                abort(404)
            g.caller = caller  # what api.access and the read audit look for
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


HOMES = {"admin": "/admin", "coordinator": "/units", "training_lead": "/units",
         "viewer": "/reports", "member": "/me"}


def home_of(caller: Caller) -> str:
    return HOMES.get(caller.role, "/")
