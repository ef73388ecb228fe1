"""Each member's benefit-safe limits: which published rules apply to them, and their own.

The figures come from the definitions (``benefit-limits.yaml``), each from its date, with
its source; these limits are a guardrail set by the service, never benefits advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from pathway import clock
from pathway.engine import Actor
from pathway.errors import InvalidInput
from pathway.store.models import BenefitLimitSetting, Member
from workflows.involvement import CUSTOM, PERIODS
from workflows.schema import Catalogue

CUSTOM_TITLE = "The member's own limit"


@dataclass(frozen=True)
class Limit:
    """One limit as it stands on a day."""

    rule: str
    title: str
    period: str
    limit_pence: int
    applies_from: date | None = None
    source: str | None = None
    url: str | None = None


def limits_on(catalogue: Catalogue, setting: BenefitLimitSetting | None, day: date) -> list[Limit]:
    """The member's limits with the figure of ``day`` (a rule with no figure yet is skipped)."""
    if setting is None:
        return []
    found: list[Limit] = []
    for code in setting.rules:
        if code == CUSTOM:
            if setting.custom_period and setting.custom_limit_pence is not None:
                found.append(Limit(CUSTOM, CUSTOM_TITLE, setting.custom_period,
                                   setting.custom_limit_pence))
            continue
        rule = catalogue.benefit_rules.get(code)
        figure = rule.figure_on(day) if rule else None
        if rule is not None and figure is not None:
            found.append(Limit(rule.code, rule.title, rule.period, figure.limit_pence,
                               figure.applies_from, figure.source, figure.url))
    return found


def rule_choices(catalogue: Catalogue) -> list[str]:
    return [*catalogue.benefit_rules, CUSTOM]


def settings_view(catalogue: Catalogue, setting: BenefitLimitSetting | None,
                  today: date) -> dict[str, Any]:
    custom = None
    if setting is not None and setting.custom_period and setting.custom_limit_pence is not None:
        custom = {"period": setting.custom_period, "limit_pence": setting.custom_limit_pence}
    return {"rules": list(setting.rules) if setting else [], "custom": custom,
            "limits": [{"rule": lim.rule, "title": lim.title, "period": lim.period,
                        "limit_pence": lim.limit_pence, "applies_from": lim.applies_from,
                        "source": lim.source, "url": lim.url}
                       for lim in limits_on(catalogue, setting, today)],
            "updated_at": clock.as_utc(setting.updated_at) if setting else None}


def set_limits(session: Session, catalogue: Catalogue, member: Member, actor: Actor,
               rules: list[str], custom: dict[str, Any] | None) -> BenefitLimitSetting:
    """Choose the member's limits (replacing what was chosen); not committed."""
    known = rule_choices(catalogue)
    for code in rules:
        if code not in known:
            raise InvalidInput("rules", f"There is no benefit limit {code!r}; limits are: "
                                        f"{', '.join(known)}.")
    chosen = list(dict.fromkeys(rules))
    period: str | None = None
    pence: int | None = None
    if CUSTOM in chosen:
        if not custom:
            raise InvalidInput("custom", "The member's own limit needs a period and a limit "
                                         "in pence.")
        period, pence = custom.get("period"), custom.get("limit_pence")
        if period not in PERIODS:
            raise InvalidInput("custom", f"The period must be one of: {', '.join(PERIODS)}.")
        if isinstance(pence, bool) or not isinstance(pence, int) or pence < 0:
            raise InvalidInput("custom", "The limit must be a whole number of pence, 0 or more.")
    setting = session.get(BenefitLimitSetting, member.id)
    if setting is None:
        setting = BenefitLimitSetting(member_id=member.id)
        session.add(setting)
    setting.rules = chosen
    setting.custom_period = period
    setting.custom_limit_pence = pence
    setting.updated_at = clock.now()
    setting.updated_by = actor.name
    session.flush()
    return setting
