"""``flask webhooks ...`` and ``flask escalation sweep``: what they print, what they
change, and clear refusals (never a traceback) for bad input."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.db import utcnow
from forum.escalation import endpoints, services
from forum.escalation.models import Endpoint, Escalation, Format, Message, MessageStatus, Trigger
from forum.escalation.webhooks import new_secret
from forum.extensions import db
from forum.models import Thread
from tests.forum.escalation.conftest import community, drain


@pytest.fixture
def cli(esc_app, ectx):
    runner = esc_app.test_cli_runner()

    def run(*args: str, code: int = 0):
        result = runner.invoke(args=list(args))
        assert result.exit_code == code, (result.output, result.exception)
        if code:
            assert "Traceback" not in result.output
        db.session.expire_all()
        return result.output

    return run


def _endpoint(ident: int) -> Endpoint:
    return db.session.get(Endpoint, ident)


def test_add_prints_the_id_and_a_new_secret_once(cli):
    out = cli("webhooks", "add", "https://desk.example.com/hooks")
    ident = int(re.search(r"endpoint (\d+)", out).group(1))
    secret = re.search(r"(whsec_\S+)", out).group(1)
    endpoint = _endpoint(ident)
    assert endpoint.secret == secret and endpoint.format == Format.STANDARD
    assert endpoint.event_types == ["thread.escalated"] and not endpoint.allow_private
    assert secret not in cli("webhooks", "list")


def test_add_with_every_option(cli):
    secret = new_secret()
    out = cli("webhooks", "add", "https://acme.zendesk.com/api/v2/tickets", "--secret", secret, "--format", "zendesk",
              "--allow-private", "--personal-data", "--event", "thread.escalated", "--event", "webhook.test",
              "--credentials", "agent@acme.example/token:abc123", "--description", "Acme's Zendesk")
    assert secret not in out, "a secret the admin typed is not echoed back"
    endpoint = db.session.execute(sa.select(Endpoint)).scalar_one()
    assert endpoint.format == Format.ZENDESK and endpoint.allow_private and endpoint.personal_data
    assert endpoint.event_types == ["thread.escalated", "webhook.test"]
    assert endpoint.credentials == "agent@acme.example/token:abc123"
    listing = cli("webhooks", "list")
    assert "abc123" not in listing and secret not in listing
    assert "[zendesk] active" in listing and "credentials set" in listing and "Acme's Zendesk" in listing


def test_a_private_address_needs_allow_private(cli):
    assert "--allow-private" in cli("webhooks", "add", "http://127.0.0.1:9/hooks", code=2)
    assert "--allow-private" in cli("webhooks", "add", "http://localhost/hooks", code=2)
    out = cli("webhooks", "add", "http://10.0.0.5/hooks", "--allow-private")
    assert _endpoint(int(re.search(r"endpoint (\d+)", out).group(1))).allow_private


@pytest.mark.parametrize(("args", "says"), [
    (["ftp://desk.example.com/x"], "http"),
    (["https://user:pw@desk.example.com/x"], "credentials"),
    (["https://desk.example.com:99999/x"], "port"),
    (["not a url"], "spaces"),
    (["https://desk.example.com/x#frag"], "fragment"),
    (["https://desk.example.com/x", "--secret", "hunter2"], "whsec_"),
    (["https://desk.example.com/x", "--secret", "whsec_!!!!"], "whsec_"),
    (["https://desk.example.com/x", "--format", "jira"], "jira"),
    (["https://desk.example.com/x", "--event", "thread.created"], "thread.created"),
    (["https://desk.example.com/x", "--credentials", "x" * 400], "300"),
    ([], "Missing argument"),
])
def test_add_refuses_bad_input_with_usage_errors(cli, args, says):
    out = cli("webhooks", "add", *args, code=2)
    assert says in out
    assert db.session.execute(sa.select(sa.func.count()).select_from(Endpoint)).scalar_one() == 0


def test_list_shows_state_events_and_the_last_delivery(cli, receiver):
    assert "No webhook endpoints" in cli("webhooks", "list")
    c = community()
    endpoint, _ = endpoints.add_endpoint(by=None, url=receiver.url, secret=receiver.secret, allow_private=True)
    receiver.respond = lambda req: (503, {"error": "maintenance"}, {})
    services.escalate(c.thread, by=c.alice)
    for _ in range(10):
        drain()
    out = cli("webhooks", "list")
    assert f"{endpoint.id}  {receiver.url}  [standard] active" in out
    assert "events: thread.escalated; private addresses allowed" in out
    assert "last delivery: HTTP 503 at" in out and "0 delivered, 0 pending, 1 dead" in out
    receiver.respond = lambda req: (200, {}, {})
    endpoints.send_test(endpoint, by=c.ada)
    drain()
    out = cli("webhooks", "list")
    assert "last delivery: HTTP 200 at" in out and "1 delivered, 0 pending, 1 dead" in out


def test_disable_and_enable(cli):
    endpoint, _ = endpoints.add_endpoint(by=None, url="https://desk.example.com/hooks")
    assert "disabled" in cli("webhooks", "disable", str(endpoint.id))
    assert not _endpoint(endpoint.id).active
    assert "disabled" in cli("webhooks", "list") and "by an admin" in cli("webhooks", "list")
    assert "enabled" in cli("webhooks", "enable", str(endpoint.id))
    assert _endpoint(endpoint.id).active and not _endpoint(endpoint.id).disabled_at


@pytest.mark.parametrize("command", ["disable", "enable", "rotate-secret", "test"])
@pytest.mark.parametrize(("ident", "says"), [("999", "No webhook endpoint"), ("abc", "not a valid integer"),
                                             (str(2**70), "No webhook endpoint"), ("-1", "No webhook endpoint"),
                                             ("2147483648", "No webhook endpoint")])
def test_unknown_endpoints_are_usage_errors(cli, command, ident, says):
    assert says in cli("webhooks", command, "--", ident, code=2)


def test_rotate_prints_the_new_secret_once_and_how_long_the_old_one_signs(cli, esc_app):
    endpoint, old = endpoints.add_endpoint(by=None, url="https://desk.example.com/hooks")
    out = cli("webhooks", "rotate-secret", str(endpoint.id))
    new = re.search(r"(whsec_\S+)", out).group(1)
    rotated = _endpoint(endpoint.id)
    assert rotated.secret == new and rotated.previous_secret == old and new != old
    hours = esc_app.config["WEBHOOK_ROTATION_HOURS"]
    assert abs((rotated.previous_until - utcnow()) - timedelta(hours=hours)) < timedelta(minutes=1)
    assert f"{rotated.previous_until:%Y-%m-%d %H:%M}" in out
    assert "previous secret still signs until" in cli("webhooks", "list")
    chosen = new_secret()
    out = cli("webhooks", "rotate-secret", str(endpoint.id), "--secret", chosen)
    assert _endpoint(endpoint.id).secret == chosen and _endpoint(endpoint.id).previous_secret == new
    assert "--secret" in cli("webhooks", "rotate-secret", str(endpoint.id), "--secret", "nope", code=2)
    assert _endpoint(endpoint.id).secret == chosen


def test_test_queues_a_test_event_that_the_worker_delivers(cli, receiver):
    community()
    endpoint, _ = endpoints.add_endpoint(by=None, url=receiver.url, secret=receiver.secret, allow_private=True)
    out = cli("webhooks", "test", str(endpoint.id))
    assert "Queued test message msg_" in out
    drain()
    (request,) = receiver.received
    assert request.verified and request.json["type"] == "webhook.test"
    assert request.json["data"]["sent_by"] == "ada"
    assert "maya" in cli("webhooks", "test", str(endpoint.id), "--by", "maya", code=2)
    assert "nobody" in cli("webhooks", "test", str(endpoint.id), "--by", "nobody", code=2)


def test_test_needs_an_admin_account(cli):
    endpoint, _ = endpoints.add_endpoint(by=None, url="https://desk.example.com/hooks")
    assert "no admin account" in cli("webhooks", "test", str(endpoint.id), code=1)


def test_replay_queues_dead_messages_since_a_time(cli, receiver):
    c = community()
    endpoint, _ = endpoints.add_endpoint(by=None, url=receiver.url, secret=receiver.secret, allow_private=True)
    receiver.script(*[500] * 10)
    services.escalate(c.thread, by=c.alice)
    for _ in range(10):
        drain()
    message = db.session.execute(sa.select(Message)).scalar_one()
    assert message.status == MessageStatus.DEAD
    since = (utcnow() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "Queued 0 dead messages" in cli("webhooks", "replay", "--since", "2999-01-01")
    assert "Queued 1 dead message since" in cli("webhooks", "replay", "--since", since,
                                                 "--endpoint", str(endpoint.id))
    drain()
    db.session.refresh(message)
    assert message.status == MessageStatus.DELIVERED and len(receiver.received) == 11
    assert len({r.webhook_id for r in receiver.received}) == 1


@pytest.mark.parametrize(("args", "code", "says"), [
    (["--since", "last tuesday"], 2, "ISO 8601"),
    (["--since", "2024-13-45"], 2, "ISO 8601"),
    ([], 2, "--since"),
    (["--since", "2024-05-01", "--endpoint", "77"], 2, "No webhook endpoint"),
    (["--since", "2024-05-01", "--endpoint", str(2**62)], 2, "No webhook endpoint"),
    (["--since", "2024-05-01", "--endpoint", "x"], 2, "not a valid integer"),
])
def test_replay_refuses_bad_input(cli, args, code, says):
    community()
    assert says in cli("webhooks", "replay", *args, code=code)


def test_replay_refuses_a_disabled_endpoint(cli):
    community()
    endpoint, _ = endpoints.add_endpoint(by=None, url="https://desk.example.com/hooks")
    endpoints.enable(endpoint, by=None, active=False)
    assert "enable it first" in cli("webhooks", "replay", "--since", "2024-05-01", "--endpoint",
                                    str(endpoint.id), code=1)


def test_sweep_runs_once_and_prints_counts(cli, esc_app):
    c = community()
    assert cli("escalation", "sweep") == "0 last calls sent, 0 threads escalated.\n"
    thread = db.session.get(Thread, c.thread.id)
    thread.created_at = utcnow() - timedelta(hours=esc_app.config["ESCALATE_AFTER_HOURS"] + 1)
    db.session.commit()
    assert cli("escalation", "sweep") == "1 last call sent, 0 threads escalated.\n"
    from forum.escalation.models import LastCall

    db.session.get(LastCall, c.thread.id).due_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert cli("escalation", "sweep") == "0 last calls sent, 1 thread escalated.\n"
    escalation = db.session.execute(sa.select(Escalation)).scalar_one()
    assert escalation.trigger == Trigger.AUTO and escalation.thread_id == c.thread.id


def test_sweep_says_when_automatic_escalation_is_off(make_app):
    app = make_app(ESCALATE_AFTER_HOURS=0)
    result = app.test_cli_runner().invoke(args=["escalation", "sweep"])
    assert result.exit_code == 0 and "off" in result.output
