"""Read side of reputation: the ledger, its history by day, badges, leaderboards.

Everything here reads rows the listeners wrote and changes nothing. Lists page by
keyset on an indexed ``(created_at, id)`` pair; sums and counts run in the database,
so a page costs a fixed number of queries however long someone's history is.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from forum.db import utcnow
from forum.extensions import db
from forum.models import Category, Post, PostState, Tag, Thread, User, thread_tags
from forum.permissions import can
from forum.threads.queries import decode_cursor, encode_cursor

from .models import BadgeAward, ReputationEvent

#: Leaderboard periods, in the order the tabs show them.
PERIODS = ("week", "month", "all")
ACCEPTED = "answer.accepted"
#: Days of the flat line the chart shows before someone's first change.
LEAD_IN_DAYS = 7


# -- The ledger ------------------------------------------------------------------

@dataclass
class LedgerPage:
    items: list[ReputationEvent]
    next_cursor: str | None


def ledger_page(user: User, *, cursor: str | None = None, limit: int = 30) -> LedgerPage:
    """One page of ``user``'s ledger, newest first, continued after ``cursor``.

    Raises :class:`~forum.errors.Invalid` (field ``cursor``) for a cursor that was
    not handed out here.
    """
    q = sa.select(ReputationEvent).where(ReputationEvent.user_id == user.id)
    if cursor:
        when, ident = decode_cursor(cursor)
        q = q.where(sa.tuple_(ReputationEvent.created_at, ReputationEvent.id) < sa.tuple_(when, ident))
    q = q.order_by(ReputationEvent.created_at.desc(), ReputationEvent.id.desc()).limit(limit + 1).options(
        joinedload(ReputationEvent.post).joinedload(Post.thread), joinedload(ReputationEvent.thread),
        joinedload(ReputationEvent.actor))
    rows = list(db.session.execute(q).scalars())
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = encode_cursor(rows[-1].created_at, rows[-1].id)
    return LedgerPage(items=rows, next_cursor=nxt)


def _day(column):
    """The UTC calendar day of a timestamp column, on either database."""
    if db.engine.dialect.name == "postgresql":
        return sa.func.date(sa.func.timezone("UTC", column))
    # SQLite keeps UTC timestamps as ISO text; date() takes the day part.
    return sa.func.date(column)


def daily_changes(user: User) -> list[tuple[date, int]]:
    """The net change of ``user``'s reputation on each day it changed, oldest first."""
    day = _day(ReputationEvent.created_at).label("day")
    rows = db.session.execute(
        sa.select(day, sa.func.sum(ReputationEvent.delta))
        .where(ReputationEvent.user_id == user.id)
        .group_by(day).order_by(day)
    ).all()
    return [(value if isinstance(value, date) else date.fromisoformat(value), int(total))
            for value, total in rows]


def history(user: User, *, today: date | None = None) -> list[tuple[date, int]]:
    """The running total at the end of each day it changed, oldest first, ending today.

    It starts from the cached total minus every change, so the line ends exactly on
    the number the rest of the page shows.
    """
    changes = daily_changes(user)
    today = today or utcnow().date()
    total = user.reputation - sum(delta for _, delta in changes)
    if not changes:
        return [(user.created_at.date(), total), (today, total)] if user.created_at.date() < today \
            else [(today, total)]
    points = []
    # A flat month before anything happened says little and squeezes what follows.
    start = max(user.created_at.date(), changes[0][0] - timedelta(days=LEAD_IN_DAYS))
    if start < changes[0][0]:
        points.append((start, total))
    for day, delta in changes:
        total += delta
        points.append((day, total))
    if points[-1][0] < today:
        points.append((today, total))
    return points


def readable_post(event: ReputationEvent, viewer: User | None) -> Post | None:
    """The post ``event`` came from, if ``viewer`` may see it: a ledger row must not
    leak the title of a hidden thread or a deleted answer."""
    post = event.post
    if post is None or not can(viewer, "thread.read", post.thread) or not can(viewer, "post.read", post):
        return None
    return post


# -- Badges -----------------------------------------------------------------------

@dataclass
class EarnedBadge:
    badge: str
    count: int
    first_awarded_at: datetime
    last_awarded_at: datetime


def badges_of(user: User) -> list[EarnedBadge]:
    """The badges ``user`` holds, with how many times each was earned, first earned first."""
    rows = db.session.execute(
        sa.select(BadgeAward.badge, sa.func.count(), sa.func.min(BadgeAward.awarded_at),
                  sa.func.max(BadgeAward.awarded_at))
        .where(BadgeAward.user_id == user.id).group_by(BadgeAward.badge)
        .order_by(sa.func.min(BadgeAward.awarded_at), BadgeAward.badge)
    ).all()
    return [EarnedBadge(badge, count, first, last) for badge, count, first, last in rows]


@dataclass
class Holder:
    user: User
    awarded_at: datetime


@dataclass
class BadgeHolders:
    badge: str
    #: Awards in all (a per-post badge counts once per post).
    awards: int
    #: Distinct people who hold it.
    people: int
    #: The most recent holders, newest first.
    recent: list[Holder]


