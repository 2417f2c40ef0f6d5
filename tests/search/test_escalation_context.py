"""An escalation tells the help desk what the asker searched for and which articles
they opened before asking: read from the search log through the escalation's
context providers, checked in the message body the help desk receives."""
from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from forum.db import utcnow, write_transaction
from forum.escalation import endpoints, services
from forum.escalation.models import Message
from forum.extensions import db
from forum.kb import services as kb
from forum.models import Role, Thread, User
from forum.threads import services as threads
from search.models import SearchLog
from tests import factories as f
from tests.search.conftest import index_now


@pytest.fixture
def world(app):
    with app.app_context():
        staff = f.user("sam", role=Role.STAFF)
        asker, helper = f.user("alice"), f.user("bob")
        billing = f.category("Billing")
        articles = {}
        for slug, title, publish in (("change-currency", "Change the currency of your invoices", True),
                                     ("export-invoices", "Export every invoice as a CSV file", True),
                                     ("draft-refunds", "Refunds for annual plans", False)):
            article = kb.create(by=staff, title=title, slug=slug, category_id=billing.id,
                                summary=f"{title}: where to find it, and what changes for past invoices.",
                                body=f"{title}. Open Settings, then Billing, and follow the steps.")
            if publish:
                article = kb.publish(article, by=staff)
            articles[slug] = article.id
        endpoints.add_endpoint(by=None, url="https://desk.example.com/hooks")
        return SimpleNamespace(staff=staff.id, asker=asker.id, helper=helper.id, billing=billing.id,
                               articles=articles)


def _ask(world, title="Invoices show dollars instead of euros") -> Thread:
    asker = db.session.get(User, world.asker)
    thread = threads.ask(author=asker, title=title, body="Our invoices come out in USD but we pay in EUR.",
                         category_id=world.billing, tags=[])
    threads.post_answer(thread, author=db.session.get(User, world.helper),
                        body="Have a look under Settings, then Billing.")
    return thread


def _log(session_id: str, query: str, *, source="search", minutes_ago: float, user_id=None, opened=None,
         results=3, asked: int | None = None) -> None:
    when = utcnow() - timedelta(minutes=minutes_ago)
    with write_transaction():
        db.session.add(SearchLog(session_id=session_id, query=query, source=source, results=results,
                                 user_id=user_id, created_at=when, opened_key=opened,
                                 opened_at=when + timedelta(seconds=5) if opened else None,
                                 asked_thread_id=asked))


def _sent(thread: Thread) -> dict:
    """Escalate ``thread`` as its asker and return the data the help desk is sent."""
    escalation = services.escalate(thread, by=thread.author, note="Still stuck.")
    message = db.session.execute(sa.select(Message).where(Message.escalation_id == escalation.id)).scalar_one()
    body = json.loads(message.body)
    assert body["type"] == "thread.escalated"
    return body["data"]


def test_the_asker_s_searches_before_asking_go_to_the_help_desk(app, world):
    with app.app_context():
        thread = _ask(world)
        me = world.asker
        _log("s1", "invoice currency", minutes_ago=10)  # before logging in
        _log("s1", "change currency euro", minutes_ago=8, user_id=me, opened="thread:1")
        _log("s1", "Invoices show dollars instead of euros", source="suggest", minutes_ago=5, user_id=me,
             results=2, asked=thread.id)
        _log("s1", "someone else on this browser", minutes_ago=9, user_id=world.helper)
        _log("s2", "another browser entirely", minutes_ago=7, user_id=me)
        _log("s1", "after asking", minutes_ago=-1, user_id=me)
        data = _sent(thread)
    assert [(s["query"], s["source"], s["results"], s["opened_key"]) for s in data["searches"]] == [
        ("invoice currency", "search", 3, None),
        ("change currency euro", "search", 3, "thread:1"),
        ("Invoices show dollars instead of euros", "suggest", 2, None),
    ]
    assert all(s["created_at"].endswith("Z") for s in data["searches"])


def test_only_the_last_twenty_searches_are_sent_oldest_first(app, world):
    with app.app_context():
        thread = _ask(world)
        for n in range(25):
            _log("s1", f"query {n}", minutes_ago=60 - n, user_id=world.asker)
        _log("s1", "asking", source="suggest", minutes_ago=1, user_id=world.asker, asked=thread.id)
        searches = _sent(thread)["searches"]
    assert [s["query"] for s in searches] == [f"query {n}" for n in range(6, 25)] + ["asking"]


