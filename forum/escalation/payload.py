"""What an escalation tells the help desk: everything an agent needs so the customer
never repeats themselves.

``thread.escalated`` carries the thread, the requester (the e-mail address only for
endpoints allowed personal data), the trigger and note, the whole visible transcript
(Markdown and plain text), the knowledge-base articles linked in the thread or opened
by the asker, the searches the asker ran before asking (from packages that know them,
through :func:`context_provider`), and the idempotency key.

Two formats: the Standard Webhooks envelope ``{"type", "timestamp", "data"}``, and a
Zendesk adapter whose body is the ``POST /api/v2/tickets`` request.
"""
from __future__ import annotations

import html
from datetime import datetime
from typing import Any, Callable

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import selectinload

from ..db import utcnow
from ..extensions import db
from ..markup import html_text
from ..models import Post, PostState, Thread, User
from ..threads.validation import slugify
from .models import Endpoint, Escalation, Format

_KEY = "forum.escalation.context"
Provider = Callable[[Thread, Escalation], Any]


def context_provider(app: Flask, name: str, fn: Provider) -> None:
    """Add ``data[name] = fn(thread, escalation)`` to every escalation's payload (the
    search package adds the asker's searches this way). A provider must only read."""
    app.extensions.setdefault(_KEY, {})[name] = fn


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def thread_url(thread: Thread) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/t/{thread.id}/{slugify(thread.title)}"


def _person(user: User | None, *, personal: bool) -> dict[str, Any] | None:
    if user is None:
        return None
    out = {"id": user.id, "username": user.username, "display_name": user.name, "role": user.role.value}
    if personal:
        out["email"] = user.email
    return out


def _transcript(thread: Thread) -> list[dict[str, Any]]:
    posts = db.session.execute(
        sa.select(Post).where(Post.thread_id == thread.id, Post.state == PostState.VISIBLE)
        .options(selectinload(Post.author)).order_by(Post.is_question.desc(), Post.created_at, Post.id)
    ).scalars()
    return [{
        "id": p.id,
        "kind": "question" if p.is_question else "answer",
        "accepted": p.id == thread.accepted_post_id,
        "author": {"id": p.author.id, "username": p.author.username, "display_name": p.author.name,
                   "role": p.author.role.value},
        "score": p.score,
        "created_at": _iso(p.created_at),
        "edited_at": _iso(p.edited_at),
        "markdown": p.body,
        "text": html_text(p.body_html),
    } for p in posts]


def _articles(thread: Thread) -> list[dict[str, Any]]:
    from ..kb.models import Article, ArticleLink, ArticleStatus

    rows = db.session.execute(
        sa.select(Article).where(Article.status == ArticleStatus.PUBLISHED, Article.id.in_(
            sa.select(ArticleLink.article_id).where(ArticleLink.thread_id == thread.id)))
        .order_by(Article.title)
    ).scalars()
    base = current_app.config["BASE_URL"].rstrip("/")
    return [{"slug": a.slug, "title": a.title, "summary": a.summary, "url": f"{base}/kb/{a.slug}",
             "helpful": a.helpful, "unhelpful": a.unhelpful, "source": "linked"} for a in rows]


def escalated(escalation: Escalation, *, personal: bool) -> dict[str, Any]:
    """The ``data`` of a ``thread.escalated`` event."""
    thread = escalation.thread
    data: dict[str, Any] = {
        "escalation_id": escalation.id,
        "idempotency_key": escalation.idempotency_key,
        "trigger": escalation.trigger.value,
        "note": escalation.note,
        "escalated_at": _iso(escalation.created_at),
        "escalated_by": _person(escalation.requested_by, personal=False),
        "thread": {
            "id": thread.id, "url": thread_url(thread), "title": thread.title,
            "category": {"id": thread.category.id, "slug": thread.category.slug, "name": thread.category.name},
            "tags": [t.name for t in thread.tags], "status": thread.status.value,
            "score": thread.score, "answer_count": thread.answer_count,
            "created_at": _iso(thread.created_at), "last_activity_at": _iso(thread.last_activity_at),
        },
        "requester": _person(thread.author, personal=personal),
        "transcript": _transcript(thread),
        "kb_articles": _articles(thread),
    }
    for name, fn in current_app.extensions.get(_KEY, {}).items():
        value = fn(thread, escalation)
        if name == "kb_articles" and isinstance(value, list):
            seen = {a["slug"] for a in data["kb_articles"]}
            data["kb_articles"] += [a for a in value if a.get("slug") not in seen]
        elif value is not None:
            data[name] = value
    return data


