"""Bearer tokens, and only bearer tokens, authenticate API calls."""
from __future__ import annotations

from datetime import timedelta

import pytest

from forum.accounts import services as accounts
from forum.db import utcnow, write_transaction
from forum.extensions import db
from forum.models import ApiToken, User

from .conftest import Api, assert_problem

NEW = {"title": "How do I export my invoices?", "body": "I need a CSV of every invoice this year.",
       "category": "billing"}


def test_me_without_a_token_asks_for_one(api):
    response = api.get("/me")
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_me_with_a_token_returns_its_owner(api, world):
    body = api.get("/me", as_="alice").get_json()
    assert body["id"] == world.alice
    assert body["username"] == "alice" and body["email"] == "alice@example.com"


@pytest.mark.parametrize("header", [
    "Bearer fpat_not-a-real-token",
    "Bearer nonsense",
    "Bearer ",
    "Basic YWxpY2U6cGFzc3dvcmQ=",
    "fpat_without_a_scheme",
    "Bearer " + "x" * 5000,
])
def test_a_bad_token_is_refused_even_where_reading_is_public(api, header):
    response = api.get("/threads", headers={"Authorization": header})
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_bearer_scheme_is_case_insensitive(api, world):
    response = api.get("/me", headers={"Authorization": f"bearer {world.tokens['bob']}"})
    assert response.status_code == 200 and response.get_json()["username"] == "bob"


def test_a_revoked_token_stops_working(api, world):
    assert api.get("/me", as_="alice").status_code == 200
    token_id = db.session.execute(db.select(ApiToken.id).where(ApiToken.user_id == world.alice)).scalar_one()
    accounts.revoke_token(token_id, by=db.session.get(User, world.alice))
    response = api.get("/me", as_="alice")
    body = assert_problem(response, 401)
    assert "revoked" in body["detail"]
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_reading_needs_no_token(api, world):
    assert api.get("/threads").status_code == 200
    assert api.get(f"/threads/{world.thread}").status_code == 200
    assert api.get("/categories").status_code == 200


def test_writing_without_a_token_is_401_before_the_body_is_read(api, world):
    assert_problem(api.post("/threads", data="{not json", content_type="application/json"), 401)
    assert_problem(api.post(f"/posts/{world.answer}/vote", json={"value": 1}), 401)
    assert_problem(api.delete(f"/threads/{world.thread}/accept"), 401)


def test_the_session_cookie_does_not_authenticate(api, auth, world):
    auth.login_as(db.session.get(User, world.alice))
    assert auth._client.get("/").status_code == 200  # the browser session itself works
    assert_problem(api.get("/me"), 401)
    assert_problem(api.post("/threads", json=NEW), 401)


def test_the_api_is_exempt_from_csrf_because_it_ignores_cookies(make_app, ctx, world):
    app = make_app(WTF_CSRF_ENABLED=True)
    api = Api(app.test_client(), world)
    response = api.post("/threads", json=NEW, as_="alice")
    assert response.status_code == 201, response.get_json()


def test_a_suspended_member_can_read_but_not_write(api, world):
    with write_transaction():
        db.session.get(User, world.carol).suspended_until = utcnow() + timedelta(days=1)
    assert api.get("/me", as_="carol").status_code == 200
    body = assert_problem(api.post(f"/threads/{world.thread}/answers", as_="carol",
                                   json={"body": "Here is another answer for you."}), 403)
    assert "suspended" in body["detail"]


def test_api_responses_set_no_cookies(api, world):
    for response in (api.get("/me", as_="alice"), api.get("/threads"), api.get("/me"),
                     api.post(f"/posts/{world.answer}/vote", as_="alice", json={"value": 1})):
        assert "Set-Cookie" not in response.headers
