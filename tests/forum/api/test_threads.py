"""Threads through the API: lists, asking, the thread, categories."""
from __future__ import annotations

import re

from forum.extensions import db
from forum.models import Post, User
from forum.threads import services
from tests import factories as f

from .conftest import assert_problem

ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
NEW = {"title": "How do I export my invoices?", "body": "I need a CSV of every invoice this year.",
       "category": "billing", "tags": ["Invoices", "export"]}


def test_list_items_have_the_documented_fields(api, world):
    body = api.get("/threads").get_json()
    assert body["next_cursor"] is None
    [item] = body["items"]
    assert item["id"] == world.thread
    assert item["title"] == "Invoice shows the wrong currency"
    assert item["status"] == "open" and item["score"] == 0 and item["answer_count"] == 1
    assert item["accepted_answer_id"] is None
    assert item["category"] == {"id": world.billing, "slug": "billing", "name": "Billing"}
    assert item["tags"] == ["invoices"]
    assert item["author"]["id"] == world.alice and item["author"]["username"] == "alice"
    assert ISO_UTC.match(item["created_at"]) and ISO_UTC.match(item["last_activity_at"])
    assert item["url"] == f"http://localhost/t/{world.thread}/invoice-shows-the-wrong-currency"


def test_list_filters_by_status_category_and_tag(api, world):
    other = f.thread(db.session.get(User, world.bob), title="Password reset mail never arrives",
                     tags=["email"], category_obj=f.category("Logins"))
    services.accept_answer(db.session.get(Post, world.answer), by=db.session.get(User, world.alice))

    def ids(query):
        response = api.get(f"/threads?{query}")
        assert response.status_code == 200, response.get_json()
        return [t["id"] for t in response.get_json()["items"]]

    assert ids("") == [world.thread, other.id]
    assert ids("status=solved") == [world.thread]
    assert ids("status=open") == [other.id]
    assert ids("category=logins") == [other.id]
    assert ids("tag=invoices") == [world.thread]
    assert ids("tag=Email") == [other.id]
    assert ids("tag=nobody-uses-this") == []
    assert ids("category=billing&status=open") == []


def test_list_rejects_unknown_filters_with_the_parameter_named(api):
    assert_problem(api.get("/threads?status=lost"), 422, "status")
    assert_problem(api.get("/threads?category=no-such-thing"), 422, "category")
    assert_problem(api.get("/threads?category=Not%20A%20Slug%00"), 422, "category")
    assert_problem(api.get("/threads?tag=%00%00"), 422, "tag")
    assert_problem(api.get("/threads?limit=0"), 422, "limit")
    assert_problem(api.get("/threads?limit=ten"), 422, "limit")
    assert_problem(api.get("/threads?cursor=garbage"), 422, "cursor")


def test_pagination_follows_the_cursor_to_the_end(api, world):
    alice = db.session.get(User, world.alice)
    made = [f.thread(alice, title=f"Numbered question {n} about exports") for n in range(5)]
    seen, cursor, pages = [], None, 0
    while True:
        response = api.get("/threads?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        body = response.get_json()
        assert len(body["items"]) <= 2
        seen += [t["id"] for t in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [t.id for t in reversed(made)] + [world.thread]


def test_asking_returns_201_with_the_thread_and_its_question(api, world):
    response = api.post("/threads", as_="carol", json=NEW)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert response.headers["Location"] == f"http://localhost/api/v1/threads/{body['id']}"
    assert body["title"] == NEW["title"] and body["tags"] == ["export", "invoices"]
    assert body["category"]["id"] == world.billing and body["author"]["username"] == "carol"
    assert body["question"]["body"] == NEW["body"]
    assert body["question"]["body_html"] == "<p>I need a CSV of every invoice this year.</p>"
    assert body["question"]["is_question"] is True and body["answers"] == []


def test_asking_accepts_a_category_id_too(api, world):
    response = api.post("/threads", as_="carol", json={**NEW, "category": world.accounts, "tags": []})
    assert response.status_code == 201
    assert response.get_json()["category"]["slug"] == "accounts"


def test_asking_with_invalid_fields_lists_every_one(api):
    response = api.post("/threads", as_="carol", json={"title": "short", "body": "tiny", "category": "nope",
                                                       "tags": [f"tag{n}" for n in range(7)]})
    body = assert_problem(response, 422, "title", "body", "category", "tags")
    assert "title" in body["detail"]


def test_the_thread_lists_the_accepted_answer_first_then_by_score_then_age(api, world):
    thread = db.session.get(Post, world.question).thread
    alice, carol, maya = (db.session.get(User, i) for i in (world.alice, world.carol, world.maya))
    older = f.answer(thread, carol, body="An older answer with no votes at all.")
    newer = f.answer(thread, maya, body="A newer answer with no votes at all.")
    popular = f.answer(thread, f.user("dan"), body="The popular answer everybody likes.")
    services.cast_vote(popular, by=alice, value=1)
    services.accept_answer(newer, by=alice)
    body = api.get(f"/threads/{world.thread}", as_="alice").get_json()
    assert [a["id"] for a in body["answers"]] == [newer.id, popular.id, world.answer, older.id]
    assert [a["is_accepted"] for a in body["answers"]] == [True, False, False, False]
    assert body["answers"][1]["vote"] == 1 and body["answers"][1]["score"] == 1
    assert body["question"]["id"] == world.question and body["status"] == "solved"
    assert body["accepted_answer_id"] == newer.id


def test_deleted_answers_are_left_out_as_on_the_page(api, world):
    services.delete_post(db.session.get(Post, world.answer), by=db.session.get(User, world.bob))
    assert api.get(f"/threads/{world.thread}").get_json()["answers"] == []
    assert_problem(api.get(f"/posts/{world.answer}"), 404)


def test_a_deleted_thread_is_not_found(api, world):
    thread = f.thread(db.session.get(User, world.carol))
    services.delete_post(thread.question, by=db.session.get(User, world.carol))
    assert_problem(api.get(f"/threads/{thread.id}"), 404)
    assert thread.id not in [t["id"] for t in api.get("/threads").get_json()["items"]]


def test_unknown_threads_are_404_problems(api):
    for path in ("/threads/999999", "/threads/99999999999999999999", "/threads/-1", "/threads/abc"):
        assert_problem(api.get(path), 404)


def test_categories_are_listed_for_clients_that_ask(api, world):
    body = api.get("/categories").get_json()
    assert [(c["id"], c["slug"]) for c in body["items"]] == [(world.accounts, "accounts"), (world.billing, "billing")]
    assert body["items"][1]["thread_count"] == 1


def test_a_thread_asked_through_the_api_is_on_the_pages(api, client):
    thread = api.post("/threads", as_="carol", json=NEW).get_json()
    listing = client.get("/").get_data(as_text=True)
    assert NEW["title"] in listing
    page = client.get(thread["url"])
    assert page.status_code == 200 and NEW["body"] in page.get_data(as_text=True)
