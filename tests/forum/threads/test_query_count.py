"""The thread page loads what it shows in a fixed number of queries."""
from __future__ import annotations

import contextlib
import re

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.threads import services as s
from tests import factories as f


@contextlib.contextmanager
def count_queries(app):
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def _build(app, answers: int, *, title: str):
    """A thread with ``answers`` answers, some voted on, edited and accepted."""
    with app.app_context():
        asker = db.session.execute(sa.select(f.accounts.User).where(f.accounts.User.username == "asker")).scalar_one()
        helpers = [db.session.execute(sa.select(f.accounts.User).where(f.accounts.User.username == name)).scalar_one()
                   for name in ("helper1", "helper2", "helper3")]
        t = f.thread(asker, title=title, tags=["one", "two"])
        posts = [f.answer(t, helpers[i % 3], body=f"Answer number {i} with enough text.") for i in range(answers)]
        s.cast_vote(posts[0], by=asker, value=1)
        s.cast_vote(posts[-1], by=asker, value=-1) if len(posts) > 1 else None
        s.edit_post(posts[0], by=posts[0].author, body="Edited answer with enough text.", reason="typo")
        s.accept_answer(posts[-1], by=asker)
        return t.id


@pytest.fixture
def two_threads(app):
    with app.app_context():
        f.user("asker"), f.user("helper1"), f.user("helper2"), f.user("helper3")
    return _build(app, 1, title="A thread with one answer"), _build(app, 50, title="A thread with fifty answers")


def _queries_for(app, client, thread_id: int) -> int:
    url = client.get(f"/t/{thread_id}").headers["Location"]
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_the_thread_page_costs_the_same_with_1_and_50_answers_anonymous(app, client, two_threads):
    small, big = two_threads
    html = client.get(client.get(f"/t/{big}").headers["Location"]).get_data(as_text=True)
    assert len(re.findall(r'<article class="post[ "]', html)) == 51
    one, fifty = _queries_for(app, client, small), _queries_for(app, client, big)
    assert one == fifty
    assert fifty <= 8


def test_the_thread_page_costs_the_same_with_1_and_50_answers_logged_in(app, client, auth, two_threads):
    small, big = two_threads
    assert auth.login("asker").status_code == 302
    html = client.get(client.get(f"/t/{big}").headers["Location"]).get_data(as_text=True)
    assert 'aria-pressed="true"' in html and "Unaccept" in html
    one, fifty = _queries_for(app, client, small), _queries_for(app, client, big)
    assert one == fifty
    # 11: the knowledge base's one query (articles promoted from or linked in the thread);
    # 13: the bell's unread count and the thread's watch level, one query each.
    assert fifty <= 13
