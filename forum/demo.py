"""The demo community: a support forum for Teamslot, a fictional scheduling product.

Everything is built through the real services (``register``, ``update_profile``,
``save_category``, ``ask``, ``post_answer``, ``edit_post``, ``cast_vote``,
``accept_answer``), so the demo passes the same validation, permissions, events and
jobs as real use, and whatever listens to the forum's events (the reputation ledger,
badges) sees a believable history. The people, categories and threads live in
``demo.toml`` beside this module.

Three threads went to the help desk: the demo's endpoint (``helpdesk.example.com``,
never reachable) took two of them, its signed callbacks moved their tickets and
posted a reply, and an admin switched it off before the third, which waits for staff.
Its deliveries are recorded as the worker records them, so nothing is left for the
worker to send when the demo is served.

A forum whose threads were all asked in the same second looks abandoned, so the seed
plans a history over the past weeks and replays it in time order, each action under
:func:`forum.db.clock_at` its moment: every row is stamped when it "happened", and
privileges are earned as they would have been (early on only staff can vote; members
vote once accepted answers and upvotes have given them the reputation).

The result is deterministic for a given ``seed`` and ``now``.
"""
from __future__ import annotations

import json
import random
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

import sqlalchemy as sa
from flask import current_app

from .accounts import services as accounts
from .db import clock_at, utcnow, write_transaction
from .escalation import callbacks, delivery, endpoints, services as escalation, webhooks
from .escalation.models import Endpoint, Message
from .extensions import db
from .models import Category, Post, Role, User
from .permissions import can
from .kb import services as kb
from .threads import services as threads

#: Every demo account's password; the README lists the accounts.
DEMO_PASSWORD = "demo-password"
CONTENT = Path(__file__).with_name("demo.toml")
#: Threads are spread over this many days before ``now``.
SPAN_DAYS = 42
#: The demo's help desk: not a real address, and switched off during the history.
HELPDESK_URL = "https://helpdesk.example.com/hooks"
#: Settings that hold new members' posts for review, relaxed while the history replays.
_TRUSTED_HISTORY = {"NEW_USER_REVIEW_POSTS": 0, "SPAM_SCORE_THRESHOLD": 10**9}


@dataclass
class Summary:
    users: int = 0
    categories: int = 0
    threads: int = 0
    answers: int = 0
    votes: int = 0
    accepted: int = 0
    edits: int = 0
    articles: int = 0
    escalations: int = 0


def is_empty() -> bool:
    """True when nobody has an account yet: the only state the demo is added to."""
    return db.session.execute(sa.select(User.id).limit(1)).first() is None


def load_content() -> dict[str, Any]:
    return tomllib.loads(CONTENT.read_text(encoding="utf-8"))


class _Clock:
    """Picks the moments of the demo's history."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng, self.now = rng, now

    def ago(self, low_days: float, high_days: float) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(low_days, high_days))

    def recent(self) -> datetime:
        """A moment in the last ``SPAN_DAYS``, more often lately, as on a living forum."""
        return self.now - timedelta(days=max(0.02, SPAN_DAYS * self.rng.random() ** 1.6))

    def after(self, moment: datetime, *, share: tuple[float, float] = (0.03, 0.35)) -> datetime:
        """A moment after ``moment``: a random share of the time left until now, so
        every thread's events stay in order and in the past."""
        return moment + (self.now - moment) * self.rng.uniform(*share)


@dataclass(order=True)
class _Action:
    when: datetime
    seq: int
    run: Callable[[], None] = field(compare=False)


class _Plan:
    """The demo's history: actions with their moments, replayed in time order."""

    def __init__(self) -> None:
        self.actions: list[_Action] = []

    def at(self, when: datetime, run: Callable[[], None]) -> None:
        self.actions.append(_Action(when, len(self.actions), run))

    def replay(self) -> None:
        for action in sorted(self.actions):
            with clock_at(action.when):
                action.run()


