"""The moderation permission matrix, end to end: every moderation action x role x
target, through the pages and through the JSON API, against a real database.

``tests/forum/test_permissions.py`` checks the policy function; this file checks that
every door of the moderation package asks it, and that a refusal changes nothing: no
audit row, the same post, item, thread and account. An allowed action must have its
effect and leave exactly one audit row naming the actor.

The expected answers are written out by hand, never computed by calling ``can()``:
a change of policy must change this table too, on purpose.
"""
from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from forum import create_app
from forum.accounts.services import create_token
from forum.db import lock, utcnow, write_transaction
from forum.extensions import db
from forum.models import Post, PostState, Role, Thread, User
from forum.threads import moderation as content
from moderation import services
from moderation.models import ModerationAction, ReviewItem
from tests import factories as f
from tests.conftest import PG_URL

from .helpers import PRIVILEGES, item_for

#: The people acting; None is an anonymous visitor.
ROLES = {"anonymous": None, "member": Role.MEMBER, "moderator": Role.MODERATOR, "staff": Role.STAFF,
         "admin": Role.ADMIN}
#: Whose post, thread or account the case is about: the actor's own, or someone else's
#: with that role (a moderator acting on "moderator's" meets another moderator). The
#: post of a "-" row belongs to a member.
TARGETS = {"-": Role.MEMBER, "own": None, "member's": Role.MEMBER, "moderator's": Role.MODERATOR,
           "admin's": Role.ADMIN}
COLUMNS = list(ROLES)

# Y allowed, and done; N refused with 403; H refused with 404 (the post "does not
# exist"); L refused until logged in (the login page; 401 in the API); - no case.
#
# approve ... silence from queue decide a flag on the target's post; lock ... reopen
# act on the target's thread; suspend, silence and unsuspend on the target's account
# (the user's moderation page, the sanctions endpoint).
#
#  action                 target           anon member  mod staff admin
MATRIX = [
    ("see queue",          "-",             "L", "N",   "Y", "Y", "Y"),
    ("see audit log",      "-",             "L", "N",   "Y", "Y", "Y"),
    # Authors still see their own hidden post (with a notice); other members don't.
    ("read hidden post",   "own",           "-", "Y",   "Y", "Y", "Y"),
    ("read hidden post",   "member's",      "H", "H",   "Y", "Y", "Y"),
    ("read hidden post",   "moderator's",   "-", "H",   "Y", "Y", "Y"),
    ("read hidden post",   "admin's",       "-", "H",   "Y", "Y", "Y"),
    # Any account's record, even one you may not sanction: the page says why (pages only).
    *[("see sanction page", target, "-", "N", "Y", "Y", "Y")
      for target in ("own", "member's", "moderator's", "admin's")],
    # Another moderator decides items about your own posts; admins are the last resort.
    *[(action, target, "-", "N", *cells) for action in ("approve", "reject", "hide", "dismiss", "edit_approve")
      for target, cells in (("own",         ("N", "N", "Y")),
                            ("member's",    ("Y", "Y", "Y")),
                            ("moderator's", ("Y", "Y", "Y")),
                            ("admin's",     ("Y", "Y", "Y")))],
    # Moderators and staff sanction members; admins anyone; nobody themselves.
    *[(action, target, "-", "N", *cells)
      for action in ("suspend from queue", "silence from queue", "suspend", "silence", "unsuspend")
      for target, cells in (("own",         ("N", "N", "N")),
                            ("member's",    ("Y", "Y", "Y")),
                            ("moderator's", ("N", "N", "Y")),
                            ("admin's",     ("N", "N", "Y")))],
    # Thread tools work on any thread, your own included; members lack the rank (lock)
    # and the reputation (close and reopen: 3000 here).
    *[(action, target, "-", "N", "Y", "Y", "Y") for action in ("lock", "unlock", "close_duplicate", "reopen")
      for target in ("own", "member's", "moderator's", "admin's")],
]
EXPECTED = {(action, target): dict(zip(COLUMNS, cells)) for action, target, *cells in MATRIX}

BODY = "This answer holds words a moderator should look at."
NOTE = "Insults the asker in the second sentence."
REASON = "Checked against the community rules."
NEW_BODY = "Edited in review: the rude part is gone now."
PROBLEM = "application/problem+json"

