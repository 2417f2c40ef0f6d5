"""Moving reputation: award, reverse, rebuild, check, and serial-vote reversal.

The model is Stack Exchange's: a user's reputation is their *standing* awards (those
not reversed) replayed in order, starting at 1, each upvote award limited by what is
left of that UTC day's cap, and never falling below the floor. Every ledger row's
``delta`` is how much that replay moved when the row was written, so

* ``User.reputation == 1 + sum(delta)`` at all times (the cache the forum reads);
* reputation is never below the floor, whatever order things are undone in;
* undoing everything returns a user to 1, and a reversal takes back exactly what
  its award still contributes (a capped award only what the cap let through).

Writers call these inside the caller's write transaction (the listeners run in the
forum's). The affected users' rows are locked first, in id order, so concurrent
votes on one person's posts queue instead of losing updates or deadlocking.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from forum.db import aware, lock, utcnow
from forum.extensions import db
from forum.models import User

from .models import ReputationEvent
from .rules import rules

BASE = 1
#: Reasons whose gains count towards the daily cap.
CAPPED = frozenset({"question.voted_up", "answer.voted_up"})
#: Reasons that come from a vote, for serial-voting detection.
UPVOTES = CAPPED
UNDONE = ".undone"


def lock_users(*user_ids: int | None) -> None:
    """Lock the users' rows ``FOR NO KEY UPDATE`` in id order (no deadlocks)."""
    for user_id in sorted({u for u in user_ids if u is not None}):
        lock(User, user_id)


def _standing_clause(user_id: int):
    reversal = aliased(ReputationEvent)
    return sa.and_(
        ReputationEvent.user_id == user_id,
        ReputationEvent.reverses_id.is_(None),
        ~sa.exists().where(reversal.reverses_id == ReputationEvent.id),
    )


def standing(user_id: int) -> list[ReputationEvent]:
    """The user's awards that have not been reversed, oldest first."""
    return list(db.session.execute(
        sa.select(ReputationEvent).where(_standing_clause(user_id)).order_by(ReputationEvent.id)
    ).scalars())


def replay(awards: list[tuple[str, int, datetime]], *, cap: int | None = None, floor: int | None = None) -> int:
    """Reputation after ``awards`` (reason, nominal points, when), in order."""
    table = rules()
    cap = table["daily_vote_cap"] if cap is None else cap
    floor = table["floor"] if floor is None else floor
    total = BASE
    gained: dict[object, int] = defaultdict(int)
    for reason, points, when in awards:
        if reason in CAPPED and points > 0:
            day = aware(when).date()
            points = max(0, min(points, cap - gained[day]))
            gained[day] += points
        total = max(floor, total + points)
    return total


def _replay_rows(rows: list[ReputationEvent]) -> int:
    return replay([(r.reason, r.nominal, r.created_at) for r in rows])


def _apply(user_id: int, delta: int) -> None:
    if delta:
        now = db.session.execute(sa.update(User).where(User.id == user_id)
                                 .values(reputation=User.reputation + delta).returning(User.reputation)).scalar_one()
        if delta > 0:
            _tell_privileges(user_id, now - delta, now)


def _tell_privileges(user_id: int, before: int, after: int) -> None:
    """Tell the person about each privilege their reputation just reached."""
    from flask import current_app

    from forum.notifications import notify

    from .rules import PRIVILEGE_LABELS

    for key, need in current_app.config["PRIVILEGES"].items():
        if before < need <= after and key in PRIVILEGE_LABELS:
            notify(user_id, "badge", data={"badge": PRIVILEGE_LABELS[key], "key": key, "privilege": True})


def award(user_id: int, reason: str, points: int, source: str, *, post_id: int | None = None,
          thread_id: int | None = None, vote_id: int | None = None, actor_id: int | None = None,
          ) -> ReputationEvent | None:
    """Write an award for ``source`` unless one already stands; return it, or None.

    ``source`` names the action (``vote:<voter>:<post>``); a generation number is
    appended, so voting again after a retraction pays again while replaying the
    same event while its award stands pays nothing. The caller has locked the user."""
    prefix = f"{source}:"
    rows = standing(user_id)
    if any(r.reason == reason and r.source_key.startswith(prefix) for r in rows):
        return None
    generation = db.session.execute(
        sa.select(sa.func.count()).select_from(ReputationEvent).where(
            ReputationEvent.user_id == user_id, ReputationEvent.reason == reason,
            ReputationEvent.source_key.startswith(prefix, autoescape=True))
    ).scalar_one() + 1
    before = _replay_rows(rows)
    event = ReputationEvent(user_id=user_id, reason=reason, nominal=points, delta=0,
                            source_key=f"{prefix}{generation}", post_id=post_id, thread_id=thread_id,
                            vote_id=vote_id, actor_id=actor_id, created_at=utcnow())
    event.delta = _replay_rows([*rows, event]) - before
    db.session.add(event)
    db.session.flush()
    _apply(user_id, event.delta)
    return event


