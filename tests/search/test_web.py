"""Search's pages: /search with its filters, pages and empty states, the link that
records which result was opened, the header's box and similar questions on /ask."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.jobs import worker
from forum.threads import services as threads
from search import queries
from search.backends.base import IndexUnavailable
from search.models import SearchLog
from tests import factories as f


def index_now() -> None:
    """Run the index jobs as the worker would; the first pass may only queue a rebuild."""
    worker.drain()
    worker.drain()


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    """One indexed community for the whole module (building and indexing it takes
    seconds). Tests only add to it: search logs, and threads with words of their own."""
    from argon2 import PasswordHasher

    from forum import create_app
    from forum.accounts import services as accounts

    folder = tmp_path_factory.mktemp("search-web")
    app = create_app({
        "TESTING": True, "DATABASE_URL": f"sqlite:///{folder / 'test.sqlite3'}", "SECRET_KEY": "test-secret",
        "DATA_DIR": str(folder / "data"), "EMBEDDED_WORKER": False, "WTF_CSRF_ENABLED": False,
        "PRIVILEGES": {"vote_up": 1, "vote_down": 1}, "NEW_USER_REVIEW_POSTS": 0, "RATELIMIT_ENABLED": False,
        "SEARCH_BACKEND": "whoosh",
    })
    with pytest.MonkeyPatch.context() as mp, app.app_context():
        mp.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
        db.create_all()
        asker, helper, others = f.user("asker"), f.user("helper"), f.user("others")
        integrations = f.category("Integrations", "Calendars and other tools.")
        general = f.category("General", "Everything else.")
        solved = f.thread(asker, title="Google Calendar stopped syncing after a password change",
                          body="Since Monday no bookings reach my Google Calendar.", tags=["google-calendar"],
                          category_obj=integrations)
        answer = threads.post_answer(solved, author=helper, body="Reconnect Google under Settings, Integrations.")
        threads.accept_answer(answer, by=asker)
        other = f.thread(others, title="Outlook calendar shows bookings an hour late",
                         body="Every booking lands one hour later in Outlook.", category_obj=integrations)
        for n in range(25):
            f.thread(others, title=f"Calendar question number {n} about colours",
                     body=f"Calendar colours differ ({n}).", category_obj=general)
        index_now()
        world = {"solved": solved.id, "other": other.id, "asker": asker, "category": integrations.slug,
                 "solved_title": solved.title}
    yield app, world
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(shared):
    return shared[0]


@pytest.fixture
def world(shared):
    return shared[1]


def page_text(resp) -> str:
    return resp.get_data(as_text=True)


def links(body: str, cls: str | None = None) -> list[str]:
    """The hrefs in ``body`` (of anchors with class ``cls``), unescaped."""
    pattern = r'<a[^>]*href="([^"]*)"' if cls is None else rf'<a[^>]*class="{cls}"[^>]*href="([^"]*)"'
    return [html.unescape(h) for h in re.findall(pattern, body)]


def result_links(body: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'<h2 class="thread-title"><a href="([^"]+)"', body)]


def args_of(href: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(href).query).items()}


# -- results --------------------------------------------------------------------------

def test_results_show_each_hit_with_its_highlighted_snippet(client, world):
    resp = client.get("/search?q=google+calendar+sync")
    assert resp.status_code == 200
    body = page_text(resp)
    assert re.search(r"<strong>\d+</strong> results? for\s*<q>google calendar sync</q>", body)
    first = result_links(body)[0]
    assert first.startswith("/search/open?") and args_of(first)["key"] == f"thread:{world['solved']}"
    assert '<mark class="hl' in body
    row = body[body.index(world["solved_title"]):][:3000]
    assert "✓ Solved" in row and "google-calendar" in row and "Integrations" in row
    assert "<time" in row, "last activity"
    assert "<title>google calendar sync · Search" in body


def test_titles_and_queries_are_escaped(client, app, world):
    with app.app_context():
        f.thread(f.user(), title="Widget <script>alert(1)</script> shows markup", body="The embedded widget shows markup.")
        index_now()
    body = page_text(client.get("/search", query_string={"q": 'widget markup <img src=x onerror=alert(1)>'}))
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<img src=x" not in body


def test_filters_and_sort_round_trip(client, world):
    resp = client.get(f"/search?q=calendar&category={world['category']}&tag=google-calendar&status=solved&sort=votes")
    assert resp.status_code == 200
    body = page_text(resp)
    assert f'<option value="{world["category"]}" selected>Integrations</option>' in body
    assert 'id="f-tag" name="tag" type="text" value="google-calendar"' in body
    assert '<option value="solved" selected>Solved</option>' in body
    assert '<option value="votes" selected>Most votes</option>' in body
    assert [args_of(h)["key"] for h in result_links(body)] == [f"thread:{world['solved']}"]
    # Each active filter is a chip that removes only itself.
    chips = links(body, "search-chip")
    assert len(chips) == 3
    without_tag = next(args_of(h) for h in chips if "tag" not in args_of(h))
    assert without_tag == {"q": "calendar", "category": world["category"], "status": "solved", "sort": "votes"}


def test_pages_keep_every_argument(client, world):
    first = page_text(client.get("/search?q=calendar&sort=newest"))
    assert "Page 1 of 2" in first and len(result_links(first)) == 20
    nxt = re.search(r'<a href="([^"]+)" rel="next"', first)
    assert nxt and args_of(html.unescape(nxt.group(1))) == {"q": "calendar", "sort": "newest", "page": "2"}
    assert 'rel="prev"' not in first

    second = page_text(client.get(html.unescape(nxt.group(1))))
    assert "Page 2 of 2" in second and len(result_links(second)) == 7
    prev = re.search(r'<a href="([^"]+)" rel="prev"', second)
    assert prev and args_of(html.unescape(prev.group(1))) == {"q": "calendar", "sort": "newest"}
    assert 'rel="next"' not in second
    assert not set(result_links(first)) & set(result_links(second))


def test_no_results_offer_to_ask_with_the_query(client, world):
    resp = client.get("/search?q=frobnicate+zorblax+quuxinator")
    assert resp.status_code == 200
    body = page_text(resp)
    assert "No results for" in body and "Nothing matches" in body
    asks = [h for h in links(body) if h.startswith("/ask?")]
    assert "/ask?title=frobnicate+zorblax+quuxinator" in asks
    assert "fewer words" in body and "spelling" in body and 'href="/categories"' in body


def test_no_results_with_filters_offer_to_drop_them(client, world):
    body = page_text(client.get("/search?q=outlook&status=solved"))
    assert "with these filters" in body
    assert "/search?q=outlook" in links(body)


def test_a_misspelt_query_links_the_corrected_one(client, world):
    body = page_text(client.get("/search?q=calender"))
    assert "Including results for" in body
    corrected = re.search(r'Including results for\s*<a href="([^"]+)"><strong>([^<]+)</strong>', body)
    assert corrected and corrected.group(2) == "calendar"
    assert args_of(html.unescape(corrected.group(1))) == {"q": "calendar"}


def test_the_empty_query_shows_the_box_and_the_categories(client, world):
    resp = client.get("/search")
    assert resp.status_code == 200
    body = page_text(resp)
    assert 'id="f-q" name="q" type="search" value=""' in body and " autofocus" in body
    assert f'href="/c/{world["category"]}"' in body or "Integrations" in body
    assert "results for" not in body


def test_a_long_query_is_refused_and_kept(client, world):
    typed = "calendar " * 66 + "end"
    resp = client.get("/search", query_string={"q": typed})
    assert resp.status_code == 400
    body = page_text(resp)
    assert "Search for at most 500 characters" in body
    assert 'id="form-errors"' in body and 'aria-invalid="true"' in body
    assert f'value="{typed}"' in body


@pytest.mark.parametrize("args", [{"sort": "loudest"}, {"status": "maybe"}, {"page": "0"}, {"page": "abc"},
                                  {"kind": "nonsense"}])
def test_bad_filters_are_refused_with_a_message(client, world, args):
    resp = client.get("/search", query_string={"q": "calendar", **args})
    assert resp.status_code == 400
    body = page_text(resp)
    assert 'class="form-errors"' in body and 'value="calendar"' in body


@pytest.mark.parametrize("query", [
    '"unbalanced', "AND OR NOT", "*", "title:foo", "\x00\x07", "\x00\x07calendar",
    "日本語 العربية ελληνικά 🙂", "calendar)) OR ((", "-google +calendar ~sync^3", "%", "' OR 1=1 --",
])
def test_hostile_queries_never_fail(client, world, query):
    resp = client.get("/search", query_string={"q": query})
    assert resp.status_code == 200, resp.get_data(as_text=True)[:500]
    assert 'id="f-q"' in page_text(resp)


def test_while_the_index_is_rebuilt_the_page_says_so(client, world, monkeypatch):
    class Broken:
        def search(self, q):
            raise IndexUnavailable()

    monkeypatch.setattr(queries, "backend", lambda: Broken())
    monkeypatch.setattr(queries, "request_rebuild", lambda: None)
    resp = client.get("/search?q=calendar")
    assert resp.status_code == 503
    body = page_text(resp)
    assert "Search is being rebuilt" in body and 'value="calendar"' in body
    assert "/c/" in body, "categories to browse meanwhile"


# -- opening a result ---------------------------------------------------------------

def test_opening_a_result_records_it_and_goes_there(client, app, world):
    body = page_text(client.get("/search?q=google+calendar+sync"))
    first = result_links(body)[0]
    resp = client.get(first)
    assert resp.status_code == 302
    assert re.search(rf"/t/{world['solved']}/google-calendar-stopped-syncing", resp.headers["Location"])
    with app.app_context():
        row = db.session.get(SearchLog, int(args_of(first)["log"]))
        assert row.opened_key == f"thread:{world['solved']}"


@pytest.mark.parametrize("key", ["", "thread:", "thread:abc", "nope:1", "thread:999999", "thread:1:2"])
def test_opening_a_bad_key_is_not_found(client, world, key):
    assert client.get("/search/open", query_string={"log": "1", "key": key}).status_code == 404


# -- the header box -------------------------------------------------------------------

def test_the_header_box_is_on_every_page(client, world):
    pages = ["/", "/categories", "/tags", "/search", "/search?q=calendar", f"/t/{world['solved']}",
             "/login", "/no-such-page"]
    for path in pages:
        body = page_text(client.get(path, follow_redirects=True))
        assert 'class="header-search" role="search"' in body, path
        assert 'id="header-q" name="q" type="search"' in body, path
        assert re.search(r'<script src="/static/js/search\.js" nonce="[^"]+" defer>', body), path
    assert 'id="header-q"' in body and body.count('role="search"') == 1


def test_the_header_box_shows_the_query_on_the_search_page_only(client, world):
    assert 'value="calendar"' in page_text(client.get("/search?q=calendar")).split('id="main"')[0]
    assert 'value=""' in page_text(client.get("/?q=calendar")).split('id="main"')[0]


# -- similar questions while asking --------------------------------------------------

def test_the_ask_page_has_the_similar_section(client, auth, world):
    auth.login_as(world["asker"])
    body = page_text(client.get("/ask"))
    section = body[body.index('id="similar"'):]
    assert 'data-suggest-url="/api/v1/suggest"' in body and 'data-open-url="/search/open"' in body
    assert 'aria-live="polite"' in section[:1500]
    assert 'name="check" value="1"' in section and "formnovalidate" in section
    # After the title, before the details.
    assert body.index('id="f-title"') < body.index('id="similar"') < body.index('id="f-body"')


def test_checking_without_scripts_lists_the_solved_thread(client, auth, app, world):
    auth.login_as(world["asker"])
    resp = client.post("/ask", data={"title": "google calendar is not syncing my bookings",
                                     "body": "Password changed last week.", "category": "", "tags": "",
                                     "check": "1"})
    assert resp.status_code == 200
    body = page_text(resp)
    assert 'value="google calendar is not syncing my bookings"' in body
    assert "Password changed last week." in body
    section = body[body.index('id="similar"'):body.index('id="f-body"')]
    assert world["solved_title"] in section and "✓ Solved" in section
    href = next(h for h in links(section) if f"thread%3A{world['solved']}" in h or f"thread:{world['solved']}" in h)
    assert href.startswith("/search/open?") and 'target="_blank"' in section
    assert client.get(href).status_code == 302
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(SearchLog).where(
            SearchLog.source == "suggest", SearchLog.opened_key == f"thread:{world['solved']}")).scalar() == 1


def test_checking_a_title_with_no_match_says_so(client, auth, world):
    auth.login_as(world["asker"])
    body = page_text(client.post("/ask", data={"title": "", "body": "", "category": "", "tags": "", "check": "1"}))
    assert "No similar questions found" in body


def test_a_search_carries_its_query_into_the_ask_form(client, auth, world):
    auth.login_as(world["asker"])
    body = page_text(client.get("/search?q=frobnicate+zorblax"))
    ask = next(h for h in links(body) if h.startswith("/ask?title="))
    assert 'value="frobnicate zorblax"' in page_text(client.get(ask))
