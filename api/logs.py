"""Structured logs: one JSON object per line, a request id on every answer, no personal data.

A log line carries coded facts only: time, level, logger, message, and the request's id,
method, route template, status, duration and user id. Names, tokens, bodies, query values
and exception messages (which can quote SQL parameters) never reach the output: extra fields
are kept only from a fixed list and only when their value is a code, and exceptions are
written as their type and stack frames.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

from flask import Flask, Response, g, has_request_context, request
from flask.logging import default_handler

from pathway.config import Settings

REQUEST_ID_HEADER = "X-Request-Id"
SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
CODE = re.compile(r"^[a-z0-9_.:-]{0,64}$")
# Extra fields a log call may pass; free-text values are dropped (see CODE).
CODED_EXTRAS = ("event", "reason", "error")
QUERY = re.compile(r"\?[^\s\"']*")
# Loggers whose messages may quote a request line: the development server's request log, and
# gunicorn's "Invalid request from ip=...: <the line>" when it refuses one.
QUOTES_REQUEST_LINES = ("werkzeug", "gunicorn.error")


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        """The stream is always the current stderr."""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
        }
        for key in ("request_id", "method", "route", "status", "duration_ms", "user_id"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        for key in CODED_EXTRAS:
            value = getattr(record, key, None)
            if isinstance(value, bool | int) or (isinstance(value, str) and CODE.match(value)):
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            entry["trace"] = [f"{frame.filename}:{frame.lineno} in {frame.name}"
                              for frame in traceback.extract_tb(record.exc_info[2])]
        return json.dumps(entry, default=str)


def _message(record: logging.LogRecord) -> str:
    message = record.getMessage()
    if record.name in QUOTES_REQUEST_LINES:
        message = QUERY.sub("", message)
    return message


class RequestContext(logging.Filter):
    """Adds the request's id, method, route template and user id to records made in a request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            for key, value in _request_fields().items():
                if getattr(record, key, None) is None:
                    setattr(record, key, value)
        return True


def _request_fields() -> dict[str, Any]:
    caller = g.get("caller")
    return {"request_id": g.get("request_id"), "method": request.method,
            "route": request.url_rule.rule if request.url_rule is not None else None,
            "user_id": caller.user_id if caller is not None else None}


def configure(level: str | int | None = None) -> None:
    """Send every logger's records (ours, werkzeug's, gunicorn's) through one JSON handler."""
    root = logging.getLogger()
    if not any(isinstance(h, _Stderr) for h in root.handlers):
        handler = _Stderr()
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestContext())
        root.addHandler(handler)
    root.setLevel(level or Settings.from_env().log_level)
    # transitions narrates every state callback at INFO: noise, one line per firing.
    logging.getLogger("transitions").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    for name in ("gunicorn.error", "gunicorn.access"):
        # gunicorn gives its loggers their own text handlers; route them through ours. Its
        # access line is left out: the request line below carries the same and more.
        logger = logging.getLogger(name)
        for existing in list(logger.handlers):
            logger.removeHandler(existing)
        logger.propagate = name == "gunicorn.error"
        if name == "gunicorn.access":
            logger.disabled = True


def request_id() -> str:
    if "request_id" not in g:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return g.request_id


def start_request() -> None:
    g.request_started = time.perf_counter()
    request_id()


def finish_request(response: Response) -> Response:
    """Echo the request id and write the one request line."""
    response.headers[REQUEST_ID_HEADER] = request_id()
    started = g.get("request_started")
    duration = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    logging.getLogger("api.request").info(
        "request", extra={"status": response.status_code, "duration_ms": duration})
    return response


def init_app(app: Flask) -> None:
    configure()
    app.logger.removeHandler(default_handler)
    app.before_request(start_request)
    app.after_request(finish_request)
