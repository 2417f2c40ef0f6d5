"""The architecture rules, read from the source with ``ast``.

- ``forum`` never imports ``moderation``, ``reputation`` or ``search``: they listen to
  its events (DESIGN.md, "forum never imports them").
- Only ``forum/markup.py`` imports ``markdown`` or ``bleach`` (one sanitiser).
- No module uses the legacy ``Model.query``.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("forum", "moderation", "reputation", "search")
PLUGINS = {"moderation", "reputation", "search"}
SANITISER_LIBS = {"markdown", "bleach"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package_of(path: Path) -> str:
    module = _module_name(path)
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def imported_modules(source: str, package: str) -> set[str]:
    """Every module a source file imports, relative imports resolved against
    ``package``; ``from a import b`` yields both ``a`` and ``a.b``, since ``b`` may be
    a module. ``importlib.import_module("x")`` with a literal counts too."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                # Going above the top-level package is an error at run time; record
                # what it would name so a bad relative import is still caught.
                keep = len(base) - (node.level - 1)
                base = base[:max(keep, 0)]
                if node.module:
                    base += node.module.split(".")
                module = ".".join(base)
            else:
                module = node.module or ""
            if module:
                found.add(module)
            found.update(f"{module}.{alias.name}".lstrip(".") for alias in node.names)
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and node.args \
                    and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def legacy_queries(source: str) -> list[int]:
    """Lines that use ``SomeModel.query`` (the legacy Flask-SQLAlchemy query)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "query":
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id[:1].isupper():
                lines.append(node.lineno)
            elif isinstance(owner, ast.Attribute) and owner.attr == "Model":
                lines.append(node.lineno)
    return lines


def _files(*packages: str) -> list[Path]:
    return sorted(p for name in packages for p in (ROOT / name).rglob("*.py"))


def _top(module: str) -> str:
    return module.split(".")[0]


FORUM_FILES = _files("forum")
PACKAGE_FILES = _files(*PACKAGES)


def test_the_rules_see_the_whole_forum_package():
    names = {_module_name(p) for p in FORUM_FILES}
    assert {"forum", "forum.models", "forum.threads.services", "forum.jobs.worker", "forum.markup"} <= names


@pytest.mark.parametrize("path", FORUM_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_forum_never_imports_the_packages_that_listen_to_it(path):
    imports = imported_modules(path.read_text(encoding="utf-8"), _package_of(path))
    assert not {m for m in imports if _top(m) in PLUGINS}


@pytest.mark.parametrize("path", PACKAGE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_markup_imports_the_sanitiser_libraries(path):
    imports = imported_modules(path.read_text(encoding="utf-8"), _package_of(path))
    used = {_top(m) for m in imports} & SANITISER_LIBS
    if path == ROOT / "forum" / "markup.py":
        assert used == SANITISER_LIBS
    else:
        assert not used


@pytest.mark.parametrize("path", PACKAGE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_uses_model_query(path):
    assert legacy_queries(path.read_text(encoding="utf-8")) == []


# The checks themselves must be able to fail.
@pytest.mark.parametrize(("source", "package"), [
    ("import search", "forum"),
    ("import reputation.ledger as r", "forum.threads"),
    ("from moderation import flags", "forum"),
    ("from moderation.models import Flag", "forum.threads"),
    ("from ... import search", "forum.threads"),
    ("from ...reputation import ledger", "forum.threads"),
    ("def f():\n    from search import index\n", "forum"),
    ("import importlib\nimportlib.import_module('moderation')", "forum"),
])
def test_the_import_rule_catches_every_spelling(source, package):
    assert any(_top(m) in PLUGINS for m in imported_modules(source, package))


@pytest.mark.parametrize("source", [
    "from .threads import services",
    "from . import events",
    "import searchlight",
    "from .search_helpers import x",
])
def test_the_import_rule_allows_lookalikes(source):
    assert not any(_top(m) in PLUGINS for m in imported_modules(source, "forum"))


@pytest.mark.parametrize("source", [
    "import markdown",
    "import bleach.linkifier",
    "from bleach import clean",
    "from markdown.extensions import fenced_code",
])
def test_the_sanitiser_rule_catches_every_spelling(source):
    assert {_top(m) for m in imported_modules(source, "forum")} & SANITISER_LIBS


@pytest.mark.parametrize(("source", "hits"), [
    ("Thread.query.filter_by(id=1).first()", 1),
    ("db.Model.query", 1),
    ("x = Post.query\ny = User.query.get(3)", 2),
    ("db.session.execute(db.select(Thread))", 0),
    ("request.query", 0),
])
def test_the_query_rule_finds_model_query(source, hits):
    assert len(legacy_queries(source)) == hits
