"""Bearer tokens and roles. Views declare who may call them; the rest is checked here."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_smorest import abort

from pathway.people import users
from pathway.people.access import Caller
from pathway.store.db import unit_of_work

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
    """Look the token up in its own short transaction, before the request's own begins.

    A writing request holds SQLite's write lock from its first statement, so recording the
    token's last use must not happen inside it.
    """
    token = _token()
    caller = None
    if token:
        with unit_of_work(current_app.config["DATABASE_URL"], write=False) as lookup:
            caller = users.caller_for(lookup, token)
            stale = caller is not None and users.needs_touch(caller)
        if caller is not None and stale:
            with unit_of_work(current_app.config["DATABASE_URL"]) as side:
                users.touch(side, caller.user_id)
    if caller is None:
        current_app.logger.warning("authentication failed",
                                   extra={"event": "auth_failed",
                                          "reason": "missing" if not token else "invalid"})
        abort(401, headers={"WWW-Authenticate": "Bearer"})
    return caller


def roles(*allowed: str) -> Callable[[F], F]:
    """Allow only these roles (401 without a valid token, 403 with another role)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            caller = authenticate()
            g.caller = caller
            if caller.role not in allowed:
                abort(403, message=f"Your role ({caller.role}) does not allow this; it needs "
                                   f"one of: {', '.join(allowed)}.")
            return view(*args, **kwargs)

        wrapper._roles = allowed  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


ALL_ROLES = ("admin", "coordinator", "training_lead", "viewer", "member")
RECORD_ROLES = ("admin", "coordinator", "training_lead", "member")
WRITERS = ("admin", "coordinator")
