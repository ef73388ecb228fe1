"""The pages people use in a browser, beside the JSON API and calling the same services.

Templates live in ``api/templates/pages/`` (render them as ``pages/<name>.html``); the
NHS.UK frontend's built assets in ``api/static/nhsuk/``. Views guard themselves with
``api.pages.session.signed_in(*roles)`` and read the caller with ``current_caller()``.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Flask, Response, request

from api.pages import errors, forms, headers

pages = Blueprint("pages", __name__)
errors.register_on(pages)

WRITING_METHODS = ("POST", "PUT", "PATCH", "DELETE")


@pages.before_request
def check_csrf() -> None:
    """Every form that changes anything carries this site's CSRF token."""
    if request.method in WRITING_METHODS:
        forms.protect()


def _secure_every_page(response: Response) -> Response:
    """Security headers on every response outside the JSON API (pages, their assets, errors)."""
    if not request.path.startswith(errors.API_PREFIX):
        headers.secure(response)
    return response


def init_app(app: Flask) -> None:
    """Register the pages, their CSRF check, headers, error pages and session cookie."""
    from pathway.config import Settings, stored_secret_key

    settings = Settings.from_env()
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.secret_key or stored_secret_key()
    # Flask has defaults for these, so they are set rather than defaulted.
    app.config.update(
        SESSION_COOKIE_NAME="pathway_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_absolute_hours),
    )
    app.config.setdefault("PATHWAY_SESSION_IDLE_MINUTES", settings.session_idle_minutes)
    app.config.setdefault("PATHWAY_SESSION_ABSOLUTE_HOURS", settings.session_absolute_hours)
    forms.init_app(app)
    errors.register_app(app)
    app.register_blueprint(pages)
    app.after_request(_secure_every_page)


# The views: each module adds its routes to ``pages`` when imported.
from api.pages import (  # noqa: E402, F401
    actions,
    admin,
    involvement,
    me,
    members,
    proposals,
    readiness,
    reports,
    sign_in,
    units,
    voice,
)