#: Reads: (world, page, API path or None, what an allowed reader sees and nobody else).
READS = {
    "see queue": ("item", "/review", "/api/v1/review-queue", NOTE),
    "see audit log": ("item", "/admin/audit", "/api/v1/moderation/audit-log", NOTE),
    "read hidden post": ("post", "/posts/{post}/revisions", "/api/v1/posts/{post}", BODY),
    "see sanction page": ("user", "/u/{owner_name}/moderate", None, "Moderating "),
}
#: Actions: (world, the action's name in forms and JSON, extra fields).
ACTIONS = {
    **{name: ("item", name, {}) for name in ("approve", "reject", "hide", "dismiss")},
    "edit_approve": ("item", "edit_approve", {"body": NEW_BODY}),
    "suspend from queue": ("item", "suspend", {"duration": "24h"}),
    "silence from queue": ("item", "silence", {"duration": "24h"}),
    **{name: ("thread", name, {}) for name in ("lock", "unlock", "close_duplicate", "reopen")},
    "suspend": ("user", "suspend", {"duration": "24h"}),
    "silence": ("user", "silence", {"duration": "24h"}),
    "unsuspend": ("user", "unsuspend", {}),
}
#: Where each kind of action is sent: (page, API endpoint).
URLS = {
    "item": ("/review/{item}", "/api/v1/review-queue/{item}/actions"),
    "thread": ("/t/{thread}/moderate", "/api/v1/threads/{thread}/moderation"),
    "user": ("/u/{owner_name}/moderate", "/api/v1/users/{owner_name}/sanctions"),
}
#: What an allowed action leaves behind: a part of :func:`_snapshot`.
EFFECTS = {
    "approve": {"post": "visible", "item": "approved"},
    "reject": {"post": "deleted", "item": "rejected"},
    "hide": {"post": "hidden", "item": "rejected"},
    "dismiss": {"post": "visible", "item": "ignored"},
    "edit_approve": {"post": "visible", "item": "approved", "body": NEW_BODY},
    "suspend from queue": {"post": "deleted", "item": "rejected", "suspended": True},
    "silence from queue": {"post": "deleted", "item": "rejected", "silenced": True},
    "lock": {"locked": True},
    "unlock": {"locked": False},
    "close_duplicate": {"status": "closed", "duplicate": True},
    "reopen": {"status": "open", "duplicate": False},
    "suspend": {"suspended": True},
    "silence": {"silenced": True},
    "unsuspend": {"suspended": False},
}


def _cases():
    for action, target, *cells in MATRIX:
        channels = ("web",) if action in READS and READS[action][2] is None else ("web", "api")
        for role, expected in zip(COLUMNS, cells):
            for channel in channels if expected != "-" else ():
                yield pytest.param(action, role, target, channel, expected, id=f"{action}|{role}|{target}|{channel}")


def test_the_table_covers_every_action_and_target_once():
    assert len(EXPECTED) == len(MATRIX) and all(len(cells) == len(COLUMNS) for _, _, *cells in MATRIX)
    assert {action for action, _ in EXPECTED} == set(READS) | set(ACTIONS) and set(ACTIONS) == set(EFFECTS)
    for action in ACTIONS:
        assert {t for a, t in EXPECTED if a == action} == {"own", "member's", "moderator's", "admin's"}, action


@pytest.fixture(scope="module")
def matrix_app(tmp_path_factory):
    """One app for the whole table: building an app costs more than a case, and there
    are some five hundred cases. :func:`app` empties its database before each one."""
    folder = tmp_path_factory.mktemp("matrix")
    url, schema = f"sqlite:///{folder / 'test.sqlite3'}", f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_URL) if PG_URL else None
    if engine:  # a schema of its own, as tests/conftest.py does per test
        with engine.begin() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret",
                      "DATA_DIR": str(folder / "data"), "EMBEDDED_WORKER": False, "WTF_CSRF_ENABLED": False,
                      "PRIVILEGES": dict(PRIVILEGES), "NEW_USER_REVIEW_POSTS": 0})
    with app.app_context():
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if engine:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        engine.dispose()


@pytest.fixture
def app(matrix_app):
    """The shared app with an empty database: each case builds its world from nothing."""
    with matrix_app.app_context(), write_transaction():
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
    return matrix_app


