import hashlib

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from forum.accounts import services
from forum.errors import Forbidden, Invalid, NotFound
from forum.extensions import db
from forum.models import ApiToken, Role, User
from tests import factories as f


def register(**overrides):
    details = {"username": "alice", "email": "alice@example.com", "password": f.PASSWORD}
    details.update(overrides)
    return services.register(**details)


def test_register_stores_a_normalised_account(ctx):
    user = register(username="Alice", email="  Alice@Example.COM ", display_name=" Al ")
    assert (user.username, user.username_key, user.email, user.display_name) == \
        ("Alice", "alice", "alice@example.com", "Al")
    assert user.role is Role.MEMBER


@pytest.mark.parametrize(("field", "details"), [
    ("username", {"username": "a"}),
    ("username", {"username": "-alice"}),
    ("username", {"username": "al ice"}),
    ("username", {"username": "Admin"}),
    ("email", {"email": "not-an-email"}),
    ("email", {"email": ""}),
    ("password", {"password": "short"}),
    ("password", {"password": "x" * 1025}),
    ("display_name", {"display_name": "x" * 61}),
])
def test_register_rejects_bad_details(ctx, field, details):
    with pytest.raises(Invalid) as info:
        register(**details)
    assert set(info.value.errors) == {field}
    assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0


def test_register_reports_every_problem_at_once(ctx):
    with pytest.raises(Invalid) as info:
        register(username="x", email="nope", password="")
    assert set(info.value.errors) == {"username", "email", "password"}


def test_usernames_are_unique_whatever_their_case(ctx):
    register()
    with pytest.raises(Invalid) as info:
        register(username="ALICE", email="other@example.com")
    assert info.value.errors == {"username": "That username is taken."}


def test_email_addresses_are_unique_whatever_their_case(ctx):
    register()
    with pytest.raises(Invalid) as info:
        register(username="bob", email="ALICE@example.com")
    assert set(info.value.errors) == {"email"}


def test_registration_errors_matches_what_register_refuses(ctx):
    register()
    assert services.registration_errors(username="alice", email="alice@example.com", password="x") == {
        "username": "That username is taken.",
        "email": "That e-mail address is already registered.",
        "password": "Use at least 8 characters.",
    }
    assert services.registration_errors(username="bob", email="bob@example.com", password=f.PASSWORD) == {}


@pytest.mark.real_password_hashing
def test_passwords_are_stored_as_argon2id_hashes(ctx):
    user = register(password="open sesame 123")
    stored = db.session.execute(sa.select(User.password_hash).where(User.id == user.id)).scalar_one()
    assert stored.startswith("$argon2id$")
    assert not PasswordHasher().check_needs_rehash(stored)  # the library's recommended parameters
    assert "open sesame 123" not in stored
    assert PasswordHasher().verify(stored, "open sesame 123")


@pytest.mark.parametrize("login", ["alice", "ALICE", " alice ", "alice@example.com", "Alice@Example.com"])
def test_authenticate_by_username_or_email(ctx, login):
    user = register()
    assert services.authenticate(login, f.PASSWORD).id == user.id


@pytest.mark.parametrize(("login", "password"), [
    ("alice", "wrong password"),
    ("alice", ""),
    ("nobody", f.PASSWORD),
    ("", ""),
    (None, None),
])
def test_authenticate_refuses_wrong_credentials(ctx, login, password):
    register()
    assert services.authenticate(login, password) is None


def test_login_rehashes_when_the_parameters_change(ctx, monkeypatch):
    user = register()
    old = user.password_hash
    monkeypatch.setattr(services, "_hasher", PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))

    assert services.authenticate("alice", "wrong password") is None
    assert db.session.get(User, user.id).password_hash == old  # only a correct password is rehashed

    assert services.authenticate("alice", f.PASSWORD) is not None
    new = db.session.execute(sa.select(User.password_hash).where(User.id == user.id)).scalar_one()
    assert new != old and new.startswith("$argon2id$") and "m=8192,t=1,p=1" in new
    assert services.authenticate("alice", f.PASSWORD) is not None


def test_login_keeps_a_hash_whose_parameters_are_current(ctx):
    user = register()
    old = user.password_hash
    services.authenticate("alice", f.PASSWORD)
    assert db.session.get(User, user.id).password_hash == old


def test_change_password_needs_the_current_one(ctx):
    user = register()
    with pytest.raises(Invalid) as info:
        services.change_password(user, current="wrong password", new="short")
    assert set(info.value.errors) == {"current_password", "new_password"}
    assert services.authenticate("alice", f.PASSWORD) is not None


def test_change_password_replaces_it_and_bumps_the_session_version(ctx):
    user = register()
    version = user.session_version
    services.change_password(user, current=f.PASSWORD, new="a brand new secret")
    assert services.authenticate("alice", f.PASSWORD) is None
    assert services.authenticate("alice", "a brand new secret").session_version == version + 1


