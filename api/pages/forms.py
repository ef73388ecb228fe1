"""Forms: Flask-WTF forms with a CSRF token, checked on every page that changes anything.

CSRF is checked for the pages only (the pages blueprint calls ``protect`` before each
writing request); the JSON API keeps its bearer tokens and needs no CSRF token.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()

__all__ = ["FlaskForm", "csrf", "init_app", "protect"]


def init_app(app: Flask) -> None:
    # Not checked app-wide: the pages blueprint asks for the check itself.
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    # A page left open on a ward is still usable when they come back (the session lasts 12 h).
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)
    csrf.init_app(app)


def protect() -> None:
    """Refuse (400, CSRFError) a writing request without this site's token."""
    csrf.protect()
