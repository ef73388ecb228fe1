"""The OpenAPI document says what the server does: who may call each operation, every refusal
it can give with its slug, the shape PATCH bodies must have, and examples; and it can be read
as a page served from here."""

from __future__ import annotations

import pytest

from api.auth import ADMINS, WRITERS

OPERATIONS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            if method in OPERATIONS:
                yield path, method, operation


def test_every_operation_says_which_roles_may_call_it(document):
    for _path, _method, operation in operations(document):
        assert "x-roles" in operation
    members = document["paths"]["/api/v1/members"]["post"]
    assert members["x-roles"] == list(WRITERS)
    assert "Roles: `admin`, `coordinator`." in members["description"]
    erase = document["paths"]["/api/v1/members/{member_id}/erase"]["post"]
    assert erase["x-roles"] == list(ADMINS)
    assert document["paths"]["/api/v1/health"]["get"]["x-roles"] == []


def test_every_guarded_operation_lists_401_and_every_write_409_with_slugs(document):
    for path, method, operation in operations(document):
        responses = operation["responses"]
        if operation["x-roles"]:
            assert "401" in responses, (path, method)
        if method != "get":
            assert "409" in responses, (path, method)
        if "{" in path:
            assert "404" in responses, (path, method)
        if "requestBody" in operation:
            assert {"400", "413", "415", "422"} <= set(responses), (path, method)
    errors = document["components"]["responses"]
    assert errors["Error401"]["content"]["application/json"]["example"]["error"] == \
        "unauthenticated"
    assert "`erased`" in errors["Error409"]["description"]


def test_a_role_that_everyone_has_gets_no_403_and_one_some_lack_does(document):
    units = document["paths"]["/api/v1/units"]
    assert "403" not in units["get"]["responses"]
    assert "403" in units["post"]["responses"]


def test_patch_bodies_must_change_something(document):
    for path, method, operation in operations(document):
        if method == "patch":
            ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            schema = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
            assert schema["minProperties"] == 1, path


def test_required_text_may_not_be_blank_and_days_say_their_range(document):
    unit = document["components"]["schemas"]["Unit"]["properties"]
    assert unit["name"]["pattern"] == r"\S"
    joined = document["components"]["schemas"]["Member"]["properties"]["joined_on"]
    assert "x-minimum" in joined
    assert "x-maximum" in joined


def test_requests_and_answers_have_examples(document):
    post = document["paths"]["/api/v1/members"]["post"]
    assert post["requestBody"]["content"]["application/json"]["example"]["kind"] == \
        "service_user"
    answer = post["responses"]["201"]["content"]["application/json"]["example"]
    assert answer["pathway"]["status"] in ("active", "paused", "exited")


def test_the_document_reads_as_a_page_served_from_here(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "/api/v1/members/{member_id}/erase" in text
    assert "Roles: admin" in text
    assert "<script" not in text
    assert "<link" not in text
    assert "src=" not in text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
