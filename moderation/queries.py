"""What the moderation pages and API read: the queue in context, flags, the audit log.

Every listing loads what it shows in a fixed number of queries, whatever the number
of items: the items, then their posts, flags, people and histories with one ``IN``
query each. Nothing here writes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from forum.db import get_by_id, utcnow
from forum.errors import Invalid
from forum.extensions import db
from forum.models import Post, PostState, Thread, User

from .models import Flag, ModerationAction, ReviewItem

REASONS = {
    "spam": "Spam",
    "rude": "Rude or abusive",
    "off_topic": "Off-topic",
    "not_an_answer": "Not an answer",
    "duplicate": "Duplicate",
    "needs_moderator": "Needs a moderator",
}
REASON_HELP = {
    "spam": "Promotes a product or service without saying so, or is unrelated advertising.",
    "rude": "Insults, harassment or language a reasonable person finds offensive.",
    "off_topic": "Not about this community's subject.",
    "not_an_answer": "A comment, a thank-you or a new question posted as an answer.",
    "duplicate": "This question was asked and answered before; link the earlier thread.",
    "needs_moderator": "Something else a moderator must look at; tell them what.",
}
KINDS = {"flagged": "Flagged", "queued": "Queued", "suspect_user": "Suspect users"}
STATUSES = ("pending", "approved", "rejected", "ignored")
SORTS = {"score": "Highest score", "age": "Oldest first"}
ACTION_LABELS = {
    "approve": "Approved", "reject": "Rejected and deleted", "hide": "Hid", "dismiss": "Dismissed flags",
    "edit_approve": "Edited and approved", "suspend": "Suspended", "silence": "Silenced",
    "unsuspend": "Unsuspended", "lock": "Locked thread", "unlock": "Unlocked thread",
    "close_duplicate": "Closed as duplicate", "reopen": "Reopened thread", "claim": "Claimed",
    "flag": "Flagged", "auto_hide": "Hid automatically", "auto_silence": "Silenced automatically",
}
DURATIONS = {"24h": "24 hours", "72h": "72 hours", "7d": "7 days", "30d": "30 days", "permanent": "Permanently"}
QUEUE_PAGE = 20
AUDIT_PAGE = 50


def value(x: Any) -> str:
    """An enum's value, or the string itself: the templates compare plain strings."""
    return getattr(x, "value", x)


def reason_label(reason: Any) -> str:
    return REASONS.get(value(reason), str(value(reason)).replace("_", " ").capitalize())


def action_label(action: Any) -> str:
    return ACTION_LABELS.get(value(action), str(value(action)).replace("_", " ").capitalize())


@dataclass
class History:
    """What a moderator wants to know about an author before deciding."""

    posts: int = 0
    flags: int = 0
    agreed_flags: int = 0
    joined: datetime | None = None
    reputation: int = 1


@dataclass
class Entry:
    """One queue item with everything its card shows."""

    item: ReviewItem
    post: Post | None = None
    user: User | None = None
    flags: list[Flag] = field(default_factory=list)
    flaggers: dict[int, User] = field(default_factory=dict)
    history: History | None = None
    claimed_by: User | None = None
    handled_by: User | None = None

    @property
    def author(self) -> User | None:
        return self.post.author if self.post is not None else self.user

    @property
    def reasons(self) -> list[str]:
        seen: list[str] = []
        for f in self.flags:
            if value(f.reason) not in seen:
                seen.append(value(f.reason))
        return seen


@dataclass
class Page:
    items: list
    page: int
    has_next: bool
    total: int = 0


def _page_number(raw: str | None) -> int:
    if not raw:
        return 1
    if not raw.isdigit() or len(raw) > 6 or int(raw) < 1:
        raise Invalid({"page": "Use a page number from 1."})
    return int(raw)


def parse_queue_filters(args) -> dict[str, Any]:
    """Read the queue's GET filters; unknown values are refused, not ignored."""
    errors = {}
    kind = args.get("kind") or ""
    if kind and kind not in KINDS:
        errors["kind"] = f"Choose one of: {', '.join(KINDS)}."
    reason = args.get("reason") or ""
    if reason and reason not in REASONS:
        errors["reason"] = f"Choose one of: {', '.join(REASONS)}."
    status = args.get("status") or "pending"
    if status not in STATUSES:
        errors["status"] = f"Choose one of: {', '.join(STATUSES)}."
    sort = args.get("sort") or "score"
    if sort not in SORTS:
        errors["sort"] = "Sort by score or age."
    flagger = (args.get("flagger") or "").strip().lstrip("@")[:40]
    try:
        page = _page_number(args.get("page"))
    except Invalid as exc:
        errors.update(exc.errors)
        page = 1
    if errors:
        raise Invalid(errors)
    return {"kind": kind, "reason": reason, "status": status, "sort": sort, "flagger": flagger, "page": page}


