"""``flask --app wsgi reputation rebuild | check | serial-votes``: keep the ledger honest.

``check`` lists users whose cached reputation differs from their ledger and exits 1
if any do; ``rebuild`` sets every cache from its ledger; ``serial-votes`` finds one
person upvoting another many times in a short window and, with ``--apply``,
reverses the reputation those votes paid (``serial_voting.reversed`` rows).
"""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from forum.db import write_transaction
from forum.extensions import db
from forum.models import User

from . import services

reputation_cli = AppGroup("reputation", help="Check and repair reputation.")


@reputation_cli.command("check")
def check_command() -> None:
    """List users whose reputation differs from their ledger; exit 1 if any."""
    drift = services.drift()
    for item in drift:
        click.echo(f"{item.username} (#{item.user_id}): cached {item.cached}, ledger {item.ledger}")
    if drift:
        click.echo(f"{len(drift)} user(s) differ from their ledger; run `flask reputation rebuild`.")
        raise SystemExit(1)
    click.echo("Every reputation matches its ledger.")


@reputation_cli.command("rebuild")
def rebuild_command() -> None:
    """Recompute every user's reputation from the ledger."""
    with write_transaction():
        changed = services.rebuild()
    for item in changed:
        click.echo(f"{item.username} (#{item.user_id}): {item.cached} -> {item.ledger}")
    click.echo(f"Rebuilt reputation: {len(changed)} user(s) changed.")


@reputation_cli.command("serial-votes")
@click.option("--hours", type=click.FloatRange(min=0, min_open=True), default=24.0, show_default=True,
              help="Window to look back over.")
@click.option("--min-votes", type=click.IntRange(min=2), default=5, show_default=True,
              help="Upvotes from one person to another within the window that count as serial.")
@click.option("--apply", "apply_", is_flag=True, help="Reverse what the serial votes paid.")
def serial_votes_command(hours: float, min_votes: int, apply_: bool) -> None:
    """Find serial upvoting and, with --apply, reverse the reputation it paid."""
    found = services.find_serial_votes(hours=hours, min_votes=min_votes)
    names = dict(db.session.execute(db.select(User.id, User.username)).all()) if found else {}
    for item in found:
        click.echo(f"{names.get(item.voter_id)} -> {names.get(item.author_id)}: {len(item.award_ids)} upvotes")
    if not found:
        click.echo("No serial voting found.")
        return
    if not apply_:
        click.echo(f"{len(found)} pair(s) found; run again with --apply to reverse them.")
        return
    with write_transaction():
        # Found again inside the write transaction, so nothing reversed meanwhile is counted.
        rows = services.reverse_serial_votes(services.find_serial_votes(hours=hours, min_votes=min_votes))
    click.echo(f"Reversed {len(rows)} award(s), {-sum(r.delta for r in rows)} reputation in all.")


def init_app(app: Flask) -> None:
    app.cli.add_command(reputation_cli)
