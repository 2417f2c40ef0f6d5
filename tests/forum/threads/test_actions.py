"""Vote, accept, unaccept, delete and preview: form posts and their JSON variants."""
from __future__ import annotations

import pytest

from forum.extensions import db
from forum.models import Post, PostState, Thread, ThreadStatus
from forum.threads import services as s
from tests import factories as f
from tests.conftest import csrf_token

from .conftest import JSON, flashes


# --- votes --------------------------------------------------------------------------

def test_a_form_vote_redirects_back_to_the_post_with_a_message(app, client, world, login):
    login("carol")
    response = client.post(f"/posts/{world.answer}/vote", data={"value": "1"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"{world.url}#post-{world.answer}"
    assert flashes(client)[-1] == "Upvoted."
    with app.app_context():
        assert db.session.get(Post, world.answer).score == 1


def test_a_json_vote_answers_the_score_and_the_vote(client, world, login):
    login("carol")
    assert client.post(f"/posts/{world.answer}/vote", data={"value": "1"}, headers=JSON).json == {"score": 1, "vote": 1}
    assert client.post(f"/posts/{world.answer}/vote", data={"value": "-1"}, headers=JSON).json == {"score": -1, "vote": -1}
    assert client.post(f"/posts/{world.answer}/vote", data={"value": "0"}, headers=JSON).json == {"score": 0, "vote": 0}


def test_a_json_vote_on_your_own_post_is_403_with_the_reason(client, world, login):
    login("bob")
    response = client.post(f"/posts/{world.answer}/vote", data={"value": "1"}, headers=JSON)
    assert response.status_code == 403
    assert response.json == {"error": "You can't vote on your own post."}


def test_a_form_vote_on_your_own_post_is_a_403_page(client, world, login):
    login("bob")
    response = client.post(f"/posts/{world.answer}/vote", data={"value": "1"})
    assert response.status_code == 403 and "own post" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["", "2", "up", "1.0", "9" * 30])
def test_a_bad_vote_value_is_400_in_both_shapes(client, world, login, value):
    login("carol")
    response = client.post(f"/posts/{world.answer}/vote", data={"value": value}, headers=JSON)
    assert response.status_code == 400 and "error" in response.json
    assert client.post(f"/posts/{world.answer}/vote", data={"value": value}).status_code == 400


def test_anonymous_votes_ask_to_log_in(client, world):
    response = client.post(f"/posts/{world.answer}/vote", data={"value": "1"}, headers=JSON)
    assert response.status_code == 401 and response.json["error"] == "Log in to do this."
    response = client.post(f"/posts/{world.answer}/vote", data={"value": "1"},
                           headers={"Referer": f"http://localhost{world.url}"})
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


def test_votes_on_unknown_or_deleted_posts_are_404(app, client, world, login):
    with app.app_context():
        a = db.session.get(Post, world.answer)
        s.delete_post(a, by=a.author)
    login("carol")
    assert client.post("/posts/999/vote", data={"value": "1"}, headers=JSON).status_code == 404
    response = client.post(f"/posts/{world.answer}/vote", data={"value": "1"}, headers=JSON)
    assert response.status_code == 404 and response.json["error"]
    assert client.post("/posts/999/vote", data={"value": "1"}).status_code == 404


# --- accepting ------------------------------------------------------------------------------

def test_the_asker_accepts_and_unaccepts_with_forms(app, client, world, login):
    login("alice")
    response = client.post(f"/posts/{world.answer}/accept")
    assert response.status_code == 302 and response.headers["Location"] == f"{world.url}#post-{world.answer}"
    with app.app_context():
        assert db.session.get(Thread, world.thread).status == ThreadStatus.SOLVED
    response = client.post(f"/t/{world.thread}/unaccept")
    assert response.status_code == 302 and response.headers["Location"] == f"{world.url}#post-{world.answer}"
    with app.app_context():
        thread = db.session.get(Thread, world.thread)
        assert (thread.accepted_post_id, thread.status) == (None, ThreadStatus.OPEN)


def test_accepting_with_json_answers_the_new_state(client, world, login):
    login("alice")
    response = client.post(f"/posts/{world.answer}/accept", headers=JSON)
    assert response.json == {"accepted_post_id": world.answer, "status": "solved"}
    response = client.post(f"/t/{world.thread}/unaccept", headers=JSON)
    assert response.json == {"accepted_post_id": None, "status": "open"}


def test_others_cannot_accept_and_get_403(client, world, login):
    login("carol")
    response = client.post(f"/posts/{world.answer}/accept", headers=JSON)
    assert response.status_code == 403 and "asked" in response.json["error"]
    assert client.post(f"/posts/{world.answer}/accept").status_code == 403


def test_unaccepting_with_nothing_accepted_is_404(client, world, login):
    login("alice")
    assert client.post(f"/t/{world.thread}/unaccept", headers=JSON).status_code == 404
    assert client.post(f"/t/{world.thread}/unaccept").status_code == 404
    assert client.post("/t/999/unaccept").status_code == 404


def test_a_lost_race_is_a_409_in_json(app, client, world, login, monkeypatch):
    from forum.db import Conflict

    def racing(*args, **kwargs):
        raise Conflict("duplicate")

    monkeypatch.setattr(s, "cast_vote", racing)
    login("carol")
    response = client.post(f"/posts/{world.answer}/vote", data={"value": "1"}, headers=JSON)
    assert response.status_code == 409 and "same moment" in response.json["error"]
    assert client.post(f"/posts/{world.answer}/vote", data={"value": "1"}).status_code == 409


# --- deleting --------------------------------------------------------------------------------

def test_deleting_an_answer_goes_back_to_the_thread(app, client, world, login):
    login("bob")
    response = client.post(f"/posts/{world.answer}/delete")
    assert response.status_code == 302 and response.headers["Location"] == f"{world.url}#answers"
    assert flashes(client)[-1] == "The answer is deleted."
    with app.app_context():
        assert db.session.get(Post, world.answer).state == PostState.DELETED
    assert client.post(f"/posts/{world.answer}/delete").status_code == 404


def test_deleting_a_lone_question_goes_home(app, client, world, login):
    with app.app_context():
        t = f.thread(db.session.get(f.accounts.User, world.carol), title="Never mind, found it myself")
        qid = t.question_id
    login("carol")
    response = client.post(f"/posts/{qid}/delete")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_deleting_others_posts_is_403(client, world, login):
    login("carol")
    assert client.post(f"/posts/{world.answer}/delete").status_code == 403
    response = client.post(f"/posts/{world.answer}/delete", headers=JSON)
    assert response.status_code == 403 and response.json["error"] == "You can only delete your own posts."


# --- preview ------------------------------------------------------------------------------------

def test_preview_renders_with_the_one_sanitiser(client, world, login):
    login("carol")
    response = client.post("/preview", data={"text": "**bold** <script>alert(1)</script> [x](http://e.com)"})
    html = response.json["html"]
    assert response.status_code == 200
    assert "<strong>bold</strong>" in html and "<script" not in html and 'rel="nofollow ugc noopener"' in html


def test_preview_refuses_oversized_text_and_anonymous_people(app, client, world, login):
    assert client.post("/preview", data={"text": "hi"}).status_code == 401
    login("carol")
    response = client.post("/preview", data={"text": "x" * (app.config["MAX_POST_CHARS"] + 1)})
    assert response.status_code == 413 and "at most" in response.json["error"]


def test_preview_needs_the_csrf_header(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        f.user("dora")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"login": "dora", "password": f.PASSWORD, "csrf_token": csrf_token(page)})
    assert client.post("/preview", data={"text": "hi"}, headers=JSON).status_code == 400
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post("/preview", data={"text": "*hi*"}, headers={**JSON, "X-CSRFToken": token})
    assert response.status_code == 200 and response.json == {"html": "<p><em>hi</em></p>"}


def test_forms_carry_a_csrf_token_when_protection_is_on(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        alice, bob = f.user("alice"), f.user("bob")
        t = f.thread(alice)
        a = f.answer(t, bob)
        aid, tid = a.id, t.id
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"login": "alice", "password": f.PASSWORD, "csrf_token": csrf_token(page)})
    html = client.get(f"/t/{tid}", follow_redirects=True).get_data(as_text=True)
    assert client.post(f"/posts/{aid}/accept").status_code == 400
    assert client.post(f"/posts/{aid}/accept", data={"csrf_token": csrf_token(html)}).status_code == 302
