"""What a request must look like before any view reads it, checked in this order.

1. The address is not too long (414; gunicorn refuses longer request lines itself).
2. The body is within the size limit however it is sent (413, before anything else costs:
   a declared ``Content-Length`` is refused unread, a chunked body is read up to the limit).
3. The caller is who they say and has a role the operation allows (``api.auth``): nobody
   without a token gets the server to parse a body or to say which fields it expects.
4. The body: JSON by its Content-Type (415), nested no deeper than any real request (400,
   never a RecursionError), and text that can be stored (a lone UTF-16 surrogate such as
   ``"\\ud800"`` is valid JSON but not UTF-8: 422 naming the field).
"""

from __future__ import annotations

import io
import json
from typing import Any

from flask import Flask, current_app, request
from flask_smorest import abort

from api import auth

# Request lines up to gunicorn's limit (8190) reach the app, which answers longer
# addresses than any real query in the API's own JSON shape.
MAX_ADDRESS_BYTES = 4096
# Bodies are flat records with at most a small nested object; 32 is far beyond any of them.
MAX_NESTING = 32
BODY_METHODS = ("POST", "PUT", "PATCH")
API_PREFIX = "/api/"


def check_address() -> None:
    address = request.environ.get("RAW_URI") or request.full_path
    if len(address.encode("latin-1", "replace")) > MAX_ADDRESS_BYTES:
        abort(414, message=f"The address is longer than {MAX_ADDRESS_BYTES} bytes; "
                           "send less in the query string.")


def check_size() -> None:
    if request.method not in BODY_METHODS:
        return
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if limit is not None and (request.content_length or 0) > limit:
        abort(413)
    _read_chunked_body_within_limit(limit)


def check_body() -> None:
    # The pages post HTML forms; their fields are checked by the pages' own forms.
    if request.method not in BODY_METHODS or not request.path.startswith(API_PREFIX):
        return
    if not request.content_length:
        return  # no body: the operation's schema says whether one was needed (422)
    if not request.is_json:
        abort(415, message="Send the body as JSON with 'Content-Type: application/json'.")
    try:
        body = json.loads(request.get_data(cache=True))
    except RecursionError:
        abort(400, message="The body is nested too deeply to read.", error="nested_too_deeply")
    except ValueError:
        return  # malformed JSON: the parser answers 400 in the usual words
    faults = _unstorable_text(body)
    if faults:
        abort(422, message="Some fields are not valid: " + ", ".join(sorted(faults)) + ".",
              errors=faults)


def _read_chunked_body_within_limit(limit: int) -> None:
    """A body sent without Content-Length (chunked) is read here up to the limit, so that one
    over it is refused with 413 exactly as a declared length would be, never cut short."""
    environ = request.environ
    if environ.get("CONTENT_LENGTH") or "chunked" not in environ.get(
            "HTTP_TRANSFER_ENCODING", "").lower():
        return
    data = environ["wsgi.input"].read(limit + 1)
    if len(data) > limit:
        abort(413)
    environ["wsgi.input"] = io.BytesIO(data)
    environ["CONTENT_LENGTH"] = str(len(data))
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    environ.pop("wsgi.input_terminated", None)
    request.__dict__.pop("stream", None)  # not read yet; built again from the new input


def _unstorable_text(body: Any) -> dict[str, list[str]]:
    """Fields (by their top-level name) whose text holds a lone surrogate; nesting checked."""
    faults: dict[str, list[str]] = {}
    pending: list[tuple[str, Any, int]] = [("_body", body, 0)]
    while pending:
        field, value, depth = pending.pop()
        if depth > MAX_NESTING:
            abort(400, message="The body is nested too deeply to read.",
                  error="nested_too_deeply")
        if isinstance(value, dict):
            for key, item in value.items():
                name = key if depth == 0 else field
                if _has_surrogate(key):
                    faults.setdefault(name, []).append(SURROGATE)
                pending.append((name, item, depth + 1))
        elif isinstance(value, list):
            pending.extend((field, item, depth + 1) for item in value)
        elif isinstance(value, str) and _has_surrogate(value):
            faults.setdefault(field, []).append(SURROGATE)
    return {name: messages[:1] for name, messages in faults.items()}


SURROGATE = ("Text may not contain a lone surrogate (\\ud800-\\udfff): it is not a character "
             "and cannot be stored.")


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def init_app(app: Flask) -> None:
    """Hook the checks in, after the request line's timer and before any view."""
    app.before_request(check_address)
    app.before_request(check_size)
    app.before_request(auth.authenticate_for_endpoint)
    app.before_request(check_body)