def test_no_known_session_sends_no_searches(app, world):
    with app.app_context():
        thread = _ask(world)
        _log("s1", "unrelated", minutes_ago=3, user_id=world.asker)
        _log("", "an API search has no session", minutes_ago=2, user_id=world.asker, asked=thread.id)
        data = _sent(thread)
    assert data["searches"] == [] and data["kb_articles"] == []


def test_articles_opened_from_the_suggestions_are_sent_once(app, world):
    a = world.articles
    with app.app_context():
        thread = _ask(world)
        me = world.asker
        _log("s1", "invoice export csv", source="suggest", minutes_ago=9, user_id=me,
             opened=f"article:{a['export-invoices']}")
        _log("s1", "refunds", source="suggest", minutes_ago=8, user_id=me, opened=f"article:{a['draft-refunds']}")
        _log("s1", "change currency", source="search", minutes_ago=7, user_id=me,
             opened=f"article:{a['change-currency']}")
        _log("s1", "invoice currency", source="suggest", minutes_ago=6, user_id=me,
             opened=f"article:{a['export-invoices']}", asked=thread.id)
        _log("s1", "bogus", source="suggest", minutes_ago=5, user_id=me, opened="article:999999")
        data = _sent(thread)
    (opened,) = data["kb_articles"]
    assert opened == {"slug": "export-invoices", "title": "Export every invoice as a CSV file",
                      "summary": opened["summary"], "url": "http://127.0.0.1:5000/kb/export-invoices",
                      "helpful": 0, "unhelpful": 0, "source": "opened"}
    assert opened["summary"].startswith("Export every invoice")


def test_an_article_linked_in_the_thread_and_opened_is_listed_once_as_linked(app, world):
    with app.app_context():
        thread = _ask(world)
        threads.post_answer(thread, author=db.session.get(User, world.helper),
                            body="This is exactly it: [[kb:change-currency]]")
        _log("s1", "currency", source="suggest", minutes_ago=4, user_id=world.asker,
             opened=f"article:{world.articles['change-currency']}", asked=thread.id)
        articles = _sent(thread)["kb_articles"]
    assert [(x["slug"], x["source"]) for x in articles] == [("change-currency", "linked")]


def test_the_zendesk_ticket_lists_the_searches(app, world):
    with app.app_context():
        endpoints.add_endpoint(by=None, url="https://acme.zendesk.com/api/v2/tickets", fmt="zendesk")
        thread = _ask(world)
        _log("s1", "invoice <currency>", minutes_ago=4, user_id=world.asker, asked=thread.id, results=0)
        escalation = services.escalate(thread, by=thread.author)
        zendesk = db.session.execute(sa.select(Message).join(Message.endpoint).where(
            Message.escalation_id == escalation.id, Message.body.like('{"ticket"%'))).scalar_one()
    comment = json.loads(zendesk.body)["ticket"]["comment"]["html_body"]
    assert "invoice &lt;currency&gt; (0 results)" in comment


def test_end_to_end_the_browser_session_that_asked(app, world, client, auth):
    """Search, check for similar questions, open an article, ask: the escalation carries it all."""
    with app.app_context():
        index_now()
        asker = db.session.get(User, world.asker)
    auth.login_as(asker)
    assert client.get("/search", query_string={"q": "export invoices"}).status_code == 200
    title = "How do I export all my invoices to a spreadsheet"
    form = {"title": title, "body": "I need every invoice of this year in one CSV file.",
            "category": str(world.billing), "tags": ""}
    assert client.post("/ask", data={**form, "check": "1"}).status_code == 200
    with app.app_context():
        suggested = db.session.execute(sa.select(SearchLog).where(SearchLog.source == "suggest")).scalar_one()
        assert suggested.results >= 1
    key = f"article:{world.articles['export-invoices']}"
    assert client.get("/search/open", query_string={"key": key, "log": suggested.id}).status_code == 302
    response = client.post("/ask", data=form)
    assert response.status_code == 302
    with app.app_context():
        thread = db.session.execute(sa.select(Thread).where(Thread.title == title)).scalar_one()
        threads.post_answer(thread, author=db.session.get(User, world.helper), body="Billing has an export button.")
        data = _sent(thread)
    assert [(s["query"], s["source"]) for s in data["searches"]][:1] == [("export invoices", "search")]
    assert data["searches"][-1]["source"] == "suggest" and data["searches"][-1]["opened_key"] == key
    assert [(a["slug"], a["source"]) for a in data["kb_articles"]] == [("export-invoices", "opened")]
