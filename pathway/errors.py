"""Domain exceptions. ``api/errors.py`` maps each to one HTTP answer in one place."""

from __future__ import annotations

from typing import Any


class PathwayError(Exception):
    """Base of every refusal the domain can give, with words a person understands."""

    slug = "pathway_error"

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class NotFound(PathwayError):
    slug = "not_found"


class InvalidInput(PathwayError):
    """A value that no request may carry (422), named by its field."""

    slug = "invalid_input"

    def __init__(self, field: str, message: str) -> None:
        self.errors = {field: [message]}
        super().__init__(message)


class EffectiveDateError(PathwayError):
    """The day an event is said to have happened on cannot be: it is in the future, before
    the member joined, or before the record's latest event (422; the API names the request
    field that carried the date)."""

    slug = "invalid_input"


class Conflict(PathwayError):
    """The request is well formed but cannot happen now (409)."""

    slug = "conflict"

    def __init__(self, message: str, slug: str | None = None, **extra: Any) -> None:
        if slug:
            self.slug = slug
        self.extra = extra
        super().__init__(message)


class InvalidTrigger(Conflict):
    slug = "invalid_trigger"


class GuardsUnmet(Conflict):
    slug = "guards_unmet"


class VersionConflict(Conflict):
    slug = "version_conflict"


class Duplicate(Conflict):
    slug = "duplicate"


class NotApplicable(Conflict):
    slug = "not_applicable"


class IdempotencyKeyReused(Conflict):
    slug = "idempotency_key_reused"
