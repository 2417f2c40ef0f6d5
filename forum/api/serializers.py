"""Models to JSON-ready dicts, in the shapes ``openapi.py`` documents.

Timestamps are ISO 8601 in UTC with a ``Z``; ids are integers; Markdown sources go
out as ``body`` beside the sanitised ``body_html`` rendered when the post was written.
"""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import url_for

from ..models import Category, Post, PostRevision, Thread, User
from ..threads.queries import ThreadPage
from ..threads.validation import slugify


def timestamp(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def user(u: User) -> dict[str, Any]:
    return {"id": u.id, "username": u.username, "display_name": u.name, "role": u.role.value,
            "reputation": u.reputation}


def me(u: User) -> dict[str, Any]:
    return {**user(u), "email": u.email, "about": u.about, "created_at": timestamp(u.created_at)}


def category(c: Category) -> dict[str, Any]:
    return {"id": c.id, "slug": c.slug, "name": c.name, "description": c.description,
            "thread_count": c.thread_count}


def category_ref(c: Category) -> dict[str, Any]:
    return {"id": c.id, "slug": c.slug, "name": c.name}


def thread(t: Thread) -> dict[str, Any]:
    """A thread as lists show it (the thread page adds the posts)."""
    return {
        "id": t.id,
        "title": t.title,
        "status": t.status.value,
        "score": t.score,
        "answer_count": t.answer_count,
        "accepted_answer_id": t.accepted_post_id,
        "category": category_ref(t.category),
        "tags": [tag.name for tag in t.tags],
        "author": user(t.author),
        "locked": t.locked,
        "duplicate_of_id": t.duplicate_of_id,
        "created_at": timestamp(t.created_at),
        "last_activity_at": timestamp(t.last_activity_at),
        # The canonical page address, so following it costs no redirect.
        "url": url_for("threads.show", thread_id=t.id, slug=slugify(t.title), _external=True),
    }


def post(p: Post, t: Thread, vote: int = 0) -> dict[str, Any]:
    """A question or an answer; ``vote`` is the caller's own vote on it (0: none)."""
    return {
        "id": p.id,
        "thread_id": p.thread_id,
        "is_question": p.is_question,
        "state": p.state.value,
        "author": user(p.author),
        "body": p.body,
        "body_html": p.body_html,
        "score": p.score,
        "is_accepted": p.id == t.accepted_post_id,
        "vote": vote,
        "revision_count": p.revision_count,
        "created_at": timestamp(p.created_at),
        "edited_at": timestamp(p.edited_at),
    }


def thread_page(page: ThreadPage) -> dict[str, Any]:
    """The thread with its question and answers, in page order."""
    t = page.thread
    return {
        **thread(t),
        "question": post(page.question, t, page.my_votes.get(page.question.id, 0)),
        "answers": [post(a, t, page.my_votes.get(a.id, 0)) for a in page.answers],
    }


def revision(r: PostRevision, p: Post) -> dict[str, Any]:
    return {
        "number": r.number,
        "author": user(r.author),
        "body": r.body,
        # Answers have no title or tags of their own.
        "title": r.title if p.is_question else None,
        "tags": r.tags.split() if p.is_question else None,
        "reason": r.reason,
        "created_at": timestamp(r.created_at),
    }
