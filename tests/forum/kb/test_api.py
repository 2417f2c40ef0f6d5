"""The knowledge base through the JSON API: list, read, write, promote, feedback; every
response checked against the OpenAPI document."""
from __future__ import annotations

import json
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from forum.accounts import services as accounts
from forum.extensions import db
from forum.kb.models import ArticleFeedback, ArticleRevision
from tests import factories as f
from tests.forum.api.conftest import Api, assert_problem
from tests.forum.api.test_openapi import _check, validate

from .test_services import BODY, SUMMARY, community, draft, published

NEW = {"title": "Download every invoice as one PDF", "summary": "Use Billing → Invoices → Download all; "
       "you get one PDF per year.", "body": "Open **Billing → Invoices** and press *Download all*.",
       "category": "billing", "tags": ["invoices", "pdf"]}


@pytest.fixture
def world(ctx):
    """``community()`` plus a published article, a draft, another category, and tokens.

    Only ids and strings are kept: the requests run in their own sessions."""
    kb = community()
    carol = f.user("carol")
    accounts_cat = f.category("Accounts")
    live = published(kb.sam, kb.billing, slug="invoice-currency")
    hidden = draft(kb.sam, kb.billing, slug="in-progress", title="Invoices in two currencies at once")
    people = {"sam": kb.sam, "maya": kb.maya, "alice": kb.alice, "bob": kb.bob, "carol": carol}
    return SimpleNamespace(
        **{name: u.id for name, u in people.items()},
        tokens={name: accounts.create_token(u)[1] for name, u in people.items()},
        billing=kb.billing.id, accounts=accounts_cat.id, thread=kb.thread.id, question=kb.thread.question_id,
        answer=kb.answer.id, live=live.slug, draft=hidden.slug, live_id=live.id)


