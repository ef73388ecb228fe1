"""Who may do what: every endpoint x every role x in / out of scope, with the exact status.

The table below is the authorisation contract. ``test_every_route_is_in_the_matrix`` walks the
app's URL map, so an endpoint added later fails the build until it has a row here.

Scope: coordinators, training leads and viewers are scoped to units A and C; "in scope" asks
about a member (or unit) in A, "out of scope" about one in B, which must answer 404 for record
endpoints (never reveal that it exists). A member user is linked to one member: "in scope" is
that member, "out of scope" another member. Every request is otherwise valid, so a permitted
call answers 200/201, never 422.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

ROLES = ("admin", "coordinator", "training_lead", "viewer", "member")
EVERYONE = ROLES
RECORD = ("admin", "coordinator", "training_lead", "member")
WRITERS = ("admin", "coordinator")
TRAINERS = ("admin", "coordinator", "training_lead")
AWARDERS = ("admin", "training_lead")
REPORTERS = ("admin", "coordinator", "training_lead", "viewer")
SUBJECT_AND_ADMIN = ("admin", "member")
MONEY_READERS = ("admin", "coordinator", "member")  # a member's involvement and its payments
VOICES = ("admin", "coordinator", "member")  # the member, or staff on their behalf
THE_MEMBER = ("member",)
ADMIN = ("admin",)
SCOPES = ("in", "out")

UNIT_A, UNIT_B, UNIT_C = "unit-a", "unit-b", "unit-c"
MODULE = "three_levels_awareness"
MILESTONE = "buddy_assigned"
AWARD = "su_foundation"
FOUNDATION_MILESTONES = ("buddy_assigned", "involvement_information_received", "advocate_met")
V1 = "/api/v1"
# The involvement record booked for a member by ``_prepare`` ("involvement"), by member id.
BOOKED: dict[int, int] = {}


@dataclass
class Case:
    """What one request is about: a fresh member, the unit it is in, a unique number."""

    member_id: int
    unit: str
    n: int
    event_id: int = 0  # the member's latest pathway event
    proposal: int = 0  # a proposal on the unit's board (rows prepared with "proposal")


@dataclass(frozen=True)
class Row:
    """One endpoint: how to make a valid request, and the status each role gets per scope."""

    request: Callable[[Case], tuple[str, dict[str, Any] | None]]
    expect: dict[str, tuple[int, int]]
    public: bool = False
    # "ready" (award criteria met), "awarded", "milestone"; "proposal": a fresh proposal
    prepare: tuple[str, ...] = ()


def allowed(roles: tuple[str, ...], ok: int, *, out: int | None = None) -> dict[str, tuple[int, int]]:
    """``roles`` get ``ok`` in scope and ``out`` (default: the same) out of scope; others 403."""
    return {role: (ok, ok if out is None else out) if role in roles else (403, 403)
            for role in ROLES}


def record(roles: tuple[str, ...], ok: int) -> dict[str, tuple[int, int]]:
    """A per-member endpoint: out of scope is 404 (admins see every unit)."""
    expect = allowed(roles, ok, out=404)
    if "admin" in roles:
        expect["admin"] = (ok, ok)
    return expect


def public() -> dict[str, tuple[int, int]]:
    return {role: (200, 200) for role in ROLES}


def path(template: str) -> Callable[[Case], tuple[str, None]]:
    return lambda c: (V1 + template.format(id=c.member_id, unit=c.unit, n=c.n,
                                           proposal=c.proposal), None)


def post(template: str, body: Callable[[Case], dict[str, Any]],
         ) -> Callable[[Case], tuple[str, dict[str, Any]]]:
    return lambda c: (V1 + template.format(id=c.member_id, unit=c.unit, n=c.n,
                                           event=c.event_id, proposal=c.proposal), body(c))


# A unit endpoint's scope is the unit's own: members see no unit by code (their record names
# it), scoped roles see theirs only.
UNIT_READ = {**allowed(EVERYONE, 200, out=404), "admin": (200, 200), "member": (404, 404)}

MATRIX: dict[tuple[str, str], Row] = {
    (f"{V1}/docs", "GET"): Row(path("/docs"), public(), public=True),
    (f"{V1}/health", "GET"): Row(path("/health"), public(), public=True),
    (f"{V1}/health/live", "GET"): Row(path("/health/live"), public(), public=True),
    (f"{V1}/health/ready", "GET"): Row(path("/health/ready"), public(), public=True),

    (f"{V1}/units", "GET"): Row(path("/units"), allowed(EVERYONE, 200)),
    (f"{V1}/units", "POST"): Row(post("/units", lambda c: {
        "code": f"new-unit-{c.n}", "name": "New unit", "kind": "other"}), allowed(ADMIN, 201)),
    (f"{V1}/units/<string:code>", "GET"): Row(path("/units/{unit}"), UNIT_READ),
    (f"{V1}/units/<string:code>", "PATCH"): Row(post("/units/{unit}", lambda c: {
        "name": f"Renamed {c.n}"}), allowed(ADMIN, 200)),

    (f"{V1}/members", "GET"): Row(path("/members"), allowed(RECORD, 200)),
    (f"{V1}/members", "POST"): Row(post("/members", lambda c: {
        "reference": f"NEW-{c.n}", "kind": "service_user", "unit": c.unit}),
        record(WRITERS, 201)),
    (f"{V1}/members/<int:member_id>", "GET"): Row(path("/members/{id}"), record(RECORD, 200)),
    (f"{V1}/members/<int:member_id>", "PATCH"): Row(post("/members/{id}", lambda c: {
        "display_name": "Sam"}), record(WRITERS, 200)),
    (f"{V1}/members/<int:member_id>/transfer", "POST"): Row(post(
        "/members/{id}/transfer", lambda c: {"unit": UNIT_C, "reason": "Step-down"}),
        record(WRITERS, 201)),
    (f"{V1}/members/<int:member_id>/events", "GET"): Row(path("/members/{id}/events"),
                                                         record(RECORD, 200)),
    (f"{V1}/members/<int:member_id>/pathway", "GET"): Row(path("/members/{id}/pathway"),
                                                          record(RECORD, 200)),
    (f"{V1}/members/<int:member_id>/pathway/transitions", "POST"): Row(post(
        "/members/{id}/pathway/transitions",
        lambda c: {"trigger": "advance", "override": True, "reason": "Ready in practice"}),
        record(WRITERS, 201)),

    (f"{V1}/training/modules", "GET"): Row(path("/training/modules"), allowed(EVERYONE, 200)),
    (f"{V1}/members/<int:member_id>/training", "GET"): Row(path("/members/{id}/training"),
                                                           record(RECORD, 200)),
    (f"{V1}/members/<int:member_id>/training/<string:module>", "GET"): Row(
        path("/members/{id}/training/" + MODULE), record(RECORD, 200)),
    (f"{V1}/members/<int:member_id>/training/<string:module>/transitions", "POST"): Row(post(
        "/members/{id}/training/" + MODULE + "/transitions", lambda c: {"trigger": "enrol"}),
        record(TRAINERS, 201)),

    (f"{V1}/awards", "GET"): Row(path("/awards"), allowed(EVERYONE, 200)),
    (f"{V1}/members/<int:member_id>/readiness", "GET"): Row(path("/members/{id}/readiness"),
                                                            record(RECORD, 200)),
    (f"{V1}/readiness", "GET"): Row(path("/readiness?award=" + AWARD), allowed(AWARDERS, 200)),
    (f"{V1}/members/<int:member_id>/accreditations", "GET"): Row(
        path("/members/{id}/accreditations"), record(RECORD, 200)),
    (f"{V1}/members/<int:member_id>/accreditations", "POST"): Row(post(
        "/members/{id}/accreditations", lambda c: {"award": AWARD}), record(AWARDERS, 201),
        prepare=("ready",)),
    (f"{V1}/members/<int:member_id>/accreditations/<string:award>/revoke", "POST"): Row(post(
        "/members/{id}/accreditations/" + AWARD + "/revoke",
        lambda c: {"reason": "Awarded in error"}), record(AWARDERS, 201),
        prepare=("ready", "awarded")),

    (f"{V1}/members/<int:member_id>/milestones", "GET"): Row(path("/members/{id}/milestones"),
                                                             record(RECORD, 200)),
    (f"{V1}/members/<int:member_id>/milestones", "POST"): Row(post(
        "/members/{id}/milestones", lambda c: {"code": MILESTONE}), record(WRITERS, 201)),
    (f"{V1}/members/<int:member_id>/milestones/<string:code>/retract", "POST"): Row(post(
        "/members/{id}/milestones/" + MILESTONE + "/retract",
        lambda c: {"reason": "Recorded against the wrong person"}), record(WRITERS, 201),
        prepare=("milestone",)),

    (f"{V1}/reports/level-distribution", "GET"): Row(path("/reports/level-distribution"),
                                                     allowed(REPORTERS, 200)),
    (f"{V1}/reports/progression", "GET"): Row(path("/reports/progression"),
                                              allowed(REPORTERS, 200)),
    (f"{V1}/reports/time-in-level", "GET"): Row(path("/reports/time-in-level"),
                                                allowed(REPORTERS, 200)),
    (f"{V1}/reports/attrition", "GET"): Row(path("/reports/attrition"), allowed(REPORTERS, 200)),
    (f"{V1}/reports/summary", "GET"): Row(path("/reports/summary"), allowed(REPORTERS, 200)),
    (f"{V1}/reports/voice", "GET"): Row(path("/reports/voice"), allowed(REPORTERS, 200)),

    (f"{V1}/members/<int:member_id>/events/<int:event_id>/view", "POST"): Row(post(
        "/members/{id}/events/{event}/view",
        lambda c: {"agrees": "yes", "words": "Happy with it", "on_behalf": True}),
        record(VOICES, 201)),
    (f"{V1}/members/<int:member_id>/milestones/claims", "POST"): Row(post(
        "/members/{id}/milestones/claims", lambda c: {"code": MILESTONE}),
        record(THE_MEMBER, 201)),
    (f"{V1}/members/<int:member_id>/milestones/<string:code>/confirm", "POST"): Row(post(
        "/members/{id}/milestones/" + MILESTONE + "/confirm", lambda c: {}),
        record(WRITERS, 201), prepare=("claimed",)),
    (f"{V1}/members/<int:member_id>/milestones/<string:code>/decline", "POST"): Row(post(
        "/members/{id}/milestones/" + MILESTONE + "/decline",
        lambda c: {"reason": "Not yet: no buddy named"}), record(WRITERS, 201),
        prepare=("claimed",)),

    (f"{V1}/reports/involvement", "GET"): Row(path("/reports/involvement"),
                                              allowed(REPORTERS, 200)),
    (f"{V1}/involvement/activities", "GET"): Row(path("/involvement/activities"),
                                                 allowed(EVERYONE, 200)),
    (f"{V1}/members/<int:member_id>/involvement", "GET"): Row(
        path("/members/{id}/involvement"), record(MONEY_READERS, 200)),
    (f"{V1}/members/<int:member_id>/involvement", "POST"): Row(post(
        "/members/{id}/involvement", lambda c: {
            "activity": "community_meeting", "on": "2026-02-02", "hours": 1,
            "payment": "paid"}), record(WRITERS, 201)),
    (f"{V1}/members/<int:member_id>/involvement/<int:record_id>/transitions", "POST"): Row(
        lambda c: (f"{V1}/members/{c.member_id}/involvement/{BOOKED.get(c.member_id, 1)}"
                   "/transitions", {"trigger": "done"}),
        record(WRITERS, 201), prepare=("involvement",)),
    (f"{V1}/members/<int:member_id>/benefit-limits", "GET"): Row(
        path("/members/{id}/benefit-limits"), record(MONEY_READERS, 200)),
    (f"{V1}/members/<int:member_id>/benefit-limits", "PUT"): Row(post(
        "/members/{id}/benefit-limits", lambda c: {"rules": ["carers_allowance"]}),
        record(WRITERS, 200)),

    (f"{V1}/workflows", "GET"): Row(path("/workflows"), allowed(EVERYONE, 200)),
    (f"{V1}/workflows/<string:name>", "GET"): Row(path("/workflows/pathway_service_user"),
                                                  allowed(EVERYONE, 200)),
    (f"{V1}/workflows/<string:name>/diagram", "GET"): Row(
        path("/workflows/pathway_service_user/diagram"), allowed(EVERYONE, 200)),

    (f"{V1}/members/<int:member_id>/access-log", "GET"): Row(path("/members/{id}/access-log"),
                                                             record(SUBJECT_AND_ADMIN, 200)),
    (f"{V1}/members/<int:member_id>/export", "GET"): Row(path("/members/{id}/export"),
                                                         record(SUBJECT_AND_ADMIN, 200)),
    (f"{V1}/members/<int:member_id>/erase", "POST"): Row(post(
        "/members/{id}/erase", lambda c: {"reason": "Subject request SR-1"}), record(ADMIN, 201)),
    (f"{V1}/members/<int:member_id>/restore-personal-data", "POST"): Row(post(
        "/members/{id}/restore-personal-data", lambda c: {"reason": "The member asked to be named"}),
        record(ADMIN, 201), prepare=("erased",)),

    # The proposals board: everyone reads and raises on the boards of their units (a member:
    # their own unit's) and the whole service's; coordinators and admins move cards.
    (f"{V1}/proposals", "GET"): Row(path("/proposals"), allowed(EVERYONE, 200)),
    (f"{V1}/proposals", "POST"): Row(post("/proposals", lambda c: {
        "unit": c.unit, "title": f"Proposal {c.n}", "detail": "More evening activities"}),
        record(EVERYONE, 201)),
    (f"{V1}/proposals/<int:proposal_id>", "GET"): Row(path("/proposals/{proposal}"),
                                                      record(EVERYONE, 200)),
    (f"{V1}/proposals/<int:proposal_id>/transitions", "POST"): Row(post(
        "/proposals/{proposal}/transitions",
        lambda c: {"trigger": "amber", "note": "Talking to the kitchen team"}),
        record(WRITERS, 201), prepare=("proposal",)),
    (f"{V1}/proposals/<int:proposal_id>/forum-decision", "POST"): Row(post(
        "/proposals/{proposal}/forum-decision", lambda c: {
            "forum": "Service user and carer forum", "on": "2026-03-02",
            "decision": "approved"}), record(WRITERS, 201), prepare=("proposal",)),
}

# Not endpoints of the API: files and the OpenAPI document (public by design, see API.md), and
# the pages people use in a browser (their own matrix: tests/api/test_pages_roles.py).
UNLISTED_ENDPOINTS = ("static",)
UNLISTED_PREFIXES = ("api-docs.", "pages.")


def app_routes(app: Any) -> set[tuple[str, str]]:
    return {(rule.rule, method)
            for rule in app.url_map.iter_rules()
            if rule.endpoint not in UNLISTED_ENDPOINTS
            and not rule.endpoint.startswith(UNLISTED_PREFIXES)
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_is_in_the_matrix(app):
    routes = app_routes(app)
    assert sorted(routes - set(MATRIX)) == [], "add these endpoints to MATRIX"
    assert sorted(set(MATRIX) - routes) == [], "these MATRIX rows name no route"


@pytest.fixture
def scoped_world(unit, member, token, client):  # type: ignore[no-untyped-def]
    """Units A, B, C; a token per role (scoped roles: A and C); a member elsewhere."""
    for code in (UNIT_A, UNIT_B, UNIT_C):
        unit(code, "open_rehab")
    someone_else = member("service_user", UNIT_A)
    tokens = {"admin": token("admin"),
              "member-out": token("member", member_id=someone_else, name="someone else")}
    for role in ("coordinator", "training_lead", "viewer"):
        tokens[role] = token(role, units=[UNIT_A, UNIT_C])
    return tokens


def _prepare(client: Any, admin: str, member_id: int, steps: tuple[str, ...],
             own: Callable[[int], str]) -> None:
    """Bring a member to where the request makes sense, through the API as an admin."""
    headers = {"Authorization": f"Bearer {admin}"}
    base = f"{V1}/members/{member_id}"
    answers = []
    if "milestone" in steps:
        answers.append(client.post(f"{base}/milestones", json={"code": MILESTONE},
                                   headers=headers))
    if "ready" in steps:
        for trigger in ("enrol", "complete"):
            answers.append(client.post(f"{base}/training/{MODULE}/transitions",
                                       json={"trigger": trigger}, headers=headers))
        for code in FOUNDATION_MILESTONES:
            answers.append(client.post(f"{base}/milestones", json={"code": code},
                                       headers=headers))
    if "claimed" in steps:
        answers.append(client.post(f"{base}/milestones/claims", json={"code": MILESTONE},
                                   headers={"Authorization": f"Bearer {own(member_id)}"}))
    if "erased" in steps:
        answers.append(client.post(f"{base}/erase", json={"reason": "Subject request SR-2"},
                                   headers=headers))
    if "awarded" in steps:
        answers.append(client.post(f"{base}/accreditations", json={"award": AWARD},
                                   headers=headers))
    if "involvement" in steps:
        booked = client.post(f"{base}/involvement", headers=headers, json={
            "activity": "community_meeting", "on": "2026-02-02", "hours": 1, "payment": "paid"})
        answers.append(booked)
        BOOKED[member_id] = booked.get_json()["id"]
    assert [a.status_code for a in answers] == [201] * len(answers), [a.get_json() for a in answers]


def _proposal(client: Any, admin: str, unit_code: str) -> int:
    """A fresh proposal on a unit's board, raised by an admin."""
    answer = client.post(f"{V1}/proposals", json={"unit": unit_code, "title": "A proposal",
                                                  "detail": "Somewhere quiet to read"},
                         headers={"Authorization": f"Bearer {admin}"})
    assert answer.status_code == 201, answer.get_json()
    return int(answer.get_json()["id"])


