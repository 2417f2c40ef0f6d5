"""Signed links: unsubscribe, reset and confirm refuse expired, tampered and reused
tokens with a 400 and a clear message, never a 500; an unsubscribe GET changes
nothing and the one-click POST (no CSRF token) does."""
from __future__ import annotations

import pytest

from forum.accounts.services import reset_password
from forum.db import write_transaction
from forum.extensions import db
from forum.models import User
from forum.notifications import mail, services
from forum.notifications.models import EmailMode
from tests import factories as f


@pytest.fixture
def tctx(make_app):
    # CSRF on, as in production: the one-click POST must work without a token.
    app = make_app(MAIL_BACKEND="locmem", RATELIMIT_ENABLED=False, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app


def tamper(token: str) -> str:
    return token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")


def page(response) -> str:
    return response.get_data(as_text=True)


def test_an_unsubscribe_get_only_asks_and_the_one_click_post_unsubscribes(tctx):
    alice = f.user("alice")
    token = mail.unsubscribe_token(alice, "answer")
    anon = tctx.test_client()
    assert anon.get(f"/unsubscribe/{token}").status_code == 200
    assert services.email_mode(alice.id, "answer") == EmailMode.INSTANT
    r = anon.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200
    assert services.email_mode(alice.id, "answer") == EmailMode.OFF
    assert services.email_mode(alice.id, "mention") == EmailMode.INSTANT
    # Again is harmless.
    assert anon.post(f"/unsubscribe/{token}").status_code == 200


def test_bad_unsubscribe_links_are_refused_clearly(tctx, monkeypatch):
    alice = f.user("alice")
    anon = tctx.test_client()
    token = mail.unsubscribe_token(alice, "*")
    for bad in (tamper(token), "not-a-token", "x" * 5000, mail.reset_token(alice)):
        for method in (anon.get, anon.post):
            r = method(f"/unsubscribe/{bad}")
            assert r.status_code == 400 and "This link is not valid." in page(r)
    monkeypatch.setattr(mail, "UNSUBSCRIBE_MAX_AGE", -1)
    r = anon.post(f"/unsubscribe/{token}")
    assert r.status_code == 400 and "expired" in page(r)
    assert services.email_mode(alice.id, "answer") == EmailMode.INSTANT


def test_an_unsubscribe_link_for_a_deleted_account_or_unknown_kind_is_refused(tctx):
    alice = f.user("alice")
    forged = mail._serializer("unsubscribe").dumps({"u": alice.id, "k": "no_such_kind"})
    ghost = mail._serializer("unsubscribe").dumps({"u": 10**9, "k": "*"})
    not_a_dict = mail._serializer("unsubscribe").dumps(["u", 1])
    anon = tctx.test_client()
    for bad in (forged, ghost, not_a_dict):
        assert anon.get(f"/unsubscribe/{bad}").status_code == 400


def test_a_reset_link_works_once_and_refuses_tampering_and_age(tctx, monkeypatch):
    nora = f.user("nora")
    token = mail.reset_token(nora)
    c = tctx.test_client()
    for bad in (tamper(token), mail.unsubscribe_token(nora), mail.confirm_token(nora)):
        r = c.get(f"/reset/{bad}")
        assert r.status_code == 400 and "not valid" in page(r)
    assert c.get(f"/reset/{token}").status_code == 200
    changed = reset_password(nora, "a brand new passphrase", "a brand new passphrase").password_hash
    r = c.get(f"/reset/{token}")
    assert r.status_code == 400 and "already used" in page(r)
    r = c.post(f"/reset/{token}", data={"new_password": "another one here", "confirm_password": "another one here"})
    assert r.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, nora.id).password_hash == changed
    monkeypatch.setattr(mail, "RESET_MAX_AGE", -1)
    r = c.get(f"/reset/{mail.reset_token(db.session.get(User, nora.id))}")
    assert r.status_code == 400 and "expired" in page(r)


def test_a_confirm_link_dies_when_the_address_changes(tctx, monkeypatch):
    nora = f.user("nora")
    old = mail.confirm_token(nora)
    with write_transaction():
        db.session.get(User, nora.id).email = "nora@new.example.com"
    c = tctx.test_client()
    r = c.get(f"/confirm/{old}")
    assert r.status_code == 400 and "no longer use" in page(r)
    assert db.session.get(User, nora.id).email_confirmed_at is None
    fresh = mail.confirm_token(db.session.get(User, nora.id))
    assert c.get(f"/confirm/{tamper(fresh)}").status_code == 400
    assert c.get(f"/confirm/{fresh}").status_code == 200
    # Confirming twice is fine, not an error.
    assert c.get(f"/confirm/{fresh}").status_code == 200
    monkeypatch.setattr(mail, "CONFIRM_MAX_AGE", -1)
    r = c.get(f"/confirm/{fresh}")
    assert r.status_code == 400 and "expired" in page(r)


def test_tokens_signed_with_another_secret_are_refused(tctx, make_app):
    nora = f.user("nora")
    token = mail.reset_token(nora)
    other = make_app(SECRET_KEY="another-secret", MAIL_BACKEND="locmem")
    with other.app_context():
        with pytest.raises(mail.BadToken):
            mail.check_reset(token)