def reverse(user_id: int, match, *, reason: str | None = None, actor_id: int | None = None
            ) -> list[ReputationEvent]:
    """Reverse the user's standing awards for which ``match(row)`` is true.

    Each reversal row's reason is ``reason`` or the award's own plus ``.undone``;
    its delta is what the replay loses without the award. The caller has locked the user."""
    rows = standing(user_id)
    targets = [r for r in rows if match(r)]
    if not targets:
        return []
    done = []
    for target in targets:
        before = _replay_rows(rows)
        rows = [r for r in rows if r.id != target.id]
        row = ReputationEvent(
            user_id=user_id, reason=reason or target.reason + UNDONE, nominal=0,
            delta=_replay_rows(rows) - before, source_key=f"undo:{target.id}", reverses_id=target.id,
            post_id=target.post_id, thread_id=target.thread_id, vote_id=target.vote_id,
            actor_id=actor_id, created_at=utcnow())
        db.session.add(row)
        db.session.flush()
        _apply(user_id, row.delta)
        done.append(row)
    return done


def from_source(source: str, reason: str | None = None):
    """A ``match`` for :func:`reverse`: awards for ``source`` (and ``reason``)."""
    prefix = f"{source}:"
    return lambda row: row.source_key.startswith(prefix) and (reason is None or row.reason == reason)


# Integrity tools -------------------------------------------------------------------------

@dataclass(frozen=True)
class Drift:
    user_id: int
    username: str
    cached: int
    ledger: int


def drift() -> list[Drift]:
    """Users whose cached reputation differs from ``1 + sum(delta)`` of their ledger."""
    total = (sa.select(sa.func.coalesce(sa.func.sum(ReputationEvent.delta), 0))
             .where(ReputationEvent.user_id == User.id).scalar_subquery())
    rows = db.session.execute(
        sa.select(User.id, User.username, User.reputation, BASE + total)
        .where(User.reputation != BASE + total).order_by(User.id)).all()
    return [Drift(*row) for row in rows]


def rebuild() -> list[Drift]:
    """Set every cache to its ledger's sum; return the users that changed."""
    changed = drift()
    for item in changed:
        db.session.execute(sa.update(User).where(User.id == item.user_id).values(reputation=item.ledger))
    return changed


@dataclass(frozen=True)
class SerialVoting:
    voter_id: int
    author_id: int
    award_ids: tuple[int, ...]


def find_serial_votes(*, hours: float = 24, min_votes: int = 5, now: datetime | None = None
                      ) -> list[SerialVoting]:
    """Pairs where one voter's standing upvote awards to one author within the last
    ``hours`` number at least ``min_votes``."""
    since = (now or utcnow()) - timedelta(hours=hours)
    reversal = aliased(ReputationEvent)
    rows = db.session.execute(
        sa.select(ReputationEvent.actor_id, ReputationEvent.user_id, ReputationEvent.id)
        .where(ReputationEvent.reason.in_(UPVOTES), ReputationEvent.created_at >= since,
               ReputationEvent.actor_id.is_not(None), ReputationEvent.actor_id != ReputationEvent.user_id,
               ~sa.exists().where(reversal.reverses_id == ReputationEvent.id))
        .order_by(ReputationEvent.actor_id, ReputationEvent.user_id, ReputationEvent.id)).all()
    pairs: dict[tuple[int, int], list[int]] = defaultdict(list)
    for voter, author, ident in rows:
        pairs[(voter, author)].append(ident)
    return [SerialVoting(v, a, tuple(ids)) for (v, a), ids in sorted(pairs.items()) if len(ids) >= min_votes]


def reverse_serial_votes(found: list[SerialVoting]) -> list[ReputationEvent]:
    """Reverse the awards of ``found`` as ``serial_voting.reversed`` rows.

    The votes themselves stay (scores keep counting them); only the reputation
    they paid is taken back, so a later retraction reverses nothing twice."""
    done: list[ReputationEvent] = []
    lock_users(*(item.author_id for item in found))
    for item in found:
        ids = set(item.award_ids)
        done += reverse(item.author_id, lambda row: row.id in ids, reason="serial_voting.reversed")
    return done