def test_each_role_gets_exactly_its_status_in_and_out_of_scope(client, scoped_world, member,
                                                               token):
    tokens = scoped_world
    # Reads, and calls the role may not make, share one member per scope; a call that may
    # change its member gets a fresh one, brought to where the call makes sense.
    shared = {"in": member("service_user", UNIT_A), "out": member("service_user", UNIT_B)}
    tokens["member-in"] = token("member", member_id=shared["in"], name="the member")
    mismatches = []
    counter = iter(range(1, 100_000))

    def own(member_id: int) -> str:
        return token("member", member_id=member_id, name=f"member {member_id}")

    def latest_event(member_id: int) -> int:
        events = client.get(f"{V1}/members/{member_id}/events?page_size=500",
                            headers={"Authorization": f"Bearer {tokens['admin']}"}).get_json()
        return max(e["id"] for e in events["items"] if e["machine"] == "pathway")

    proposals = {"in": _proposal(client, tokens["admin"], UNIT_A),
                 "out": _proposal(client, tokens["admin"], UNIT_B)}
    checked = 0
    for (rule, method), row in sorted(MATRIX.items()):
        for role in ROLES:
            for scope in SCOPES:
                expected = row.expect[role][0 if scope == "in" else 1]
                unit_code = UNIT_A if scope == "in" else UNIT_B
                subject = shared[scope]
                secret = tokens[f"member-{scope}" if role == "member" else role]
                proposal = proposals[scope]
                if method != "GET" and expected < 300:
                    subject = member("service_user", unit_code)
                    _prepare(client, tokens["admin"], subject, row.prepare, own)
                    if role == "member":  # in scope, a member writes on their own record
                        secret = own(subject)
                    if "proposal" in row.prepare:
                        proposal = _proposal(client, tokens["admin"], unit_code)
                url, body = row.request(Case(subject, unit_code, next(counter),
                                             event_id=latest_event(subject)
                                             if "<int:event_id>" in rule else 0,
                                             proposal=proposal))
                answer = client.open(url, method=method, json=body,
                                     headers={"Authorization": f"Bearer {secret}"})
                checked += 1
                if answer.status_code != expected:
                    mismatches.append(f"{method} {rule} as {role} ({scope} of scope): "
                                      f"{answer.status_code}, expected {expected}: "
                                      f"{(answer.get_data(as_text=True) or '')[:200]}")
        if not row.public:
            url, body = row.request(Case(shared["in"], UNIT_A, next(counter),
                                         proposal=proposals["in"]))
            anonymous = client.open(url, method=method, json=body)
            checked += 1
            if anonymous.status_code != 401:
                mismatches.append(f"{method} {rule} without a token: {anonymous.status_code}")
    print(f"\n[authorisation matrix] {len(MATRIX)} endpoints x {len(ROLES)} roles x "
          f"{len(SCOPES)} scopes (+ no token) = {checked} requests checked")
    assert mismatches == [], "\n".join(mismatches)