def test_change_email_needs_the_password_and_a_free_address(ctx):
    user = register()
    f.user("bob")
    with pytest.raises(Invalid) as info:
        services.change_email(user, password="wrong password", new_email="bob@example.com")
    assert set(info.value.errors) == {"password", "email"}
    services.change_email(user, password=f.PASSWORD, new_email="New@Example.com")
    assert db.session.get(User, user.id).email == "new@example.com"


def test_update_profile_checks_lengths_and_permission(ctx):
    user, other = register(), f.user("bob")
    with pytest.raises(Invalid):
        services.update_profile(user, by=user, display_name="x" * 61, about="")
    with pytest.raises(Forbidden):
        services.update_profile(user, by=other, display_name="Bob was here", about="")
    services.update_profile(user, by=user, display_name=" Alice ", about="Hello\nthere")
    assert (user.display_name, user.about) == ("Alice", "Hello\nthere")


def test_log_out_everywhere_bumps_the_session_version(ctx):
    user = register()
    before = user.get_id()
    assert services.log_out_everywhere(user).get_id() != before


def test_tokens_are_stored_hashed_and_identify_their_owner(ctx):
    user = register()
    token, plain = services.create_token(user, name="laptop")
    assert plain.startswith(services.TOKEN_PREFIX)
    row = db.session.execute(sa.select(ApiToken.token_hash, ApiToken.prefix, ApiToken.name)
                             .where(ApiToken.id == token.id)).one()
    assert row.token_hash == hashlib.sha256(plain.encode()).hexdigest()
    assert plain not in row and plain.startswith(row.prefix) and row.name == "laptop"
    assert services.user_for_token(plain).id == user.id
    used = db.session.execute(sa.select(ApiToken.last_used_at).where(ApiToken.id == token.id)).scalar_one()
    assert used is not None


@pytest.mark.parametrize("plain", ["", None, "fpat_unknown", "nonsense", "fpat_" + "x" * 300])
def test_unknown_tokens_identify_nobody(ctx, plain):
    register()
    services.create_token(db.session.get(User, 1))
    assert services.user_for_token(plain) is None


def test_revoked_tokens_stop_working(ctx):
    user = register()
    token, plain = services.create_token(user)
    services.revoke_token(token.id, by=user)
    assert services.user_for_token(plain) is None
    with pytest.raises(NotFound):
        services.revoke_token(token.id, by=user)


def test_only_the_owner_or_an_admin_may_revoke_a_token(ctx):
    user, other, admin = register(), f.user("bob"), f.user("ada", role=Role.ADMIN)
    token, plain = services.create_token(user)
    with pytest.raises(Forbidden):
        services.revoke_token(token.id, by=other)
    assert services.user_for_token(plain) is not None
    services.revoke_token(token.id, by=admin)
    assert services.user_for_token(plain) is None


@pytest.mark.parametrize("token_id", [12345, 0, -1, 2**31, 10**30])
def test_revoking_an_unknown_token_is_not_found(ctx, token_id):
    with pytest.raises(NotFound):
        services.revoke_token(token_id, by=register())


def test_tokens_for_lists_a_users_tokens_newest_first(ctx):
    user, other = register(), f.user("bob")
    first, _ = services.create_token(user, name="first")
    second, _ = services.create_token(user, name="second")
    services.create_token(other, name="not hers")
    services.revoke_token(first.id, by=user)
    assert [t.name for t in services.tokens_for(user)] == ["second", "first"]


def test_get_user_ignores_case(ctx):
    user = register(username="Alice")
    assert services.get_user("aLiCe").id == user.id
    assert services.get_user("nobody") is None
    assert services.get_user("") is None


@pytest.mark.parametrize("odd", ["\x00", "\ud800", "\x1b[31m"])
def test_odd_characters_never_reach_the_database(ctx, odd):
    user = register()
    with pytest.raises(Invalid) as info:
        register(username="bob", email=f"b{odd}b@example.com")
    assert set(info.value.errors) == {"email"}
    assert services.authenticate(f"ali{odd}ce", f.PASSWORD) is None
    assert services.get_user(f"ali{odd}ce") is None
    assert services.user_for_token(f"{services.TOKEN_PREFIX}{odd}") is None
    services.update_profile(user, by=user, display_name=f"Al{odd}", about=f"line{odd}\r\nnext")
    token, _ = services.create_token(user, name=f"ci{odd}")
    stored = db.session.execute(sa.select(User.display_name, User.about).where(User.id == user.id)).one()
    assert "\x00" not in stored.display_name + stored.about + token.name
    assert stored.about.endswith("\nnext") and "\r" not in stored.about
