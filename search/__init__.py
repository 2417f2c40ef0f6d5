"""Search: the backends (Whoosh by default, PostgreSQL full-text), indexing, queries.

Listens to ``forum.events``: with Whoosh it enqueues index jobs in the same
transaction and the job worker is the index's only writer; with PostgreSQL the
documents are written inside that transaction. Results are keys hydrated from the
database in rank order and filtered again there. Other packages add kinds of
documents (the knowledge base's articles) with :func:`documents.register_kind` and
:func:`queries.register_kind`. Depends on ``forum``; ``forum`` never imports it.
"""
from __future__ import annotations

from flask import Flask

from forum import events


def init_app(app: Flask) -> None:
    """Attach search's backend, listeners, job handlers, pages, API and commands to ``app``."""
    from . import api, articles, backends, cli, documents, escalation, indexing, queries, web

    app.extensions["search"] = {"kinds": {}, "hydrators": {}}
    app.extensions["search"]["backend"] = backends.make(app)
    documents.register_kind(app, "thread", documents.thread_docs, documents.thread_ids)
    indexing.init_app(app)
    queries.init_app(app)
    articles.init_app(app)
    events.listen(app, events.ThreadCreated, lambda e: queries.record_asked(e.thread_id))
    web.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    escalation.init_app(app)
