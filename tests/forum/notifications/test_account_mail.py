"""Account e-mail: a confirmation link on sign-up, and a reset link that works once."""
from __future__ import annotations

import re

import pytest

from forum.extensions import db
from forum.jobs import worker
from forum.models import User
from forum.notifications import mail
from tests import factories as f


@pytest.fixture
def mctx(make_app):
    app = make_app(MAIL_BACKEND="locmem", RATELIMIT_ENABLED=False)
    with app.app_context():
        yield app


def _link(message, path: str) -> str:
    found = re.search(rf"http://127\.0\.0\.1:5000(/{path}/[^\s\"<]+)", message.body)
    assert found, message.body
    return found.group(1)


def test_sign_up_sends_a_confirmation_link_that_confirms(mctx):
    c = mctx.test_client()
    r = c.post("/register", data={"username": "nora", "email": "nora@example.com", "password": "correct horse battery",
                                  "confirm_password": "correct horse battery"})
    assert r.status_code == 302
    worker.drain()
    (message,) = mail.outbox()
    assert message.to == ["nora@example.com"] and "Confirm" in message.subject
    assert "List-Unsubscribe" not in message.extra_headers
    path = _link(message, "confirm")
    assert c.get(path).status_code == 200
    assert db.session.query(User).filter_by(username="nora").one().email_confirmed_at is not None
    assert c.get(path[:-3] + "abc").status_code == 400


def test_forgot_password_answers_alike_and_the_link_works_once(mctx):
    f.user("nora")
    c = mctx.test_client()
    known = c.post("/forgot", data={"email": "nora@example.com"})
    unknown = c.post("/forgot", data={"email": "nobody@example.com"})
    strip = lambda r: r.get_data(as_text=True).replace("nora@example.com", "X").replace("nobody@example.com", "X")  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert re.sub(r'name="csrf_token" value="[^"]+"', "", strip(known)) == \
        re.sub(r'name="csrf_token" value="[^"]+"', "", strip(unknown))
    worker.drain()
    (message,) = mail.outbox()
    path = _link(message, "reset")
    assert c.get(path).status_code == 200
    bad = c.post(path, data={"new_password": "short", "confirm_password": "short"})
    assert bad.status_code == 400
    ok = c.post(path, data={"new_password": "a brand new passphrase", "confirm_password": "a brand new passphrase"})
    assert ok.status_code == 302
    reused = c.get(path)
    assert reused.status_code == 400 and "already used" in reused.get_data(as_text=True)
    tampered = c.get(path[:-2] + ("aa" if not path.endswith("aa") else "bb"))
    assert tampered.status_code == 400


def test_an_expired_reset_link_is_refused(mctx, monkeypatch):
    nora = f.user("nora")
    token = mail.reset_token(nora)
    monkeypatch.setattr(mail, "RESET_MAX_AGE", -1)
    with pytest.raises(mail.BadToken, match="expired"):
        mail.check_reset(token)
