"""The demo community: a support forum for Teamslot, a fictional scheduling product.

Everything is built through the real services (``register``, ``update_profile``,
``save_category``, ``ask``, ``post_answer``, ``edit_post``, ``cast_vote``,
``accept_answer``), so the demo passes the same validation, permissions, events and
jobs as real use, and whatever listens to the forum's events sees a believable
history. The people, categories and threads live in ``demo.toml`` beside this module.

Services stamp every row "now": a forum whose threads were all asked in the same
second looks abandoned. So once everything exists, :func:`_backdate` spreads the
timestamps over the past weeks with direct UPDATEs, keeping the order of things
within each thread (question, answers, edits and the accept, votes after the post).

The result is deterministic for a given ``seed`` and ``now``.
"""
from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .accounts import services as accounts
from .db import utcnow, write_transaction
from .extensions import db
from .models import Category, Post, PostRevision, Role, Tag, Thread, User, Vote, thread_tags
from .permissions import can
from .threads import services as threads

#: Every demo account's password; the README lists the accounts.
DEMO_PASSWORD = "demo-password"
CONTENT = Path(__file__).with_name("demo.toml")
#: Threads are spread over this many days before ``now``.
SPAN_DAYS = 42


@dataclass
class Summary:
    users: int = 0
    categories: int = 0
    threads: int = 0
    answers: int = 0
    votes: int = 0
    accepted: int = 0
    edits: int = 0


def is_empty() -> bool:
    """True when nobody has an account yet: the only state the demo is added to."""
    return db.session.execute(sa.select(User.id).limit(1)).first() is None


def load_content() -> dict[str, Any]:
    return tomllib.loads(CONTENT.read_text(encoding="utf-8"))


class _Clock:
    """Collects the timestamps the demo should have had, to write them at the end."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng, self.now = rng, now
        self.users: dict[int, datetime] = {}
        self.threads: dict[int, tuple[datetime, datetime]] = {}
        self.posts: dict[int, datetime] = {}
        self.edits: dict[int, datetime] = {}
        self.votes: dict[tuple[int, int], datetime] = {}

    def ago(self, low_days: float, high_days: float) -> datetime:
        return self.now - timedelta(days=self.rng.uniform(low_days, high_days))

    def recent(self) -> datetime:
        """A moment in the last ``SPAN_DAYS``, more often lately, as on a living forum."""
        return self.now - timedelta(days=max(0.02, SPAN_DAYS * self.rng.random() ** 1.6))

    def after(self, moment: datetime, *, share: tuple[float, float] = (0.03, 0.35)) -> datetime:
        """A moment after ``moment``: a random share of the time left until now, so
        every thread's events stay in order and in the past."""
        return moment + (self.now - moment) * self.rng.uniform(*share)


def seed(*, seed: int = 20240501, now: datetime | None = None) -> Summary:
    """Create the demo community in an empty database and return what was made."""
    data = load_content()
    rng = random.Random(seed)
    clock = _Clock(rng, now or utcnow())
    summary = Summary()

    people = _people(data, clock, summary)
    admin = next(u for u in people.values() if u.role == Role.ADMIN)
    categories = {}
    for position, spec in enumerate(data["categories"]):
        categories[spec["name"]] = threads.save_category(
            by=admin, name=spec["name"], description=spec["description"], position=position)
    summary.categories = len(categories)

    # Ids read once: every commit expires the users, and reloading sixteen of them
    # for each post only to skip its author would be most of the seed's queries.
    voters = [(user.id, user) for user in people.values()]
    for spec in data["threads"]:
        _thread(spec, people, categories, voters, clock, summary)
    _backdate(clock)
    return summary


def _people(data: dict[str, Any], clock: _Clock, summary: Summary) -> dict[str, User]:
    people: dict[str, User] = {}
    for spec in data["staff"] + data["members"]:
        user = accounts.register(
            username=spec["username"], email=f"{spec['username']}@example.com", password=DEMO_PASSWORD,
            display_name=spec["display_name"], role=Role(spec.get("role", "member")))
        user = accounts.update_profile(user, by=user, display_name=spec["display_name"], about=spec["about"])
        people[user.username] = user
        # Staff were there from the start; members joined before the first thread.
        clock.users[user.id] = clock.ago(155, 200) if spec.get("role") else clock.ago(SPAN_DAYS + 3, 140)
    summary.users = len(people)
    return people


