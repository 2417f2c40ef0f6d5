"""What the index holds: one document per searchable thing, built from the database.

A document's key is ``kind:id`` (``thread:12``); the knowledge base adds
``article:N`` documents to the same index through :func:`register_kind`. Builders
read the committed rows and answer, for each key, a :class:`Doc` or ``None`` when the
thing must leave the index (deleted, hidden, queued, gone).
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable, Iterable, Iterator

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import selectinload

from forum.db import aware
from forum.extensions import db
from forum.markup import html_text
from forum.models import Post, PostState, Thread

#: Longest text kept per field: a 30,000-character answer is searchable by its start.
MAX_FIELD_CHARS = 20_000


@dataclass
class Doc:
    key: str
    kind: str
    object_id: int
    title: str
    body: str
    tags: list[str] = field(default_factory=list)
    accepted: str = ""
    answers: str = ""
    category: str = ""
    solved: bool = False
    status: str = "open"
    score: int = 0
    answer_count: int = 0
    created_at: datetime | None = None
    activity_at: datetime | None = None

    @property
    def digest(self) -> str:
        """A fingerprint of everything indexed, so ``search check`` finds stale documents."""
        data = [self.title, self.body, self.tags, self.accepted, self.answers, self.category, self.solved,
                self.status, self.score, self.answer_count]
        return hashlib.sha1(json.dumps(data, ensure_ascii=False).encode()).hexdigest()[:16]

    @property
    def boost(self) -> float:
        """A static prior multiplied into relevance: solved threads and well-voted
        ones first among equals, never enough to lift an unrelated thread."""
        return 1.0 + (0.2 if self.solved else 0.0) + 0.05 * math.log1p(max(self.score, 0))


Builder = Callable[[list[int]], dict[int, "Doc | None"]]


def key(kind: str, object_id: int) -> str:
    return f"{kind}:{object_id}"


def parse_key(value: str) -> tuple[str, int] | None:
    kind, _, ident = value.partition(":")
    return (kind, int(ident)) if ident.isdigit() else None


def _clip(text: str) -> str:
    return text[:MAX_FIELD_CHARS]


def thread_docs(ids: list[int]) -> dict[int, Doc | None]:
    """Documents for threads ``ids``: visible threads with their visible posts."""
    out: dict[int, Doc | None] = {i: None for i in ids}
    if not ids:
        return out
    threads = db.session.execute(
        sa.select(Thread).where(Thread.id.in_(ids), Thread.state == PostState.VISIBLE)
        .options(selectinload(Thread.tags), selectinload(Thread.category))).scalars().all()
    if not threads:
        return out
    posts: dict[int, list[Post]] = {}
    rows = db.session.execute(
        sa.select(Post.id, Post.thread_id, Post.is_question, Post.body_html)
        .where(Post.thread_id.in_([t.id for t in threads]), Post.state == PostState.VISIBLE)
        .order_by(Post.thread_id, Post.score.desc(), Post.id)).all()
    for row in rows:
        posts.setdefault(row.thread_id, []).append(row)
    for t in threads:
        mine = posts.get(t.id, [])
        question = next((p for p in mine if p.is_question), None)
        if question is None:
            continue
        accepted = next((p for p in mine if p.id == t.accepted_post_id), None)
        others = [p for p in mine if not p.is_question and p is not accepted]
        out[t.id] = Doc(
            key=key("thread", t.id), kind="thread", object_id=t.id, title=t.title,
            body=_clip(html_text(question.body_html)),
            tags=[tag.name for tag in t.tags],
            accepted=_clip(html_text(accepted.body_html)) if accepted else "",
            answers=_clip(" ".join(html_text(p.body_html) for p in others)),
            category=t.category.slug, solved=t.accepted_post_id is not None, status=t.status.value,
            score=t.score, answer_count=t.answer_count,
            created_at=aware(t.created_at), activity_at=aware(t.last_activity_at))
    return out


def thread_ids(batch: int = 1000) -> Iterator[list[int]]:
    """Every visible thread's id, a batch at a time (for rebuilds and checks)."""
    last = 0
    while True:
        ids = list(db.session.execute(
            sa.select(Thread.id).where(Thread.id > last, Thread.state == PostState.VISIBLE)
            .order_by(Thread.id).limit(batch)).scalars())
        if not ids:
            return
        yield ids
        last = ids[-1]


def register_kind(app: Flask, kind: str, builder: Builder, all_ids: Callable[[int], Iterable[list[int]]]) -> None:
    """Let another package put documents of ``kind`` in the index (the KB's articles)."""
    app.extensions["search"]["kinds"][kind] = (builder, all_ids)


def kinds() -> dict[str, tuple[Builder, Callable[[int], Iterable[list[int]]]]]:
    return current_app.extensions["search"]["kinds"]


def build(keys: Iterable[str]) -> tuple[list[Doc], list[str]]:
    """Documents to write and keys to delete, for ``keys`` as the database has them now."""
    by_kind: dict[str, list[int]] = {}
    for k in dict.fromkeys(keys):
        parsed = parse_key(k)
        if parsed:
            by_kind.setdefault(parsed[0], []).append(parsed[1])
    docs: list[Doc] = []
    gone: list[str] = []
    registry = kinds()
    for kind, ids in by_kind.items():
        if kind not in registry:
            gone.extend(key(kind, i) for i in ids)
            continue
        for ident, doc in registry[kind][0](ids).items():
            if doc is None:
                gone.append(key(kind, ident))
            else:
                docs.append(doc)
    return docs, gone


def every_key(batch: int = 1000) -> Iterator[list[str]]:
    """Every key that should be in the index, a batch at a time."""
    for kind, (_builder, all_ids) in kinds().items():
        for ids in all_ids(batch):
            yield [key(kind, i) for i in ids]
