"""Feed the review queue from the forum's facts, in the forum's own transaction."""
from __future__ import annotations

from flask import Flask

from forum import events
from forum.extensions import db
from forum.models import Post, PostState

from . import services


def on_post_created(event: events.PostCreated) -> None:
    # The forum queued a new user's post; a moderator must see it.
    post = db.session.get(Post, event.post_id)
    if post is not None and post.state == PostState.QUEUED:
        services.enqueue(post, kind="queued", reason="New user's post")


def register(app: Flask) -> None:
    events.listen(app, events.PostCreated, on_post_created)
