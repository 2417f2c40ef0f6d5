"""The migrations build exactly the schema the models describe.

Runs on SQLite, and on PostgreSQL (in a fresh schema) when ``TEST_DATABASE_URL`` is set.
When a model changes without a migration, the first test prints the difference:
``flask --app wsgi db migrate -m "..."`` writes the missing one.
"""
from __future__ import annotations

from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from forum import ROOT, create_app
from forum.extensions import db

VERSIONS = Path(ROOT) / "migrations" / "versions"


@pytest.fixture
def bare_app(tmp_path, database_url):
    """An app on an empty database: no ``create_all``, only what migrations make."""
    app = create_app({
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "DATA_DIR": str(tmp_path / "data"),
        "EMBEDDED_WORKER": False,
    })
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _differences() -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _tables() -> set[str]:
    with db.engine.connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def test_upgrading_an_empty_database_gives_exactly_the_models_schema(bare_app):
    flask_migrate.upgrade()
    assert _differences() == []
    assert set(db.metadata.tables) | {"alembic_version"} == _tables()


def test_upgrade_records_the_head_revision_in_the_apps_own_schema(bare_app):
    flask_migrate.upgrade()
    with db.engine.connect() as conn:
        # On PostgreSQL the test database is a schema picked by search_path; the
        # version table must land there, not in ``public``.
        assert "alembic_version" in sa.inspect(conn).get_table_names()
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
    assert version == ScriptDirectory(str(VERSIONS.parent)).get_current_head()


def test_downgrading_to_base_removes_every_table(bare_app):
    flask_migrate.upgrade()
    flask_migrate.downgrade(revision="base")
    assert _tables() <= {"alembic_version"}
    # And back up again: the downgrade left nothing behind that blocks a new upgrade.
    flask_migrate.upgrade()
    assert _differences() == []


def test_migrations_do_not_import_application_code():
    files = list(VERSIONS.glob("*.py"))
    assert files, "no migrations found"
    for path in files:
        text = path.read_text()
        assert "import forum" not in text and "from forum" not in text, path.name
