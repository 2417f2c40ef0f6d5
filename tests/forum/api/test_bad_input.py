"""No input, however odd, makes the API answer 500, and every refusal is a problem.

The sweep sends each write endpoint broken bodies, then every field of each endpoint
the wrong kinds of value, then odd ids in every path.
"""
from __future__ import annotations

import base64
import json

import pytest

from .conftest import PROBLEM, assert_problem

NEW = {"title": "How do I export my invoices?", "body": "I need a CSV of every invoice this year.",
       "category": "billing"}

# (who, method, path, a valid body); paths are formatted with the world's ids.
ENDPOINTS = {
    "ask": ("carol", "POST", "/threads", NEW),
    "answer": ("carol", "POST", "/threads/{thread}/answers", {"body": "Use the export button on the list."}),
    "edit_answer": ("bob", "PATCH", "/posts/{answer}", {"body": "Change it under Settings and Billing."}),
    "edit_question": ("alice", "PATCH", "/posts/{question}", {"title": "Invoices show the wrong currency"}),
    "vote": ("alice", "POST", "/posts/{answer}/vote", {"value": 1}),
    "accept": ("alice", "POST", "/threads/{thread}/accept", {"post_id": "{answer}"}),
}


def _send(api, world, name, *, data, content_type="application/json"):
    who, method, path, _ = ENDPOINTS[name]
    return api.request(method, path.format(**vars(world)), as_=who, data=data, content_type=content_type)


def _body(world, name, **changes):
    body = {k: int(v.format(**vars(world))) if isinstance(v, str) and v.startswith("{") else v
            for k, v in ENDPOINTS[name][3].items()}
    body.update(changes)
    return json.dumps(body)


@pytest.mark.parametrize("name", ENDPOINTS)
def test_each_endpoint_works_with_its_valid_body(api, world, name):
    response = _send(api, world, name, data=_body(world, name))
    assert response.status_code in (200, 201), response.get_json()


BROKEN = {
    "empty": (b"", 400),
    "whitespace": (b"  \n", 400),
    "truncated": (b'{"title": "How do', 400),
    "single quotes": (b"{'body': 'x'}", 400),
    "trailing comma": (b'{"body": "abc",}', 400),
    "array": (b'[{"body": "Use the export button on the list."}]', 400),
    "string": (b'"Use the export button on the list."', 400),
    "number": (b"42", 400),
    "null": (b"null", 400),
    "NaN": (b'{"value": NaN}', 400),
    "Infinity": (b'{"value": -Infinity}', 400),
    "broken utf-8": (b'{"body": "caf\xc3\x28 \xff\xfe"}', 400),
    "latin-1": ('{"body": "Ça ne marche pas du tout, aidez-moi"}'.encode("latin-1"), 400),
    "utf-16": ('{"body": "Use the export button on the list."}'.encode("utf-16"), 400),
    "binary": (bytes(range(256)), 400),
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, 400),
    "huge number": (b'{"value": 1' + b"0" * 5000 + b"}", 400),
}


# Loops inside one test per case keep the sweep fast: each test builds a community.
@pytest.mark.parametrize("case", BROKEN)
def test_a_body_that_is_not_a_json_object_is_400(api, world, case):
    data, status = BROKEN[case]
    for name in ENDPOINTS:
        assert_problem(_send(api, world, name, data=data), status)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "multipart/form-data; boundary=x", "", "application/xml"])
def test_another_media_type_is_415(api, world, content_type):
    for name in ENDPOINTS:
        assert_problem(_send(api, world, name, data=_body(world, name), content_type=content_type), 415)


def test_json_with_a_charset_or_a_json_suffix_is_fine(api, world):
    for content_type in ("application/json; charset=utf-8", "application/merge-patch+json"):
        response = _send(api, world, "edit_answer", content_type=content_type,
                         data=_body(world, "edit_answer", body=f"Updated with {content_type} as type."))
        assert response.status_code == 200, response.get_json()


def test_a_body_over_max_content_length_is_413(api, world):
    for name in ENDPOINTS:
        assert_problem(_send(api, world, name, data=_body(world, name, body="x" * 1_100_000)), 413)
        assert_problem(_send(api, world, name, data=b" " * 1_000_001), 413)


def test_unknown_fields_are_named(api, world):
    for name in ENDPOINTS:
        assert_problem(_send(api, world, name, data=_body(world, name, titel="typo", **{"": 1})), 422, "titel", "")


