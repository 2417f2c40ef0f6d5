"""Search in the API: /api/v1/search and /api/v1/suggest, documented and hard to break."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.threads import services as threads
from search.models import SearchLog
from tests import factories as f
from tests.forum.api.test_openapi import validate

from .conftest import index_now

PROBLEM = "application/problem+json"


@pytest.fixture
def world(app):
    with app.app_context():
        asker, helper = f.user("asker"), f.user("helper")
        solved = f.thread(asker, title="Google Calendar stopped syncing after a password change",
                          body="Since Monday no bookings reach my Google Calendar.", tags=["google-calendar"])
        answer = threads.post_answer(solved, author=helper, body="Reconnect Google under Settings, Integrations.")
        threads.accept_answer(answer, by=asker)
        other = f.thread(title="Outlook calendar shows bookings an hour late",
                         body="Every booking lands one hour later in Outlook.")
        for n in range(25):
            f.thread(title=f"Calendar question number {n} about colours", body=f"Calendar colours differ ({n}).")
        index_now()
        return {"solved": solved.id, "other": other.id}


@pytest.fixture
def spec(client):
    return client.get("/api/v1/openapi.json").get_json()


def _schema(spec, path, status="200"):
    documented = spec["paths"][path]["get"]["responses"][status]
    return documented["content"]["application/json"]["schema"]


def test_search_answers_ranked_results_with_snippets(client, world, spec):
    resp = client.get("/api/v1/search?q=google+calendar+sync")
    assert resp.status_code == 200
    body = resp.get_json()
    validate(spec, _schema(spec, "/search"), body)
    first = body["results"][0]
    assert (first["id"], first["solved"], first["kind"]) == (world["solved"], True, "thread")
    assert "<mark" in first["snippet_html"] and first["url"].endswith("-change")
    # Logged without handing an API client a session cookie.
    assert "Set-Cookie" not in resp.headers


def test_filters_and_cursor_pages(client, world):
    solved = client.get("/api/v1/search?q=calendar&status=solved").get_json()
    assert [r["id"] for r in solved["results"]] == [world["solved"]]
    tagged = client.get("/api/v1/search?q=calendar&tag=google-calendar").get_json()
    assert [r["id"] for r in tagged["results"]] == [world["solved"]]
    first = client.get("/api/v1/search?q=calendar").get_json()
    assert first["total"] == 27 and len(first["results"]) == 20 and first["next_cursor"]
    second = client.get(f"/api/v1/search?q=calendar&cursor={first['next_cursor']}").get_json()
    assert len(second["results"]) == 7 and second["next_cursor"] is None
    assert not {r["id"] for r in first["results"]} & {r["id"] for r in second["results"]}
    newest = client.get("/api/v1/search?q=calendar&sort=newest").get_json()["results"]
    assert newest[0]["title"] == "Calendar question number 24 about colours"


@pytest.mark.parametrize("query", [
    '"unbalanced quote', "AND OR NOT", "*", "title:google", "calendar)) OR ((", "\x00\x07calendar\x1b",
    "日本語 العربية ελληνικά 🙂 calendar", "google " * 60, "-google +calendar ~sync^3",
])
def test_hostile_queries_are_plain_words(client, world, query):
    resp = client.get("/api/v1/search", query_string={"q": query})
    assert resp.status_code in (200, 422), resp.get_data(as_text=True)
    if resp.status_code == 422:
        assert resp.mimetype == PROBLEM


def test_bad_input_is_a_problem_document(client, world):
    for url, field in [("/api/v1/search?q=", "q"), ("/api/v1/search?q=x&sort=price", "sort"),
                       ("/api/v1/search?q=x&status=maybe", "status"), ("/api/v1/search?q=x&cursor=zzz", "cursor"),
                       ("/api/v1/search?q=" + "a" * 501, "q"), ("/api/v1/suggest?q=" + "a" * 501, "q")]:
        resp = client.get(url)
        assert resp.status_code == 422 and resp.mimetype == PROBLEM, url
        assert resp.get_json()["errors"][0]["field"] == field


def test_suggest_lists_similar_threads_solved_first_and_logs_the_request(app, client, world, spec):
    short = client.get("/api/v1/suggest?q=google").get_json()
    assert short["results"] == [] and short["min_chars"] == 10
    resp = client.get("/api/v1/suggest?q=My google calendar does not sync anymore")
    body = resp.get_json()
    validate(spec, _schema(spec, "/suggest"), body)
    assert body["results"][0]["id"] == world["solved"] and body["results"][0]["solved"] is True
    assert len(body["results"]) <= 5
    with app.app_context():
        row = db.session.get(SearchLog, body["search_log_id"])
        assert (row.source, row.results) == ("suggest", len(body["results"]))


def test_the_log_scrubs_personal_data_and_records_opens_and_asks(app, client, world, auth):
    client.get("/search?q=invoice+for+jane@example.com+order+12345678")
    with app.app_context():
        row = db.session.execute(sa.select(SearchLog).order_by(SearchLog.id.desc())).scalars().first()
        assert row.query == "invoice for [email] order [number]"
        log_id = row.id
    opened = client.get(f"/search/open?log={log_id}&key=thread:{world['solved']}")
    assert opened.status_code == 302 and f"/t/{world['solved']}/" in opened.headers["Location"]
    with app.app_context():
        asker = f.user("newcomer")
    auth.login_as(asker)
    with app.app_context():
        category_id = db.session.execute(sa.text("select id from categories limit 1")).scalar_one()
    client.post("/ask", data={"title": "Invoice shows the wrong company name", "body": "It shows our old name.",
                              "category": category_id, "tags": ""})
    with app.app_context():
        row = db.session.get(SearchLog, log_id)
        assert row.opened_key == f"thread:{world['solved']}" and row.asked_thread_id is not None


def test_an_article_opened_from_the_ask_page_knows_it_came_from_there(app, client, auth, world):
    from forum.kb import services as kb
    from forum.models import Role

    with app.app_context():
        staff = f.user("sam", role=Role.STAFF)
        category_id = db.session.execute(sa.text("select id from categories limit 1")).scalar_one()
        article = kb.create(by=staff, title="Reconnect Google Calendar after a password change",
                            summary="Remove the connection under Integrations, then connect Google again.",
                            body="Open Settings, Integrations, remove Google Calendar and connect it again.",
                            category_id=category_id)
        kb.publish(article, by=staff)
        index_now()
        member, article_id, slug = f.user("reader"), article.id, article.slug
    auth.login_as(member)
    client.get("/ask")  # the ask page starts the session its suggestions are logged in
    body = client.get("/api/v1/suggest?q=google calendar password change reconnect").get_json()
    assert body["results"][0]["kind"] == "article" and body["results"][0]["slug"] == slug
    opened = client.get(f"/search/open?log={body['search_log_id']}&key=article:{article_id}")
    assert opened.headers["Location"].endswith(f"/kb/{slug}?from=ask")
    # From the search page it is an ordinary visit.
    page_log = client.get("/search?q=reconnect+google")
    with app.app_context():
        row = db.session.execute(sa.select(SearchLog).where(SearchLog.source == "search")).scalars().first()
    assert not client.get(f"/search/open?log={row.id}&key=article:{article_id}").headers["Location"] \
        .endswith("from=ask")
    assert page_log.status_code == 200
