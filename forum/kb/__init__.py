"""The knowledge base: answer-first articles that staff write or promote from the
community's best answers, linked both ways with threads, with "did this answer your
question?" feedback and a list of articles due for review.

Part of the forum core: the search package indexes articles as a kind of its own,
the reputation package pays the answerer when their answer becomes an article, both
through ``forum.events`` (``ArticleChanged``, ``ArticlePublished``).
"""
from __future__ import annotations

from flask import Flask

from .. import events


def _sync(event) -> None:
    from .services import sync_links

    sync_links(event.post_id)


def init_app(app: Flask) -> None:
    from . import api, cards, views

    for event_type in (events.PostCreated, events.PostEdited, events.PostStateChanged, events.PostDeleted):
        events.listen(app, event_type, _sync)
    app.jinja_env.filters["rendered"] = cards.render_html
    views.init_app(app)
    api.init_app(app)
