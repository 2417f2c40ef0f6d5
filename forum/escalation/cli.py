"""``flask --app wsgi webhooks add|list|disable|enable|rotate-secret|test|replay`` and
``flask --app wsgi escalation sweep``.

The command line is trusted like an admin: it manages endpoints directly
(``by=None``). Sending a test event and replaying dead messages are recorded under an
admin account (``--by``, or the oldest admin), as the pages record them. A secret is
printed once, when it is made; ``list`` never shows secrets or credentials.
"""
from __future__ import annotations

from datetime import UTC, datetime

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup

from ..db import utcnow
from ..errors import Invalid, NotFound
from ..extensions import db
from ..models import Role, User
from . import delivery, endpoints, queries, services
from .models import Attempt, Endpoint, Format, Message

webhooks_group = AppGroup("webhooks", help="Webhook endpoints that receive escalated threads.")
escalation_group = AppGroup("escalation", help="Escalating threads to the help desk.")

#: Which option each service field comes from, for error messages.
PARAMS = {"url": "URL", "secret": "--secret", "format": "--format", "event_types": "--event",
          "description": "--description", "credentials": "--credentials"}


def _fail(exc: Invalid) -> click.BadParameter:
    field, message = next(iter(exc.errors.items()))
    if field == "url" and "private" in message:
        message += " (--allow-private)"
    rest = "".join(f"\n  {PARAMS.get(k, k)}: {v}" for k, v in list(exc.errors.items())[1:])
    return click.BadParameter(message + rest, param_hint=PARAMS.get(field, field))


def _endpoint(ident: int) -> Endpoint:
    try:
        return endpoints.get_endpoint(ident)
    except NotFound:
        raise click.BadParameter(f"No webhook endpoint has id {ident}; `flask --app wsgi webhooks list` "
                                 "shows them.", param_hint="ID") from None


def _admin(username: str | None) -> User:
    """The admin account a test event or a replay is recorded under."""
    q = sa.select(User).where(User.role == Role.ADMIN).order_by(User.id)
    if username:
        q = sa.select(User).where(User.username_key == username.strip().lower())
    user = db.session.execute(q.limit(1)).scalar_one_or_none()
    if user is None:
        if username:
            raise click.BadParameter(f"No account is called {username!r}.", param_hint="--by")
        raise click.ClickException("There is no admin account to record this under; create one first, or name "
                                   "one with --by.")
    if user.role != Role.ADMIN or user.is_suspended:
        raise click.BadParameter(f"{user.username} is not an active admin.", param_hint="--by")
    return user


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC") if value else "-"


# -- webhooks ----------------------------------------------------------------------------

@webhooks_group.command("add")
@click.argument("url")
@click.option("--secret", help="whsec_ followed by base64 (at least 24 bytes); a new one is made if left out.")
@click.option("--format", "fmt", type=click.Choice([f.value for f in Format]), default="standard",
              show_default=True, help="standard: Standard Webhooks JSON; zendesk: a Zendesk ticket request.")
@click.option("--allow-private", is_flag=True, help="Allow private, loopback and link-local addresses.")
@click.option("--personal-data", is_flag=True, help="Send the requester's e-mail address.")
@click.option("--event", "events", multiple=True, type=click.Choice(endpoints.EVENT_TYPES),
              help="An event type to send (repeat for several); thread.escalated if left out.")
@click.option("--credentials", default="", help="Zendesk: agent@example.com/token:API_TOKEN (HTTP Basic).")
@click.option("--description", default="", help="A note for the admins.")
def add_command(url: str, secret: str | None, fmt: str, allow_private: bool, personal_data: bool,
                events: tuple[str, ...], credentials: str, description: str) -> None:
    """Add an endpoint that receives escalated threads at URL."""
    try:
        endpoint, made = endpoints.add_endpoint(
            by=None, url=url, secret=secret, fmt=fmt, event_types=list(events) or None,
            personal_data=personal_data, allow_private=allow_private, description=description,
            credentials=credentials)
    except Invalid as exc:
        raise _fail(exc) from None
    click.echo(f"Added webhook endpoint {endpoint.id}: {endpoint.url} ({endpoint.format.value}, "
               f"{', '.join(endpoint.event_types)}).")
    if not secret:
        click.echo(f"Secret (shown once; give it to the receiver): {made}")


def _last_attempts() -> dict[int, Attempt]:
    """Each endpoint's latest attempt, in one query."""
    latest = (sa.select(sa.func.max(Attempt.id)).join(Message, Message.id == Attempt.message_id)
              .group_by(Message.endpoint_id).scalar_subquery())
    rows = db.session.execute(
        sa.select(Message.endpoint_id, Attempt).join(Message, Message.id == Attempt.message_id)
        .where(Attempt.id.in_(latest))).all()
    return {endpoint_id: attempt for endpoint_id, attempt in rows}


