"""Reputation in the API: a member's figures, the ledger, the leaderboard, and the
OpenAPI document that describes them."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from forum.extensions import db
from forum.models import Post, User
from forum.threads import services as threads
from tests import factories as f
from tests.forum.api.test_openapi import validate

from .community import build, days_ago, move

PROBLEM = "application/problem+json"


@pytest.fixture
def world(app):
    with app.app_context():
        return SimpleNamespace(**{name: obj.id for name, obj in vars(build()).items()})


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def _check(spec, response, path: str):
    """The response is one the document promises for ``GET path``, in its schema."""
    documented = spec["paths"][path]["get"]["responses"][str(response.status_code)]
    while "$ref" in documented:
        documented = spec["components"]["responses"][documented["$ref"].rsplit("/", 1)[1]]
    [(media, content)] = documented["content"].items()
    assert response.mimetype == media
    validate(spec, content["schema"], response.get_json(force=True))
    return response.get_json(force=True)


def _problem(response, status, *fields):
    assert response.status_code == status and response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status and body["type"] == "about:blank"
    if fields:
        assert {e["field"] for e in body["errors"]} >= set(fields)
    return body


def test_the_document_lists_the_reputation_endpoints(spec):
    assert {"/users/{user_id}", "/users/{user_id}/reputation", "/leaderboard"} <= set(spec["paths"])
    assert {"UserProfile", "Ledger", "LedgerEntry", "Leaderboard", "EarnedBadge"} <= set(
        spec["components"]["schemas"])
    assert spec["paths"]["/leaderboard"]["get"]["operationId"] == "getLeaderboard"


def test_a_member_has_reputation_badges_and_counts(client, world, spec):
    body = _check(spec, client.get(f"/api/v1/users/{world.bob}"), "/users/{user_id}")
    assert body["username"] == "bob" and body["reputation"] == 36
    assert body["counts"] == {"questions": 0, "answers": 1, "accepted_answers": 1}
    assert [b["key"] for b in body["badges"]] == ["first_answer", "first_accepted"]
    assert body["badges"][1]["name"] == "Solver" and body["badges"][1]["count"] == 1


@pytest.mark.parametrize("user_id", ["424242", str(2**63), "99999999999999999999999"])
def test_unknown_members_are_404_problems(client, world, spec, user_id):
    response = client.get(f"/api/v1/users/{user_id}")
    _problem(response, 404)
    _check(spec, response, "/users/{user_id}")
    _problem(client.get(f"/api/v1/users/{user_id}/reputation"), 404)


def test_the_ledger_pages_by_cursor_without_gaps(app, client, world, spec):
    with app.app_context():
        for _ in range(4):
            threads.cast_vote(db.session.get(Post, world.fix), by=f.user(), value=1)
    seen, cursor = [], None
    while True:
        url = f"/api/v1/users/{world.bob}/reputation?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = _check(spec, client.get(url), "/users/{user_id}/reputation")
        assert len(body["items"]) <= 3
        seen += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len({e["id"] for e in seen}) == 7
    assert [e["id"] for e in seen] == sorted((e["id"] for e in seen), reverse=True)
    assert sum(e["delta"] for e in seen) == 36 + 40 - 1
    accepted = next(e for e in seen if e["reason"] == "answer.accepted")
    assert accepted["delta"] == 15 and accepted["post_id"] == world.fix and accepted["thread_id"] == world.invoices
    assert accepted["label"] == "Answer accepted"


def test_the_ledger_withholds_posts_the_caller_may_not_see(app, client, world):
    with app.app_context():
        threads.delete_post(db.session.get(Post, world.fix), by=db.session.get(User, world.bob))
    items = client.get(f"/api/v1/users/{world.bob}/reputation").get_json()["items"]
    assert items and all(e["post_id"] is None and e["thread_id"] is None for e in items)


@pytest.mark.parametrize(("query", "field"), [
    ("cursor=garbage", "cursor"), ("cursor=" + "x" * 300, "cursor"), ("limit=0", "limit"), ("limit=x", "limit"),
])
def test_bad_ledger_queries_are_422_naming_the_parameter(client, world, spec, query, field):
    response = client.get(f"/api/v1/users/{world.bob}/reputation?{query}")
    _problem(response, 422, field)
    _check(spec, response, "/users/{user_id}/reputation")


def test_the_leaderboard_by_period_and_category(app, client, world, spec):
    with app.app_context():
        move(db.session.get(User, world.bob), days_ago(400))
    body = _check(spec, client.get("/api/v1/leaderboard?period=all"), "/leaderboard")
    assert body["period"] == "all" and body["since"] is None and body["category"] is None
    assert [(i["rank"], i["user"]["username"], i["reputation_gained"], i["accepted_answers"])
            for i in body["items"]] == [(1, "bob", 35, 1), (2, "dave", 10, 0), (3, "alice", 2, 0)]
    week = _check(spec, client.get("/api/v1/leaderboard"), "/leaderboard")
    assert week["period"] == "week" and week["since"].endswith("T00:00:00Z")
    assert "bob" not in [i["user"]["username"] for i in week["items"]]
    billing = _check(spec, client.get("/api/v1/leaderboard?period=all&category=billing"), "/leaderboard")
    assert billing["category"]["slug"] == "billing"
    assert [i["user"]["username"] for i in billing["items"]] == ["bob", "alice"]


@pytest.mark.parametrize(("query", "fields"), [
    ("period=year", ("period",)), ("category=nope", ("category",)), ("period=x&category=y", ("period", "category")),
    ("category=" + "x" * 100, ("category",)),
])
def test_bad_leaderboard_queries_are_422(client, world, spec, query, fields):
    response = client.get(f"/api/v1/leaderboard?{query}")
    _problem(response, 422, *fields)
    _check(spec, response, "/leaderboard")


def test_a_bad_token_is_refused_here_too(client, world):
    response = client.get(f"/api/v1/users/{world.bob}", headers={"Authorization": "Bearer fpat_nope"})
    _problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