TOO_LONG = "x" * 30_001
NOT_TEXT = [123, 1.5, True, None, {"text": "nested"}, ["a list"]]
WRONG = {
    "ask": {
        "title": [*NOT_TEXT, "short", "t" * 151, "\x00" * 20],
        "body": [*NOT_TEXT, "", "tiny", TOO_LONG, "\x00\x01\x02" * 10],
        "category": [99999999999999999999, -1, 0, True, 1.5, None, {"id": 1}, ["billing"], "no-such-category",
                     "x" * 1000, "bill\x00ing", "Billing"],
        "tags": [123, True, None, {"a": 1}, [1, 2], [["nested"]], [None], "x" * 1000,
                 [f"tag{n}" for n in range(6)], ["bad tag!"], ["\ud800"]],
    },
    "answer": {"body": [*NOT_TEXT, "", TOO_LONG, " " * 100]},
    "edit_answer": {
        "body": [*NOT_TEXT, "", TOO_LONG],
        "reason": [123, True, None, {"a": 1}, ["a"]],
        "title": ["A title for an answer"],
        "tags": [["answers-have-no-tags"]],
        "category": ["billing"],
    },
    "edit_question": {
        "title": [*NOT_TEXT, "", "t" * 151],
        "tags": [123, {"a": 1}, [1], None, [f"tag{n}" for n in range(6)]],
        "category": [99999999999999999999, -1, True, None, {"id": 1}, "nope"],
        "body": [*NOT_TEXT, TOO_LONG],
    },
    "vote": {"value": [2, -2, 100, True, False, 1.0, 0.5, "1", "up", None, {}, [1], 10**30]},
    "accept": {"post_id": ["1", True, 1.5, None, {}, [], 10**20, -1, 0]},
}
CASES = [(name, field) for name, fields in WRONG.items() for field in fields]


@pytest.mark.parametrize(("name", "field"), CASES, ids=[f"{n}-{f}" for n, f in CASES])
def test_a_wrong_value_is_422_naming_its_field(api, world, name, field):
    for value in WRONG[name][field]:
        response = _send(api, world, name, data=_body(world, name, **{field: value}))
        assert response.status_code == 422, (value, response.get_json())
        assert_problem(response, 422, field)


ODD_STRINGS = ["\x00", "\ud800 lone surrogate", "<script>alert(1)</script>", "💥" * 10, "\u202e" * 10]


@pytest.mark.parametrize("value", ODD_STRINGS)
def test_odd_text_never_breaks_anything(api, world, value):
    filler = " and some words to make it long enough"
    for name, field in [("ask", "title"), ("ask", "body"), ("answer", "body"), ("edit_answer", "reason"),
                        ("edit_answer", "body"), ("ask", "tags")]:
        response = _send(api, world, name, data=_body(world, name, **{field: value + filler}))
        assert response.status_code < 500
        if response.status_code >= 400:
            assert response.mimetype == PROBLEM


PATHS = ["/threads/{id}", "/threads/{id}/answers", "/threads/{id}/accept", "/posts/{id}", "/posts/{id}/revisions",
         "/posts/{id}/vote"]
ODD_IDS = ["99999999999999999999", "2147483648", "-1", "0", "abc", "1.5", "%00", "1e3", "0x10", "%F0%9F%92%A5"]


@pytest.mark.parametrize("path", PATHS)
def test_odd_ids_are_404_or_405_problems(api, path):
    for ident in ODD_IDS:
        for method in ("GET", "POST", "PATCH", "DELETE"):
            response = api.request(method, path.format(id=ident), as_="alice", json={})
            assert response.status_code in (404, 405), (method, ident)
            assert_problem(response, response.status_code)


def _cursor(*values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


ODD_QUERIES = [
    "cursor=" + "W" * 10_000, "cursor=%00", "cursor=" + _cursor("2024-01-01T00:00:00+00:00", 10**30),
    "cursor=" + _cursor("2024-01-01T00:00:00", 1), "cursor=" + _cursor(1, 2, 3), "cursor=" + _cursor(None, None),
    "cursor=" + base64.urlsafe_b64encode(b"[" * 100).decode(), "cursor=" + _cursor("0001-01-01T00:00:00+14:00", 1),
    "limit=99999999999999999999", "limit=-5", "limit=1.5", "status=", "status=%00", "category=%00",
    "tag=" + "t" * 10_000, "category=" + "c" * 10_000, "status=open&status=solved", "tag=%ED%A0%80",
]


def test_odd_query_strings_are_200_or_422(api):
    for query in ODD_QUERIES:
        response = api.get(f"/threads?{query}")
        assert response.status_code in (200, 422), query
        if response.status_code == 422:
            assert_problem(response, 422)


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/nope", 404), ("GET", "/threads/1/nope", 404), ("PUT", "/threads", 405),
    ("DELETE", "/posts/1", 405), ("POST", "/me", 405), ("GET", "/threads/1/answers", 405),
])
def test_unknown_routes_and_methods_are_problems(api, method, path, status):
    response = api.request(method, path, as_="alice")
    assert_problem(response, status)
    if status == 405:
        assert "Allow" in response.headers


def test_another_api_version_is_a_404_problem(client):
    response = client.get("/api/v2/threads")
    assert response.status_code == 404 and response.mimetype == PROBLEM


def test_a_post_over_max_post_chars_is_named_and_nothing_is_saved(api, world):
    body = assert_problem(_send(api, world, "answer", data=_body(world, "answer", body=TOO_LONG)), 422, "body")
    assert "30,000" in body["errors"][0]["message"]
    assert api.get(f"/threads/{world.thread}").get_json()["answer_count"] == 1
