"""Fixtures shared by every test: ``app``, ``client``, ``runner``, ``auth``, ``db``.

Each test gets a fresh database: a SQLite file in a temporary folder by default, or a
fresh schema in the PostgreSQL database named by ``TEST_DATABASE_URL``.
"""
from __future__ import annotations

import os
import re
import uuid

import pytest
import sqlalchemy as sa

from forum import create_app
from forum.extensions import db as _db

PG_URL = os.environ.get("TEST_DATABASE_URL", "")


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (temporary files)'}"


@pytest.fixture
def database_url(tmp_path):
    """A fresh, empty database for one test; dropped afterwards."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'test.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    engine.dispose()


@pytest.fixture
def make_app(tmp_path, database_url):
    """Build an app with extra config; the schema is created from the models."""
    apps = []

    def factory(**overrides):
        config = {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "test-secret",
            "DATA_DIR": str(tmp_path / "data"),
            "EMBEDDED_WORKER": False,
            "WTF_CSRF_ENABLED": False,
            # Tests vote as new accounts; the privilege tests pin their own thresholds.
            "PRIVILEGES": {"vote_up": 1, "vote_down": 1},
            # Posts go live at once; the moderation tests turn the new-user queue on.
            "NEW_USER_REVIEW_POSTS": 0,
        }
        config.update(overrides)
        if config["EMBEDDED_WORKER"]:
            # The worker thread starts inside create_app; build the schema first so
            # its claims never race the CREATE TABLEs for SQLite's write lock.
            schema_app = create_app(dict(config, EMBEDDED_WORKER=False))
            with schema_app.app_context():
                _db.create_all()
                _db.engine.dispose()
        app = create_app(config)
        with app.app_context():
            _db.create_all()
        apps.append(app)
        return app

    yield factory
    for app in apps:
        # An embedded worker must stop before its engine is disposed under it.
        stop = app.extensions.get("forum.worker_stop")
        if stop is not None:
            stop.set()
            thread = app.extensions.get("forum.worker_thread")
            if thread is not None:
                thread.join(timeout=10)
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()


@pytest.fixture(autouse=True)
def fast_passwords(request, monkeypatch):
    """Hash passwords with the cheapest Argon2 parameters (the real ones take ~0.4 s
    each). Tests about hashing itself opt out with ``@pytest.mark.real_password_hashing``."""
    if request.node.get_closest_marker("real_password_hashing"):
        return
    from argon2 import PasswordHasher

    from forum.accounts import services as accounts

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def ctx(app):
    """An app context for service-level tests."""
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, username="alice", password="correct horse battery"):
        return self._client.post("/login", data={"login": username, "password": password})

    def logout(self):
        return self._client.post("/logout")

    def login_as(self, user):
        """Log ``user`` in by writing the session directly, without the login page.

        ``user`` may come from an app context that has ended; it is loaded again."""
        with self._client.application.app_context():
            session_id = _db.session.get(type(user), sa.inspect(user).identity[0]).get_id()
        with self._client.session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True


@pytest.fixture
def auth(client):
    return AuthActions(client)


def csrf_token(html: str) -> str:
    """Pull the CSRF token out of a rendered form."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or \
        re.search(r'value="([^"]+)"[^>]*name="csrf_token"', html)
    assert match, "no csrf_token in the page"
    return match.group(1)
