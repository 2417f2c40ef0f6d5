"""Configuration layers: defaults < ``FORUM_*`` environment < test config, and the
secret key generated into the instance folder."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from forum import ROOT, config, create_app


@pytest.fixture
def instance(tmp_path, monkeypatch):
    """A private instance folder and an environment free of FORUM_* settings."""
    for name in list(os.environ):
        if name.startswith("FORUM_"):
            monkeypatch.delenv(name)
    path = tmp_path / "instance"
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(path))
    return path


def _app(**overrides):
    return create_app({"TESTING": True, **overrides})


def test_defaults_put_the_database_and_data_in_the_instance_folder(instance):
    settings = config.load(str(instance), None)
    assert settings["DATABASE_URL"] == f"sqlite:///{instance / 'forum.sqlite3'}"
    assert settings["DATA_DIR"] == str(instance)
    assert settings["MAX_POST_CHARS"] == config.Defaults.MAX_POST_CHARS


def test_environment_overrides_strings_numbers_and_json(instance, monkeypatch):
    monkeypatch.setenv("FORUM_SITE_NAME", "Acme Help")
    monkeypatch.setenv("FORUM_MAX_POST_CHARS", "20000")
    monkeypatch.setenv("FORUM_PRIVILEGES", '{"vote_down": 125}')
    monkeypatch.setenv("FORUM_SECURE_COOKIES", "true")
    monkeypatch.setenv("FORUM_DATABASE_URL", "postgresql+psycopg://forum@db/forum")
    settings = config.load(str(instance), None)
    assert settings["SITE_NAME"] == "Acme Help"
    assert settings["MAX_POST_CHARS"] == 20000
    assert settings["PRIVILEGES"] == {"vote_down": 125}
    assert settings["SECURE_COOKIES"] is True
    assert settings["DATABASE_URL"] == "postgresql+psycopg://forum@db/forum"


def test_a_string_setting_keeps_values_that_look_like_json(instance, monkeypatch):
    monkeypatch.setenv("FORUM_SITE_NAME", "42")
    assert config.load(str(instance), None)["SITE_NAME"] == "42"


def test_test_config_wins_over_the_environment(instance, monkeypatch):
    monkeypatch.setenv("FORUM_PAGE_SIZE", "10")
    assert config.load(str(instance), {"PAGE_SIZE": 3})["PAGE_SIZE"] == 3


def test_settings_reach_the_flask_config(instance, monkeypatch):
    monkeypatch.setenv("FORUM_SECURE_COOKIES", "true")
    monkeypatch.setenv("FORUM_MAX_CONTENT_LENGTH", "5000")
    app = _app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["MAX_CONTENT_LENGTH"] == 5000
    assert app.instance_path == str(instance)


def test_secret_key_is_generated_private_and_stable(instance):
    first = _app()
    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first.secret_key
    assert len(first.secret_key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert _app().secret_key == first.secret_key


def test_secret_key_differs_between_installations(tmp_path, instance, monkeypatch):
    first = _app().secret_key
    monkeypatch.setenv("FORUM_INSTANCE_PATH", str(tmp_path / "elsewhere"))
    assert _app().secret_key != first


def test_secret_key_from_the_environment_writes_no_file(instance, monkeypatch):
    monkeypatch.setenv("FORUM_SECRET_KEY", "from-the-environment")
    assert _app().secret_key == "from-the-environment"
    assert not (instance / "secret_key").exists()


def test_readme_documents_every_setting():
    readme = (Path(ROOT) / "README.md").read_text(encoding="utf-8")
    settings = [name for name in vars(config.Defaults) if name.isupper()]
    missing = [name for name in settings if f"`FORUM_{name}`" not in readme]
    assert not missing, f"README's configuration table lacks {missing}"
