"""Top-level commands: ``flask --app wsgi seed-demo``."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import with_appcontext

from . import demo


@click.command("seed-demo")
@with_appcontext
@click.option("--if-empty", is_flag=True,
              help="Do nothing (and succeed) when the database already has accounts.")
@click.option("--seed", default=20240501, show_default=True, help="Random seed for votes and dates.")
def seed_demo(if_empty: bool, seed: int) -> None:
    """Fill an empty database with the demo community (Teamslot support)."""
    try:
        empty = demo.is_empty()
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
        raise click.ClickException(
            "The database has no tables yet: run `flask --app wsgi db upgrade` first.") from exc
    if not empty:
        if if_empty:
            click.echo("The database already has accounts; no demo data added.")
            return
        raise click.ClickException(
            "The database already has accounts. The demo only goes into an empty database.")
    click.echo("Creating the demo community (a few seconds)...")
    made = demo.seed(seed=seed)
    click.echo(
        f"Demo community created: {made.users} people, {made.categories} categories, "
        f"{made.threads} threads, {made.answers} answers ({made.accepted} accepted), {made.votes} votes, "
        f"{made.articles} knowledge-base articles.\n"
        f"Log in as demo-admin, demo-staff, demo-mod or any member (emma.johansson, priya.nair, ...) "
        f"with the password {demo.DEMO_PASSWORD!r}."
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(seed_demo)
