"""Who may open which page: every page route x every role, in and out of scope.

The pages' counterpart of ``test_authorization_matrix``: a route added to the pages later fails
``test_every_page_route_is_in_the_matrix`` until it has a row here. A page a role may not see is
"Page not found" (404), exactly as a record out of scope is, never 403. Someone not signed in is
sent to /sign-in. Writing routes are checked for refusal only (a role that may not use them
gets 404 even with a valid form); what they do is tested with their pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from pathway.engine import PATHWAY, Actor
from pathway.people import sign_in
from pathway.people.users import create_user
from pathway.programme import milestones
from pathway.store.db import unit_of_work
from pathway.store.models import Event, Member
from tests.conftest import TZ

ROLES = ("admin", "coordinator", "training_lead", "viewer", "member")
PUBLIC = "public"
RECORD_READERS = ("admin", "coordinator", "training_lead")
WRITERS = ("admin", "coordinator")
AWARDERS = ("admin", "training_lead")
REPORTERS = ("admin", "coordinator", "training_lead", "viewer")
MONEY_READERS = ("admin", "coordinator", "member")  # a member's involvement: the member their own
PASSWORD = "the kettle on ward seven sings"


@dataclass(frozen=True)
class PageRow:
    """Who may use a route (``PUBLIC``: anyone), and an address for it ({member}, {unit})."""

    who: tuple[str, ...] | str
    address: str
    scoped: bool = False  # an out-of-scope member or unit is 404 for everyone but admin


MATRIX: dict[tuple[str, str], PageRow] = {
    ("/", "GET"): PageRow(PUBLIC, "/"),
    ("/sign-in", "GET"): PageRow(PUBLIC, "/sign-in"),
    ("/sign-in", "POST"): PageRow(PUBLIC, "/sign-in"),
    ("/sign-out", "POST"): PageRow(PUBLIC, "/sign-out"),
    ("/invite/<token>", "GET"): PageRow(PUBLIC, "/invite/{token}"),
    ("/invite/<token>", "POST"): PageRow(PUBLIC, "/invite/{token}"),
    ("/me", "GET"): PageRow(("member",), "/me"),
    ("/me/export", "GET"): PageRow(("member",), "/me/export"),
    ("/me/moves/<int:event_id>/view", "GET"): PageRow(("member",), "/me/moves/{event}/view"),
    ("/me/moves/<int:event_id>/view", "POST"): PageRow(("member",), "/me/moves/{event}/view"),
    ("/me/claims", "GET"): PageRow(("member",), "/me/claims"),
    ("/me/claims", "POST"): PageRow(("member",), "/me/claims"),
    ("/admin", "GET"): PageRow(("admin",), "/admin"),
    ("/admin/units", "POST"): PageRow(("admin",), "/admin/units"),
    ("/admin/units/<code>", "GET"): PageRow(("admin",), "/admin/units/{unit}"),
    ("/admin/units/<code>", "POST"): PageRow(("admin",), "/admin/units/{unit}"),
    ("/admin/people", "POST"): PageRow(("admin",), "/admin/people"),
    ("/admin/people/<int:user_id>/reset", "POST"): PageRow(("admin",),
                                                           "/admin/people/{user}/reset"),
    ("/admin/people/<int:user_id>/revoke", "POST"): PageRow(("admin",),
                                                            "/admin/people/{user}/revoke"),
    ("/units", "GET"): PageRow(RECORD_READERS, "/units"),
    ("/units/chart.svg", "GET"): PageRow(RECORD_READERS, "/units/chart.svg"),
    ("/units/<code>", "GET"): PageRow(RECORD_READERS, "/units/{unit}", scoped=True),
    ("/members/<int:member_id>", "GET"): PageRow(RECORD_READERS, "/members/{member}",
                                                 scoped=True),
    ("/members/<int:member_id>/actions/<trigger>", "GET"): PageRow(
        WRITERS, "/members/{member}/actions/pause", scoped=True),
    ("/members/<int:member_id>/actions/<trigger>", "POST"): PageRow(
        WRITERS, "/members/{member}/actions/pause", scoped=True),
    ("/members/<int:member_id>/milestones", "POST"): PageRow(
        WRITERS, "/members/{member}/milestones", scoped=True),
    ("/members/<int:member_id>/training/<code>/<trigger>", "POST"): PageRow(
        WRITERS, "/members/{member}/training/three_levels_awareness/enrol", scoped=True),
    ("/members/<int:member_id>/involvement", "GET"): PageRow(
        MONEY_READERS, "/members/{member}/involvement", scoped=True),
    ("/members/<int:member_id>/involvement", "POST"): PageRow(
        WRITERS, "/members/{member}/involvement", scoped=True),
    ("/members/<int:member_id>/involvement/<int:record_id>/transitions", "POST"): PageRow(
        WRITERS, "/members/{member}/involvement/1/transitions", scoped=True),
    ("/members/<int:member_id>/benefit-limits", "POST"): PageRow(
        WRITERS, "/members/{member}/benefit-limits", scoped=True),
    # The decline form before the confirmation: confirming takes the claim away.
    ("/members/<int:member_id>/claims/<code>/decline", "GET"): PageRow(
        WRITERS, "/members/{member}/claims/buddy_assigned/decline", scoped=True),
    ("/members/<int:member_id>/claims/<code>/decline", "POST"): PageRow(
        WRITERS, "/members/{member}/claims/buddy_assigned/decline", scoped=True),
    ("/members/<int:member_id>/claims/<code>/confirm", "POST"): PageRow(
        WRITERS, "/members/{member}/claims/buddy_assigned/confirm", scoped=True),
    ("/units/<code>/claims", "GET"): PageRow(RECORD_READERS, "/units/{unit}/claims",
                                             scoped=True),
    ("/readiness", "GET"): PageRow(AWARDERS, "/readiness"),
    ("/readiness/award", "POST"): PageRow(AWARDERS, "/readiness/award"),
    ("/proposals", "GET"): PageRow(ROLES, "/proposals?unit={unit}", scoped=True),
    ("/proposals", "POST"): PageRow(ROLES, "/proposals"),
    ("/proposals/<int:proposal_id>/move", "POST"): PageRow(WRITERS, "/proposals/1/move"),
    ("/proposals/<int:proposal_id>/forum-decision", "POST"): PageRow(
        WRITERS, "/proposals/1/forum-decision"),
    ("/reports", "GET"): PageRow(REPORTERS, "/reports"),
    ("/reports/<name>.csv", "GET"): PageRow(REPORTERS, "/reports/level-distribution.csv"),
    ("/reports/<name>/chart.svg", "GET"): PageRow(REPORTERS, "/reports/level-distribution/chart.svg"),
}


def page_routes(app) -> set[tuple[str, str]]:
    return {(rule.rule, method) for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("pages.")
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_page_route_is_in_the_matrix(app):
    routes = page_routes(app)
    assert sorted(routes - set(MATRIX)) == [], "add these page routes to MATRIX"
    assert sorted(set(MATRIX) - routes) == [], "these MATRIX rows name no page route"


@pytest.fixture
def world(db_url, unit, member, catalogue):
    """Units A (in scope) and B; a member in each, each with a claim waiting; a
    signed-in-able user per role."""
    unit("unit-a")
    unit("unit-b")
    inside, outside = member(unit="unit-a"), member(unit="unit-b")
    with unit_of_work(db_url) as s:
        for someone in (inside, outside):
            milestones.claim(s, catalogue, s.get_one(Member, someone), "buddy_assigned",
                             Actor("the member", "member"), TZ)
        registered = s.scalar(select(Event.id).where(Event.member_id == inside,
                                                     Event.machine == PATHWAY))
    with unit_of_work(db_url) as s:
        users = {}
        for role in ROLES:
            user, _ = create_user(
                s, f"page-{role}", role,
                unit_codes=["unit-a"] if role in ("coordinator", "training_lead", "viewer")
                else None, member_id=inside if role == "member" else None)
            sign_in.set_password(s, user, PASSWORD)
            users[role] = user.id
        spare, _ = create_user(s, "spare", "viewer", all_units=True)
        token = sign_in.create_invitation(s, spare, "test")
    return {"inside": inside, "outside": outside, "users": users, "spare": spare.id,
            "token": token, "event": registered}


def csrf(client, page: str = "/sign-in") -> str:
    """The CSRF token from a page's form (signed in: the header's Sign out form)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get(page, follow_redirects=True).text)
    assert found
    return found.group(1)


