"""Thread use cases. Each validates, authorizes through ``can()``, writes its rows,
emits its events and commits once; nothing outside the database happens here."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from .. import events
from ..db import Conflict, get_by_id, lock, utcnow, write_transaction
from ..errors import Invalid, NotFound, require
from ..extensions import db
from ..markup import outside_links, render
from ..permissions import can
from ..models import (Category, Post, PostRevision, PostState, Tag, Thread, ThreadStatus, User,
                      Vote, thread_tags)
from .validation import clean_text, clean_body, clean_tags, clean_title, slugify



def _category(category_id: object, errors: dict[str, str]) -> Category | None:
    try:
        return get_category(category_id)
    except NotFound:
        errors["category"] = "Choose a category."
        return None


def tag_rows(names: list[str]) -> list[Tag]:
    """The tags called ``names``, in that order, creating missing ones race-free."""
    if not names:
        return []
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(Tag).values([{"name": n, "description": "", "thread_count": 0, "created_at": utcnow()}
                            for n in names]).on_conflict_do_nothing(index_elements=["name"])
    )
    tags = list(db.session.execute(sa.select(Tag).where(Tag.name.in_(names))).scalars())
    return sorted(tags, key=lambda t: names.index(t.name))


def _attach_tags(thread: Thread, names: list[str]) -> None:
    """Set the thread's tags, creating missing ones race-free, and move the counts."""
    tags = tag_rows(names)
    old = {t.id for t in thread.tags}
    new = {t.id for t in tags}
    # Counts cover visible threads only; a queued or hidden thread's tags move when it shows.
    if old - new and thread.is_visible:
        db.session.execute(sa.update(Tag).where(Tag.id.in_(old - new)).values(thread_count=Tag.thread_count - 1))
    if new - old and thread.is_visible:
        db.session.execute(sa.update(Tag).where(Tag.id.in_(new - old)).values(thread_count=Tag.thread_count + 1))
    thread.tags = tags


def _check_links(user: User, html: str, *, before: str = "") -> None:
    """Refuse more than ``NEW_USER_MAX_LINKS`` links from someone without the
    ``post_links`` privilege; an edit is refused only if it adds links."""
    limit = current_app.config["NEW_USER_MAX_LINKS"]
    links, links_before = outside_links(html), outside_links(before)
    if links > limit and links > links_before and not (decision := can(user, "post.links")):
        raise Invalid({"body": f"Posts may hold at most {limit} links for now. {decision.reason}"})


def _refuse_identical(author: User, body: str, now, *, thread_id: int | None = None) -> None:
    """Refuse the text its author posted within ``IDENTICAL_POST_WINDOW`` seconds,
    on this thread (a double submit) or any other (the same post sprayed around)."""
    window = timedelta(seconds=current_app.config["IDENTICAL_POST_WINDOW"])
    twin = db.session.execute(sa.select(Post.thread_id).where(
        Post.author_id == author.id, Post.body == body, Post.created_at > now - window,
        Post.state != PostState.DELETED).limit(1)).scalar_one_or_none()
    if twin is None:
        return
    if twin == thread_id:
        raise Invalid({"body": "You just posted this answer; it is already on the thread."})
    minutes = max(1, round(window.total_seconds() / 60))
    raise Invalid({"body": "You posted this same text on another thread a moment ago. Write a reply for this "
                           f"thread, or wait {minutes} minutes before posting it again."})


def _revision(post: Post, *, by: User, reason: str = "") -> None:
    thread = post.thread
    db.session.add(PostRevision(
        post_id=post.id, number=post.revision_count, author_id=by.id, body=post.body, reason=reason[:300],
        title=thread.title if post.is_question else "",
        tags=" ".join(t.name for t in thread.tags) if post.is_question else "",
    ))


def _held_for_review(author: User) -> bool:
    """A new user's first ``NEW_USER_REVIEW_POSTS`` posts wait in the review queue
    until they have that many visible posts or the ``post_without_review`` privilege."""
    need = current_app.config["NEW_USER_REVIEW_POSTS"]
    if need <= 0 or can(author, "post.skip_review"):
        return False
    visible = db.session.execute(sa.select(sa.func.count()).select_from(Post).where(
        Post.author_id == author.id, Post.state == PostState.VISIBLE)).scalar_one()
    return visible < need


