"""What the service does with requests before any view: who asks first, then what they sent.

Every refusal is the API's JSON error with its ``error`` slug, and every answer carries the
headers that keep members' data out of caches and pages out of frames.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.postgres

NESTED = "[" * 100_000 + "]" * 100_000


def post_raw(client, url, data, headers=None, content_type="application/json"):
    return client.post(url, data=data, headers={"Content-Type": content_type, **(headers or {})})


def test_without_a_token_a_deeply_nested_body_is_401_not_a_500(client):
    answer = post_raw(client, "/api/v1/members", NESTED)
    assert answer.status_code == 401
    assert answer.json["error"] == "unauthenticated"


def test_without_a_token_an_invalid_body_is_401_and_names_no_fields(client):
    answer = client.post("/api/v1/members", json={"reference": 1})
    assert answer.status_code == 401
    assert "errors" not in answer.json


def test_a_role_that_may_not_call_is_refused_before_its_body_is_read(client, auth):
    answer = client.post("/api/v1/members", json={"reference": 1}, headers=auth("viewer"))
    assert answer.status_code == 403
    assert answer.json["error"] == "forbidden"


def test_with_a_token_a_deeply_nested_body_is_400(client, auth):
    answer = post_raw(client, "/api/v1/members", NESTED, auth())
    assert answer.status_code == 400
    assert answer.json["error"] == "nested_too_deeply"


def test_a_body_nested_beyond_any_real_request_is_400(client, auth):
    answer = post_raw(client, "/api/v1/members", '{"reference": ' + "[" * 50 + "]" * 50 + "}",
                      auth())
    assert answer.status_code == 400


def test_a_lone_surrogate_in_a_text_field_is_422_naming_the_field(client, auth, unit):
    unit()
    answer = post_raw(client, "/api/v1/members",
                      '{"reference": "SU-1", "kind": "service_user", "unit": "cefn-yr-afon", '
                      '"display_name": "a\\ud800b"}', auth())
    assert answer.status_code == 422
    assert list(answer.json["errors"]) == ["display_name"]
    assert answer.json["error"] == "invalid_input"


def test_a_lone_surrogate_in_a_nested_field_names_its_top_level_field(client, auth, member):
    member_id = member()
    answer = post_raw(client, f"/api/v1/members/{member_id}/pathway/transitions",
                      '{"trigger": "pause", "reason": "x\\udfffy"}', auth())
    assert answer.status_code == 422
    assert "reason" in answer.json["errors"]


def test_a_lone_surrogate_in_a_unit_patch_is_422(client, auth, unit):
    code = unit()
    answer = client.patch(f"/api/v1/units/{code}", data='{"name": "\\ud83d"}',
                          headers={**auth(), "Content-Type": "application/json"})
    assert answer.status_code == 422
    assert list(answer.json["errors"]) == ["name"]


def test_a_surrogate_pair_is_an_ordinary_character(client, auth, unit):
    code = unit()
    answer = client.patch(f"/api/v1/units/{code}", data='{"name": "Ward \\ud83c\\udf3b"}',
                          headers={**auth(), "Content-Type": "application/json"})
    assert answer.status_code == 200
    assert answer.json["name"] == "Ward \U0001f33b"


def test_a_json_body_with_another_content_type_is_415(client, auth, unit):
    unit()
    answer = post_raw(client, "/api/v1/units", '{"code": "x", "name": "X", "kind": "other"}',
                      auth(), content_type="text/plain")
    assert answer.status_code == 415
    assert answer.json["error"] == "unsupported_media_type"


@pytest.mark.parametrize(("request_of", "status", "slug"), [
    (lambda c, h: c.post("/api/v1/members", data="{", headers={
        **h, "Content-Type": "application/json"}), 400, "malformed_request"),
    (lambda c, h: c.get("/api/v1/members"), 401, "unauthenticated"),
    (lambda c, h: c.get("/api/v1/members/999"), 401, "unauthenticated"),
    (lambda c, h: c.get("/api/v1/members/999", headers=h), 404, "not_found"),
    (lambda c, h: c.get("/api/v1/nowhere", headers=h), 404, "not_found"),
    (lambda c, h: c.delete("/api/v1/units", headers=h), 405, "method_not_allowed"),
    (lambda c, h: c.post("/api/v1/units", data="x" * (300 * 1024), headers={
        **h, "Content-Type": "application/json"}), 413, "body_too_large"),
])
def test_every_error_body_carries_a_slug(client, auth, request_of, status, slug):
    answer = request_of(client, auth())
    assert answer.status_code == status
    assert answer.json["error"] == slug
    assert answer.json["code"] == status


def test_an_address_longer_than_the_api_reads_is_a_json_414(client):
    answer = client.get("/api/v1/health?x=" + "a" * 5000)
    assert answer.status_code == 414
    assert answer.json["error"] == "address_too_long"


def test_api_answers_are_not_cached_nor_sniffed(client, auth, member):
    member_id = member()
    for answer in (client.get(f"/api/v1/members/{member_id}", headers=auth()),
                   client.get("/api/v1/members/0", headers=auth()),
                   client.get("/api/v1/health")):
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Cache-Control"] == "no-store"


def test_html_pages_may_not_be_framed_and_load_nothing_from_elsewhere(client):
    answer = client.get("/")
    policy = answer.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    sources = " ".join(part.split(" ", 1)[1] for part in policy.split("; "))
    assert set(sources.split()) <= {"'self'", "'none'", "data:"}  # no host elsewhere, nothing inline
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