def signed_in_client(app, role):
    client = app.test_client()
    answer = client.post("/sign-in", data={"csrf_token": csrf(client),
                                           "username": f"page-{role}", "password": PASSWORD})
    assert answer.status_code == 302, answer.text
    return client


def address(row: PageRow, world, *, inside: bool = True) -> str:
    return row.address.format(member=world["inside" if inside else "outside"],
                              unit="unit-a" if inside else "unit-b", user=world["spare"],
                              token=world["token"], event=world["event"])


GUARDED = [key for key, row in MATRIX.items() if row.who != PUBLIC]


@pytest.mark.parametrize(("rule", "method"), GUARDED)
def test_someone_not_signed_in_is_sent_to_sign_in(app, world, rule, method):
    client = app.test_client()
    url = address(MATRIX[(rule, method)], world)
    data = {"csrf_token": csrf(client)} if method == "POST" else None
    answer = client.open(url, method=method, data=data)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_its_pages_and_finds_no_others(app, world, role):
    client = signed_in_client(app, role)
    token = csrf(client, "/")
    for (_rule, method), row in MATRIX.items():
        if row.who == PUBLIC:
            continue
        url = address(row, world)
        data = {"csrf_token": token} if method == "POST" else None
        answer = client.open(url, method=method, data=data)
        if role not in row.who:
            assert answer.status_code == 404, (role, method, url, answer.status_code)
            assert "Page not found" in answer.text
        elif method == "GET":
            assert answer.status_code == 200, (role, method, url, answer.status_code)


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_a_member_or_unit_out_of_scope_is_not_found(app, world, role):
    client = signed_in_client(app, role)
    for (_rule, method), row in MATRIX.items():
        if not row.scoped or method != "GET" or role not in row.who:
            continue
        url = address(row, world, inside=False)
        answer = client.get(url)
        assert answer.status_code == 404, (role, url, answer.status_code)
        assert "Page not found" in answer.text