def ask(*, author: User, title: object, body: object, category_id: object, tags: object = None) -> Thread:
    """Open a thread with its question; a new user's question is queued for review."""
    require(author, "thread.create")
    errors: dict[str, str] = {}
    title = clean_title(title, errors)
    body = clean_body(body, errors)
    names = clean_tags(tags, errors)
    category = _category(category_id, errors)
    if errors:
        raise Invalid(errors)
    html = render(body)
    _check_links(author, html)
    with write_transaction():
        now = utcnow()
        _refuse_identical(author, body, now)
        state = PostState.QUEUED if _held_for_review(author) else PostState.VISIBLE
        thread = Thread(title=title, category_id=category.id, author_id=author.id, created_at=now,
                        last_activity_at=now, last_poster_id=author.id, state=state)
        db.session.add(thread)
        db.session.flush()
        post = Post(thread_id=thread.id, author_id=author.id, is_question=True, body=body, body_html=html,
                    created_at=now, state=state)
        db.session.add(post)
        db.session.flush()
        thread.question_id = post.id
        _attach_tags(thread, names)
        if state == PostState.VISIBLE:
            db.session.execute(sa.update(Category).where(Category.id == category.id)
                               .values(thread_count=Category.thread_count + 1))
        _revision(post, by=author)
        events.emit(events.ThreadCreated(thread_id=thread.id, question_id=post.id, author_id=author.id))
        events.emit(events.PostCreated(post_id=post.id, thread_id=thread.id, author_id=author.id, is_question=True))
    return thread


def post_answer(thread: Thread, *, author: User, body: object) -> Post:
    """Answer a thread; a new user's answer is queued for review."""
    require(author, "thread.answer", thread)
    errors: dict[str, str] = {}
    body = clean_body(body, errors)
    if errors:
        raise Invalid(errors)
    html = render(body)
    _check_links(author, html)
    with write_transaction():
        thread = lock(Thread, thread.id)
        _refuse_identical(author, body, utcnow(), thread_id=thread.id)
        state = PostState.QUEUED if _held_for_review(author) else PostState.VISIBLE
        return add_answer(thread, author=author, body=body, html=html, state=state)


def add_answer(thread: Thread, *, author: User, body: str, html: str, state: PostState) -> Post:
    """Inside a write transaction, with ``thread`` locked: add a checked answer, count
    it, and announce it (also how the help desk's reply joins an escalated thread)."""
    now = utcnow()
    post = Post(thread_id=thread.id, author_id=author.id, body=body, body_html=html, created_at=now, state=state)
    db.session.add(post)
    db.session.flush()
    if state == PostState.VISIBLE:
        # The count covers visible answers; a queued one counts once approved.
        db.session.execute(sa.update(Thread).where(Thread.id == thread.id).values(
            answer_count=Thread.answer_count + 1, last_activity_at=now, last_poster_id=author.id))
    _revision(post, by=author)
    events.emit(events.PostCreated(post_id=post.id, thread_id=thread.id, author_id=author.id, is_question=False))
    return post


def edit_post(post: Post, *, by: User, body: object, title: object = None, tags: object = None,
              category_id: object = None, reason: object = "") -> Post:
    """Change a post (and, for a question, its thread's title, tags and category),
    keeping the previous text as a revision anyone can read."""
    require(by, "post.edit", post)
    errors: dict[str, str] = {}
    body = clean_body(body, errors)
    reason = clean_text(reason) if isinstance(reason, str) else ""
    thread = post.thread
    if post.is_question:
        new_title = clean_title(thread.title if title is None else title, errors)
        names = clean_tags([t.name for t in thread.tags] if tags is None else tags, errors)
        category = _category(thread.category_id if category_id in (None, "") else category_id, errors)
    if errors:
        raise Invalid(errors)
    changed = body != post.body
    if post.is_question:
        changed = changed or new_title != thread.title or names != [t.name for t in thread.tags] \
            or category.id != thread.category_id
    if not changed:
        return post
    html = render(body)
    _check_links(by, html, before=post.body_html)
    with write_transaction():
        post = lock(Post, post.id)
        # Decided again on the locked row: it may have been deleted meanwhile.
        require(by, "post.edit", post)
        thread = post.thread
        now = utcnow()
        post.body, post.body_html = body, html
        post.edited_at, post.edited_by_id = now, by.id
        post.revision_count += 1
        if post.is_question:
            thread.title = new_title
            _attach_tags(thread, names)
            if category.id != thread.category_id and thread.is_visible:
                db.session.execute(sa.update(Category).where(Category.id == thread.category_id)
                                   .values(thread_count=Category.thread_count - 1))
                db.session.execute(sa.update(Category).where(Category.id == category.id)
                                   .values(thread_count=Category.thread_count + 1))
                thread.category_id = category.id
        thread.last_activity_at = now
        _revision(post, by=by, reason=reason.strip())
        events.emit(events.PostEdited(post_id=post.id, thread_id=thread.id, editor_id=by.id,
                                      revision=post.revision_count))
    return post