def _thread(spec: dict[str, Any], people: dict[str, User], categories: dict[str, Category],
            voters: list[tuple[int, User]], clock: _Clock, summary: Summary) -> None:
    asker = people[spec["author"]]
    thread = threads.ask(author=asker, title=spec["title"], body=spec["body"],
                         category_id=categories[spec["category"]].id, tags=spec.get("tags", []))
    question = db.session.get(Post, thread.question_id)
    start = clock.recent()
    clock.posts[question.id] = start
    moments = [start]
    summary.threads += 1

    if "edit" in spec:
        moments.append(_edit(question, spec["edit"], people, clock, after=start, default=asker))
        summary.edits += 1

    answers = []
    previous = start
    for answer_spec in spec.get("answers", []):
        answer = threads.post_answer(thread, author=people[answer_spec["author"]], body=answer_spec["body"])
        previous = clock.after(previous)
        clock.posts[answer.id] = previous
        moments.append(previous)
        if "edit" in answer_spec:
            moments.append(_edit(answer, answer_spec["edit"], people, clock, after=previous,
                                 default=answer.author))
            summary.edits += 1
        answers.append(answer)
    summary.answers += len(answers)

    accepted = spec.get("accepted")
    for index, post in enumerate([question, *answers], start=0):
        summary.votes += _votes(post, voters, clock, boost=3 if index and index == accepted else 0)
    if accepted:
        threads.accept_answer(answers[accepted - 1], by=asker)
        moments.append(clock.after(clock.posts[answers[accepted - 1].id], share=(0.02, 0.2)))
        summary.accepted += 1
    clock.threads[thread.id] = (start, max(moments))


def _edit(post: Post, spec: dict[str, Any], people: dict[str, User], clock: _Clock, *,
          after: datetime, default: User) -> datetime:
    editor = people[spec["by"]] if "by" in spec else default
    threads.edit_post(post, by=editor, body=post.body + spec.get("append", ""), tags=spec.get("tags"),
                      reason=spec.get("reason", ""))
    moment = clock.after(after, share=(0.01, 0.15))
    clock.edits[post.id] = moment
    return moment


def _votes(post: Post, voters: list[tuple[int, User]], clock: _Clock, *, boost: int) -> int:
    """Upvote ``post`` from a few people, now and then a downvote on an answer."""
    rng = clock.rng
    others = [user for user_id, user in voters if user_id != post.author_id]
    ups = rng.choice([0, 1, 1, 2, 2, 3, 4, 5]) + boost
    chosen = rng.sample(others, min(ups + 1, len(others)))
    plan = [(u, 1) for u in chosen[:ups]]
    if not post.is_question and not boost and rng.random() < 0.2:
        plan.append((chosen[-1], -1))
    cast = 0
    for voter, value in plan:
        # Privileges may rise as the reputation rules grow; the demo only does what's allowed.
        if can(voter, "post.vote_up" if value > 0 else "post.vote_down", post):
            threads.cast_vote(post, by=voter, value=value)
            clock.votes[(voter.id, post.id)] = clock.after(clock.posts[post.id], share=(0.01, 0.9))
            cast += 1
    return cast


def _backdate(clock: _Clock) -> None:
    """Write the collected timestamps over the "now" the services stamped."""
    revisions = db.session.execute(sa.select(PostRevision.id, PostRevision.post_id, PostRevision.number)).all()
    votes = db.session.execute(sa.select(Vote.id, Vote.user_id, Vote.post_id)).all()
    launch = clock.now - timedelta(days=150)  # after the staff joined, before the members
    with write_transaction():
        db.session.execute(sa.update(User), [{"id": i, "created_at": t} for i, t in clock.users.items()])
        db.session.execute(sa.update(Category).values(created_at=launch))
        db.session.execute(sa.update(Thread), [{"id": i, "created_at": c, "last_activity_at": a}
                                               for i, (c, a) in clock.threads.items()])
        db.session.execute(sa.update(Post), [{"id": i, "created_at": t} for i, t in clock.posts.items()])
        if clock.edits:
            db.session.execute(sa.update(Post), [{"id": i, "edited_at": t} for i, t in clock.edits.items()])
        db.session.execute(sa.update(PostRevision), [
            {"id": r.id, "created_at": clock.posts[r.post_id] if r.number == 1 else clock.edits[r.post_id]}
            for r in revisions])
        db.session.execute(sa.update(Vote), [
            {"id": v.id, "created_at": clock.votes[(v.user_id, v.post_id)],
             "updated_at": clock.votes[(v.user_id, v.post_id)]} for v in votes])
        first_use = (sa.select(sa.func.min(Thread.created_at))
                     .join(thread_tags, thread_tags.c.thread_id == Thread.id)
                     .where(thread_tags.c.tag_id == Tag.id).scalar_subquery())
        db.session.execute(sa.update(Tag).values(created_at=sa.func.coalesce(first_use, Tag.created_at)))
