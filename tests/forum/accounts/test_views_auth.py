from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.accounts import services
from forum.db import utcnow
from forum.extensions import db
from forum.models import User
from tests import factories as f
from tests.conftest import csrf_token

from .helpers import flashes, is_logged_in

GOOD = {"username": "carol", "email": "carol@example.com", "display_name": "Carol K",
        "password": f.PASSWORD, "confirm_password": f.PASSWORD}
OFFSITE = ["https://evil.example/", "//evil.example/x", "/\\evil.example", "\\\\evil.example",
           "javascript:alert(1)", "/\t/evil.example", "http:/evil.example", "evil.example", ""]


def test_register_page_shows_the_form(client):
    html = client.get("/register").text
    for name in ("username", "email", "display_name", "password", "confirm_password"):
        assert f'name="{name}"' in html


def test_register_creates_the_account_and_logs_in(app, client):
    response = client.post("/register", data=GOOD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert flashes(client) == ["Welcome, Carol K! Your account is ready. We sent a link to carol@example.com "
                               "to confirm the address."]
    assert is_logged_in(client)
    with app.app_context():
        assert services.authenticate("carol@example.com", f.PASSWORD).display_name == "Carol K"


def test_register_keeps_what_was_typed_and_explains_each_problem(app, client, alice):
    response = client.post("/register", data={**GOOD, "username": "ALICE", "email": "bad",
                                              "confirm_password": "something else"})
    assert response.status_code == 400
    html = response.text
    assert 'value="ALICE"' in html and 'value="bad"' in html and 'value="Carol K"' in html
    assert f.PASSWORD not in html and "something else" not in html
    for message in ("That username is taken.", "Enter a valid e-mail address.", "The two passwords do not match."):
        assert message in html
    assert 'id="e-confirm_password"' in html and 'aria-invalid="true"' in html
    assert not is_logged_in(client)
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 1


def test_register_with_an_empty_form_is_a_form_error_not_a_crash(client):
    response = client.post("/register", data={})
    assert response.status_code == 400
    assert "form-errors" in response.text


def test_register_follows_a_local_next(client):
    response = client.post("/register?next=/settings", data=GOOD)
    assert response.headers["Location"] == "/settings"


@pytest.mark.parametrize("target", OFFSITE)
def test_register_refuses_an_offsite_next(client, target):
    response = client.post("/register", data={**GOOD, "next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_login_page_carries_next_into_the_form(client):
    html = client.get("/login?next=/t/5%3Fx%3D1").text
    assert 'name="next" value="/t/5?x=1"' in html


def test_login_page_drops_an_offsite_next(client):
    assert 'name="next"' not in client.get("/login?next=https://evil.example/").text


@pytest.mark.parametrize("login", ["alice", "Alice", "alice@example.com"])
def test_login_by_username_or_email(client, alice, login):
    response = client.post("/login", data={"login": login, "password": f.PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert flashes(client) == ["Welcome back, Alice Liddell."]
    assert is_logged_in(client)


def test_login_follows_a_local_next(client, alice):
    response = client.post("/login", data={"login": "alice", "password": f.PASSWORD, "next": "/u/alice?tab=answers"})
    assert response.headers["Location"] == "/u/alice?tab=answers"


@pytest.mark.parametrize("target", OFFSITE)
def test_login_refuses_an_offsite_next(client, alice, target):
    response = client.post(f"/login?next={target}", data={"login": "alice", "password": f.PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_login_error_does_not_reveal_whether_the_account_exists(client, alice):
    wrong_password = client.post("/login", data={"login": "alice", "password": "not her password"})
    no_account = client.post("/login", data={"login": "mallory", "password": "not her password"})
    assert wrong_password.status_code == no_account.status_code == 400
    message = "That username or e-mail and password do not match."
    assert message in wrong_password.text and message in no_account.text
    assert 'value="alice"' in wrong_password.text and 'value="mallory"' in no_account.text
    assert "not her password" not in wrong_password.text
    assert not is_logged_in(client)


def test_remember_me_cookie_is_set_only_when_asked(app, alice):
    forgetful, remembering = app.test_client(), app.test_client()
    forgetful.post("/login", data={"login": "alice", "password": f.PASSWORD})
    remembering.post("/login", data={"login": "alice", "password": f.PASSWORD, "remember": "1"})
    assert forgetful.get_cookie("remember_token") is None
    cookie = remembering.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only


def test_remember_me_keeps_the_browser_logged_in_without_the_session(client, alice):
    client.post("/login", data={"login": "alice", "password": f.PASSWORD, "remember": "1"})
    client.delete_cookie("session")
    assert is_logged_in(client)


def test_suspended_users_can_log_in_and_are_told(app, client, alice):
    with app.app_context():
        db.session.get(User, alice).suspended_until = utcnow() + timedelta(days=3)
        db.session.commit()
    client.post("/login", data={"login": "alice", "password": f.PASSWORD})
    assert any("Your account is suspended until" in message for message in flashes(client))
    assert is_logged_in(client)


def test_logged_in_users_skip_the_login_and_register_pages(logged_in):
    assert logged_in.get("/login").headers["Location"] == "/"
    assert logged_in.get("/register?next=/settings").headers["Location"] == "/settings"


def test_logout_needs_a_post(logged_in):
    assert logged_in.get("/logout").status_code == 405
    assert is_logged_in(logged_in)
    response = logged_in.post("/logout")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert not is_logged_in(logged_in)


def test_logout_forgets_the_remember_me_cookie(client, auth, alice):
    client.post("/login", data={"login": "alice", "password": f.PASSWORD, "remember": "1"})
    auth.logout()
    client.delete_cookie("session")
    assert not is_logged_in(client)


def test_pages_needing_a_login_send_people_there_and_back(client, alice):
    response = client.get("/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/settings")
    login = client.post(response.headers["Location"], data={"login": "alice", "password": f.PASSWORD})
    assert login.headers["Location"].startswith("/settings")


def test_logout_is_csrf_protected(make_app, alice):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token(client.get("/login").text)
    assert client.post("/login", data={"login": "alice", "password": f.PASSWORD}).status_code == 400
    client.post("/login", data={"login": "alice", "password": f.PASSWORD, "csrf_token": token})
    assert is_logged_in(client)
    assert client.post("/logout").status_code == 400
    assert is_logged_in(client)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert not is_logged_in(client)


@pytest.mark.parametrize(("path", "data"), [
    ("/register", {**GOOD, "email": "c\x00c@example.com"}),
    ("/register", {**GOOD, "username": "c\x00c", "display_name": "C\x00"}),
    ("/login", {"login": "al\x00ice", "password": f.PASSWORD}),
])
def test_nul_characters_are_a_form_error_not_a_crash(client, alice, path, data):
    assert client.post(path, data=data).status_code == 400
    assert client.get("/u/al%00ice").status_code == 404
