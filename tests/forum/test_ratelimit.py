"""Rate limits on logging in, signing up and posting, and the sign-up honeypot.

Each test builds its app with tight limits; the counters belong to that app, so
nothing carries over from one test (or one app) to the next.
"""
from __future__ import annotations

import re
import uuid

import pytest
import sqlalchemy as sa

from forum.accounts import services as accounts
from forum.extensions import db, limiter
from forum.models import Post, User
from tests import factories


def _login(client, password="wrong password"):
    return client.post("/login", data={"login": "alice", "password": password})


def _signup(client, name, **extra):
    return client.post("/register", data={"username": name, "email": f"{name}@example.com",
                                          "password": "correct horse battery",
                                          "confirm_password": "correct horse battery", **extra})


def _retry_seconds(response) -> int:
    value = response.headers.get("Retry-After")
    assert value is not None and value.isdigit(), response.headers
    return int(value)


def test_the_seventh_login_attempt_in_a_minute_is_refused_with_when_to_retry(make_app):
    app = make_app(LOGIN_RATE="6 per minute")
    client = app.test_client()
    statuses = [_login(client).status_code for _ in range(6)]
    assert statuses == [400] * 6
    refused = _login(client)
    assert refused.status_code == 429
    seconds = _retry_seconds(refused)
    assert 1 <= seconds <= 61
    page = refused.get_data(as_text=True)
    assert re.search(r"Too many attempts\. Try again in \d+ seconds?\.", page)


def test_a_correct_password_is_refused_too_once_the_limit_is_reached(make_app):
    app = make_app(LOGIN_RATE="2 per minute")
    with app.app_context():
        factories.user("alice")
    client = app.test_client()
    _login(client), _login(client)
    assert _login(client, "correct horse battery").status_code == 429


def test_login_limits_count_per_client_address(make_app):
    app = make_app(LOGIN_RATE="1 per minute")
    one = app.test_client()
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert _login(one).status_code == 400
    assert _login(one).status_code == 429
    assert _login(other).status_code == 400


def test_only_created_accounts_count_towards_the_sign_up_limit(make_app):
    app = make_app(REGISTER_RATE="2 per hour")
    client = app.test_client()
    # A mistyped form costs nothing.
    assert client.post("/register", data={"username": "x"}).status_code == 400
    for name in ("first", "second"):
        assert _signup(client, name).status_code == 302
        client.post("/logout")
    refused = _signup(client, "third")
    assert refused.status_code == 429
    assert _retry_seconds(refused) > 60
    assert "Too many attempts. Try again in" in refused.get_data(as_text=True)
    with app.app_context():
        assert accounts.get_user("third") is None


def test_the_honeypot_refuses_a_sign_up_without_saying_why(make_app):
    app = make_app()
    client = app.test_client()
    page = client.get("/register").get_data(as_text=True)
    field = re.search(r'<div class="sr-only" aria-hidden="true">.*?</div>', page, re.S).group(0)
    assert 'name="homepage"' in field and 'tabindex="-1"' in field and 'autocomplete="off"' in field
    response = _signup(client, "botty", homepage="https://spam.example")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "We could not create this account" in text
    assert "homepage" not in text.split("form-errors", 1)[1].split("</div>", 1)[0]
    with app.app_context():
        assert accounts.get_user("botty") is None
    # People, who leave it empty, get in.
    assert _signup(client, "person", homepage="").status_code == 302


def _world(app, **user_kw):
    with app.app_context():
        author = factories.user("poster", **user_kw)
        # Staff's questions skip the review queue, so everyone can answer them.
        thread = factories.thread(factories.staff())
        category_id = thread.category_id
        token = accounts.create_token(author)[1]
        return thread.id, category_id, token


def test_an_answer_over_the_limit_is_refused_with_the_text_kept(make_app, auth):
    app = make_app(NEW_USER_POST_RATE="1 per hour")
    thread_id, _, _ = _world(app)
    client = app.test_client()
    with client.session_transaction() as session:
        with app.app_context():
            session["_user_id"] = db.session.execute(sa.select(User).where(User.username == "poster")) \
                .scalar_one().get_id()
    assert client.post(f"/t/{thread_id}/answers", data={"body": "My first answer, with details."}).status_code == 302
    # Previews are not posts and never count.
    assert client.post(f"/t/{thread_id}/answers", data={"body": "Second answer text", "preview": "1"}) \
        .status_code == 200
    refused = client.post(f"/t/{thread_id}/answers", data={"body": "A second answer I typed carefully."})
    assert refused.status_code == 429
    assert _retry_seconds(refused) > 60
    page = refused.get_data(as_text=True)
    assert "A second answer I typed carefully." in page
    assert "You are posting faster than this forum allows. Try again in" in page
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count(Post.id)).where(
            Post.body == "A second answer I typed carefully.")).scalar_one() == 0


