"""Who may do what with the knowledge base: only staff write, and drafts stay out of
sight of everyone else in the policy, the services, the pages, the API and search.

The matrix is written out by hand, like the forum's own in
``tests/forum/test_permissions.py``: a change of policy must change it on purpose.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_login import AnonymousUserMixin

from forum import create_app, permissions
from forum.accounts import services as accounts
from forum.db import utcnow, write_transaction
from forum.errors import Forbidden
from forum.extensions import db
from forum.jobs import worker
from forum.kb import services
from forum.kb.models import Article, ArticleRevision, ArticleStatus
from forum.models import Post, PostState, Role, Thread, User
from search import queries as search
from tests.search.conftest import BACKENDS

from .test_services import BODY, SUMMARY, community, draft, published

PEOPLE = {
    "anonymous": None,
    "member": (Role.MEMBER, False),
    "suspended member": (Role.MEMBER, True),
    "moderator": (Role.MODERATOR, False),
    "staff": (Role.STAFF, False),
    "suspended staff": (Role.STAFF, True),
    "admin": (Role.ADMIN, False),
}
COLUMNS = list(PEOPLE)

# Y allowed, L refused with 401 (log in), N refused with 403, H refused with 404 (hidden).
#
#  action            target               anon mem  susp mod  staff s.st admin
MATRIX = [
    ("kb.read",       "published article",  "Y", "Y", "Y", "Y", "Y", "Y", "Y"),
    ("kb.read",       "draft article",      "H", "H", "H", "H", "Y", "Y", "Y"),
    ("kb.read",       "archived article",   "H", "H", "H", "H", "Y", "Y", "Y"),
    ("kb.write",      "-",                  "L", "N", "N", "N", "Y", "N", "Y"),
    ("kb.write",      "draft article",      "L", "N", "N", "N", "Y", "N", "Y"),
    ("kb.write",      "published article",  "L", "N", "N", "N", "Y", "N", "Y"),
    ("kb.promote",    "visible answer",     "L", "N", "N", "N", "Y", "N", "Y"),
    ("kb.promote",    "hidden answer",      "L", "N", "N", "N", "N", "N", "N"),
    ("kb.promote",    "question",           "L", "N", "N", "N", "N", "N", "N"),
    ("kb.answer_with", "visible thread",    "L", "N", "N", "Y", "Y", "N", "Y"),
    ("kb.answer_with", "locked thread",     "L", "N", "N", "Y", "Y", "N", "Y"),
    # Anyone who can read a published article may say whether it helped, logged in or not.
    ("kb.feedback",   "published article",  "Y", "Y", "N", "Y", "Y", "N", "Y"),
    ("kb.feedback",   "draft article",      "N", "N", "N", "N", "N", "N", "N"),
    ("kb.feedback",   "archived article",   "N", "N", "N", "N", "N", "N", "N"),
]
EXPECTED = {"Y": (True, None), "L": (False, 401), "N": (False, 403), "H": (False, 404)}
KB_ACTIONS = {a for a in permissions.RULES if a.startswith("kb.")}


def _person(column: str, ident: int):
    spec = PEOPLE[column]
    if spec is None:
        return AnonymousUserMixin()
    role, suspended = spec
    return User(id=ident, username=column.replace(" ", "_"), role=role, reputation=1, session_version=1,
                suspended_until=utcnow() + timedelta(days=3) if suspended else None)


def _thread(**kw) -> Thread:
    return Thread(id=10, author_id=999, **{"state": PostState.VISIBLE, "locked": False, "answer_count": 1, **kw})


def _post(**kw) -> Post:
    thread = _thread()
    return Post(id=20, thread=thread, thread_id=thread.id, author_id=999, **{
        "is_question": False, "state": PostState.VISIBLE, **kw})


TARGETS = {
    "-": lambda: None,
    "published article": lambda: Article(id=1, status=ArticleStatus.PUBLISHED),
    "draft article": lambda: Article(id=1, status=ArticleStatus.DRAFT),
    "archived article": lambda: Article(id=1, status=ArticleStatus.ARCHIVED),
    "visible answer": lambda: _post(),
    "hidden answer": lambda: _post(state=PostState.HIDDEN),
    "question": lambda: _post(is_question=True),
    "visible thread": lambda: _thread(),
    "locked thread": lambda: _thread(locked=True),
}


@pytest.fixture(scope="module")
def policy_app(tmp_path_factory):
    """The policy alone: the targets are never stored."""
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "test-secret",
                      "DATA_DIR": str(tmp_path_factory.mktemp("data")), "EMBEDDED_WORKER": False})
    with app.app_context():
        yield app


@pytest.mark.parametrize(("action", "target", "column", "answer"), [
    pytest.param(action, target, column, answer, id=f"{action}|{target}|{column}")
    for action, target, *answers in MATRIX for column, answer in zip(COLUMNS, answers, strict=True)])
def test_kb_permission_matrix(policy_app, action, target, column, answer):
    decision = permissions.can(_person(column, COLUMNS.index(column) + 1), action, TARGETS[target]())
    allowed, status = EXPECTED[answer]
    assert bool(decision) is allowed, decision.reason
    if not allowed:
        assert decision.status == status and decision.reason


def test_the_matrix_covers_every_kb_action():
    assert {row[0] for row in MATRIX} == KB_ACTIONS


# -- the services refuse whoever the policy refuses -----------------------------------------

def _suspend(user: User) -> User:
    with write_transaction():
        db.session.get(User, user.id).suspended_until = utcnow() + timedelta(days=3)
    return db.session.get(User, user.id)


def _attempts(kb, article: Article):
    return {
        "create": lambda by: draft(by, kb.billing, title="Someone else's article on invoices"),
        "edit": lambda by: services.edit(article, by=by, title="A changed title for this", summary=SUMMARY,
                                         body=BODY, category_id=kb.billing.id),
        "restore": lambda by: services.restore(article, 1, by=by),
        "publish": lambda by: services.publish(article, by=by),
        "archive": lambda by: services.archive(article, by=by),
        "mark_reviewed": lambda by: services.mark_reviewed(article, by=by),
        "promote": lambda by: services.promote(kb.answer, by=by),
    }


@pytest.mark.parametrize("who", ["member", "moderator", "suspended staff", "anonymous"])
def test_only_active_staff_write(ctx, who):
    kb = community()
    article = draft(kb.sam, kb.billing)
    people = {"member": kb.alice, "moderator": kb.maya, "anonymous": None,
              "suspended staff": _suspend(accounts.register(username="sue", email="sue@example.com",
                                                            password="correct horse battery", role=Role.STAFF))}
    for name, attempt in _attempts(kb, article).items():
        with pytest.raises(Forbidden) as exc:
            attempt(people[who])
        assert exc.value.status == (401 if who == "anonymous" else 403), name
    db.session.expire_all()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Article)).scalar_one() == 1
    assert db.session.execute(sa.select(sa.func.count()).select_from(ArticleRevision)).scalar_one() == 1
    article = db.session.get(Article, article.id)
    assert article.status == ArticleStatus.DRAFT and article.reviewed_at is None


def test_staff_and_admins_write(ctx):
    kb = community()
    admin = accounts.register(username="ada", email="ada@example.com", password="correct horse battery",
                              role=Role.ADMIN)
    article = draft(admin, kb.billing)
    for name, attempt in _attempts(kb, article).items():
        if name != "archive":
            attempt(admin if name != "restore" else kb.sam)
    services.archive(article, by=admin)
    assert db.session.get(Article, article.id).status == ArticleStatus.ARCHIVED


def test_members_cannot_answer_with_an_article_and_nobody_gives_feedback_on_drafts(ctx):
    kb = community()
    article = published(kb.sam, kb.billing)
    with pytest.raises(Forbidden):
        services.answer_with(kb.thread, article, by=kb.alice)
    services.answer_with(kb.thread, article, by=kb.maya)
    unpublished = draft(kb.sam, kb.billing, title="Not ready yet, about invoices")
    for user in (None, kb.alice, kb.sam):
        with pytest.raises(Forbidden):
            services.feedback(unpublished, voter=f"u:{user.id}" if user else "s:abc", user=user, helpful=True)
    with pytest.raises(Forbidden):
        services.feedback(article, voter=f"u:{kb.alice.id}", user=_suspend(kb.alice), helpful=True)


# -- drafts stay out of sight: pages and API --------------------------------------------------

def _people(kb) -> dict[str, User | None]:
    return {"anonymous": None, "member": kb.alice, "moderator": kb.maya, "staff": kb.sam}


def test_drafts_and_archived_articles_are_missing_pages_except_to_staff(app, client, auth):
    with app.app_context():
        kb = community()
        slugs = {"draft": draft(kb.sam, kb.billing, slug="in-progress").slug,
                 "published": published(kb.sam, kb.billing, slug="live").slug,
                 "archived": services.archive(published(kb.sam, kb.billing, slug="old"), by=kb.sam).slug}
        people = _people(kb)
    for who, user in people.items():
        if user is None:
            auth.logout()
        else:
            auth.login_as(user)
        for status, slug in slugs.items():
            expected = 200 if status == "published" or who == "staff" else 404
            response = client.get(f"/kb/{slug}")
            assert response.status_code == expected, (who, status)
            if expected == 404:
                assert "Set the currency" not in response.get_data(as_text=True)


def test_drafts_are_not_found_through_the_api_except_by_staff(app, client):
    with app.app_context():
        kb = community()
        hidden = [draft(kb.sam, kb.billing, slug="in-progress").slug,
                  services.archive(published(kb.sam, kb.billing, slug="old"), by=kb.sam).slug]
        live = published(kb.sam, kb.billing, slug="live").slug
        tokens = {who: accounts.create_token(user)[1] for who, user in _people(kb).items() if user}
        answer_id = kb.answer.id
    for who in ("anonymous", "member", "moderator", "staff"):
        headers = {"Authorization": f"Bearer {tokens[who]}"} if who in tokens else {}
        for slug in hidden:
            response = client.get(f"/api/v1/articles/{slug}", headers=headers)
            assert response.status_code == (200 if who == "staff" else 404), (who, slug)
        listed = client.get("/api/v1/articles", headers=headers).get_json()["items"]
        assert [a["slug"] for a in listed] == [live], who
        drafts = client.get("/api/v1/articles?status=draft", headers=headers)
        assert drafts.status_code == {"anonymous": 401, "staff": 200}.get(who, 403), who
        promote = client.post(f"/api/v1/posts/{answer_id}/promote", headers=headers)
        assert promote.status_code == {"anonymous": 401, "staff": 201}.get(who, 403), who
        feedback = client.post(f"/api/v1/articles/{hidden[0]}/feedback", headers=headers, json={"helpful": True})
        assert feedback.status_code == {"anonymous": 401, "staff": 403}.get(who, 404), who


# -- drafts stay out of sight: search -------------------------------------------------------

@pytest.fixture(params=BACKENDS)
def search_app(make_app, request):
    return make_app(SEARCH_BACKEND=request.param, RATELIMIT_ENABLED=False)


def _found(text: str, viewer) -> tuple[set[str], set[str]]:
    """What search and the ask form's suggestions return for ``text``, by key."""
    page = search.search(search.parse({"q": text}), viewer)
    suggested, _log = search.suggest(text, viewer)
    return {r.key for r in page.results}, {r.key for r in suggested}


def _index() -> None:
    worker.drain()
    worker.drain()


def test_a_draft_is_found_by_nobody_until_it_is_published(search_app):
    with search_app.app_context():
        kb = community()
        article = draft(kb.sam, kb.billing, title="Quokka mode for invoices explained",
                        summary="Quokka mode prints every invoice twice, once per currency.",
                        body="Turn quokka mode on under Billing to print invoices in two currencies.")
        _index()
        key = f"article:{article.id}"
        for viewer in (None, kb.alice, kb.sam):
            searched, suggested = _found("quokka mode invoices", viewer)
            assert key not in searched | suggested
            assert _found("quokka", viewer) == (set(), set())
        services.publish(article, by=kb.sam)
        _index()
        for viewer in (None, kb.alice, kb.sam):
            searched, suggested = _found("quokka mode invoices", viewer)
            assert key in searched and key in suggested
            assert _found("quokka mode", viewer) == ({key}, {key})
        services.archive(article, by=kb.sam)
        _index()
        searched, suggested = _found("quokka mode invoices", None)
        assert key not in searched | suggested
