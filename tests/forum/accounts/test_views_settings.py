import re

import pytest
import sqlalchemy as sa

from forum.accounts import services
from forum.extensions import db
from forum.models import ApiToken
from tests import factories as f
from tests.conftest import csrf_token

from .helpers import flashes, is_logged_in

NEW = "a much better passphrase"


def login(client, username="alice", password=f.PASSWORD, **extra):
    response = client.post("/login", data={"login": username, "password": password, **extra})
    assert response.status_code == 302
    return client


def test_settings_need_a_login(client):
    response = client.get("/settings")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", ["/settings/profile", "/settings/email", "/settings/password",
                                  "/settings/tokens", "/settings/tokens/1/revoke", "/settings/sessions/revoke"])
def test_settings_forms_need_a_login(client, path):
    response = client.post(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_settings_show_the_current_account(logged_in):
    html = logged_in.get("/settings").text
    assert 'value="Alice Liddell"' in html and 'value="alice@example.com"' in html
    for section in ("profile", "email", "password", "tokens", "sessions"):
        assert f'id="{section}"' in html


def test_profile_form_saves_and_redirects(app, logged_in):
    response = logged_in.post("/settings/profile", data={"display_name": "Alice L.", "about": "Hi.\nI fix printers."})
    assert response.status_code == 302 and response.headers["Location"] == "/settings#profile"
    assert "Your profile is saved." in flashes(logged_in)
    with app.app_context():
        user = services.get_user("alice")
        assert (user.display_name, user.about) == ("Alice L.", "Hi.\nI fix printers.")


def test_profile_form_keeps_what_was_typed_on_error(app, logged_in):
    response = logged_in.post("/settings/profile", data={"display_name": "x" * 61, "about": "My long story <b>"})
    assert response.status_code == 400
    assert f'value="{"x" * 61}"' in response.text and "My long story &lt;b&gt;</textarea>" in response.text
    assert "Display names are at most 60 characters." in response.text
    with app.app_context():
        assert services.get_user("alice").display_name == "Alice Liddell"


def test_email_change_needs_the_password_and_keeps_the_address_typed(app, logged_in):
    response = logged_in.post("/settings/email", data={"email": "new@example.com", "password": "wrong password"})
    assert response.status_code == 400
    assert 'value="new@example.com"' in response.text
    assert "That is not your current password." in response.text
    with app.app_context():
        assert services.get_user("alice").email == "alice@example.com"


def test_email_change_with_the_password(app, logged_in):
    response = logged_in.post("/settings/email", data={"email": "New@Example.com", "password": f.PASSWORD})
    assert response.headers["Location"] == "/settings#email"
    with app.app_context():
        assert services.get_user("alice").email == "new@example.com"


@pytest.mark.parametrize(("data", "message"), [
    ({"current_password": f.PASSWORD, "new_password": NEW, "confirm_password": NEW + "!"},
     "The two new passwords do not match."),
    ({"current_password": "wrong password", "new_password": NEW, "confirm_password": NEW},
     "That is not your current password."),
    ({"current_password": f.PASSWORD, "new_password": "short", "confirm_password": "short"},
     "Use at least 8 characters."),
])
def test_password_change_errors_leave_the_password_alone(app, logged_in, data, message):
    response = logged_in.post("/settings/password", data=data)
    assert response.status_code == 400 and message in response.text
    assert NEW not in response.text and f.PASSWORD not in response.text
    assert is_logged_in(logged_in)
    with app.app_context():
        assert services.authenticate("alice", f.PASSWORD) is not None


def test_password_change_keeps_this_session_and_revokes_the_others(app, alice):
    here, elsewhere = login(app.test_client()), login(app.test_client())
    response = here.post("/settings/password",
                         data={"current_password": f.PASSWORD, "new_password": NEW, "confirm_password": NEW})
    assert response.headers["Location"] == "/settings#password"
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)
    with app.app_context():
        assert services.authenticate("alice", NEW) is not None
        assert services.authenticate("alice", f.PASSWORD) is None


