"""Who to suggest while someone types an ``@mention``.

The editor asks as the letters come; the answer must be quick and must not reveal
more than a profile page does: usernames and display names of people who are not
suspended. People already in the thread come first, as they are whom one usually
answers.
"""
from __future__ import annotations

import re

import sqlalchemy as sa

from ..db import utcnow
from ..extensions import db
from ..models import Post, PostState, Thread, User

#: What may follow the ``@``: the characters of a username (see ``forum.markup.MENTION``).
QUERY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,29}")
LIMIT = 8


def _prefix(column, text: str):
    """``column`` starts with ``text``, wildcards in ``text`` taken literally."""
    return column.startswith(text, autoescape=True)


def suggest(text: str, *, viewer: User, thread: Thread | None = None, limit: int = LIMIT) -> list[dict]:
    """Up to ``limit`` people whose username or display name starts with ``text``
    (case ignored), those who posted visibly in ``thread`` first, then by username.
    ``viewer`` is left out (mentioning oneself tells nobody), and so is anyone
    suspended. Text that cannot begin a username finds nobody."""
    if not QUERY.fullmatch(text or ""):
        return []
    key = text.lower()
    posted = sa.literal(False)
    if thread is not None:
        authors = sa.select(Post.author_id).where(Post.thread_id == thread.id, Post.state == PostState.VISIBLE)
        posted = User.id.in_(authors)
    in_thread = sa.case((posted, 1), else_=0).label("in_thread")
    rows = db.session.execute(
        sa.select(User.username, User.display_name, in_thread)
        .where(sa.or_(_prefix(User.username_key, key), _prefix(sa.func.lower(User.display_name), key)),
               User.id != viewer.id,
               sa.or_(User.suspended_until.is_(None), User.suspended_until <= utcnow()))
        .order_by(in_thread.desc(), User.username_key)
        .limit(limit))
    return [{"username": username, "display_name": display_name or "", "in_thread": bool(flag)}
            for username, display_name, flag in rows]
