"""Simple spam checks that send a new post to the review queue.

Listens to :class:`forum.events.PostCreated` and scores the post in the forum's own
transaction. Nothing is refused here (the forum refuses what is plainly wrong: too
many links, the same text twice within ``IDENTICAL_POST_WINDOW``); a post that scores
``SPAM_SCORE_THRESHOLD`` or more is held for a moderator instead, so a false alarm
costs a short wait, not a lost post.

Members with the ``post_without_review`` privilege (and staff roles, through
``can()``) are never scored: the checks are for accounts nobody knows yet.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask, current_app

from forum import events
from forum.db import utcnow
from forum.extensions import db
from forum.markup import outside_links, plain_text
from forum.models import Post, PostState, User
from forum.permissions import can

from . import services

#: The same text posted again on another thread within this window scores as a repeat
#: (within ``IDENTICAL_POST_WINDOW`` the forum refuses it outright).
REPEAT_WINDOW = timedelta(hours=24)
#: A text this long with this share of capitals is shouting.
CAPS_MIN_LETTERS = 20
CAPS_RATIO = 0.7


@dataclass
class Verdict:
    """A post's spam score and why, one reason per check that fired."""

    score: int = 0
    reasons: list[str] = field(default_factory=list)

    def add(self, points: int, reason: str) -> None:
        self.score += points
        self.reasons.append(reason)

    @property
    def is_spam(self) -> bool:
        return self.score >= current_app.config["SPAM_SCORE_THRESHOLD"]

    def summary(self) -> str:
        return "Spam check: " + "; ".join(self.reasons)


def check(post: Post, author: User) -> Verdict:
    """Score ``post``; each check adds points and a reason a moderator can read."""
    verdict = Verdict()
    text = plain_text(post.body)
    links = outside_links(post.body_html)
    if links and not can(author, "post.links"):
        verdict.add(min(links, 3), f"{links} link{'s' if links != 1 else ''} from a new user")
    lowered = text.lower()
    phrases = [p for p in current_app.config["SPAM_PHRASES"] if p and p.lower() in lowered]
    if phrases:
        verdict.add(2 * len(phrases), "known spam phrases: " + ", ".join(f"“{p}”" for p in phrases))
    letters = [ch for ch in text if ch.isalpha()]
    if len(letters) >= CAPS_MIN_LETTERS and sum(ch.isupper() for ch in letters) / len(letters) >= CAPS_RATIO:
        verdict.add(2, "written in capitals")
    repeats = db.session.execute(sa.select(sa.func.count()).select_from(Post).where(
        Post.author_id == author.id, Post.id != post.id, Post.thread_id != post.thread_id,
        Post.body == post.body, Post.created_at > utcnow() - REPEAT_WINDOW,
        Post.state != PostState.DELETED)).scalar_one()
    if repeats:
        verdict.add(3, f"the same text on {repeats} other thread{'s' if repeats != 1 else ''}")
    return verdict


def on_post_created(event: events.PostCreated) -> None:
    """Hold a new post that looks like spam for review, in the caller's transaction."""
    post = db.session.get(Post, event.post_id)
    author = db.session.get(User, event.author_id)
    if post is None or author is None or can(author, "post.skip_review"):
        return
    verdict = check(post, author)
    if verdict.is_spam:
        services.hold_post(post, reason=verdict.summary())


def init_app(app: Flask) -> None:
    events.listen(app, events.PostCreated, on_post_created)
