"""Badges: what each one is for, and the listeners that award them.

A badge is awarded in the transaction of the fact that earned it and is never taken
back (as on Stack Exchange): unaccepting an answer does not unmake its first
acceptance. Once-only badges have scope ``""``; per-post badges ``post:<id>``. The
insert skips a badge already held, so a replayed event or a race awards nothing twice.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from forum import events
from forum.db import utcnow
from forum.extensions import db
from forum.models import Post, PostState, Thread
from forum.notifications import notify

from .models import BadgeAward


@dataclass(frozen=True)
class Badge:
    key: str
    name: str
    description: str
    #: "bronze", "silver" or "gold", for display.
    level: str
    #: Earned once per post rather than once per person.
    per_post: bool = False


BADGES: dict[str, Badge] = {b.key: b for b in (
    Badge("first_answer", "Helper", "Answered a question for the first time.", "bronze"),
    Badge("first_accepted", "Solver", "Had an answer accepted for the first time.", "bronze"),
    Badge("accepted_10", "Problem Solver", "Had 10 answers accepted.", "silver"),
    Badge("accepted_50", "Troubleshooter", "Had 50 answers accepted.", "gold"),
    Badge("good_answer", "Good Answer", "Wrote an answer with a score of 10 or more.", "silver",
          per_post=True),
    Badge("first_solved_question", "Scholar", "Accepted an answer to their question for the first time.",
          "bronze"),
    # Defined now so pages can list them; the moderation and KB issues award them.
    Badge("helpful_flagger", "Citizen Patrol", "Raised a flag that moderators agreed with.", "bronze"),
    Badge("kb_promoted", "Author", "Wrote an answer that was promoted into a knowledge base article.",
          "silver", per_post=True),
)}

GOOD_ANSWER_SCORE = 10
ACCEPTED_STEPS = ((10, "accepted_10"), (50, "accepted_50"))


def give(user_id: int, key: str, *, post_id: int | None = None) -> None:
    """Award badge ``key`` to the user unless they hold it (for that post)."""
    badge = BADGES[key]
    scope = f"post:{post_id}" if badge.per_post else ""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    new = db.session.execute(insert(BadgeAward).values(
        user_id=user_id, badge=key, scope=scope, post_id=post_id, awarded_at=utcnow(),
    ).on_conflict_do_nothing(index_elements=["user_id", "badge", "scope"]).returning(BadgeAward.id)).scalar()
    if new is not None:
        notify(user_id, "badge", post_id=post_id, data={"badge": badge.name, "key": key})


def on_post_created(event: events.PostCreated) -> None:
    if not event.is_question:
        give(event.author_id, "first_answer", post_id=event.post_id)


def on_accept(event: events.AnswerAccepted) -> None:
    if event.answer_author_id == event.asker_id:
        return
    give(event.answer_author_id, "first_accepted", post_id=event.post_id)
    give(event.asker_id, "first_solved_question", post_id=event.post_id)
    accepted = db.session.execute(
        sa.select(sa.func.count()).select_from(Thread).join(Post, Thread.accepted_post_id == Post.id)
        .where(Post.author_id == event.answer_author_id, Post.state != PostState.DELETED)).scalar_one()
    for need, key in ACCEPTED_STEPS:
        if accepted >= need:
            give(event.answer_author_id, key)


def on_vote(event: events.VoteCast) -> None:
    if event.is_question or event.new <= event.old:
        return
    score = db.session.execute(sa.select(Post.score).where(Post.id == event.post_id)).scalar_one()
    if score >= GOOD_ANSWER_SCORE:
        give(event.post_author_id, "good_answer", post_id=event.post_id)