def _world(action: str, role: str, target: str, channel: str) -> SimpleNamespace:
    """The actor, the target's owner, and the one post, thread or account the case is about."""
    kind = (READS.get(action) or ACTIONS[action])[0]
    actor = f.user("actor", role=ROLES[role]) if ROLES[role] else None
    owner = actor if target == "own" else f.user("owner", role=TARGETS[target])
    w = SimpleNamespace(actor=actor, actor_id=actor and actor.id, owner=owner.id, owner_name=owner.username,
                        thread=None, post=None, item=None, original=None,
                        token=create_token(actor)[1] if actor and channel == "api" else None)
    if kind == "user":
        if action == "unsuspend" and owner is not actor:
            with write_transaction():
                lock(User, owner.id).suspended_until = utcnow() + timedelta(days=3)
        return w
    category = f.category()
    thread = f.thread(owner, category_obj=category)
    # Items are about the question; the hidden post is an answer, so its thread stays readable.
    post = f.answer(thread, owner, body=BODY) if action == "read hidden post" else thread.question
    w.thread, w.post = thread.id, post.id
    if kind == "item":
        services.flag_post(post, by=f.user("flagger"), reason="rude", note=NOTE)
        w.item = item_for(post).id
    if action in ("close_duplicate", "reopen"):
        w.original = f.thread(owner, category_obj=category).id
    with write_transaction():
        if action == "read hidden post":
            content.set_post_state(post, PostState.HIDDEN, by=None)
        elif action == "unlock":
            content.set_locked(thread, True)
        elif action == "reopen":
            content.close_as_duplicate(thread, duplicate_of=db.session.get(Thread, w.original))
    return w


def _snapshot(w: SimpleNamespace) -> dict:
    """Everything a moderation action may change, as plain values."""
    owner = db.session.get(User, w.owner)
    audit = db.session.execute(sa.select(ModerationAction.actor_id, ModerationAction.action)
                               .order_by(ModerationAction.id)).all()
    state = {"suspended": owner.is_suspended, "silenced": owner.is_silenced,
             "audit rows": len(audit), "by actor": [name for who, name in audit if who == w.actor_id]}
    if w.post:
        post, thread = db.session.get(Post, w.post), db.session.get(Thread, w.thread)
        state.update(post=post.state.value, body=post.body, locked=bool(thread.locked), status=thread.status.value,
                     duplicate=thread.duplicate_of_id is not None)
    if w.item:
        state["item"] = db.session.get(ReviewItem, w.item).status.value
    return state


def _headers(w: SimpleNamespace) -> dict[str, str]:
    return {"Authorization": f"Bearer {w.token}"} if w.token else {}


def _read(client, w: SimpleNamespace, action: str, channel: str):
    _kind, page, endpoint, _secret = READS[action]
    if channel == "web":
        return client.get(page.format(**vars(w)))
    return client.get(endpoint.format(**vars(w)), headers=_headers(w))


def _act(client, w: SimpleNamespace, action: str, channel: str):
    kind, name, extra = ACTIONS[action]
    fields = {"action": name, "reason": REASON, **extra}
    if channel == "web":
        return client.post(URLS[kind][0].format(**vars(w)), data={**fields, "duplicate": w.original or ""})
    if w.original:
        fields["duplicate_of"] = w.original
    return client.post(URLS[kind][1].format(**vars(w)), json=fields, headers=_headers(w))


def _assert_status(resp, expected: str, channel: str, *, read: bool) -> None:
    if expected == "Y":
        status = 302 if channel == "web" and not read else 200
    else:
        status = {"N": 403, "H": 404, "L": 302 if channel == "web" else 401}[expected]
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    if expected == "L" and channel == "web":
        assert "/login" in resp.headers["Location"]
    if expected != "Y" and channel == "api":
        assert resp.mimetype == PROBLEM


@pytest.mark.parametrize("action, role, target, channel, expected", list(_cases()))
def test_matrix(app, client, auth, action, role, target, channel, expected):
    with app.app_context():
        w = _world(action, role, target, channel)
        before = _snapshot(w)
    if w.actor is not None and channel == "web":
        auth.login_as(w.actor)

    if action in READS:
        resp = _read(client, w, action, channel)
        _assert_status(resp, expected, channel, read=True)
        text = resp.get_data(as_text=True)
        assert (READS[action][3] in text) == (expected == "Y")
        if action == "read hidden post" and channel == "web":
            thread_page = client.get(f"/t/{w.thread}", follow_redirects=True)
            assert thread_page.status_code == 200
            assert (BODY in thread_page.get_data(as_text=True)) == (expected == "Y")
        if action == "see sanction page" and expected == "Y":
            # The sanction form shows only to those who may use it.
            assert ('id="sanction-title"' in text) == (EXPECTED["suspend", target][role] == "Y")
    else:
        resp = _act(client, w, action, channel)
        _assert_status(resp, expected, channel, read=False)
    with app.app_context():
        after = _snapshot(w)
    if action in ACTIONS and expected == "Y":
        assert {key: after[key] for key in EFFECTS[action]} == EFFECTS[action]
        assert after["by actor"] == [ACTIONS[action][1]]
    else:
        assert after == before
