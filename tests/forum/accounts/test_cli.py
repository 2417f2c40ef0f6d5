import pytest

from forum.accounts import services
from forum.models import Role
from tests import factories as f


def test_users_create_makes_an_account_with_a_role(app, runner):
    result = runner.invoke(args=["users", "create", "mod", "--email", "mod@example.com",
                                 "--password", f.PASSWORD, "--role", "moderator", "--display-name", "Mo"])
    assert result.exit_code == 0, result.output
    assert "created mod (moderator)" in result.stdout
    with app.app_context():
        user = services.authenticate("mod@example.com", f.PASSWORD)
        assert (user.username, user.role, user.display_name) == ("mod", Role.MODERATOR, "Mo")


def test_users_create_prompts_for_the_password(app, runner):
    result = runner.invoke(args=["users", "create", "alice", "--email", "alice@example.com"],
                           input=f"{f.PASSWORD}\n{f.PASSWORD}\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert services.authenticate("alice", f.PASSWORD).role is Role.MEMBER


def test_users_create_reports_invalid_details_and_fails(app, runner):
    result = runner.invoke(args=["users", "create", "x", "--email", "nope", "--password", "short"])
    assert result.exit_code == 1
    assert "username:" in result.stderr and "email:" in result.stderr and "password:" in result.stderr
    with app.app_context():
        assert services.get_user("x") is None


def test_users_create_refuses_a_taken_username(app, runner, alice):
    result = runner.invoke(args=["users", "create", "ALICE", "--email", "a2@example.com", "--password", f.PASSWORD])
    assert result.exit_code == 1
    assert "That username is taken." in result.stderr


def test_users_create_refuses_an_unknown_role(runner):
    result = runner.invoke(args=["users", "create", "bob", "--email", "bob@example.com",
                                 "--password", f.PASSWORD, "--role", "overlord"])
    assert result.exit_code == 2


def test_users_token_prints_a_token_that_authenticates(app, runner, alice):
    result = runner.invoke(args=["users", "token", "alice", "--name", "deploy"])
    assert result.exit_code == 0, result.output
    plain = result.stdout.strip()
    assert plain.startswith(services.TOKEN_PREFIX)
    with app.app_context():
        assert services.user_for_token(plain).id == alice
        assert [t.name for t in services.tokens_for(services.get_user("alice"))] == ["deploy"]


def test_each_users_token_call_prints_a_new_token(runner, alice):
    first = runner.invoke(args=["users", "token", "alice"]).stdout.strip()
    second = runner.invoke(args=["users", "token", "alice"]).stdout.strip()
    assert first != second


@pytest.mark.parametrize("command", [["users", "token", "nobody"], ["users", "role", "nobody", "staff"]])
def test_users_commands_fail_for_unknown_users(runner, command):
    result = runner.invoke(args=command)
    assert result.exit_code == 1
    assert "no user named 'nobody'" in result.stderr


def test_users_role_changes_the_role(app, runner, alice):
    result = runner.invoke(args=["users", "role", "Alice", "staff"])
    assert result.exit_code == 0, result.output
    assert "alice is now staff" in result.stdout
    with app.app_context():
        assert services.get_user("alice").role is Role.STAFF


def test_users_role_refuses_an_unknown_role(app, runner, alice):
    result = runner.invoke(args=["users", "role", "alice", "overlord"])
    assert result.exit_code == 2
    with app.app_context():
        assert services.get_user("alice").role is Role.MEMBER