def seed(*, seed: int = 20240501, now: datetime | None = None) -> Summary:
    """Create the demo community in an empty database and return what was made."""
    data = load_content()
    rng = random.Random(seed)
    clock = _Clock(rng, now or utcnow())
    summary = Summary()

    people = _people(data, clock, summary)
    admin = next(u for u in people.values() if u.role == Role.ADMIN)
    categories = {}
    with clock_at(clock.now - timedelta(days=150)):  # after the staff joined, before the members
        for position, spec in enumerate(data["categories"]):
            categories[spec["name"]] = threads.save_category(
                by=admin, name=spec["name"], description=spec["description"], position=position)
    summary.categories = len(categories)

    with clock_at(clock.now - timedelta(days=SPAN_DAYS + 2)):
        helpdesk, _secret = endpoints.add_endpoint(
            by=admin, url=HELPDESK_URL, description="Teamslot's help desk (demo: not a real address, switched off)")

    plan = _Plan()
    voters = list(people.values())
    escalated: list[tuple[dict[str, Any], dict[int, Post], datetime]] = []
    for spec in data["threads"]:
        _plan_thread(plan, spec, people, categories, voters, clock, summary, escalated)
    _plan_escalations(plan, escalated, people, admin, helpdesk.id, clock, summary)
    # The demo's members are established customers whose history predates the
    # new-user review rule and the spam checks: replay it without holding their posts.
    config = current_app.config
    saved = {key: config.get(key) for key in _TRUSTED_HISTORY}
    config.update(_TRUSTED_HISTORY)
    try:
        plan.replay()
    finally:
        config.update(saved)
    _settle(clock.now)
    return summary


def _settle(now: datetime) -> None:
    """History is history: nobody is e-mailed about it when the demo is first served,
    and only the last few days' notifications are still unread under the bell. Jobs
    whose work the replay already did (deliveries recorded as made) are dropped."""
    from .escalation.models import MessageStatus
    from .jobs.models import Job, JobStatus
    from .notifications.models import Notification

    with write_transaction():
        db.session.execute(sa.update(Notification).where(Notification.emailed_at.is_(None)).values(emailed_at=now))
        db.session.execute(sa.update(Notification).where(Notification.read_at.is_(None),
                                                         Notification.created_at < now - timedelta(days=3))
                           .values(read_at=now))
        db.session.execute(sa.delete(Job).where(Job.status == JobStatus.PENDING, Job.kind.in_(
            ("notify.email", "mail.account"))))
        done = set(db.session.execute(sa.select(Message.id).where(Message.status != MessageStatus.PENDING)).scalars())
        for job in db.session.execute(sa.select(Job).where(Job.status == JobStatus.PENDING,
                                                            Job.kind == "webhook.deliver")).scalars():
            if (job.payload or {}).get("message_id") in done:
                db.session.delete(job)


def _people(data: dict[str, Any], clock: _Clock, summary: Summary) -> dict[str, User]:
    people: dict[str, User] = {}
    for spec in data["staff"] + data["members"]:
        # Staff were there from the start; members joined before the first thread.
        joined = clock.ago(155, 200) if spec.get("role") else clock.ago(SPAN_DAYS + 3, 140)
        with clock_at(joined):
            user = accounts.register(
                username=spec["username"], email=f"{spec['username']}@example.com", password=DEMO_PASSWORD,
                display_name=spec["display_name"], role=Role(spec.get("role", "member")))
            user = accounts.update_profile(user, by=user, display_name=spec["display_name"], about=spec["about"])
        people[user.username] = user
    summary.users = len(people)
    return people