def _user_by_name(username: str) -> User | None:
    return db.session.execute(
        sa.select(User).where(sa.func.lower(User.username) == username.lower())).scalar_one_or_none()


def queue(*, kind: str = "", reason: str = "", flagger: str = "", status: str = "pending", sort: str = "score",
          page: int = 1, per_page: int = QUEUE_PAGE) -> Page:
    """Review items matching the filters, as :class:`Entry` objects, one page of them."""
    query = sa.select(ReviewItem).where(ReviewItem.status == status)
    if kind:
        query = query.where(ReviewItem.kind == kind)
    if reason or flagger:
        flagged = sa.select(Flag.post_id)
        if reason:
            flagged = flagged.where(Flag.reason == reason)
        if flagger:
            who = _user_by_name(flagger)
            flagged = flagged.where(Flag.user_id == (who.id if who else -1))
        query = query.where(ReviewItem.target_type == "post", ReviewItem.target_id.in_(flagged))
    total = db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
    if sort == "age":
        query = query.order_by(ReviewItem.created_at, ReviewItem.id)
    else:
        query = query.order_by(ReviewItem.score.desc(), ReviewItem.created_at, ReviewItem.id)
    rows = db.session.execute(query.offset((page - 1) * per_page).limit(per_page + 1)).scalars().all()
    return Page(entries(rows[:per_page]), page, len(rows) > per_page, total)


def entries(items: list[ReviewItem]) -> list[Entry]:
    """Put items in context: their posts, flags, people and the authors' histories."""
    post_ids = [i.target_id for i in items if i.target_type == "post"]
    posts = {p.id: p for p in db.session.execute(
        sa.select(Post).where(Post.id.in_(post_ids))
        .options(selectinload(Post.thread), selectinload(Post.author))).scalars()} if post_ids else {}
    flags: dict[int, list[Flag]] = {}
    if post_ids:
        for f in db.session.execute(sa.select(Flag).where(Flag.post_id.in_(post_ids))
                                    .order_by(Flag.created_at, Flag.id)).scalars():
            flags.setdefault(f.post_id, []).append(f)
    user_ids = {i.target_id for i in items if i.target_type == "user"}
    user_ids |= {f.user_id for fs in flags.values() for f in fs}
    user_ids |= {i.claimed_by_id for i in items if i.claimed_by_id} | {i.handled_by_id for i in items if i.handled_by_id}
    users = {u.id: u for u in db.session.execute(sa.select(User).where(User.id.in_(user_ids))).scalars()} \
        if user_ids else {}
    authors = {p.author for p in posts.values()} | {users[i.target_id] for i in items
                                                    if i.target_type == "user" and i.target_id in users}
    histories = author_histories(list(authors))
    result = []
    for item in items:
        entry = Entry(item, claimed_by=users.get(item.claimed_by_id), handled_by=users.get(item.handled_by_id))
        if item.target_type == "post":
            entry.post = posts.get(item.target_id)
            entry.flags = flags.get(item.target_id, [])
            entry.flaggers = {f.user_id: users[f.user_id] for f in entry.flags if f.user_id in users}
        else:
            entry.user = users.get(item.target_id)
        if entry.author is not None:
            entry.history = histories.get(entry.author.id)
        result.append(entry)
    return result


def author_histories(authors: list[User]) -> dict[int, History]:
    """Posts, flags received and agreed, account age and reputation of each author."""
    ids = [u.id for u in authors]
    if not ids:
        return {}
    out = {u.id: History(joined=u.created_at, reputation=u.reputation) for u in authors}
    posts = sa.select(Post.author_id, sa.func.count()).where(
        Post.author_id.in_(ids), Post.state != PostState.DELETED).group_by(Post.author_id)
    for author_id, n in db.session.execute(posts):
        out[author_id].posts = n
    agreed = sa.case((Flag.status == "agreed", 1), else_=0)
    received = (sa.select(Post.author_id, sa.func.count(), sa.func.coalesce(sa.func.sum(agreed), 0))
                .join(Flag, Flag.post_id == Post.id).where(Post.author_id.in_(ids)).group_by(Post.author_id))
    for author_id, n, n_agreed in db.session.execute(received):
        out[author_id].flags = n
        out[author_id].agreed_flags = int(n_agreed)
    return out


def get_item(item_id: int) -> ReviewItem | None:
    return get_by_id(ReviewItem, item_id)


def my_flags_in_thread(thread_id: int, user: Any) -> dict[int, Flag]:
    """The viewer's flags on every post of a thread, keyed by post id."""
    rows = db.session.execute(sa.select(Flag).join(Post, Post.id == Flag.post_id).where(
        Flag.user_id == user.id, Post.thread_id == thread_id)).scalars()
    return {f.post_id: f for f in rows}


