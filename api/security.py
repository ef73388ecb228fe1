"""The headers every answer carries: one policy, for the API and for the pages.

API answers carry members' data: browsers must not guess their type or keep copies of them.
HTML pages also get a Content-Security-Policy that loads nothing from elsewhere and cannot
be framed. Pages that need more (a script of their own, an image) widen the policy through
``content_security_policy`` rather than writing the header themselves.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Flask, Response

# Everything from this origin only; inline styles are allowed because the server-rendered
# pages carry their small stylesheet inline, never inline script.
BASE_POLICY: Mapping[str, str] = {
    "default-src": "'none'",
    "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:",
    "script-src": "'self'",
    "connect-src": "'self'",
    "form-action": "'self'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
}

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def content_security_policy(**extra: str) -> str:
    """The policy as a header value; ``extra`` replaces directives (``img_src="'self'"``)."""
    policy = dict(BASE_POLICY)
    policy.update({name.replace("_", "-"): value for name, value in extra.items()})
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def protect(response: Response, *, csp: str | None = None) -> Response:
    """Add the headers to one answer (``csp`` overrides the default policy for this page)."""
    for name, value in ALWAYS.items():
        response.headers.setdefault(name, value)
    # Answers hold personal data or depend on who asks: no shared or browser cache keeps them.
    response.headers.setdefault("Cache-Control", "no-store")
    if response.mimetype == "text/html" or response.mimetype == "image/svg+xml":
        response.headers.setdefault("Content-Security-Policy", csp or content_security_policy())
        response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    app.after_request(protect)
