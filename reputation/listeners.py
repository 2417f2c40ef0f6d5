"""Turn the forum's facts into ledger rows, in the forum's own transaction.

Every listener is idempotent by state: it awards only what does not already stand
and reverses only what does, so an event delivered twice changes nothing.

What undoes what:

* a retracted or changed vote reverses its award (``answer.voted_up.undone``, ...)
  and the downvoter's cost; a change then awards the new direction;
* an unaccept (also the first half of a switch, and deleting the accepted answer)
  reverses ``answer.accepted`` and ``accept.given``;
* a deleted post gives back everything it still earned (``post.deleted``): its
  author's vote awards and penalties, and the downvoters' costs, as Stack Exchange
  refunds them. A deleted question takes back its own votes, not its answers'.
"""
from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from forum import events
from forum.extensions import db

from . import badges
from .models import ReputationEvent
from .rules import rules
from .services import award, from_source, lock_users, reverse


def _vote_reasons(is_question: bool, value: int) -> tuple[str, int]:
    kind = "question" if is_question else "answer"
    if value > 0:
        return f"{kind}.voted_up", rules()[f"{kind}_voted_up"]
    return f"{kind}.voted_down", rules()["voted_down"]


def on_vote(event: events.VoteCast) -> None:
    source = f"vote:{event.voter_id}:{event.post_id}"
    voter_pays = not event.is_question and -1 in (event.old, event.new)
    lock_users(event.post_author_id, event.voter_id if voter_pays else None)
    if event.old:
        reason, _ = _vote_reasons(event.is_question, event.old)
        reverse(event.post_author_id, from_source(source, reason), actor_id=event.voter_id)
        if event.old < 0 and not event.is_question:
            reverse(event.voter_id, from_source(source, "vote.cast_down"), actor_id=event.voter_id)
    if event.new:
        reason, points = _vote_reasons(event.is_question, event.new)
        where = dict(post_id=event.post_id, thread_id=event.thread_id, vote_id=event.vote_id,
                     actor_id=event.voter_id)
        award(event.post_author_id, reason, points, source, **where)
        if event.new < 0 and not event.is_question:
            award(event.voter_id, "vote.cast_down", rules()["downvoter_cost_answer"], source, **where)
    badges.on_vote(event)


def on_accept(event: events.AnswerAccepted) -> None:
    # Accepting your own answer earns nothing, on either side.
    if event.answer_author_id != event.asker_id:
        source = f"accept:{event.post_id}"
        where = dict(post_id=event.post_id, thread_id=event.thread_id, actor_id=event.by_id)
        asker_accepted = event.by_id == event.asker_id
        lock_users(event.answer_author_id, event.asker_id if asker_accepted else None)
        award(event.answer_author_id, "answer.accepted", rules()["answer_accepted"], source, **where)
        # The +2 thanks the asker for closing the loop; a moderator accepting earns them nothing.
        if asker_accepted:
            award(event.asker_id, "accept.given", rules()["accept_given"], source, **where)
    badges.on_accept(event)


def on_unaccept(event: events.AnswerUnaccepted) -> None:
    source = f"accept:{event.post_id}"
    lock_users(event.answer_author_id, event.asker_id)
    reverse(event.answer_author_id, from_source(source, "answer.accepted"), actor_id=event.by_id)
    reverse(event.asker_id, from_source(source, "accept.given"), actor_id=event.by_id)


def on_delete(event: events.PostDeleted) -> None:
    users = set(db.session.execute(
        sa.select(ReputationEvent.user_id).where(ReputationEvent.post_id == event.post_id,
                                                 ReputationEvent.reverses_id.is_(None))).scalars())
    lock_users(*users)
    for user_id in sorted(users):
        reverse(user_id, lambda row: row.post_id == event.post_id and row.source_key.startswith("vote:"),
                reason="post.deleted", actor_id=event.by_id)


def on_post_created(event: events.PostCreated) -> None:
    badges.on_post_created(event)


def on_article_published(event: events.ArticlePublished) -> None:
    """The answerer whose answer became an article earns ``kb_promoted`` points and the
    Author badge, once per article; staff promoting or publishing their own answer
    earn nothing."""
    user_id = event.credited_user_id
    if user_id is None or event.source_post_id is None or user_id in (event.by_id, event.author_id):
        return
    lock_users(user_id)
    award(user_id, "answer.promoted", rules()["kb_promoted"], f"kb:{event.article_id}",
          post_id=event.source_post_id, actor_id=event.by_id)
    badges.give(user_id, "kb_promoted", post_id=event.source_post_id)


def register(app: Flask) -> None:
    events.listen(app, events.ArticlePublished, on_article_published)
    events.listen(app, events.VoteCast, on_vote)
    events.listen(app, events.AnswerAccepted, on_accept)
    events.listen(app, events.AnswerUnaccepted, on_unaccept)
    events.listen(app, events.PostDeleted, on_delete)
    events.listen(app, events.PostCreated, on_post_created)