def thread_by_reference(raw: str) -> Thread | None:
    """A thread from an id or a pasted link (``/t/12/slug`` or ``https://.../t/12``)."""
    raw = (raw or "").strip()
    digits = raw
    if "/t/" in raw:
        digits = raw.split("/t/", 1)[1].split("/", 1)[0].split("#", 1)[0].split("?", 1)[0]
    if not digits.isdigit() or len(digits) > 18:
        return None
    return db.session.get(Thread, int(digits))


# -- The audit log ----------------------------------------------------------------

def _day(raw: str | None, name: str, errors: dict[str, str]) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        errors[name] = "Use a date like 2024-05-01."
        return None


def parse_audit_filters(args) -> dict[str, Any]:
    errors: dict[str, str] = {}
    action = args.get("action") or ""
    if action and (len(action) > 40 or not action.replace("_", "").isalnum()):
        errors["action"] = "Choose an action from the list."
    since = _day(args.get("since"), "since", errors)
    until = _day(args.get("until"), "until", errors)
    if since and until and since > until:
        errors["until"] = "The end date is before the start date."
    try:
        page = _page_number(args.get("page"))
    except Invalid as exc:
        errors.update(exc.errors)
        page = 1
    if errors:
        raise Invalid(errors)
    return {"moderator": (args.get("moderator") or "").strip().lstrip("@")[:40], "action": action,
            "user": (args.get("user") or "").strip().lstrip("@")[:40], "since": since, "until": until,
            "page": page}


@dataclass
class AuditRow:
    action: ModerationAction
    actor: User | None
    target_user: User | None
    post: Post | None
    thread: Thread | None = None


def audit_log(*, moderator: str = "", action: str = "", user: str = "", since: date | None = None,
              until: date | None = None, page: int = 1, per_page: int = AUDIT_PAGE) -> Page:
    """Moderation actions, newest first, filtered by who acted, what, on whom, when."""
    query = sa.select(ModerationAction)
    if moderator:
        who = _user_by_name(moderator)
        query = query.where(ModerationAction.actor_id == (who.id if who else -1))
    if action:
        query = query.where(ModerationAction.action == action)
    if user:
        who = _user_by_name(user)
        target = who.id if who else -1
        their_posts = sa.select(Post.id).where(Post.author_id == target)
        their_threads = sa.select(Thread.id).where(Thread.author_id == target)
        query = query.where(sa.or_(
            sa.and_(ModerationAction.target_type == "user", ModerationAction.target_id == target),
            sa.and_(ModerationAction.target_type == "post", ModerationAction.target_id.in_(their_posts)),
            sa.and_(ModerationAction.target_type == "thread", ModerationAction.target_id.in_(their_threads))))
    if since:
        query = query.where(ModerationAction.created_at >= datetime.combine(since, time(), timezone.utc))
    if until:
        end = datetime.combine(until, time(), timezone.utc) + timedelta(days=1)
        query = query.where(ModerationAction.created_at < end)
    query = query.order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
    rows = db.session.execute(query.offset((page - 1) * per_page).limit(per_page + 1)).scalars().all()
    return Page(audit_rows(rows[:per_page]), page, len(rows) > per_page)


def audit_rows(actions: list[ModerationAction]) -> list[AuditRow]:
    post_ids = [a.target_id for a in actions if a.target_type == "post"]
    posts = {p.id: p for p in db.session.execute(
        sa.select(Post).where(Post.id.in_(post_ids)).options(selectinload(Post.thread))).scalars()} \
        if post_ids else {}
    user_ids = {a.actor_id for a in actions if a.actor_id}
    user_ids |= {a.target_id for a in actions if a.target_type == "user"}
    user_ids |= {p.author_id for p in posts.values()}
    users = {u.id: u for u in db.session.execute(sa.select(User).where(User.id.in_(user_ids))).scalars()} \
        if user_ids else {}
    thread_ids = [a.target_id for a in actions if a.target_type == "thread"]
    threads = {t.id: t for t in db.session.execute(sa.select(Thread).where(Thread.id.in_(thread_ids))).scalars()} \
        if thread_ids else {}
    rows = []
    for a in actions:
        post = posts.get(a.target_id) if a.target_type == "post" else None
        target = users.get(a.target_id) if a.target_type == "user" else (users.get(post.author_id) if post else None)
        rows.append(AuditRow(a, users.get(a.actor_id), target, post, threads.get(a.target_id)
                             if a.target_type == "thread" else None))
    return rows


def audit_actions() -> list[str]:
    """Every action name the log holds, for the filter's select."""
    found = db.session.execute(sa.select(ModerationAction.action).distinct()).scalars().all()
    return sorted({value(a) for a in found} | {"approve", "reject", "hide", "dismiss", "suspend", "silence"})


def since_label(when: datetime | None) -> str:
    """``3 days``, ``5 months``: how long an account has existed."""
    if when is None:
        return "unknown"
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    days = (utcnow() - when).days
    if days < 1:
        return "today"
    if days < 60:
        return f"{days} day{'s' if days != 1 else ''}"
    if days < 730:
        return f"{days // 30} months"
    return f"{days // 365} years"