def _plan_thread(plan: _Plan, spec: dict[str, Any], people: dict[str, User], categories: dict[str, Category],
                 voters: list[User], clock: _Clock, summary: Summary,
                 escalated: list[tuple[dict[str, Any], dict[int, Post], datetime]]) -> None:
    """Schedule one thread's life: the question, edits, answers, votes, the accept;
    a thread that goes to the help desk is noted in ``escalated`` with its last answer's time."""
    asker = people[spec["author"]]
    posts: dict[int, Post] = {}  # 0 is the question, n the n-th answer, filled in as they happen

    def ask() -> None:
        thread = threads.ask(author=asker, title=spec["title"], body=spec["body"],
                             category_id=categories[spec["category"]].id, tags=spec.get("tags", []))
        posts[0] = db.session.get(Post, thread.question_id)
        summary.threads += 1

    start = clock.recent()
    plan.at(start, ask)
    if "edit" in spec:
        plan.at(clock.after(start, share=(0.01, 0.15)), _edit(posts, 0, spec["edit"], people, asker, summary))

    previous = start
    answer_times = {}
    for number, answer_spec in enumerate(spec.get("answers", []), start=1):
        previous = clock.after(previous)
        answer_times[number] = previous
        plan.at(previous, _answer(posts, number, answer_spec["body"], people[answer_spec["author"]], summary))
        if "edit" in answer_spec:
            plan.at(clock.after(previous, share=(0.01, 0.15)),
                    _edit(posts, number, answer_spec["edit"], people, people[answer_spec["author"]], summary))

    accepted = spec.get("accepted")
    if accepted:
        def accept() -> None:
            threads.accept_answer(posts[accepted], by=asker)
            summary.accepted += 1

        accepted_at = clock.after(answer_times[accepted], share=(0.02, 0.2))
        plan.at(accepted_at, accept)
        if "kb_summary" in spec:
            plan.at(clock.after(accepted_at, share=(0.05, 0.3)),
                    _promote(posts, accepted, spec["kb_summary"], people["demo-staff"], summary))

    if "escalation" in spec:
        escalated.append((spec, posts, max([start, *answer_times.values()])))

    authors = {0: asker, **{n: people[a["author"]] for n, a in enumerate(spec.get("answers", []), start=1)}}
    for number, when in [(0, start), *answer_times.items()]:
        _plan_votes(plan, posts, number, authors[number], when, voters, clock, summary,
                    boost=3 if number and number == accepted else 0)


def _promote(posts: dict[int, Post], number: int, kb_summary: str, staff: User, summary: Summary
             ) -> Callable[[], None]:
    """Staff turn the accepted answer into a published article with a written summary."""
    def run() -> None:
        draft = kb.promote(posts[number], by=staff)
        draft = kb.edit(draft, by=staff, title=draft.title, summary=kb_summary, body=draft.body,
                        category_id=draft.category_id, tags=[t.name for t in draft.tags],
                        reason="Summary written for the knowledge base")
        kb.publish(draft, by=staff)
        summary.articles += 1
    return run


def _answer(posts: dict[int, Post], number: int, body: str, author: User, summary: Summary) -> Callable[[], None]:
    def run() -> None:
        posts[number] = threads.post_answer(posts[0].thread, author=author, body=body)
        summary.answers += 1
    return run


def _edit(posts: dict[int, Post], number: int, spec: dict[str, Any], people: dict[str, User], default: User,
          summary: Summary) -> Callable[[], None]:
    editor = people[spec["by"]] if "by" in spec else default

    def run() -> None:
        post = posts[number]
        threads.edit_post(post, by=editor, body=post.body + spec.get("append", ""), tags=spec.get("tags"),
                          reason=spec.get("reason", ""))
        summary.edits += 1
    return run


def _plan_votes(plan: _Plan, posts: dict[int, Post], number: int, author: User, posted: datetime,
                voters: list[User], clock: _Clock, summary: Summary, *, boost: int) -> None:
    """Upvotes on a post from a few people over the following days, now and then a
    downvote on an answer. Each is cast only if the voter has earned the privilege
    by then, as on a real forum."""
    rng = clock.rng
    others = [user for user in voters if user.username != author.username]
    ups = rng.choice([1, 2, 2, 3, 3, 4, 5, 6]) + boost
    chosen = rng.sample(others, min(ups + 1, len(others)))
    ballot = [(u, 1) for u in chosen[:ups]]
    if number and not boost and rng.random() < 0.25:
        ballot.append((chosen[-1], -1))
    for voter, value in ballot:
        def vote(voter: User = voter, value: int = value) -> None:
            post = posts[number]
            if can(voter, "post.vote_up" if value > 0 else "post.vote_down", post):
                threads.cast_vote(post, by=voter, value=value)
                summary.votes += 1

        plan.at(clock.after(posted, share=(0.01, 0.9)), vote)


