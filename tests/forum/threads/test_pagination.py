"""Keyset pagination through the list pages: every thread once, none missing."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.db import utcnow
from forum.extensions import db
from forum.models import Thread
from tests import factories as f

NEXT = re.compile(r'<a class="button" rel="next" href="([^"]+)"')
TITLE = re.compile(r'<h2 class="thread-title"><a href="/t/(\d+)/')


@pytest.fixture
def paged_app(make_app):
    """PAGE_SIZE 5 and 17 threads, several sharing one activity time (ties break by id)."""
    app = make_app(PAGE_SIZE=5)
    with app.app_context():
        author, cat = f.user("author"), f.category("General")
        ids = [f.thread(author, category_obj=cat, title=f"Thread number {i:02d} here").id for i in range(17)]
        tie = utcnow() - timedelta(hours=1)
        db.session.execute(sa.update(Thread).where(Thread.id.in_(ids[3:9])).values(last_activity_at=tie, created_at=tie))
        db.session.commit()
    return app, ids


def _walk(client, url: str) -> list[list[int]]:
    pages = []
    while url:
        response = client.get(url.replace("&amp;", "&"))
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        pages.append([int(i) for i in TITLE.findall(html)])
        match = NEXT.search(html)
        url = match.group(1) if match else None
        assert len(pages) < 10, "pagination does not end"
    return pages


@pytest.mark.parametrize("view", ["latest", "newest", "unanswered", "unsolved"])
def test_walking_the_pages_shows_every_thread_exactly_once(paged_app, view):
    app, ids = paged_app
    pages = _walk(app.test_client(), f"/?view={view}")
    seen = [i for page in pages for i in page]
    assert [len(p) for p in pages] == [5, 5, 5, 2]
    assert len(seen) == len(set(seen)) and set(seen) == set(ids)


def test_category_and_tag_lists_page_the_same_way(make_app):
    app = make_app(PAGE_SIZE=2)
    with app.app_context():
        author, cat = f.user("author"), f.category("General")
        ids = [f.thread(author, category_obj=cat, tags=["paged"], title=f"Tagged thread {i} here").id for i in range(5)]
        f.thread(author, title="Elsewhere entirely, untagged")
    client = app.test_client()
    for url in ("/c/general", "/tags/paged"):
        seen = [i for page in _walk(client, url) for i in page]
        assert sorted(seen) == sorted(ids)


def test_a_later_page_links_back_to_the_first(paged_app):
    app, _ids = paged_app
    client = app.test_client()
    first = client.get("/").get_data(as_text=True)
    second = client.get(NEXT.search(first).group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "First page" in second and "First page" not in first
