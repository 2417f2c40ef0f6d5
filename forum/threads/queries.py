"""Read side: thread lists with keyset pagination, the thread page, profile figures.

Every list orders by an indexed (value, id) pair and continues after the last row it
showed, so page 1,000 costs what page 1 does. Pages load what they show in a fixed
number of queries, however many answers a thread has.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from ..errors import Invalid
from ..extensions import db
from ..models import Category, Post, PostRevision, PostState, Tag, Thread, ThreadStatus, User, Vote, thread_tags

#: name -> (title, ordering column)
VIEWS: dict[str, tuple[str, str]] = {
    "latest": ("Latest activity", "last_activity_at"),
    "newest": ("Newest", "created_at"),
    "unanswered": ("Unanswered", "created_at"),
    "unsolved": ("Unsolved", "last_activity_at"),
}


def encode_cursor(when: datetime, ident: int) -> str:
    raw = json.dumps([when.isoformat(), ident], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        when, ident = json.loads(raw)
        when = datetime.fromisoformat(when)
        # Ids past 64 bits overflow the database driver; cursors we hand out never have them.
        if not isinstance(ident, int) or not 0 < ident < 2**63 or when.tzinfo is None:
            raise ValueError
        return when, ident
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise Invalid({"cursor": "This page link is broken; start again from the first page."}) from None


@dataclass
class Page:
    items: list[Thread]
    next_cursor: str | None
    view: str = "latest"
    extra: dict = field(default_factory=dict)


def list_threads(view: str = "latest", *, category: Category | None = None, tag: Tag | None = None,
                 status: str | None = None, cursor: str | None = None, limit: int = 30) -> Page:
    """One page of visible threads for a list view."""
    if view not in VIEWS:
        raise Invalid({"view": f"Unknown list; choose one of {', '.join(VIEWS)}."})
    col = getattr(Thread, VIEWS[view][1])
    q = sa.select(Thread).where(Thread.state == PostState.VISIBLE)
    if view == "unanswered":
        q = q.where(Thread.answer_count == 0)
    elif view == "unsolved":
        q = q.where(Thread.status == ThreadStatus.OPEN)
    if status:
        try:
            q = q.where(Thread.status == ThreadStatus(status))
        except ValueError:
            raise Invalid({"status": "Status is open, solved, escalated or closed."}) from None
    if category is not None:
        q = q.where(Thread.category_id == category.id)
    if tag is not None:
        q = q.where(Thread.id.in_(sa.select(thread_tags.c.thread_id).where(thread_tags.c.tag_id == tag.id)))
    if cursor:
        when, ident = decode_cursor(cursor)
        q = q.where(sa.tuple_(col, Thread.id) < sa.tuple_(when, ident))
    q = q.order_by(col.desc(), Thread.id.desc()).limit(limit + 1).options(
        joinedload(Thread.author), joinedload(Thread.category), joinedload(Thread.last_poster),
        selectinload(Thread.tags),
    )
    rows = list(db.session.execute(q).unique().scalars())
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        nxt = encode_cursor(getattr(last, VIEWS[view][1]), last.id)
    return Page(items=rows, next_cursor=nxt, view=view)


@dataclass
class ThreadPage:
    thread: Thread
    question: Post
    answers: list[Post]
    #: post id -> the viewer's vote (1 or -1)
    my_votes: dict[int, int]


def thread_page(thread: Thread, viewer: User | None) -> ThreadPage:
    """Load the thread page: question, accepted answer first, then answers by score
    and age, with authors and the viewer's votes: four queries whatever the size."""
    thread = db.session.execute(
        sa.select(Thread).where(Thread.id == thread.id)
        .options(joinedload(Thread.category), joinedload(Thread.author), selectinload(Thread.tags))
    ).unique().scalar_one()
    q = sa.select(Post).where(Post.thread_id == thread.id).options(
        joinedload(Post.author), joinedload(Post.edited_by))
    if viewer is None or not viewer.is_moderator:
        shown = Post.state == PostState.VISIBLE
        if viewer is not None:
            shown = sa.or_(shown, sa.and_(Post.author_id == viewer.id, Post.state.in_(
                [PostState.QUEUED, PostState.HIDDEN])))
        q = q.where(sa.or_(shown, Post.is_question))
    posts = list(db.session.execute(q).unique().scalars())
    question = next(p for p in posts if p.is_question)
    answers = sorted((p for p in posts if not p.is_question),
                     key=lambda p: (p.id != thread.accepted_post_id, -p.score, p.created_at, p.id))
    my_votes: dict[int, int] = {}
    if viewer is not None:
        my_votes = dict(db.session.execute(
            sa.select(Vote.post_id, Vote.value).where(Vote.user_id == viewer.id,
                                                      Vote.post_id.in_([p.id for p in posts]))
        ).all())
    return ThreadPage(thread=thread, question=question, answers=answers, my_votes=my_votes)


def revisions(post: Post) -> list[PostRevision]:
    return list(db.session.execute(
        sa.select(PostRevision).where(PostRevision.post_id == post.id)
        .order_by(PostRevision.number.desc()).options(joinedload(PostRevision.author))
    ).scalars())


def categories() -> list[Category]:
    return list(db.session.execute(sa.select(Category).order_by(Category.position, Category.name)).scalars())


def get_category_by_slug(slug: str) -> Category | None:
    return db.session.execute(sa.select(Category).where(Category.slug == slug)).scalar_one_or_none()


def get_tag(name: str) -> Tag | None:
    return db.session.execute(sa.select(Tag).where(Tag.name == name)).scalar_one_or_none()


def popular_tags(limit: int = 30) -> list[Tag]:
    return list(db.session.execute(
        sa.select(Tag).where(Tag.thread_count > 0).order_by(Tag.thread_count.desc(), Tag.name).limit(limit)
    ).scalars())


@dataclass
class ProfileStats:
    questions: int
    answers: int
    accepted: int


def profile_stats(user: User) -> ProfileStats:
    visible = sa.and_(Post.author_id == user.id, Post.state == PostState.VISIBLE)
    questions, answers = db.session.execute(
        sa.select(sa.func.count().filter(Post.is_question), sa.func.count().filter(sa.not_(Post.is_question)))
        .where(visible)
    ).one()
    accepted = db.session.execute(
        sa.select(sa.func.count()).select_from(Thread).join(Post, Post.id == Thread.accepted_post_id)
        .where(visible)
    ).scalar_one()
    return ProfileStats(questions=questions, answers=answers, accepted=accepted)


def recent_posts(user: User, *, kind: str | None = None, limit: int = 20) -> list[Post]:
    q = sa.select(Post).where(Post.author_id == user.id, Post.state == PostState.VISIBLE)
    if kind == "answers":
        q = q.where(sa.not_(Post.is_question))
    elif kind == "questions":
        q = q.where(Post.is_question)
    q = q.order_by(Post.created_at.desc(), Post.id.desc()).limit(limit).options(joinedload(Post.thread))
    return list(db.session.execute(q).scalars())
