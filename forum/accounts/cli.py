"""``flask --app wsgi users create|token|role``: operator commands."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from ..errors import Invalid
from ..models import Role
from . import services

users = AppGroup("users", help="Manage accounts.")
ROLES = [r.value for r in Role]


@users.command("create")
@click.argument("username")
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
@click.option("--display-name", default="")
def create(username: str, email: str, password: str, role: str, display_name: str) -> None:
    """Create an account with the given role."""
    try:
        user = services.register(username=username, email=email, password=password,
                                 display_name=display_name, role=Role(role))
    except Invalid as exc:
        for field, message in exc.errors.items():
            click.echo(f"{field}: {message}", err=True)
        raise SystemExit(1)
    click.echo(f"created {user.username} ({user.role.value})")


@users.command("token")
@click.argument("username")
@click.option("--name", default="CLI token", show_default=True, help="A label to tell tokens apart.")
def token(username: str, name: str) -> None:
    """Print a new personal API token for USERNAME (shown once, stored hashed)."""
    user = services.get_user(username)
    if user is None:
        click.echo(f"no user named {username!r}", err=True)
        raise SystemExit(1)
    _, plain = services.create_token(user, name=name)
    click.echo(plain)


@users.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
def set_role(username: str, role: str) -> None:
    """Change USERNAME's role."""
    user = services.get_user(username)
    if user is None:
        click.echo(f"no user named {username!r}", err=True)
        raise SystemExit(1)
    services.set_role(user, Role(role))
    click.echo(f"{user.username} is now {role}")


def init_app(app: Flask) -> None:
    app.cli.add_command(users)
