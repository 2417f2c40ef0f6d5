"""Answers, edits, revisions, votes and accepted answers through the API."""
from __future__ import annotations

from forum.db import Conflict
from forum.extensions import db
from forum.models import Post, Thread, User
from forum.threads import services
from tests import factories as f

from .conftest import assert_problem

ANSWER = "Open Settings, then Billing, and pick the currency there."


def test_answering_returns_201_with_the_post(api, world):
    response = api.post(f"/threads/{world.thread}/answers", as_="carol", json={"body": ANSWER})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"http://localhost/api/v1/posts/{body['id']}"
    assert body["body"] == ANSWER and body["author"]["username"] == "carol"
    assert body["is_question"] is False and body["is_accepted"] is False and body["score"] == 0
    assert body["edited_at"] is None and body["revision_count"] == 1
    assert api.get(f"/posts/{body['id']}").get_json() == body


def test_answering_the_same_text_twice_is_refused(api, world):
    assert api.post(f"/threads/{world.thread}/answers", as_="carol", json={"body": ANSWER}).status_code == 201
    again = api.post(f"/threads/{world.thread}/answers", as_="carol", json={"body": ANSWER})
    assert_problem(again, 422, "body")


def test_answering_an_unknown_thread_is_404(api):
    assert_problem(api.post("/threads/4242/answers", as_="carol", json={"body": ANSWER}), 404)


def test_editing_your_answer_keeps_a_revision(api, world):
    response = api.patch(f"/posts/{world.answer}", as_="bob",
                         json={"body": ANSWER, "reason": "Clearer steps"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["body"] == ANSWER and body["edited_at"] is not None and body["revision_count"] == 2
    revisions = api.get(f"/posts/{world.answer}/revisions").get_json()["items"]
    assert [r["number"] for r in revisions] == [2, 1]
    assert revisions[0]["reason"] == "Clearer steps" and revisions[0]["author"]["username"] == "bob"
    assert revisions[1]["body"] == "Change the currency under Settings, then Billing."
    assert revisions[0]["title"] is None and revisions[0]["tags"] is None


def test_editing_a_question_can_change_title_tags_and_category(api, world):
    response = api.patch(f"/posts/{world.question}", as_="alice", json={
        "title": "Invoices show dollars instead of euros", "tags": ["currency"], "category": "accounts"})
    assert response.status_code == 200, response.get_json()
    thread = api.get(f"/threads/{world.thread}").get_json()
    assert thread["title"] == "Invoices show dollars instead of euros"
    assert thread["tags"] == ["currency"] and thread["category"]["slug"] == "accounts"
    [latest, first] = api.get(f"/posts/{world.question}/revisions").get_json()["items"]
    assert latest["title"] == "Invoices show dollars instead of euros" and latest["tags"] == ["currency"]
    assert first["title"] == "Invoice shows the wrong currency" and first["tags"] == ["invoices"]


def test_answers_have_no_title_to_edit(api, world):
    assert_problem(api.patch(f"/posts/{world.answer}", as_="bob", json={"title": "A title for an answer"}),
                   422, "title")


def test_editing_someone_elses_post_is_forbidden(api, world):
    body = assert_problem(api.patch(f"/posts/{world.answer}", as_="carol", json={"body": ANSWER}), 403)
    assert "your own" in body["detail"]


def test_moderators_may_edit_any_post(api, world):
    assert api.patch(f"/posts/{world.answer}", as_="maya", json={"body": ANSWER}).status_code == 200


def test_voting_returns_the_new_score_and_your_vote(api, world):
    assert api.post(f"/posts/{world.answer}/vote", as_="alice", json={"value": 1}).get_json() == \
        {"score": 1, "vote": 1}
    assert api.post(f"/posts/{world.answer}/vote", as_="carol", json={"value": -1}).get_json() == \
        {"score": 0, "vote": -1}
    assert api.post(f"/posts/{world.answer}/vote", as_="alice", json={"value": 0}).get_json() == \
        {"score": -1, "vote": 0}
    assert api.get(f"/posts/{world.answer}", as_="carol").get_json()["vote"] == -1
    assert api.get(f"/posts/{world.answer}").get_json()["vote"] == 0


def test_voting_on_a_question_moves_the_thread_score(api, world):
    api.post(f"/posts/{world.question}/vote", as_="bob", json={"value": 1})
    assert api.get(f"/threads/{world.thread}").get_json()["score"] == 1


def test_voting_on_your_own_post_is_forbidden(api, world):
    body = assert_problem(api.post(f"/posts/{world.answer}/vote", as_="bob", json={"value": 1}), 403)
    assert "own post" in body["detail"]


def test_accepting_marks_the_thread_solved(api, world):
    response = api.post(f"/threads/{world.thread}/accept", as_="alice", json={"post_id": world.answer})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "solved" and body["accepted_answer_id"] == world.answer
    assert api.get(f"/posts/{world.answer}").get_json()["is_accepted"] is True


def test_accepting_another_answer_switches(api, world):
    thread = db.session.get(Thread, world.thread)
    other = f.answer(thread, db.session.get(User, world.carol), body="Another way to do it entirely.")
    api.post(f"/threads/{world.thread}/accept", as_="alice", json={"post_id": world.answer})
    body = api.post(f"/threads/{world.thread}/accept", as_="alice", json={"post_id": other.id}).get_json()
    assert body["accepted_answer_id"] == other.id


def test_only_the_asker_may_accept(api, world):
    body = assert_problem(api.post(f"/threads/{world.thread}/accept", as_="carol",
                                   json={"post_id": world.answer}), 403)
    assert "asked" in body["detail"]


def test_accepting_needs_an_answer_of_this_thread(api, world):
    elsewhere = f.answer(f.thread(db.session.get(User, world.alice)), db.session.get(User, world.bob))
    for post_id in (world.question, elsewhere.id, 999999, 10**30, -1, "2", True, 2.0):
        assert_problem(api.post(f"/threads/{world.thread}/accept", as_="alice", json={"post_id": post_id}),
                       422, "post_id")


def test_unaccepting_opens_the_thread_again(api, world):
    services.accept_answer(db.session.get(Post, world.answer), by=db.session.get(User, world.alice))
    body = api.delete(f"/threads/{world.thread}/accept", as_="alice").get_json()
    assert body["status"] == "open" and body["accepted_answer_id"] is None
    assert_problem(api.delete(f"/threads/{world.thread}/accept", as_="alice"), 404)


def test_only_the_asker_may_unaccept(api, world):
    services.accept_answer(db.session.get(Post, world.answer), by=db.session.get(User, world.alice))
    assert_problem(api.delete(f"/threads/{world.thread}/accept", as_="carol"), 403)


def test_unknown_posts_are_404_problems(api):
    for path in ("/posts/999999", "/posts/99999999999999999999", "/posts/-1", "/posts/abc",
                 "/posts/999999/revisions"):
        assert_problem(api.get(path), 404)
    assert_problem(api.post("/posts/999999/vote", as_="carol", json={"value": 1}), 404)
    assert_problem(api.patch("/posts/999999", as_="carol", json={"body": ANSWER}), 404)


def test_a_lost_race_is_a_409_problem(api, world, monkeypatch):
    def lose(*_args, **_kw):
        raise Conflict("duplicate key")

    monkeypatch.setattr(services, "cast_vote", lose)
    body = assert_problem(api.post(f"/posts/{world.answer}/vote", as_="alice", json={"value": 1}), 409)
    assert "Try again" in body["detail"]