# -- escalations ------------------------------------------------------------------------

def _plan_escalations(plan: _Plan, escalated: list[tuple[dict[str, Any], dict[int, Post], datetime]],
                      people: dict[str, User], admin: User, helpdesk_id: int, clock: _Clock,
                      summary: Summary) -> None:
    """The help desk takes the first escalations (delivered, then its callbacks), an
    admin switches the endpoint off, and the rest wait for staff with no endpoint."""
    rng = clock.rng
    last = clock.now - timedelta(days=SPAN_DAYS)
    for spec, posts, ready in escalated:
        esc = spec["escalation"]
        if not esc.get("helpdesk", True):
            continue
        state: dict[str, int] = {}
        when = clock.after(ready, share=(0.1, 0.3))
        plan.at(when, _escalate(posts, esc, people, summary, state))
        when += timedelta(seconds=rng.uniform(2, 6))
        plan.at(when, _delivered(state, esc["ticket"], rng.randint(120, 600)))
        for number, update in enumerate(esc.get("callbacks", []), start=1):
            when = clock.after(when, share=(0.05, 0.3))
            plan.at(when, _ticket_update(state, helpdesk_id, esc["ticket"], update, number))
        last = max(last, when)
    switched_off = clock.after(last, share=(0.02, 0.1))
    plan.at(switched_off, lambda: endpoints.enable(db.session.get(Endpoint, helpdesk_id), by=admin, active=False))
    for spec, posts, ready in escalated:
        if not spec["escalation"].get("helpdesk", True):
            plan.at(clock.after(max(ready, switched_off), share=(0.1, 0.5)),
                    _escalate(posts, spec["escalation"], people, summary, {}))


def _escalate(posts: dict[int, Post], spec: dict[str, Any], people: dict[str, User], summary: Summary,
              state: dict[str, int]) -> Callable[[], None]:
    """"I still need help" from the asker, or "Escalate to support" from a moderator."""
    def run() -> None:
        state["id"] = escalation.escalate(posts[0].thread, by=people[spec["by"]], note=spec.get("note", "")).id
        summary.escalations += 1
    return run


def _delivered(state: dict[str, int], ticket: str, duration_ms: int) -> Callable[[], None]:
    """Record the help desk's 201 for each of the escalation's messages, as the worker
    records an attempt (the demo's help desk is not a real address)."""
    def run() -> None:
        answer = {"ticket_id": ticket, "ticket_url": f"https://helpdesk.example.com/tickets/{ticket}"}
        ids = db.session.execute(sa.select(Message.id).where(Message.escalation_id == state["id"])).scalars().all()
        for message_id in ids:
            with write_transaction():
                message = delivery._locked_message(message_id)
                now = utcnow()
                sent = webhooks.headers(message.endpoint.secrets(now), message.id, now, message.body)
                outcome = webhooks.Outcome(status_code=201, excerpt=json.dumps(answer), duration_ms=duration_ms,
                                           response_json=answer, request_headers=webhooks.redacted(sent))
                delivery._record(message, outcome, now)
    return run


def _ticket_update(state: dict[str, int], helpdesk_id: int, ticket: str, update: dict[str, Any],
                   number: int) -> Callable[[], None]:
    """The help desk's status callback, signed with the endpoint's secret and applied
    by the same service as ``POST /api/v1/escalations/callback``."""
    def run() -> None:
        endpoint = db.session.get(Endpoint, helpdesk_id)
        body = {"ticket_id": ticket, "status": update["status"],
                "updated_at": utcnow().isoformat().replace("+00:00", "Z")}
        if "agent" in update:
            body["agent"] = update["agent"]
        if "reply" in update:
            body["public_reply"] = update["reply"].strip()
        raw = json.dumps(body)
        # Signed now, in real time: the signature's five-minute window is the service's own clock.
        signed = webhooks.headers([endpoint.secret], f"demo_{state['id']}_{number}", datetime.now(UTC), raw)
        callbacks.callback(raw.encode(), signed, endpoint_id=endpoint.id)
    return run