def test_a_question_over_the_limit_keeps_title_body_and_tags(make_app):
    app = make_app(POST_RATE="1 per hour")
    _, category_id, _ = _world(app)
    client = app.test_client()
    client.post("/login", data={"login": "poster", "password": factories.PASSWORD})
    form = {"title": "How do I reset the router?", "body": "It keeps blinking orange after updates.",
            "category": str(category_id), "tags": "router"}
    assert client.post("/ask", data=form).status_code == 302
    refused = client.post("/ask", data=dict(form, title="Another question about routers"))
    assert refused.status_code == 429
    page = refused.get_data(as_text=True)
    assert "Another question about routers" in page and "It keeps blinking orange after updates." in page


def test_the_api_answers_429_as_a_problem_with_retry_after(make_app):
    app = make_app(NEW_USER_POST_RATE="1 per hour")
    thread_id, _, token = _world(app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/threads/{thread_id}/answers"
    assert client.post(path, json={"body": "The first answer over the API."}, headers=headers).status_code == 201
    refused = client.post(path, json={"body": "The second answer over the API."}, headers=headers)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    assert _retry_seconds(refused) > 60
    body = refused.get_json()
    assert body["status"] == 429 and "Try again in" in body["detail"]


def test_pages_and_api_share_one_posting_budget(make_app):
    app = make_app(NEW_USER_POST_RATE="1 per hour")
    thread_id, _, token = _world(app)
    client = app.test_client()
    client.post("/login", data={"login": "poster", "password": factories.PASSWORD})
    assert client.post(f"/t/{thread_id}/answers", data={"body": "Answered through the page."}).status_code == 302
    refused = app.test_client().post(f"/api/v1/threads/{thread_id}/answers", json={"body": "And over the API."},
                                     headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 429


def test_members_who_post_without_review_are_spared_the_new_user_limit(make_app):
    app = make_app(NEW_USER_POST_RATE="1 per hour", PRIVILEGES={"post_without_review": 1})
    thread_id, _, token = _world(app)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    for n in range(3):
        response = client.post(f"/api/v1/threads/{thread_id}/answers",
                               json={"body": f"Trusted answer number {n} here."}, headers=headers)
        assert response.status_code == 201, response.get_json()


def test_counters_belong_to_their_app(make_app):
    first = make_app(LOGIN_RATE="1 per minute")
    second = make_app(LOGIN_RATE="1 per minute")
    assert _login(first.test_client()).status_code == 400
    assert _login(first.test_client()).status_code == 429
    assert _login(second.test_client()).status_code == 400
    assert _login(first.test_client()).status_code == 429


def test_limits_can_be_turned_off(make_app):
    app = make_app(RATELIMIT_ENABLED=False, LOGIN_RATE="1 per minute")
    client = app.test_client()
    assert [_login(client).status_code for _ in range(3)] == [400, 400, 400]


REDIS_URL = "redis://127.0.0.1:6379/15"


def _redis_or_skip():
    redis = pytest.importorskip("redis", reason="the redis package is not installed")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")


def test_counters_live_in_redis_when_configured(make_app):
    _redis_or_skip()
    app = make_app(RATELIMIT_STORAGE_URL=REDIS_URL, LOGIN_RATE="2 per minute")
    with app.app_context():
        assert type(limiter.storage).__name__ == "RedisStorage"
    # A fresh address per run, so earlier runs' counters (kept for a minute) never count.
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}-{uuid.uuid4().hex[:6]}"
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    assert [_login(client).status_code for _ in range(3)] == [400, 400, 429]
    # A second app on the same Redis sees the same count: that is why one configures it.
    other = make_app(RATELIMIT_STORAGE_URL=REDIS_URL, LOGIN_RATE="2 per minute").test_client()
    other.environ_base["REMOTE_ADDR"] = address
    assert _login(other).status_code == 429
