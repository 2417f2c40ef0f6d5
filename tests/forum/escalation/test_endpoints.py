"""Endpoints: what addresses they may have, private addresses refused at every
attempt, and secret rotation with both signatures during the overlap."""
from __future__ import annotations

from datetime import timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from forum.db import utcnow
from forum.errors import Forbidden, Invalid
from forum.escalation import endpoints, services, webhooks
from forum.escalation.models import Endpoint, MessageStatus
from forum.extensions import db

from tests.forum.escalation.conftest import attempts, drain, messages


@pytest.mark.parametrize("url, problem", [
    ("", "Enter the address"),
    ("ftp://desk.example.com/hooks", "http:// or https://"),
    ("desk.example.com/hooks", "http:// or https://"),
    ("https:///hooks", "host name"),
    ("https://agent:secret@desk.example.com/hooks", "credentials"),
    ("https://desk.example.com:99999/hooks", "port"),
    ("https://desk.example.com:0/hooks", "port"),
    ("https://desk.example.com:abc/hooks", "port"),
    ("https://desk.example.com/ho oks", "spaces"),
    ("https://desk.example.com/hooks#top", "fragment"),
    ("https://desk.example.com/" + "a" * 500, "500 characters"),
    ("http://127.0.0.1:8080/hooks", "private, loopback or link-local"),
    ("http://localhost/hooks", "private, loopback or link-local"),
    ("http://10.1.2.3/hooks", "private, loopback or link-local"),
    ("http://169.254.169.254/latest/meta-data", "private, loopback or link-local"),
    ("http://[::1]:9000/hooks", "private, loopback or link-local"),
    ("http://[::ffff:192.168.0.1]/hooks", "private, loopback or link-local"),
    ("http://0.0.0.0/hooks", "private, loopback or link-local"),
])
def test_bad_addresses_are_refused_with_a_clear_message(ectx, people, url, problem):
    with pytest.raises(Invalid) as info:
        endpoints.add_endpoint(by=people.ada, url=url)
    assert problem in info.value.errors["url"]


def test_good_addresses_and_private_ones_when_allowed(ectx, people):
    ep, secret = endpoints.add_endpoint(by=people.ada, url="https://desk.example.com:8443/api/v2/tickets?x=1")
    assert secret.startswith("whsec_") and webhooks.valid_secret(secret) and ep.secret == secret
    inside, _ = endpoints.add_endpoint(by=people.ada, url="http://10.1.2.3/hooks", allow_private=True)
    assert inside.allow_private
    # Turning the permission off while the address is private is refused.
    with pytest.raises(Invalid) as info:
        endpoints.update_endpoint(inside, by=people.ada, allow_private=False)
    assert "private" in info.value.errors["url"]
    with pytest.raises(Invalid) as info:
        endpoints.update_endpoint(ep, by=people.ada, url="gopher://x")
    assert "http:// or https://" in info.value.errors["url"]
    assert db.session.get(Endpoint, ep.id).url == "https://desk.example.com:8443/api/v2/tickets?x=1"


def test_other_fields_are_checked(ectx, people):
    with pytest.raises(Invalid) as info:
        endpoints.add_endpoint(by=people.ada, url="https://desk.example.com/", secret="hunter2", fmt="xml",
                               event_types=["thread.deleted"], description="d" * 201, credentials="c" * 301)
    assert set(info.value.errors) == {"secret", "format", "event_types", "description", "credentials"}
    with pytest.raises(Forbidden):
        endpoints.add_endpoint(by=people.maya, url="https://desk.example.com/")


def test_a_private_address_is_refused_at_every_attempt_unless_allowed(ectx, people, endpoint, receiver):
    # The admin withdrew the permission after adding it (the row, as an older version left it).
    db.session.get(Endpoint, endpoint.id).allow_private = False
    db.session.commit()
    services.escalate(people.thread, by=people.maya)
    drain()
    assert receiver.received == []
    (message,) = messages()
    log = attempts(message.id)
    assert len(log) == 10 and message.status == MessageStatus.DEAD
    for attempt in log:
        assert attempt.status_code is None
        assert attempt.error.startswith("refused: 127.0.0.1 resolves to a private, loopback or link-local address")
        assert "allow private addresses" in attempt.error


def test_a_host_name_resolving_to_a_private_address_is_refused():
    with pytest.raises(webhooks.Refused, match="private"):
        webhooks.resolve("http://localhost:9/hooks", allow_private=False)
    assert webhooks.resolve("http://localhost:9/hooks", allow_private=True) in ("127.0.0.1", "::1")
    outcome = webhooks.post("http://localhost:9/hooks", "{}", {}, allow_private=False, connect_timeout=1,
                            total_timeout=1)
    assert outcome.status_code is None and "private" in outcome.error


def test_after_a_rotation_both_secrets_sign_until_the_overlap_ends(ectx, people, endpoint, receiver):
    old = receiver.secret
    rotated, new = endpoints.rotate_secret(endpoint, by=people.ada)
    assert new != old and rotated.previous_secret == old
    hours = (rotated.previous_until - utcnow()).total_seconds() / 3600
    assert 23.9 < hours <= 24

    services.escalate(people.thread, by=people.maya)
    drain()
    (during,) = receiver.received
    signatures = during.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    for secret in (old, new):  # the receiver may be on either secret
        Webhook(secret).verify(during.body, during.headers, json_parse=False)

    db.session.get(Endpoint, endpoint.id).previous_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    endpoints.send_test(db.session.get(Endpoint, endpoint.id), by=people.ada)
    drain()
    after = receiver.received[1]
    assert after.json["type"] == "webhook.test" and len(after.headers["webhook-signature"].split(" ")) == 1
    Webhook(new).verify(after.body, after.headers, json_parse=False)
    with pytest.raises(Exception):
        Webhook(old).verify(after.body, after.headers, json_parse=False)
    assert not after.verified  # the receiver still on the old secret refuses it


def test_a_rotation_with_a_bad_secret_is_refused(ectx, people, endpoint):
    with pytest.raises(Invalid):
        endpoints.rotate_secret(endpoint, by=people.ada, secret="whsec_short")
    with pytest.raises(Forbidden):
        endpoints.rotate_secret(endpoint, by=people.maya)