def test_password_change_renews_this_browsers_remember_me(app, alice):
    here, elsewhere = login(app.test_client(), remember="1"), login(app.test_client(), remember="1")
    here.post("/settings/password", data={"current_password": f.PASSWORD, "new_password": NEW, "confirm_password": NEW})
    here.delete_cookie("session")
    elsewhere.delete_cookie("session")
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)


def test_log_out_everywhere_else(app, alice):
    here, elsewhere = login(app.test_client()), login(app.test_client())
    response = here.post("/settings/sessions/revoke")
    assert response.headers["Location"] == "/settings#sessions"
    assert is_logged_in(here)
    assert not is_logged_in(elsewhere)


def test_a_new_token_is_shown_once_and_never_in_the_url(app, logged_in):
    response = logged_in.post("/settings/tokens", data={"name": "laptop script"})
    assert response.status_code == 302 and response.headers["Location"] == "/settings#tokens"
    page = logged_in.get("/settings").text
    plain = re.search(r'id="new-token-value"[^>]*value="([^"]+)"', page).group(1)
    assert plain.startswith(services.TOKEN_PREFIX)
    assert plain not in response.headers["Location"]
    with app.app_context():
        assert services.user_for_token(plain).username == "alice"
    again = logged_in.get("/settings").text
    assert plain not in again and "laptop script" in again and plain[:12] in again


def test_tokens_are_listed_and_can_be_revoked(app, logged_in):
    with app.app_context():
        token, plain = services.create_token(services.get_user("alice"), name="ci")
        token_id = token.id
    assert "Active" in logged_in.get("/settings").text
    response = logged_in.post(f"/settings/tokens/{token_id}/revoke")
    assert response.headers["Location"] == "/settings#tokens"
    assert "Revoked" in logged_in.get("/settings").text
    with app.app_context():
        assert services.user_for_token(plain) is None


def test_tokens_of_others_cannot_be_revoked_or_seen(app, logged_in):
    with app.app_context():
        token, plain = services.create_token(f.user("bob"), name="bobs secret token")
        token_id = token.id
    assert "bobs secret token" not in logged_in.get("/settings").text
    assert logged_in.post(f"/settings/tokens/{token_id}/revoke").status_code == 403
    assert logged_in.post("/settings/tokens/999999/revoke").status_code == 404
    assert logged_in.post(f"/settings/tokens/{10**30}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


@pytest.mark.parametrize(("path", "data"), [
    ("/settings/profile", {"display_name": "Forged", "about": ""}),
    ("/settings/email", {"email": "forged@example.com", "password": f.PASSWORD}),
    ("/settings/password", {"current_password": f.PASSWORD, "new_password": NEW, "confirm_password": NEW}),
    ("/settings/tokens", {"name": "forged"}),
    ("/settings/sessions/revoke", {}),
])
def test_settings_forms_are_csrf_protected(make_app, alice, path, data):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    token = csrf_token(client.get("/login").text)
    login(client, csrf_token=token)
    with app.app_context():
        before = services.get_user("alice").get_id()
    assert client.post(path, data=data).status_code == 400
    with app.app_context():
        user = services.get_user("alice")
        assert (user.get_id(), user.display_name, user.email) == (before, "Alice Liddell", "alice@example.com")
        assert db.session.execute(sa.select(sa.func.count()).select_from(ApiToken)).scalar_one() == 0
    assert client.post(path, data={**data, "csrf_token": csrf_token(client.get("/settings").text)}).status_code == 302


@pytest.mark.parametrize(("path", "data"), [
    ("/settings/profile", {"display_name": "A\x00", "about": "x\x00y"}),
    ("/settings/email", {"email": "n\x00w@example.com", "password": f.PASSWORD}),
    ("/settings/password", {"current_password": "x\x00", "new_password": "abc\x00defgh", "confirm_password": "abc\x00defgh"}),
    ("/settings/tokens", {"name": "t\x00"}),
])
def test_nul_characters_in_settings_forms_are_handled(logged_in, path, data):
    assert logged_in.post(path, data=data).status_code in (302, 400)