def badge_holders(keys: Iterable[str], *, recent: int = 12) -> dict[str, BadgeHolders]:
    """For each badge key: how often it was awarded and its latest holders.

    Two queries whatever the number of badges: the counts, then the newest
    ``recent`` awards per badge picked with a window function.
    """
    keys = list(keys)
    result = {key: BadgeHolders(key, 0, 0, []) for key in keys}
    for badge, awards, people in db.session.execute(
        sa.select(BadgeAward.badge, sa.func.count(), sa.func.count(sa.distinct(BadgeAward.user_id)))
        .where(BadgeAward.badge.in_(keys)).group_by(BadgeAward.badge)
    ):
        result[badge].awards, result[badge].people = awards, people
    rank = sa.func.row_number().over(
        partition_by=BadgeAward.badge, order_by=(BadgeAward.awarded_at.desc(), BadgeAward.id.desc())
    ).label("rank")
    ranked = sa.select(BadgeAward.id, rank).where(BadgeAward.badge.in_(keys)).subquery()
    awards = db.session.execute(
        sa.select(BadgeAward).join(ranked, ranked.c.id == BadgeAward.id).where(ranked.c.rank <= recent)
        .order_by(BadgeAward.awarded_at.desc(), BadgeAward.id.desc()).options(joinedload(BadgeAward.user))
    ).scalars()
    for award in awards:
        result[award.badge].recent.append(Holder(award.user, award.awarded_at))
    return result


# -- Leaderboards -----------------------------------------------------------------

def period_start(period: str, now: datetime | None = None) -> datetime | None:
    """When ``period`` began: Monday 00:00 UTC for ``week``, the 1st for ``month``,
    None for ``all``."""
    now = now or utcnow()
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        return midnight - timedelta(days=midnight.weekday())
    if period == "month":
        return midnight.replace(day=1)
    return None


@dataclass
class Leader:
    rank: int
    user: User
    gained: int
    accepted: int


def leaderboard(period: str = "week", *, category: Category | None = None, limit: int = 20,
                now: datetime | None = None) -> list[Leader]:
    """The people who gained the most reputation in ``period``, with how many of
    their answers were accepted in it and still are.

    ``category`` counts only what happened in that category's threads. Reversals in
    the period count against it, so gaming a vote in and out gains nothing. People
    who gained nothing are left out; ties go to whoever reached the total first.
    """
    E = ReputationEvent
    start = period_start(period, now)
    where = []
    if start is not None:
        where.append(E.created_at >= start)
    if category is not None:
        where.append(E.thread_id.in_(sa.select(Thread.id).where(Thread.category_id == category.id)))
    undone = aliased(E)
    still_accepted = sa.and_(E.reason == ACCEPTED, ~sa.exists().where(undone.reverses_id == E.id))
    gained = sa.func.sum(E.delta).label("gained")
    accepted = sa.func.count().filter(still_accepted).label("accepted")
    totals = (sa.select(E.user_id, gained, accepted, sa.func.max(E.created_at).label("last"))
              .where(*where).group_by(E.user_id).having(sa.func.sum(E.delta) > 0).subquery())
    rows = db.session.execute(
        sa.select(User, totals.c.gained, totals.c.accepted).join(totals, totals.c.user_id == User.id)
        .order_by(totals.c.gained.desc(), totals.c.last, User.id).limit(limit)
    ).all()
    return [Leader(n, user, int(g), int(a)) for n, (user, g, a) in enumerate(rows, start=1)]


# -- Profile figures -------------------------------------------------------------

@dataclass
class TopTag:
    tag: Tag
    posts: int
    score: int


def top_tags(user: User, *, limit: int = 6) -> list[TopTag]:
    """The tags ``user`` posts under most, by the score those posts earned, then by
    how many there are."""
    score = sa.func.sum(Post.score).label("score")
    posts = sa.func.count(Post.id).label("posts")
    rows = db.session.execute(
        sa.select(Tag, posts, score)
        .join(thread_tags, thread_tags.c.tag_id == Tag.id)
        .join(Post, Post.thread_id == thread_tags.c.thread_id)
        .join(Thread, Thread.id == Post.thread_id)
        .where(Post.author_id == user.id, Post.state == PostState.VISIBLE, Thread.state == PostState.VISIBLE)
        .group_by(Tag.id).order_by(score.desc(), posts.desc(), Tag.name).limit(limit)
    ).all()
    return [TopTag(tag, int(n), int(s or 0)) for tag, n, s in rows]


# -- Words for reason keys ---------------------------------------------------------

REASONS = {
    "question.voted_up": "Question voted up",
    "question.voted_down": "Question voted down",
    "answer.voted_up": "Answer voted up",
    "answer.voted_down": "Answer voted down",
    "vote.cast_down": "Voted an answer down",
    "answer.accepted": "Answer accepted",
    "accept.given": "Accepted an answer",
    "post.deleted": "Post deleted",
    "serial_voting.reversed": "Serial voting reversed",
    "answer.promoted": "Answer became a knowledge-base article",
}
UNDONE = ".undone"


def reason_label(reason: str) -> str:
    """The ledger's words for a reason key: ``answer.accepted.undone`` reads
    "Answer accepted (undone)"; a key this list does not know reads as itself."""
    if reason.endswith(UNDONE):
        base = reason[:-len(UNDONE)]
        return f"{REASONS.get(base, base)} (undone)"
    return REASONS.get(reason, reason)
