"""The OpenAPI document says what the server does, completed here in one pass over it.

Blueprints declare their schemas, roles (``api.auth.roles``) and special answers; this adds
what holds for every operation alike, so no blueprint repeats it:
- who may call it (``x-roles``, and in words in its description), from the roles table;
- the refusals it can give, each with its ``error`` slug: 400, 401, 403, 404, 409, 413,
  415 and 422, as far as the operation can give them;
- ``minProperties: 1`` on PATCH bodies (a PATCH with nothing to change is refused);
- examples of each request body and each successful answer, built from the schemas.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask

from api.auth import roles_of
from api.errors import MESSAGES, SLUGS
from pathway.people.access import ROLES

RULE_PARAMETER = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
WRITES = ("post", "put", "patch", "delete")
CONFLICT_SLUGS = ("version_conflict", "invalid_trigger", "guards_unmet", "duplicate",
                  "idempotency_key_reused", "not_applicable", "already_in_unit", "erased",
                  "not_erased")
ERROR_RESPONSES = {
    400: "The body is not valid JSON, or is nested too deeply (`malformed_request`, "
         "`nested_too_deeply`).",
    401: "No valid token (`unauthenticated`).",
    403: "The caller's role may not do this (`forbidden`).",
    404: "Nothing with that id or code in the caller's scope (`not_found`): a record outside "
         "it is not revealed.",
    409: "Not possible now; `error` says why: " + ", ".join(f"`{s}`" for s in CONFLICT_SLUGS)
         + ".",
    413: "The body is larger than the limit (`body_too_large`).",
    415: "The body is not sent as `application/json` (`unsupported_media_type`).",
    422: "Some fields are not valid (`invalid_input`): `errors` names every one, including "
         "rules of the record (a date in the future or before the member joined).",
}
EXAMPLE_DAY = "2026-06-30"


def complete(app: Flask, spec: dict[str, Any]) -> dict[str, Any]:
    """Add roles, refusals, PATCH shape and examples to a generated document (in place)."""
    components = spec.setdefault("components", {})
    responses = components.setdefault("responses", {})
    for status, description in ERROR_RESPONSES.items():
        responses[f"Error{status}"] = _error_response(status, description)
    schemas = components.get("schemas", {})
    roles = _roles_by_operation(app)
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            allowed = roles.get((path, method))
            _describe_roles(operation, allowed)
            _add_refusals(path, method, operation, allowed)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                target = _resolve(body.get("schema", {}), schemas)
                if method == "patch" and target is not None:
                    target["minProperties"] = 1
                body.setdefault("example", _example(body.get("schema", {}), schemas, 0))
            for status, answer in operation.get("responses", {}).items():
                content = answer.get("content", {}).get("application/json") \
                    if isinstance(answer, dict) else None
                if content is not None and str(status).startswith("2"):
                    content.setdefault("example", _example(content.get("schema", {}),
                                                           schemas, 0, answer=True))
    return spec


def _roles_by_operation(app: Flask) -> dict[tuple[str, str], tuple[str, ...] | None]:
    found: dict[tuple[str, str], tuple[str, ...] | None] = {}
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        path = RULE_PARAMETER.sub(r"{\1}", rule.rule)
        for method in rule.methods or ():
            found[(path, method.lower())] = roles_of(view, method)
    return found


def _describe_roles(operation: dict[str, Any], allowed: tuple[str, ...] | None) -> None:
    if allowed is None:
        operation["x-roles"] = []
        said = "Public: no token needed."
    else:
        operation["x-roles"] = list(allowed)
        said = "Roles: " + ", ".join(f"`{r}`" for r in allowed) + "."
    operation["description"] = f"{operation.get('description', '')}\n\n{said}".strip()


def _add_refusals(path: str, method: str, operation: dict[str, Any],
                  allowed: tuple[str, ...] | None) -> None:
    responses = operation.setdefault("responses", {})
    codes: list[int] = []
    if allowed is not None:
        codes.append(401)
        if set(ROLES) - set(allowed):
            codes.append(403)
    has_body = "requestBody" in operation
    parameters = [p for p in operation.get("parameters", []) if isinstance(p, dict)]
    if "{" in path or any(p.get("name") == "unit" for p in parameters) or has_body:
        codes.append(404)
    if method in WRITES:
        codes.append(409)
    if has_body:
        codes.extend((400, 413, 415))
    if has_body or parameters or "{" in path:
        codes.append(422)
    for code in codes:
        if str(code) not in responses:
            responses[str(code)] = {"$ref": f"#/components/responses/Error{code}"}


def _error_response(status: int, description: str) -> dict[str, Any]:
    example: dict[str, Any] = {"code": status, "status": _phrase(status),
                               "message": MESSAGES.get(status, ""),
                               "error": SLUGS.get(status, "error")}
    if status == 409:
        example.update(error="version_conflict",
                       message="This record has changed since you read it (version 4, you "
                               "expected 3); reload and try again.")
    if status == 422:
        example["errors"] = {"joined_on": ["The date 2999-01-01 is in the future."]}
        example["message"] = "Some fields are not valid: joined_on."
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"},
                                             "example": example}}}


def _phrase(status: int) -> str:
    from http import HTTPStatus

    return HTTPStatus(status).phrase


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any] | None:
    if "$ref" not in schema and schema.get("allOf"):
        schema = schema["allOf"][0]  # apispec wraps a read-only nested schema so
    reference = schema.get("$ref", "")
    if reference.startswith("#/components/schemas/"):
        return schemas.get(reference.rsplit("/", 1)[1])
    return schema or None


def _example(schema: dict[str, Any], schemas: dict[str, Any], depth: int, *,
             answer: bool = False) -> Any:
    """An example value a client could send (or receive: ``answer``), from the schema's own
    hints; a request shows its required fields and those with a useful example."""
    resolved = _resolve(schema, schemas) or {}
    if "example" in resolved:
        return resolved["example"]
    if resolved.get("enum"):
        return next((v for v in resolved["enum"] if v not in ("", None)), resolved["enum"][0])
    kind = resolved.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or "properties" in resolved:
        if depth > 4:
            return {}
        properties = resolved.get("properties", {})
        required = set(resolved.get("required", []))
        shown = [name for name, prop in properties.items()
                 if name in required or answer
                 or (not prop.get("readOnly") and "example" in prop)]
        return {name: _example(properties[name], schemas, depth + 1, answer=answer)
                for name in shown}
    if kind == "array":
        return ([_example(resolved.get("items", {}), schemas, depth + 1, answer=answer)]
                if depth <= 4 else [])
    if kind == "integer":
        return max(int(resolved.get("minimum", 1)), 1)
    if kind == "number":
        return 1.0
    if kind == "boolean":
        return False
    if resolved.get("format") == "date":
        return EXAMPLE_DAY
    if resolved.get("format") == "date-time":
        return f"{EXAMPLE_DAY}T09:00:00+00:00"
    return "text"


def page(spec: dict[str, Any]) -> dict[str, Any]:
    """What the docs page shows: each operation by tag, with its roles and answers."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            tag = (operation.get("tags") or ["other"])[0]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            groups.setdefault(tag, []).append({
                "method": method.upper(), "path": path,
                "summary": operation.get("summary", ""),
                "roles": operation.get("x-roles", []),
                "responses": sorted(str(code) for code in operation.get("responses", {})),
                "example": json.dumps(body["example"], indent=2) if body and "example" in body
                else None,
            })
    tags = {tag["name"]: tag.get("description", "") for tag in spec.get("tags", [])}
    return {"title": spec.get("info", {}).get("title", "API"),
            "version": spec.get("info", {}).get("version", ""),
            "groups": [(name, tags.get(name, ""), groups[name]) for name in sorted(groups)]}
