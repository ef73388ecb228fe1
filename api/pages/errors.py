"""What a person sees when a page cannot be shown: never a stack trace, never a dead end."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from pathway.errors import NotFound

API_PREFIX = "/api/"


def _page(template: str, status: int) -> tuple[str, int]:
    return render_template(template), status


def page_not_found(_error: Exception) -> tuple[str, int]:
    return _page("pages/not_found.html", 404)


def form_refused(_error: CSRFError) -> tuple[str, int]:
    current_app.logger.warning("form refused without a valid CSRF token",
                               extra={"event": "csrf_refused"})
    return _page("pages/form_expired.html", 400)


def page_failed(error: Exception) -> tuple[str, int]:
    """Log only the failure's type (values may hold personal data) and say sorry."""
    original = getattr(error, "original_exception", None) or error
    current_app.logger.error("unhandled %s in page %s %s", type(original).__name__,
                             request.method, request.url_rule or "?")
    return _page("pages/problem.html", 500)


def _not_found_anywhere(error: HTTPException) -> ResponseReturnValue:
    """A browser asking for an unknown address gets the page; the API keeps its JSON answer."""
    if request.path.startswith(API_PREFIX) or request.path == "/api":
        api = current_app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
        answer: ResponseReturnValue = api.handle_http_exception(error)
        return answer
    return page_not_found(error)


def register_on(blueprint: Blueprint) -> None:
    """Page views' errors become pages."""
    blueprint.register_error_handler(404, page_not_found)
    blueprint.register_error_handler(NotFound, page_not_found)
    blueprint.register_error_handler(CSRFError, form_refused)
    blueprint.register_error_handler(InternalServerError, page_failed)


def register_app(app: Flask) -> None:
    """Unknown addresses outside the API are pages too."""
    app.register_error_handler(404, _not_found_anywhere)
