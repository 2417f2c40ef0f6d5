"""The forum application: one factory, every package bound through ``init_app``.

``forum`` owns the core (accounts, threads, votes, accepted answers, events, jobs,
API). It never imports ``moderation``, ``reputation`` or ``search``: they import it,
listen to its events and register their jobs, blueprints and commands when
:func:`create_app` calls their ``init_app``.
"""
from __future__ import annotations

import importlib
import os
from typing import Any

from flask import Flask

from . import config as config_module

#: Packages that plug into the forum; each exposes ``init_app(app)``.
PLUGINS = ("reputation", "moderation", "search")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build and configure an app. ``test_config`` overrides everything else."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("FORUM_INSTANCE_PATH") or os.path.join(ROOT, "instance"),
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    settings = config_module.load(app.instance_path, test_config)
    app.config.update(settings)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings["DATABASE_URL"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings["SECURE_COOKIES"],
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings["SECURE_COOKIES"],
        REMEMBER_COOKIE_DURATION=settings["REMEMBER_SECONDS"],
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=settings["MAX_CONTENT_LENGTH"],
    )

    from . import accounts, api, cli, escalation, events, hooks, jobs, kb, notifications, ratelimit, threads, web
    from .db import setup_engine
    from .extensions import csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    with app.app_context():
        setup_engine(db.engine)

    events.init_app(app)
    web.init_app(app)
    hooks.init_app(app)
    ratelimit.init_app(app)
    accounts.init_app(app)
    threads.init_app(app)
    kb.init_app(app)
    escalation.init_app(app)
    notifications.init_app(app)
    api.init_app(app)
    cli.init_app(app)
    for name in PLUGINS:
        importlib.import_module(name).init_app(app)
    # Last, so every plugin's job handlers exist before an embedded worker starts.
    jobs.init_app(app)
    return app