def delete_post(post: Post, *, by: User) -> Post:
    """Soft-delete a post. Deleting the accepted answer unaccepts it; deleting the
    question takes the thread out of every list."""
    require(by, "post.delete", post)
    with write_transaction():
        post = lock(Post, post.id)
        if post.is_deleted:
            # A double submit: the first request deleted it; counting it twice would
            # push the thread's answer count below the truth.
            return post
        thread = lock(Thread, post.thread_id)
        # Decided again on the locked rows: an answer may have arrived meanwhile.
        require(by, "post.delete", post)
        # Counts cover visible posts only: a hidden or queued one was never counted.
        was_visible = post.is_visible
        post.state = PostState.DELETED
        post.deleted_at = utcnow()
        if post.is_question:
            thread.state = PostState.DELETED
        if post.is_question and was_visible:
            db.session.execute(sa.update(Category).where(Category.id == thread.category_id)
                               .values(thread_count=Category.thread_count - 1))
            ids = [t.id for t in thread.tags]
            if ids:
                db.session.execute(sa.update(Tag).where(Tag.id.in_(ids)).values(thread_count=Tag.thread_count - 1))
        elif not post.is_question:
            if was_visible:
                thread.answer_count = Thread.answer_count - 1
            if thread.accepted_post_id == post.id:
                _unaccept(thread, post, by=by)
        events.emit(events.PostDeleted(post_id=post.id, thread_id=thread.id, author_id=post.author_id,
                                       by_id=by.id, is_question=post.is_question))
    return post


def cast_vote(post: Post, *, by: User, value: object) -> tuple[int, int]:
    """Set ``by``'s vote on ``post`` to 1, -1 or 0 (retract); return (score, vote).

    The score moves by an atomic ``UPDATE ... SET score = score + d``, and the unique
    (user, post) constraint settles a double submit: the loser retries once and then
    sees the winner's row."""
    if type(value) is not int or value not in (1, -1, 0):
        raise Invalid({"value": "A vote is 1 (up), -1 (down) or 0 (retract)."})
    require(by, {1: "post.vote_up", -1: "post.vote_down", 0: "post.unvote"}[value], post)
    for attempt in (1, 2):
        try:
            return _cast_vote(post, by=by, value=value)
        except Conflict:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _cast_vote(post: Post, *, by: User, value: int) -> tuple[int, int]:
    with write_transaction():
        vote = db.session.execute(
            sa.select(Vote).where(Vote.user_id == by.id, Vote.post_id == post.id).with_for_update()
        ).scalar_one_or_none()
        old = vote.value if vote else 0
        if old == value:
            score = db.session.execute(sa.select(Post.score).where(Post.id == post.id)).scalar_one()
            return score, value
        if vote is None:
            vote = Vote(user_id=by.id, post_id=post.id, value=value)
            db.session.add(vote)
            db.session.flush()
        elif value == 0:
            db.session.delete(vote)
        else:
            vote.value, vote.updated_at = value, utcnow()
        delta = value - old
        score = db.session.execute(
            sa.update(Post).where(Post.id == post.id).values(score=Post.score + delta).returning(Post.score)
        ).scalar_one()
        if post.is_question:
            db.session.execute(sa.update(Thread).where(Thread.id == post.thread_id)
                               .values(score=Thread.score + delta))
        events.emit(events.VoteCast(post_id=post.id, thread_id=post.thread_id, post_author_id=post.author_id,
                                    voter_id=by.id, is_question=post.is_question, old=old, new=value,
                                    vote_id=vote.id))
    return score, value


