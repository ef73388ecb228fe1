"""Bearer tokens and roles. Views declare who may call them; the rest is checked here."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_smorest import abort

from api.db import session
from api.errors import refuse
from pathway.people import users
from pathway.people.access import (
    ADMINISTER,
    AWARD,
    CHANGE_RECORDS,
    DATA_RIGHTS,
    READ_RECORDS,
    READ_REPORTS,
    RECORD_TRAINING,
    ROLE_TABLE,
    SEE_PROGRAMME,
    Caller,
    allowed_to,
)
from pathway.store.db import engine_for, unit_of_work

F = TypeVar("F", bound=Callable[..., Any])


def current_caller() -> Caller:
    return g.caller


def _token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate() -> Caller:
    """Look the token up; its last use is recorded in a short transaction of its own.

    On SQLite the lookup has its own short transaction too, before the request's begins: a
    writing request holds the write lock from its first statement, which a request refused
    here should never take. On PostgreSQL nothing is locked by reading, so the lookup is the
    first statement of the request's own transaction (one connection checkout, not two).
    """
    token = _token()
    caller = None
    if token:
        engine = engine_for(current_app.config["DATABASE_URL"])
        if engine.dialect.name == "sqlite":
            # A plain connection, not a session: nothing is loaded as objects here.
            with engine.connect() as lookup:
                caller = users.caller_for(lookup, token)
        else:
            caller = users.caller_for(session(), token)
        stale = caller is not None and users.needs_touch(caller)
        if caller is not None and stale:
            with unit_of_work(current_app.config["DATABASE_URL"]) as side:
                users.touch(side, caller.user_id)
    if caller is None:
        current_app.logger.warning("authentication failed",
                                   extra={"event": "auth_failed",
                                          "reason": "missing" if not token else "invalid"})
        refuse(401, headers={"WWW-Authenticate": "Bearer"})
    return caller


def _admit(allowed: tuple[str, ...]) -> None:
    """Authenticate once per request (401) and check the role (403)."""
    if g.get("caller") is None:
        g.caller = authenticate()
    if g.caller.role not in allowed:
        abort(403, message=f"Your role ({g.caller.role}) does not allow this; it needs "
                           f"one of: {', '.join(allowed)}.")


def roles(*allowed: str) -> Callable[[F], F]:
    """Allow only these roles (401 without a valid token, 403 with another role).

    The roles are also checked before the request's body or query is read
    (``authenticate_for_endpoint``), and the OpenAPI document lists them per operation.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            _admit(allowed)
            return view(*args, **kwargs)

        wrapper._roles = allowed  # type: ignore[attr-defined]  # read by the checks below
        return wrapper  # type: ignore[return-value]

    return decorator


def roles_of(view: Any, method: str) -> tuple[str, ...] | None:
    """The roles a view function (or a MethodView's method) declared, None when public."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        view = getattr(view_class, method.lower(), None)
        if view is None and method == "HEAD":
            view = getattr(view_class, "get", None)
    return getattr(view, "_roles", None)


def authenticate_for_endpoint() -> None:
    """Before the body is parsed: 401 without a valid token, 403 with another role."""
    if request.routing_exception is not None or request.endpoint is None:
        return
    allowed = roles_of(current_app.view_functions[request.endpoint], request.method)
    if allowed is not None:
        _admit(allowed)


ALL_ROLES = allowed_to(SEE_PROGRAMME)
RECORD_ROLES = allowed_to(READ_RECORDS)
WRITERS = allowed_to(CHANGE_RECORDS)
TRAINERS = allowed_to(RECORD_TRAINING)
AWARDERS = allowed_to(AWARD)
REPORTERS = allowed_to(READ_REPORTS)
OWNERS = allowed_to(DATA_RIGHTS)
ADMINS = allowed_to(ADMINISTER)

# The member themself (their own record only): their view of a move, what they did.
OWN_RECORD = tuple(role.name for role in ROLE_TABLE if role.own_record)
# Who may record a member's view of a move: the member, or staff on their behalf.
VOICES = (*WRITERS, *OWN_RECORD)


def speaks_for_self(caller: Caller) -> bool:
    """The caller is the member whose record it is (access already scoped it to their own)."""
    return caller.role in OWN_RECORD
