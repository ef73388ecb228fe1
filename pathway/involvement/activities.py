"""The activity catalogue and what an activity pays on a day."""

from __future__ import annotations

from datetime import date
from typing import Any

from pathway.errors import InvalidInput
from workflows.involvement import PER_HOUR, Activity
from workflows.schema import Catalogue


def catalogue_view(catalogue: Catalogue) -> list[dict[str, Any]]:
    """Every activity with its levels and rates, as the API and pages show them."""
    return [{"code": a.code, "title": a.title, "levels": list(a.levels),
             "rates": [{"from": r.applies_from, "per": r.per, "pence": r.pence}
                       for r in a.rates]}
            for a in catalogue.activities.values()]


def activity_named(catalogue: Catalogue, code: str) -> Activity:
    found = catalogue.activities.get(code)
    if found is None:
        known = ", ".join(catalogue.activities) or "none"
        raise InvalidInput("activity", f"There is no activity {code!r}; activities are: {known}.")
    return found


def rate_amount(activity: Activity, day: date, minutes: int) -> int:
    """What the rate of ``day`` pays: per hour for the minutes booked (to the nearest penny,
    half a penny up), or one session."""
    rate = activity.rate_on(day)
    if rate is None:
        raise InvalidInput("amount_pence", f"No rate for {activity.title} applied on "
                                           f"{day.isoformat()}; give the amount in pence.")
    if rate.per == PER_HOUR:
        return (rate.pence * minutes + 30) // 60
    return rate.pence
