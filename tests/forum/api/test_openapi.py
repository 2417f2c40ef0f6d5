"""The OpenAPI document matches the code: the same routes, and real responses that
fit the documented schemas."""
from __future__ import annotations

import json
import re
from datetime import datetime

import pytest

from forum.extensions import db
from forum.models import Post, User
from forum.threads import services

from .conftest import PROBLEM
from .test_bad_input import ENDPOINTS, _body

PREFIX = "/api/v1"
IGNORED = {"HEAD", "OPTIONS"}


@pytest.fixture
def spec(client):
    response = client.get(f"{PREFIX}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def _routes(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(PREFIX + "/"):
            path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule[len(PREFIX):])
            found |= {(path, method) for method in rule.methods - IGNORED}
    return found


def _documented(spec) -> set[tuple[str, str]]:
    return {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}


def test_every_route_is_documented_and_every_documented_route_exists(app, spec):
    assert spec["openapi"] == "3.1.0" and spec["servers"] == [{"url": PREFIX}]
    assert _routes(app) == _documented(spec)
    assert len(_routes(app)) >= 13


def test_documented_path_parameters_match_the_routes(spec):
    for path, ops in spec["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for op in ops.values():
            assert {p["name"] for p in op.get("parameters", []) if p["in"] == "path"} == names, path


def test_operation_ids_are_unique_and_every_ref_resolves(spec):
    ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    for ref in re.findall(r"'\$ref': '([^']+)'", repr(spec)):
        node = spec
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
    components = spec["components"]["schemas"]
    assert {"Thread", "Post", "User", "Category", "Revision", "Problem"} <= set(components)


def test_writes_are_documented_as_needing_a_token(spec):
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if path == "/escalations/callback":
                # The help desk signs its callbacks instead (Standard Webhooks): no token.
                assert op["security"] == [{}], path
                continue
            # Reading is public except one's own things (me, notifications) and the moderators'
            # queues and audit log.
            needs_token = method != "get" or path in ("/me", "/review-queue", "/moderation/audit-log",
                                                      "/escalations", "/notifications")
            assert (op["security"] == [{"bearerAuth": []}]) == needs_token, (method, path)
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": "A personal API token, `fpat_...`."}


def test_the_pages_link_the_document(client):
    assert f'href="{PREFIX}/openapi.json"' in client.get("/").get_data(as_text=True)


# --- a small JSON Schema checker: the subset the document uses ----------------------

def _resolve(spec, schema):
    while "$ref" in schema:
        node = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is(value, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, TYPES[kind])


def validate(spec, schema, value, where="$") -> None:
    """Raise AssertionError naming the first place ``value`` breaks ``schema``."""
    schema = _resolve(spec, schema)
    kinds = schema.get("type")
    if kinds is not None:
        kinds = [kinds] if isinstance(kinds, str) else kinds
        assert any(_is(value, k) for k in kinds), f"{where}: {value!r} is not {kinds}"
    if "enum" in schema:
        assert value in schema["enum"] and type(value) in {type(e) for e in schema["enum"]}, \
            f"{where}: {value!r} not in {schema['enum']}"
    if value is None:
        return
    if "minimum" in schema:
        assert value >= schema["minimum"], where
    if schema.get("format") == "date-time":
        assert value.endswith("Z") and datetime.fromisoformat(value), f"{where}: {value!r}"
    if schema.get("format") == "uri":
        assert re.match(r"^https?://", value), f"{where}: {value!r}"
    if isinstance(value, dict):
        props = schema.get("properties", {})
        missing = set(schema.get("required", ())) - set(value)
        assert not missing, f"{where}: missing {missing}"
        if schema.get("additionalProperties") is False:
            extra = set(value) - set(props)
            assert not extra, f"{where}: undocumented {extra}"
        for key, item in value.items():
            if key in props:
                validate(spec, props[key], item, f"{where}.{key}")
    if isinstance(value, list) and "items" in schema:
        assert len(value) <= schema.get("maxItems", len(value)), where
        for n, item in enumerate(value):
            validate(spec, schema["items"], item, f"{where}[{n}]")


def test_the_checker_catches_what_it_should(spec):
    user = {"id": 1, "username": "a", "display_name": "a", "role": "member", "reputation": 1}
    validate(spec, {"$ref": "#/components/schemas/User"}, user)
    for broken in ({**user, "id": "1"}, {**user, "role": "king"}, {**user, "extra": 1},
                   {k: v for k, v in user.items() if k != "id"}, {**user, "reputation": True}):
        with pytest.raises(AssertionError):
            validate(spec, {"$ref": "#/components/schemas/User"}, broken)


def _check(spec, response, method: str, path: str) -> None:
    """Validate a real response against what the document promises for it."""
    op = spec["paths"][path][method.lower()]
    documented = op["responses"].get(str(response.status_code))
    assert documented, f"{method} {path} answered an undocumented {response.status_code}"
    documented = _resolve(spec, documented)
    [(media, content)] = documented["content"].items()
    assert response.mimetype == media, (response.mimetype, media)
    validate(spec, content["schema"], response.get_json(force=True))
    for header in documented.get("headers", {}):
        assert header in response.headers, header


def test_real_responses_fit_the_documented_schemas(api, world, spec):
    services.cast_vote(db.session.get(Post, world.answer), by=db.session.get(User, world.carol), value=1)
    calls = [
        ("GET", "/me", "/me", {"as_": "alice"}),
        ("GET", "/me", "/me", {}),
        ("GET", "/categories", "/categories", {}),
        ("GET", "/threads", "/threads", {"as_": "carol"}),
        ("GET", "/threads", "/threads?status=lost", {}),
        ("GET", "/threads/{thread_id}", f"/threads/{world.thread}", {"as_": "carol"}),
        ("GET", "/threads/{thread_id}", "/threads/424242", {}),
        ("POST", "/threads", "/threads", {"as_": "carol", "data": _body(world, "ask")}),
        ("POST", "/threads", "/threads", {"as_": "carol", "json": {"title": 1}}),
        ("POST", "/threads", "/threads", {"as_": "carol", "data": "{"}),
        ("POST", "/threads", "/threads", {"as_": "carol", "data": "{}", "content_type": "text/plain"}),
        ("POST", "/threads", "/threads", {"as_": "carol", "data": _body(world, "ask", body="x" * 1_100_000)}),
        ("POST", "/threads", "/threads", {"token": "fpat_nope", "json": {}}),
        ("POST", "/threads/{thread_id}/answers", f"/threads/{world.thread}/answers",
         {"as_": "carol", "json": {"body": "Yet another answer to this question."}}),
        ("PATCH", "/posts/{post_id}", f"/posts/{world.answer}",
         {"as_": "bob", "json": {"body": "Edited, and longer."}}),
        ("PATCH", "/posts/{post_id}", f"/posts/{world.answer}",
         {"as_": "carol", "json": {"body": "Not mine at all."}}),
        ("GET", "/posts/{post_id}", f"/posts/{world.answer}", {"as_": "carol"}),
        ("GET", "/posts/{post_id}/revisions", f"/posts/{world.question}/revisions", {}),
        ("GET", "/posts/{post_id}/revisions", f"/posts/{world.answer}/revisions", {}),
        ("POST", "/posts/{post_id}/vote", f"/posts/{world.answer}/vote", {"as_": "alice", "json": {"value": -1}}),
        ("POST", "/posts/{post_id}/vote", f"/posts/{world.answer}/vote", {"as_": "bob", "json": {"value": 1}}),
        ("POST", "/threads/{thread_id}/accept", f"/threads/{world.thread}/accept",
         {"as_": "alice", "json": {"post_id": world.answer}}),
        ("GET", "/threads/{thread_id}", f"/threads/{world.thread}", {}),
        ("DELETE", "/threads/{thread_id}/accept", f"/threads/{world.thread}/accept", {"as_": "alice"}),
        ("DELETE", "/threads/{thread_id}/accept", f"/threads/{world.thread}/accept", {"as_": "alice"}),
    ]
    statuses = set()
    for method, template, path, kw in calls:
        response = api.request(method, path, **kw)
        _check(spec, response, method, template)
        statuses.add(response.status_code)
    assert statuses >= {200, 201, 400, 401, 403, 404, 413, 415, 422}


def test_the_documented_request_bodies_accept_what_the_code_accepts(api, world, spec):
    bodies = {"ask": "NewThread", "answer": "NewAnswer", "edit_answer": "PostEdit", "edit_question": "PostEdit",
              "vote": "VoteRequest", "accept": "AcceptRequest"}
    for name, schema in bodies.items():
        who, method, path, _ = ENDPOINTS[name]
        validate(spec, {"$ref": f"#/components/schemas/{schema}"}, json.loads(_body(world, name)))
        op = spec["paths"][re.sub(r"{\w+}", lambda m: "{thread_id}" if "thread" in m.group() else "{post_id}",
                                  path)][method.lower()]
        assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(schema)


def test_problems_are_served_as_problem_json(client):
    assert client.get(f"{PREFIX}/me").mimetype == PROBLEM
