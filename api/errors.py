"""Every error the service gives is the API's JSON shape, mapped here and only here."""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any, NoReturn

from flask import Flask, Response, current_app, jsonify, request
from flask_smorest import Api, abort
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed

from pathway.errors import Conflict, EffectiveDateError, InvalidInput, NotFound, PathwayError

# The request field that carries an event's effective date, unless a blueprint names another.
EFFECTIVE_DATE_FIELD = "on"

MESSAGES = {
    400: "The request could not be read: the body must be valid JSON.",
    401: "A valid token is needed: send the header 'Authorization: Bearer <token>'.",
    403: "Your role does not allow this.",
    404: "Nothing was found at this address.",
    405: "This address does not accept that method.",
    409: "The request conflicts with the current state.",
    413: "The request body is too large.",
    414: "The request address is too long.",
    415: "Send the body as JSON with 'Content-Type: application/json'.",
    422: "Some fields are not valid.",
    431: "The request headers are too large.",
    500: "Something went wrong on our side; nothing was changed. Please try again.",
    503: "The service is not available just now.",
}

# The stable slug of every answer that has no more specific one (API.md: every error body
# carries ``error``). Domain refusals bring their own (``invalid_trigger``, ``duplicate`` ...).
SLUGS = {
    400: "malformed_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    414: "address_too_long",
    415: "unsupported_media_type",
    422: "invalid_input",
    431: "headers_too_large",
    500: "internal_error",
    503: "unavailable",
}


def flatten(messages: Any) -> dict[str, list[str]]:
    """webargs nests errors by location ({'json': {'unit': [...]}}): name the fields only."""
    if not isinstance(messages, dict):
        return {"_body": [str(messages)]}
    errors: dict[str, list[str]] = {}
    for location, fields in messages.items():
        if isinstance(fields, dict) and location in ("json", "query", "form", "headers", "path",
                                                      "view_args", "files", "cookies"):
            for name, value in fields.items():
                errors[str(name)] = _as_list(value)
        else:
            errors[str(location)] = _as_list(fields)
    return errors


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [m if isinstance(m, str) else str(m) for m in value]
    if isinstance(value, dict):
        return [f"{k}: {', '.join(_as_list(v))}" for k, v in value.items()]
    return [str(value)]


def refuse(code: int, **kwargs: Any) -> NoReturn:
    """``flask_smorest.abort`` (the API's error shape), typed as never returning."""
    abort(code, **kwargs)
    raise AssertionError("abort always raises")


def payload(code: int, message: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "status": HTTPStatus(code).phrase, "message": message}
    body.update({k: v for k, v in extra.items() if v is not None})
    body.setdefault("error", SLUGS.get(code, "error"))
    return body


class PathwayApi(Api):
    """flask-smorest's Api with our error shape, the Allow header kept on 405, and the
    OpenAPI document completed by ``api.openapi`` (roles, refusals, examples)."""

    def document(self) -> dict[str, Any]:
        from api.openapi import complete

        return complete(current_app, self.spec.to_dict())

    def _openapi_json(self) -> Response:
        return current_app.response_class(
            json.dumps(self.document(), indent=2, sort_keys=False), mimetype="application/json")

    def handle_http_exception(self, error: HTTPException):
        code = error.code or 500
        data = getattr(error, "data", None) or {}
        extra: dict[str, Any] = {}
        message = data.get("message") or MESSAGES.get(code) or error.description or ""
        if "errors" in data or "messages" in data:
            errors = flatten(data.get("errors") or data.get("messages"))
            if code == 400:
                message = MESSAGES[400]
            else:
                extra["errors"] = errors
                message = data.get("message") or (
                    "Some fields are not valid: " + ", ".join(sorted(errors)) + ".")
        if isinstance(data.get("error"), str):
            extra["error"] = data["error"]
        body = payload(code, message, **extra)
        headers = dict(data.get("headers") or {})
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers["Allow"] = ", ".join(sorted(error.valid_methods))
        response = jsonify(body)
        response.status_code = code
        response.headers.update(headers)
        return response


def handle_pathway_error(error: PathwayError) -> Response:
    if isinstance(error, NotFound):
        body = payload(404, error.message, error=error.slug)
    elif isinstance(error, InvalidInput):
        body = payload(422, error.message, error=error.slug, errors=error.errors)
    elif isinstance(error, EffectiveDateError):
        body = payload(422, error.message, error=error.slug,
                       errors={EFFECTIVE_DATE_FIELD: [error.message]})
    elif isinstance(error, Conflict):
        body = payload(409, error.message, error=error.slug, **error.extra)
    else:
        body = payload(400, error.message, error=error.slug)
    response = jsonify(body)
    response.status_code = body["code"]
    return response


def handle_unexpected(error: InternalServerError) -> Response:
    """Log the failure's type only (values may hold personal data) and answer in our shape."""
    original = error.original_exception or error
    current_app.logger.error("unhandled %s in %s %s", type(original).__name__,
                             request.method, request.url_rule or "?")
    response = jsonify(payload(500, MESSAGES[500]))
    response.status_code = 500
    return response


def register(app: Flask) -> None:
    app.register_error_handler(PathwayError, handle_pathway_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
