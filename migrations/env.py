"""Alembic environment for ``flask --app wsgi db ...`` (Flask-Migrate).

The app's engine and metadata come from the running app, so ``FORUM_DATABASE_URL``
picks the database. Two choices matter for the migrations this writes:

- Types that wrap another (``forum.models.UTCDateTime``) are rendered as the type
  they wrap, so a migration never imports application code and keeps working when
  that code moves.
- On SQLite, foreign keys are switched off while migrating: batch mode copies and
  drops tables, and with enforcement on a drop would cascade into the rows that
  point at them.
"""
import logging
from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

config = context.config

# Tests migrate inside pytest, whose log capture a fresh logging config would replace.
if config.config_file_name is not None and not current_app.testing:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_engine():
    return target_db.engine


def get_metadata():
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


config.set_main_option(
    "sqlalchemy.url", get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
)


def render_item(type_, obj, autogen_context):
    """Render a ``TypeDecorator`` as its underlying type (``sa.DateTime(timezone=True)``)."""
    if type_ == "type" and isinstance(obj, sa.types.TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_migrations_offline():
    """Emit SQL for ``flask db upgrade --sql`` without connecting."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=get_metadata(),
        literal_binds=True,
        render_item=render_item,
        **current_app.extensions["migrate"].configure_args,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    """Migrate the app's database over one connection."""

    def process_revision_directives(context, revision, directives):
        # ``db migrate`` with no model changes writes no empty revision.
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("render_item", render_item)

    with get_engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A PRAGMA is ignored inside a transaction, so it goes straight to the
            # driver (in autocommit mode, see forum.db) before the first one begins.
            connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if sqlite:
                connection.rollback()
                connection.connection.dbapi_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