@pytest.fixture
def api(client, world):
    return Api(client, world)


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def ok(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    return response.get_json()


# -- the document ---------------------------------------------------------------------------

def test_the_kb_endpoints_are_documented(spec):
    paths = spec["paths"]
    assert set(paths["/articles"]) == {"get", "post"}
    assert set(paths["/articles/{slug}"]) == {"get", "patch"}
    assert set(paths["/articles/{slug}/feedback"]) == {"post"}
    assert set(paths["/posts/{post_id}/promote"]) == {"post"}
    assert {"200", "201"} <= set(paths["/posts/{post_id}/promote"]["post"]["responses"])
    assert {"Article", "ArticleDetail", "ArticleList", "NewArticle", "ArticleEdit", "FeedbackRequest",
            "FeedbackResult"} <= set(spec["components"]["schemas"])


def test_real_responses_fit_the_documented_schemas(api, world, spec):
    calls = [
        ("GET", "/articles", "/articles", {}),
        ("GET", "/articles", "/articles?status=draft", {"as_": "sam"}),
        ("GET", "/articles", "/articles?status=draft", {"as_": "carol"}),
        ("GET", "/articles", "/articles?status=draft", {}),
        ("GET", "/articles", "/articles?status=lost", {}),
        ("GET", "/articles/{slug}", f"/articles/{world.live}", {}),
        ("GET", "/articles/{slug}", f"/articles/{world.draft}", {"as_": "carol"}),
        ("GET", "/articles/{slug}", f"/articles/{world.draft}", {"as_": "sam"}),
        ("POST", "/articles", "/articles", {"as_": "sam", "json": NEW}),
        ("POST", "/articles", "/articles", {"as_": "sam", "json": {**NEW, "titel": "typo"}}),
        ("POST", "/articles", "/articles", {"as_": "carol", "json": NEW}),
        ("POST", "/articles", "/articles", {"json": NEW}),
        ("POST", "/articles", "/articles", {"as_": "sam", "data": "{"}),
        ("POST", "/articles", "/articles", {"as_": "sam", "data": "{}", "content_type": "text/plain"}),
        ("POST", "/articles", "/articles", {"as_": "sam", "json": {**NEW, "body": "x" * 1_100_000}}),
        ("PATCH", "/articles/{slug}", f"/articles/{world.draft}", {"as_": "sam", "json": {"status": "published"}}),
        ("PATCH", "/articles/{slug}", f"/articles/{world.live}", {"as_": "maya", "json": {"title": "Mine now!"}}),
        ("PATCH", "/articles/{slug}", "/articles/nowhere", {"as_": "sam", "json": {"title": "Nothing here"}}),
        ("POST", "/posts/{post_id}/promote", f"/posts/{world.answer}/promote", {"as_": "sam"}),
        ("POST", "/posts/{post_id}/promote", f"/posts/{world.answer}/promote", {"as_": "sam"}),
        ("POST", "/posts/{post_id}/promote", f"/posts/{world.question}/promote", {"as_": "sam"}),
        ("POST", "/posts/{post_id}/promote", "/posts/424242/promote", {"as_": "sam"}),
        ("POST", "/articles/{slug}/feedback", f"/articles/{world.live}/feedback",
         {"as_": "carol", "json": {"helpful": False, "comment": "It skips VAT."}}),
        ("POST", "/articles/{slug}/feedback", f"/articles/{world.live}/feedback",
         {"as_": "carol", "json": {"helpful": "no"}}),
        ("POST", "/articles/{slug}/feedback", f"/articles/{world.live}/feedback", {"json": {"helpful": True}}),
    ]
    statuses = set()
    for method, template, path, kw in calls:
        response = api.request(method, path, **kw)
        _check(spec, response, method, template)
        statuses.add(response.status_code)
    assert statuses >= {200, 201, 400, 401, 403, 404, 413, 415, 422}


def test_the_documented_request_bodies_accept_what_the_code_accepts(spec):
    for schema, body in [("NewArticle", NEW), ("ArticleEdit", {"summary": SUMMARY, "status": "archived"}),
                         ("ArticleEdit", {}), ("FeedbackRequest", {"helpful": True, "comment": "Thanks"})]:
        validate(spec, {"$ref": f"#/components/schemas/{schema}"}, body)


# -- reading ---------------------------------------------------------------------------------

def test_an_article_in_full(api, world, spec):
    body = ok(api.get(f"/articles/{world.live}"))
    validate(spec, {"$ref": "#/components/schemas/ArticleDetail"}, body)
    assert (body["slug"], body["status"], body["summary"], body["body"]) == (world.live, "published", SUMMARY, BODY)
    assert "<strong>" in body["body_html"] and body["category"]["slug"] == "billing"
    assert body["author"]["username"] == "sam" and body["credited_user"] is None
    assert body["tags"] == ["invoices"] and body["revision_count"] == 1
    assert body["reviewed_at"] == body["published_at"] and body["reviewed_at"].endswith("Z")
    assert (body["helpful_count"], body["unhelpful_count"], body["linked_thread_ids"]) == (0, 0, [])
    assert (body["source_thread_id"], body["source_post_id"]) == (None, None)
    assert urlsplit(body["url"]).path == f"/kb/{world.live}"


def test_an_article_lists_the_threads_that_link_it(api, world):
    ok(api.post(f"/threads/{world.thread}/answers", as_="carol",
                json={"body": f"This is covered in [[kb:{world.live}]], have a look."}), 201)
    assert ok(api.get(f"/articles/{world.live}"))["linked_thread_ids"] == [world.thread]


def test_unknown_and_draft_slugs_are_404_to_non_staff(api, world):
    for path in ("/articles/nowhere", f"/articles/{world.draft}", "/articles/" + "x" * 300):
        assert_problem(api.get(path, as_="carol"), 404)
    assert ok(api.get(f"/articles/{world.draft}", as_="sam"))["status"] == "draft"


def test_the_list_shows_published_articles_and_staff_may_ask_for_others(api, world):
    assert [a["slug"] for a in ok(api.get("/articles"))["items"]] == [world.live]
    assert [a["slug"] for a in ok(api.get("/articles?status=draft", as_="sam"))["items"]] == [world.draft]
    assert ok(api.get("/articles?status=archived", as_="sam"))["items"] == []
    assert_problem(api.get("/articles?status=draft"), 401)
    assert_problem(api.get("/articles?status=archived", as_="maya"), 403)
    assert_problem(api.get("/articles?status=gone", as_="sam"), 422, "status")


def test_the_list_filters_by_category_and_tag(api, world):
    ok(api.post("/articles", as_="sam", json={**NEW, "category": world.accounts, "tags": ["PDF"]}), 201)
    ok(api.patch("/articles/download-every-invoice-as-one-pdf", as_="sam", json={"status": "published"}))
    slugs = lambda q: [a["slug"] for a in ok(api.get(f"/articles{q}"))["items"]]  # noqa: E731
    assert slugs("?category=billing") == [world.live]
    assert slugs("?category=accounts") == ["download-every-invoice-as-one-pdf"]
    assert slugs("?tag=Invoices") == [world.live]
    assert slugs("?tag=pdf&category=accounts") == ["download-every-invoice-as-one-pdf"]
    assert slugs("?tag=never-used") == []
    assert_problem(api.get("/articles?category=nope"), 422, "category")
    assert_problem(api.get("/articles?category=Not%20A%20Slug"), 422, "category")
    assert_problem(api.get("/articles?tag=%3Cb%3E"), 422, "tag")


def test_the_list_pages_with_an_opaque_cursor(api, world):
    for n in range(5):
        ok(api.post("/articles", as_="sam", json={**NEW, "title": f"Invoice question number {n}"}), 201)
    seen, cursor, pages = [], None, 0
    while True:
        body = ok(api.get("/articles?status=draft&limit=2" + (f"&cursor={cursor}" if cursor else ""), as_="sam"))
        seen += [a["slug"] for a in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert len(body["items"]) == 2
    assert pages == 3 and len(seen) == len(set(seen)) == 6
    assert seen[:5] == [f"invoice-question-number-{n}" for n in range(4, -1, -1)]
    for bad in ("abc", "x" * 300, "W10"):
        assert_problem(api.get(f"/articles?status=draft&cursor={bad}", as_="sam"), 422, "cursor")
    for limit in ("0", "101", "ten"):
        assert_problem(api.get(f"/articles?limit={limit}"), 422, "limit")


# -- writing ---------------------------------------------------------------------------------

def test_staff_create_a_draft(api, world, client):
    response = api.post("/articles", as_="sam", json={**NEW, "reason": "From a support ticket"})
    body = ok(response, 201)
    assert response.headers["Location"].endswith("/api/v1/articles/download-every-invoice-as-one-pdf")
    assert (body["status"], body["tags"], body["category"]["id"]) == ("draft", ["invoices", "pdf"], world.billing)
    assert body["published_at"] is None and body["reviewed_at"] is None
    assert ok(api.get(urlsplit(response.headers["Location"]).path.removeprefix("/api/v1"), as_="sam")) == body
    assert_problem(api.get(f"/articles/{body['slug']}"), 404)
    with client.application.app_context():
        assert db.session.execute(sa.select(ArticleRevision.reason)).scalars().all()[-1] == "From a support ticket"


def test_creating_checks_every_field(api, world):
    body = assert_problem(api.post("/articles", as_="sam", json={
        "title": "x", "summary": 5, "body": "", "category": "nope", "tags": "a b c d e f", "slug": 7}), 422)
    assert {e["field"] for e in body["errors"]} == {"title", "summary", "body", "category", "tags", "slug"}
    assert_problem(api.post("/articles", as_="sam", json={**NEW, "slug": world.live}), 422, "slug")
    assert_problem(api.post("/articles", as_="sam", json={**NEW, "titel": "typo"}), 422, "titel")
    assert_problem(api.post("/articles", as_="sam", json={**NEW, "tags": None}), 422, "tags")
    assert_problem(api.post("/articles", as_="sam", json={**NEW, "reason": ["why"]}), 422, "reason")
    assert_problem(api.post("/articles", as_="sam", data="[]"), 400)
    ok(api.post("/articles", as_="sam", json={**NEW, "category": world.accounts, "slug": "Pdf-Export"}), 201)
    assert ok(api.get("/articles/pdf-export", as_="sam"))["category"]["slug"] == "accounts"


def test_only_staff_create_and_edit(api, world):
    for who, status in (("carol", 403), ("maya", 403), (None, 401)):
        assert_problem(api.post("/articles", as_=who, json=NEW), status)
        assert_problem(api.patch(f"/articles/{world.live}", as_=who, json={"title": "Taken over by me"}), status)
    # The body is not even read for someone who may not write: no 422 hints.
    assert_problem(api.post("/articles", as_="carol", json={"titel": 1}), 403)
    assert_problem(api.patch(f"/articles/{world.draft}", as_="carol", json={"title": "Taken over by me"}), 404)
    assert_problem(api.post("/articles", token="fpat_nope", json=NEW), 401)


def test_editing_keeps_what_is_left_out_and_writes_a_revision(api, world, spec):
    body = ok(api.patch(f"/articles/{world.live}", as_="sam", json={
        "title": "Change the currency on invoices", "tags": ["invoices", "eur"], "reason": "Clearer title"}))
    validate(spec, {"$ref": "#/components/schemas/ArticleDetail"}, body)
    assert (body["title"], body["summary"], body["body"], body["tags"]) == (
        "Change the currency on invoices", SUMMARY, BODY, ["eur", "invoices"])
    assert body["revision_count"] == 2 and body["slug"] == world.live
    renamed = ok(api.patch(f"/articles/{world.live}", as_="sam", json={"slug": "invoice-currencies",
                                                                       "category": "accounts"}))
    assert renamed["slug"] == "invoice-currencies" and renamed["category"]["slug"] == "accounts"
    assert renamed["revision_count"] == 3
    assert_problem(api.get(f"/articles/{world.live}"), 404)
    # Nothing changed, nothing written.
    assert ok(api.patch("/articles/invoice-currencies", as_="sam", json={"reason": "Just looking"}))[
        "revision_count"] == 3
    assert_problem(api.patch("/articles/invoice-currencies", as_="sam", json={"summary": "short"}), 422, "summary")
    assert_problem(api.patch("/articles/invoice-currencies", as_="sam", json={"views": 9}), 422, "views")
    assert_problem(api.patch("/articles/invoice-currencies", as_="sam", json={"slug": world.draft}), 422, "slug")


def test_status_changes_go_through_publish_and_archive(api, world):
    body = ok(api.patch(f"/articles/{world.draft}", as_="sam", json={
        "summary": "Invoices use one currency each; set it under Billing.", "status": "published"}))
    assert body["status"] == "published" and body["published_at"] and body["revision_count"] == 2
    assert ok(api.get(f"/articles/{world.draft}"))["summary"].startswith("Invoices use one currency")
    # Asking for the status it already has changes nothing.
    assert ok(api.patch(f"/articles/{world.draft}", as_="sam", json={"status": "published"}))["status"] == "published"
    assert ok(api.patch(f"/articles/{world.draft}", as_="sam", json={"status": "archived"}))["status"] == "archived"
    assert_problem(api.get(f"/articles/{world.draft}"), 404)
    for bad in ("draft", "deleted", 1):
        assert_problem(api.patch(f"/articles/{world.draft}", as_="sam", json={"status": bad}), 422, "status")
    # A refused status leaves the rest of the request undone.
    assert_problem(api.patch(f"/articles/{world.draft}", as_="sam", json={
        "title": "Should not be saved at all", "status": "draft"}), 422, "status")
    assert ok(api.get(f"/articles/{world.draft}", as_="sam"))["title"] == "Invoices in two currencies at once"
    again = ok(api.patch(f"/articles/{world.draft}", as_="sam", json={"status": "published"}))
    assert again["status"] == "published" and again["published_at"] == body["published_at"]


# -- promotion -------------------------------------------------------------------------------

def test_promoting_an_answer_returns_the_new_draft_then_the_same_one(api, world, spec):
    response = api.post(f"/posts/{world.answer}/promote", as_="sam")
    draft_body = ok(response, 201)
    validate(spec, {"$ref": "#/components/schemas/ArticleDetail"}, draft_body)
    assert response.headers["Location"].endswith(f"/api/v1/articles/{draft_body['slug']}")
    assert draft_body["status"] == "draft" and draft_body["title"] == "Invoices show dollars instead of euros"
    assert draft_body["summary"].startswith("Change the currency under Settings, then Billing.")
    assert draft_body["credited_user"]["username"] == "bob" and draft_body["author"]["username"] == "sam"
    assert (draft_body["source_thread_id"], draft_body["source_post_id"]) == (world.thread, world.answer)
    assert draft_body["tags"] == ["currency", "invoices"]
    # Promoting again, by anyone on staff, answers the same article.
    again = api.post(f"/posts/{world.answer}/promote", as_="sam", json={"ignored": True})
    assert ok(again, 200)["slug"] == draft_body["slug"] and "Location" not in again.headers
    # Publishing pays the answerer.
    before = ok(api.get("/me", as_="bob"))["reputation"]
    ok(api.patch(f"/articles/{draft_body['slug']}", as_="sam", json={"status": "published"}))
    assert ok(api.get("/me", as_="bob"))["reputation"] == before + 25


def test_only_staff_promote_and_only_answers(api, world):
    assert_problem(api.post(f"/posts/{world.answer}/promote"), 401)
    for who in ("alice", "bob", "maya"):
        assert_problem(api.post(f"/posts/{world.answer}/promote", as_=who), 403)
    assert_problem(api.post(f"/posts/{world.question}/promote", as_="sam"), 403)
    for missing in ("424242", "9" * 30):
        assert_problem(api.post(f"/posts/{missing}/promote", as_="sam"), 404)


# -- feedback --------------------------------------------------------------------------------

def test_feedback_from_a_token_user(api, world, client):
    path = f"/articles/{world.live}/feedback"
    first = ok(api.post(path, as_="carol", json={"helpful": True}))
    assert first == {"helpful": True, "comment": "", "article": {
        "slug": world.live, "helpful_count": 1, "unhelpful_count": 0}}
    changed = ok(api.post(path, as_="carol", json={"helpful": False, "comment": "It skips VAT."}))
    assert changed["article"] == {"slug": world.live, "helpful_count": 0, "unhelpful_count": 1}
    assert changed["comment"] == "It skips VAT."
    ok(api.post(path, as_="alice", json={"helpful": True}))
    detail = ok(api.get(f"/articles/{world.live}"))
    assert (detail["helpful_count"], detail["unhelpful_count"]) == (1, 1)
    with client.application.app_context():
        voters = set(db.session.execute(sa.select(ArticleFeedback.voter, ArticleFeedback.user_id)).all())
    assert voters == {(f"u:{world.carol}", world.carol), (f"u:{world.alice}", world.alice)}


def test_feedback_needs_a_token_a_published_article_and_a_yes_or_no(api, world):
    path = f"/articles/{world.live}/feedback"
    assert_problem(api.post(path, json={"helpful": True}), 401)
    assert_problem(api.post(f"/articles/{world.draft}/feedback", as_="carol", json={"helpful": True}), 404)
    assert_problem(api.post(f"/articles/{world.draft}/feedback", as_="sam", json={"helpful": True}), 403)
    for bad, field in [({}, "helpful"), ({"helpful": "yes"}, "helpful"), ({"helpful": 1}, "helpful"),
                       ({"helpful": True, "comment": 5}, "comment"),
                       ({"helpful": True, "comment": "x" * 1001}, "comment"),
                       ({"helpful": True, "vote": 1}, "vote"), ({"helpful": None}, "helpful")]:
        assert_problem(api.post(path, as_="carol", json=bad), 422, field)
    assert_problem(api.post(path, as_="carol", data=json.dumps([True])), 400)
    assert ok(api.get(f"/articles/{world.live}"))["helpful_count"] == 0


def test_staff_suspended_since_their_token_was_made_cannot_write(api, world, client):
    from datetime import timedelta

    from forum.db import utcnow, write_transaction
    from forum.models import User

    with client.application.app_context():
        with write_transaction():
            db.session.get(User, world.sam).suspended_until = utcnow() + timedelta(days=1)
    assert_problem(api.post("/articles", as_="sam", json=NEW), 403)
    assert_problem(api.patch(f"/articles/{world.draft}", as_="sam", json={"status": "published"}), 403)
    assert_problem(api.post(f"/posts/{world.answer}/promote", as_="sam"), 403)
    # Reading drafts is not writing: still allowed.
    assert ok(api.get(f"/articles/{world.draft}", as_="sam"))["status"] == "draft"