def envelope(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """The Standard Webhooks payload."""
    return {"type": event_type, "timestamp": _iso(utcnow()), "data": data}


def zendesk_ticket(data: dict[str, Any]) -> dict[str, Any]:
    """The body of Zendesk's ``POST /api/v2/tickets`` for an escalation: subject,
    the transcript as an internal HTML comment, the requester when personal data may
    be sent, tags, and ``external_id`` so the ticket points back at the thread."""
    thread = data["thread"]
    parts = [f"<p><strong>Escalated from the community</strong> ({html.escape(data['trigger'])}): "
             f"<a href=\"{html.escape(thread['url'])}\">{html.escape(thread['title'])}</a></p>"]
    if data.get("note"):
        parts.append(f"<p><strong>Note:</strong> {html.escape(data['note'])}</p>")
    for post in data["transcript"]:
        who = post["author"]["display_name"]
        label = "Question" if post["kind"] == "question" else ("Accepted answer" if post["accepted"] else "Answer")
        parts.append(f"<h3>{label} by {html.escape(who)} ({html.escape(post['author']['role'])}), "
                     f"{html.escape(post['created_at'] or '')}, score {post['score']}</h3>"
                     f"<pre>{html.escape(post['markdown'])}</pre>")
    if data.get("kb_articles"):
        items = "".join(f"<li><a href=\"{html.escape(a['url'])}\">{html.escape(a['title'])}</a></li>"
                        for a in data["kb_articles"])
        parts.append(f"<h3>Knowledge-base articles</h3><ul>{items}</ul>")
    if data.get("searches"):
        items = "".join(f"<li>{html.escape(s['query'])} ({s['results']} results)</li>" for s in data["searches"])
        parts.append(f"<h3>What the customer searched for first</h3><ul>{items}</ul>")
    tags = ["community", f"forum-{thread['category']['slug']}"[:80]] + [t[:80] for t in thread["tags"]]
    ticket: dict[str, Any] = {
        "subject": thread["title"],
        "comment": {"html_body": "".join(parts), "public": False},
        "external_id": f"forum-thread-{thread['id']}",
        "tags": tags,
        "type": "question",
        "priority": "normal",
    }
    requester = data.get("requester") or {}
    if requester.get("email"):
        ticket["requester"] = {"name": requester["display_name"], "email": requester["email"]}
    return {"ticket": ticket}


def body(endpoint: Endpoint, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    if endpoint.format == Format.ZENDESK and event_type == "thread.escalated":
        return zendesk_ticket(data)
    return envelope(event_type, data)


def ticket_from_response(endpoint: Endpoint, response: Any) -> tuple[str | None, str | None]:
    """The ticket id and address in a receiver's 2xx JSON answer, if it gave them:
    Zendesk's ``{"ticket": {"id", "url"}}``, or ``{"ticket_id", "ticket_url"}``."""
    if not isinstance(response, dict):
        return None, None
    ticket = response.get("ticket") if isinstance(response.get("ticket"), dict) else {}
    ident = response.get("ticket_id", ticket.get("id"))
    url = response.get("ticket_url", ticket.get("url"))
    ident = str(ident).strip()[:100] if isinstance(ident, (str, int)) and not isinstance(ident, bool) else None
    if not ident:
        return None, None
    if endpoint.format == Format.ZENDESK:
        # The API address is for machines; agents open the ticket in the agent view.
        from urllib.parse import quote, urlsplit

        parts = urlsplit(endpoint.url)
        url = f"{parts.scheme}://{parts.netloc}/agent/tickets/{quote(ident, safe='')}"
    url = url[:500] if isinstance(url, str) and url.startswith(("http://", "https://")) else None
    return ident, url