def accept_answer(answer: Post, *, by: User) -> Thread:
    """Mark ``answer`` as the solution, replacing any previous one, under a lock on
    the thread row so two racing accepts leave exactly one."""
    require(by, "post.accept", answer)
    with write_transaction():
        thread = lock(Thread, answer.thread_id)
        # Read again under the thread's lock: an answer deleted or hidden since the
        # check above must not become the solution. (Rows lock thread, then post.)
        answer = db.session.execute(sa.select(Post).where(Post.id == answer.id)
                                    .execution_options(populate_existing=True)).scalar_one()
        require(by, "post.accept", answer)
        previous = thread.accepted_post_id
        if previous == answer.id:
            return thread
        if previous is not None:
            _unaccept(thread, db.session.get(Post, previous), by=by)
        thread.accepted_post_id = answer.id
        if thread.status != ThreadStatus.CLOSED:
            thread.status = ThreadStatus.SOLVED
        thread.last_activity_at = utcnow()
        events.emit(events.AnswerAccepted(thread_id=thread.id, post_id=answer.id, answer_author_id=answer.author_id,
                                          asker_id=thread.author_id, by_id=by.id, previous_post_id=previous))
    return thread


def unaccept_answer(thread: Thread, *, by: User) -> Thread:
    """Withdraw the thread's accepted answer; the thread is open again."""
    if thread.accepted_post_id is None:
        raise NotFound()
    require(by, "post.accept", db.session.get(Post, thread.accepted_post_id))
    with write_transaction():
        thread = lock(Thread, thread.id)
        if thread.accepted_post_id is not None:
            _unaccept(thread, db.session.get(Post, thread.accepted_post_id), by=by)
    return thread


def _unaccept(thread: Thread, answer: Post, *, by: User) -> None:
    thread.accepted_post_id = None
    if thread.status == ThreadStatus.SOLVED:
        thread.status = ThreadStatus.OPEN
    events.emit(events.AnswerUnaccepted(thread_id=thread.id, post_id=answer.id, answer_author_id=answer.author_id,
                                        asker_id=thread.author_id, by_id=by.id))


def save_category(*, by: User, name: object, description: object = "", category: Category | None = None,
                  position: object = None, auto_escalate: bool | None = None) -> Category:
    """Create a category, or rename and describe an existing one (staff only).
    ``auto_escalate`` None keeps the current choice (new categories escalate)."""
    require(by, "category.manage")
    errors: dict[str, str] = {}
    name = " ".join(str(name or "").split())
    description = str(description or "").strip()
    if not 2 <= len(name) <= 60:
        errors["name"] = "Names are 2 to 60 characters."
    elif db.session.execute(sa.select(Category.id).where(
            sa.func.lower(Category.name) == name.lower(),
            Category.id != (category.id if category else -1))).first():
        errors["name"] = "There is already a category with that name."
    if len(description) > 1000:
        errors["description"] = "Keep the description under 1,000 characters."
    try:
        position = int(position) if position not in (None, "") else (category.position if category else 0)
    except (TypeError, ValueError):
        errors["position"] = "Position is a whole number."
    if errors:
        raise Invalid(errors)
    with write_transaction():
        if category is None:
            base = slugify(name)
            slug, n = base, 2
            while db.session.execute(sa.select(Category.id).where(Category.slug == slug)).first():
                slug, n = f"{base}-{n}", n + 1
            category = Category(slug=slug)
            db.session.add(category)
        else:
            category = db.session.get(Category, category.id)
        category.name, category.description, category.position = name, description, position
        if auto_escalate is not None:
            category.auto_escalate = bool(auto_escalate)
    return category


def _get(model, ident: object):
    """Load by id; anything that is not a plausible id is simply not found."""
    obj = get_by_id(model, ident)
    if obj is None:
        raise NotFound()
    return obj


def get_thread(thread_id: object) -> Thread:
    return _get(Thread, thread_id)


def get_post(post_id: object) -> Post:
    return _get(Post, post_id)


def get_category(category_id: object) -> Category:
    return _get(Category, category_id)


__all__ = ["accept_answer", "ask", "cast_vote", "delete_post", "edit_post", "get_post", "get_thread",
           "post_answer", "save_category", "thread_tags", "unaccept_answer"]
