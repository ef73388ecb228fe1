"""The request's session: opened on first use, closed on teardown (flaskr's get_db)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, request
from sqlalchemy.orm import Session

from pathway.store.db import open_session, unit_of_work

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def session() -> Session:
    """The request's session; writing requests take SQLite's write lock when they begin."""
    if "db_session" not in g:
        g.db_session = open_session(current_app.config["DATABASE_URL"],
                                    write=request.method not in READ_METHODS)
    return g.db_session


@contextmanager
def write_session_for_side_effects() -> Iterator[Session]:
    """A short separate transaction for what a read records (last use, access log)."""
    with unit_of_work(current_app.config["DATABASE_URL"]) as side:
        yield side


def close_session(_exc: BaseException | None = None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.rollback()
        db_session.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(close_session)
