"""Idempotent writes: a repeated request with the same Idempotency-Key writes nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Response, current_app, jsonify, request
from flask_smorest import abort
from sqlalchemy.exc import IntegrityError

from api.access import member_in_scope
from api.auth import current_caller
from api.db import session
from pathway.errors import Conflict
from pathway.store import idempotency
from pathway.store.db import unit_of_work

HEADER = "Idempotency-Key"


def _replay(stored: idempotency.Stored) -> Response:
    response = jsonify(stored.body)
    response.status_code = stored.status
    response.headers["Idempotent-Replayed"] = "true"
    return response


def respond_once(run: Callable[[], dict[str, Any]], status: int = 201) -> Response:
    """Run a write and answer ``status`` with its dumped body, honouring Idempotency-Key.

    The stored answer commits in the same transaction as the change, so a retry after a lost
    response finds exactly one write and gets the same answer back.
    """
    # HTTP strips a header value's surrounding whitespace: a blank key is no key at all, which
    # is also what the documented parameter (a string of at most 200 characters) allows.
    key = _key_from_header()
    if key is not None and (len(key) > idempotency.MAX_KEY_LENGTH or "\x00" in key):
        abort(400, message=f"The {HEADER} header must be 1 to {idempotency.MAX_KEY_LENGTH} "
                           "characters.")
    if not key:
        body = run()
        session().commit()
        return _respond(body, status)
    caller = current_caller()
    member_id = (request.view_args or {}).get("member_id")
    if member_id is not None:
        # A stored answer is about a member: it is replayed only to a caller who still
        # has that member in scope (404 otherwise, exactly as a first request would get).
        member_in_scope(member_id)
    digest = idempotency.request_hash(request.method, request.path, request.get_json(silent=True))
    stored = idempotency.recall(session(), caller.user_id, key, digest, _kept_for())
    if stored is not None:
        return _replay(stored)
    try:
        body = run()
    except Conflict:
        # A concurrent twin may have committed this very change under the same key.
        session().rollback()
        stored = _recall_fresh(caller.user_id, key, digest)
        if stored is None:
            raise
        return _replay(stored)
    try:
        idempotency.remember(session(), caller.user_id, key, digest, status, body, _kept_for())
        session().commit()
    except IntegrityError:
        # Another request with this key won the race: answer as it did.
        session().rollback()
        stored = _recall_fresh(caller.user_id, key, digest)
        if stored is None:
            raise
        return _replay(stored)
    return _respond(body, status)


def _kept_for() -> timedelta:
    return timedelta(days=current_app.config["PATHWAY_IDEMPOTENCY_DAYS"])


def _key_from_header() -> str | None:
    """The key as the client wrote it: WSGI hands header bytes over as latin-1, while clients
    send UTF-8, so a key within 200 characters must not count its bytes as characters."""
    raw = request.headers.get(HEADER) or ""
    try:
        key = raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        key = raw
    return key.strip() or None


def _recall_fresh(user_id: int, key: str, digest: str) -> idempotency.Stored | None:
    with unit_of_work(current_app.config["DATABASE_URL"], write=False) as fresh:
        return idempotency.recall(fresh, user_id, key, digest)


def _respond(body: dict[str, Any], status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response
