"""``flask --app wsgi posts rerender``: render every post's Markdown again.

Posts store their HTML, rendered when written; when the sanitiser's rules change,
this command brings the stored HTML up to date. Sources and revisions are left
alone: only ``body_html`` changes, and only where the new rendering differs.
"""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from ..db import write_transaction
from ..extensions import db
from ..markup import render
from ..models import Post

posts_cli = AppGroup("posts", help="Maintain posts.")


def rerender_posts(batch_size: int = 500) -> tuple[int, int]:
    """Re-render all posts in id order, one transaction per batch; return (seen, changed).

    Batches keep memory flat and let the site keep writing between them; walking by
    id (not OFFSET) means a post created meanwhile is neither skipped nor seen twice.
    """
    seen = changed = 0
    last_id = 0
    while True:
        rows = db.session.execute(
            sa.select(Post.id, Post.body, Post.body_html).where(Post.id > last_id).order_by(Post.id).limit(batch_size)
        ).all()
        db.session.rollback()  # end the read so the write transaction starts fresh
        if not rows:
            return seen, changed
        updates = [{"pid": ident, "src": body, "html": html} for ident, body, old in rows
                   if (html := render(body)) != old]
        if updates:
            # Only where the source is still what was rendered: an edit made meanwhile wins.
            stmt = (sa.update(Post.__table__)
                    .where(Post.__table__.c.id == sa.bindparam("pid"), Post.__table__.c.body == sa.bindparam("src"))
                    .values(body_html=sa.bindparam("html")))
            with write_transaction():
                db.session.execute(stmt, updates)
        seen += len(rows)
        changed += len(updates)
        last_id = rows[-1].id


@posts_cli.command("rerender")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 10_000),
              help="Posts per transaction.")
def rerender_command(batch_size: int) -> None:
    """Render every post's Markdown again with the current sanitiser rules."""
    seen, changed = rerender_posts(batch_size)
    click.echo(f"Re-rendered {seen} posts; {changed} changed.")


def init_app(app: Flask) -> None:
    app.cli.add_command(posts_cli)