@webhooks_group.command("list")
def list_command() -> None:
    """Every endpoint with its last delivery (secrets are never shown)."""
    rows = queries.endpoints()
    if not rows:
        click.echo("No webhook endpoints. Add one with `flask --app wsgi webhooks add URL`.")
        return
    last, counts = _last_attempts(), queries.endpoint_counts()
    for e in rows:
        state = "active" if e.active else f"disabled {_when(e.disabled_at)}: {e.disabled_reason or 'by an admin'}"
        flags = [f for f, on in (("private addresses allowed", e.allow_private),
                                 ("personal data", e.personal_data), ("credentials set", bool(e.credentials))) if on]
        click.echo(f"{e.id}  {e.url}  [{e.format.value}] {state}")
        click.echo(f"    events: {', '.join(e.event_types) or 'all'}" + (f"; {'; '.join(flags)}" if flags else ""))
        if e.description:
            click.echo(f"    {e.description}")
        attempt = last.get(e.id)
        if attempt is None:
            outcome = "never attempted"
        else:
            result = f"HTTP {attempt.status_code}" if attempt.status_code is not None else "no response"
            outcome = f"{result} at {_when(attempt.started_at)}" + (f" ({attempt.error[:120]})" if attempt.error
                                                                    else "")
        n = counts.get(e.id, {})
        click.echo(f"    last delivery: {outcome}; messages: {n.get('delivered', 0)} delivered, "
                   f"{n.get('pending', 0)} pending, {n.get('dead', 0)} dead")
        if e.previous_secret and e.previous_until and e.previous_until > utcnow():
            click.echo(f"    previous secret still signs until {_when(e.previous_until)}")


@webhooks_group.command("disable")
@click.argument("ident", metavar="ID", type=int)
def disable_command(ident: int) -> None:
    """Stop sending to an endpoint (its pending messages die on their next attempt)."""
    endpoint = endpoints.enable(_endpoint(ident), by=None, active=False)
    click.echo(f"Endpoint {endpoint.id} is disabled.")


@webhooks_group.command("enable")
@click.argument("ident", metavar="ID", type=int)
def enable_command(ident: int) -> None:
    """Send to an endpoint again (replay what died meanwhile with `webhooks replay`)."""
    endpoint = endpoints.enable(_endpoint(ident), by=None, active=True)
    click.echo(f"Endpoint {endpoint.id} is enabled.")


@webhooks_group.command("rotate-secret")
@click.argument("ident", metavar="ID", type=int)
@click.option("--secret", help="The new secret; a new one is made if left out.")
def rotate_command(ident: int, secret: str | None) -> None:
    """Give an endpoint a new secret; the old one keeps signing for a while."""
    try:
        endpoint, made = endpoints.rotate_secret(_endpoint(ident), by=None, secret=secret)
    except Invalid as exc:
        raise _fail(exc) from None
    click.echo(f"New secret for endpoint {endpoint.id} (shown once): {made}")
    click.echo(f"Messages are signed with both secrets until {_when(endpoint.previous_until)}, and callbacks "
               "signed with either are accepted until then: switch the receiver before that.")


@webhooks_group.command("test")
@click.argument("ident", metavar="ID", type=int)
@click.option("--by", "username", help="The admin account it is sent as (default: the oldest admin).")
def test_command(ident: int, username: str | None) -> None:
    """Queue a webhook.test event to an endpoint; the worker sends it."""
    endpoint = _endpoint(ident)
    message = endpoints.send_test(endpoint, by=_admin(username))
    click.echo(f"Queued test message {message.id} to endpoint {endpoint.id}; "
               "`flask --app wsgi webhooks list` shows how it went.")


def _since(_ctx, _param, value: str) -> datetime:
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter("Use an ISO 8601 time, like 2024-05-01 or 2024-05-01T09:30:00Z.") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@webhooks_group.command("replay")
@click.option("--since", required=True, callback=_since, help="ISO 8601 time; UTC unless it names a zone.")
@click.option("--endpoint", "endpoint_id", type=int, help="Only this endpoint's messages.")
@click.option("--by", "username", help="The admin account it is recorded under (default: the oldest admin).")
def replay_command(since: datetime, endpoint_id: int | None, username: str | None) -> None:
    """Send every dead message created since a time again, under its webhook-id."""
    if endpoint_id is not None:
        endpoint = _endpoint(endpoint_id)
        if not endpoint.active:
            raise click.ClickException(f"Endpoint {endpoint.id} is disabled; enable it first.")
    n = delivery.replay_failed(by=_admin(username), since=since, endpoint_id=endpoint_id)
    click.echo(f"Queued {n} dead message{'s' if n != 1 else ''} since {_when(since)} again.")


# -- escalation ---------------------------------------------------------------------------

@escalation_group.command("sweep")
def sweep_command() -> None:
    """Send due last calls and escalate unsolved threads once, now."""
    from flask import current_app

    if float(current_app.config["ESCALATE_AFTER_HOURS"] or 0) <= 0:
        click.echo("Automatic escalation is off (FORUM_ESCALATE_AFTER_HOURS is 0).")
        return
    counts = services.sweep()
    click.echo(f"{counts['last_calls']} last call{'s' if counts['last_calls'] != 1 else ''} sent, "
               f"{counts['escalated']} thread{'s' if counts['escalated'] != 1 else ''} escalated.")


def init_app(app: Flask) -> None:
    app.cli.add_command(webhooks_group)
    app.cli.add_command(escalation_group)
