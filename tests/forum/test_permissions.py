"""The permission matrix: every action in ``permissions.RULES`` x every kind of
person x the targets that make a difference (own or someone else's, deleted, hidden,
locked).

The expected answers are written out by hand below, never computed by calling
``can()``: a change of policy must change this table too, on purpose.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_login import AnonymousUserMixin

from forum import create_app, permissions
from forum.db import utcnow
from forum.kb.models import Article, ArticleStatus
from forum.models import Post, PostState, Role, Thread, ThreadStatus, User

# Thresholds pinned for this test (Stack Exchange's), so the reputation columns mean
# something whatever the defaults become: a new member (1) has no privilege, a member
# (200) has those up to 200 but not editing others' posts, trusted flags or closing.
PRIVILEGES = {"vote_up": 15, "flag": 15, "vote_down": 125, "post_links": 10, "edit_others": 2000,
              "post_without_review": 10, "trusted_flags": 500, "close_reopen": 3000}
#: The action that asks for each privilege.
PRIVILEGE_ACTIONS = {"vote_up": "post.vote_up", "flag": "post.flag", "vote_down": "post.vote_down",
                     "post_links": "post.links", "edit_others": "post.edit",
                     "post_without_review": "post.skip_review", "trusted_flags": "post.trusted_flag",
                     "close_reopen": "thread.close"}

#: The people in the matrix, as (role, reputation, suspended).
PEOPLE = {
    "anonymous": None,
    "new member": (Role.MEMBER, 1, False),
    "member": (Role.MEMBER, 200, False),
    "suspended": (Role.MEMBER, 200, True),
    # Staff roles start at 1 reputation: their privileges come from the role.
    "moderator": (Role.MODERATOR, 1, False),
    "staff": (Role.STAFF, 1, False),
    "admin": (Role.ADMIN, 1, False),
}
COLUMNS = list(PEOPLE)

# Y allowed, L refused with 401 (log in), N refused with 403, H refused with 404 (hidden).
#
#  action             target                              anon new  mem  susp mod  staff admin
MATRIX = [
    ("thread.read",     "visible thread",                   "Y", "Y", "Y", "Y", "Y", "Y", "Y"),
    ("thread.read",     "locked thread",                    "Y", "Y", "Y", "Y", "Y", "Y", "Y"),
    ("thread.read",     "hidden thread",                    "H", "H", "H", "H", "Y", "Y", "Y"),
    ("thread.read",     "own hidden thread",                "H", "Y", "Y", "Y", "Y", "Y", "Y"),
    ("thread.read",     "deleted thread",                   "H", "H", "H", "H", "Y", "Y", "Y"),
    ("thread.read",     "own deleted thread",               "H", "H", "H", "H", "Y", "Y", "Y"),

    ("post.read",       "others' post",                     "Y", "Y", "Y", "Y", "Y", "Y", "Y"),
    ("post.read",       "others' hidden post",              "H", "H", "H", "H", "Y", "Y", "Y"),
    ("post.read",       "own hidden post",                  "H", "Y", "Y", "Y", "Y", "Y", "Y"),
    ("post.read",       "own queued post",                  "H", "Y", "Y", "Y", "Y", "Y", "Y"),
    ("post.read",       "others' deleted post",             "H", "H", "H", "H", "Y", "Y", "Y"),
    ("post.read",       "own deleted post",                 "H", "H", "H", "H", "Y", "Y", "Y"),

    ("thread.create",   "-",                                "L", "Y", "Y", "N", "Y", "Y", "Y"),

    ("thread.answer",   "others' thread",                   "L", "Y", "Y", "N", "Y", "Y", "Y"),
    ("thread.answer",   "own thread",                       "L", "Y", "Y", "N", "Y", "Y", "Y"),
    ("thread.answer",   "locked thread",                    "L", "N", "N", "N", "Y", "Y", "Y"),
    ("thread.answer",   "closed thread",                    "L", "N", "N", "N", "Y", "Y", "Y"),

    ("post.edit",       "own post",                         "L", "Y", "Y", "N", "Y", "Y", "Y"),
    ("post.edit",       "others' post",                     "L", "N", "N", "N", "Y", "Y", "Y"),
    ("post.edit",       "others' hidden post",              "L", "N", "N", "N", "Y", "Y", "Y"),
    ("post.edit",       "own deleted post",                 "L", "N", "N", "N", "N", "N", "N"),
    ("post.edit",       "others' deleted post",             "L", "N", "N", "N", "N", "N", "N"),
    # Locking stops new answers only (for now); authors may still fix their posts.
    ("post.edit",       "own post in locked thread",        "L", "Y", "Y", "N", "Y", "Y", "Y"),

    ("post.delete",     "own answer",                       "L", "Y", "Y", "N", "Y", "Y", "Y"),
    ("post.delete",     "others' answer",                   "L", "N", "N", "N", "Y", "Y", "Y"),
    ("post.delete",     "own question without answers",     "L", "Y", "Y", "N", "Y", "Y", "Y"),
    ("post.delete",     "own question with answers",        "L", "N", "N", "N", "Y", "Y", "Y"),
    ("post.delete",     "others' question with answers",    "L", "N", "N", "N", "Y", "Y", "Y"),
    ("post.delete",     "own deleted post",                 "L", "N", "N", "N", "N", "N", "N"),

    ("post.vote_up",    "others' post",                     "L", "N", "Y", "N", "Y", "Y", "Y"),
    ("post.vote_up",    "own post",                         "L", "N", "N", "N", "N", "N", "N"),
    ("post.vote_up",    "others' hidden post",              "L", "N", "N", "N", "N", "N", "N"),
    ("post.vote_up",    "others' deleted post",             "L", "N", "N", "N", "N", "N", "N"),
    ("post.vote_up",    "others' post in locked thread",    "L", "N", "Y", "N", "Y", "Y", "Y"),

    ("post.vote_down",  "others' post",                     "L", "N", "Y", "N", "Y", "Y", "Y"),
    ("post.vote_down",  "own post",                         "L", "N", "N", "N", "N", "N", "N"),
    ("post.vote_down",  "others' hidden post",              "L", "N", "N", "N", "N", "N", "N"),
    ("post.vote_down",  "others' deleted post",             "L", "N", "N", "N", "N", "N", "N"),

    # Retracting needs no privilege and works on posts that were hidden since.
    ("post.unvote",     "others' post",                     "L", "Y", "Y", "N", "Y", "Y", "Y"),
    ("post.unvote",     "own post",                         "L", "N", "N", "N", "N", "N", "N"),
    ("post.unvote",     "others' hidden post",              "L", "Y", "Y", "N", "Y", "Y", "Y"),
    ("post.unvote",     "others' deleted post",             "L", "Y", "Y", "N", "Y", "Y", "Y"),

    ("post.accept",     "answer in own thread",             "L", "Y", "Y", "N", "Y", "Y", "Y"),
    ("post.accept",     "own answer in own thread",         "L", "Y", "Y", "N", "Y", "Y", "Y"),
    ("post.accept",     "answer in others' thread",         "L", "N", "N", "N", "Y", "Y", "Y"),
    ("post.accept",     "question of own thread",           "L", "N", "N", "N", "N", "N", "N"),
    ("post.accept",     "hidden answer in own thread",      "L", "N", "N", "N", "N", "N", "N"),
    ("post.accept",     "deleted answer in own thread",     "L", "N", "N", "N", "N", "N", "N"),

    ("post.flag",       "others' post",                     "L", "N", "Y", "N", "Y", "Y", "Y"),
    ("post.flag",       "own post",                         "L", "N", "N", "N", "N", "N", "N"),
    ("post.flag",       "others' deleted post",             "L", "N", "N", "N", "N", "N", "N"),

    ("post.links",      "-",                                "L", "N", "Y", "N", "Y", "Y", "Y"),
    ("post.skip_review", "-",                               "L", "N", "Y", "N", "Y", "Y", "Y"),
    ("review.access",   "-",                                "L", "N", "N", "N", "Y", "Y", "Y"),
    ("thread.close",    "visible thread",                   "L", "N", "N", "N", "Y", "Y", "Y"),
    ("thread.lock",     "visible thread",                   "L", "N", "N", "N", "Y", "Y", "Y"),

    # The knowledge base: staff write; drafts and archived articles are theirs alone.
    ("kb.read",         "published article",                "Y", "Y", "Y", "Y", "Y", "Y", "Y"),
    ("kb.read",         "draft article",                    "H", "H", "H", "H", "H", "Y", "Y"),
    ("kb.read",         "archived article",                 "H", "H", "H", "H", "H", "Y", "Y"),
    ("kb.write",        "-",                                "L", "N", "N", "N", "N", "Y", "Y"),
    ("kb.promote",      "others' answer",                   "L", "N", "N", "N", "N", "Y", "Y"),
    ("kb.promote",      "others' hidden post",              "L", "N", "N", "N", "N", "N", "N"),
    ("kb.promote",      "own question without answers",     "L", "N", "N", "N", "N", "N", "N"),
    ("kb.answer_with",  "others' thread",                   "L", "N", "N", "N", "Y", "Y", "Y"),
    ("kb.answer_with",  "locked thread",                    "L", "N", "N", "N", "Y", "Y", "Y"),
    ("kb.feedback",     "published article",                "Y", "Y", "Y", "N", "Y", "Y", "Y"),
    ("kb.feedback",     "draft article",                    "N", "N", "N", "N", "N", "N", "N"),
    ("post.trusted_flag", "-",                              "L", "N", "N", "N", "Y", "Y", "Y"),
    ("moderation.act",  "-",                                "L", "N", "N", "N", "Y", "Y", "Y"),
    ("moderation.act",  "others' post",                     "L", "N", "N", "N", "Y", "Y", "Y"),
    # Another moderator decides flags on a moderator's own post; admins are the last resort.
    ("moderation.act",  "own post",                         "L", "N", "N", "N", "N", "N", "Y"),
    ("moderation.act",  "own account",                      "L", "N", "N", "N", "N", "N", "Y"),
    ("moderation.act",  "other account",                    "L", "N", "N", "N", "Y", "Y", "Y"),
    ("moderation.audit", "-",                               "L", "N", "N", "N", "Y", "Y", "Y"),

    ("user.suspend",    "own account",                      "L", "N", "N", "N", "N", "N", "N"),
    ("user.suspend",    "other account",                    "L", "N", "N", "N", "Y", "Y", "Y"),
    ("user.suspend",    "moderator's account",              "L", "N", "N", "N", "N", "N", "Y"),
    ("user.suspend",    "admin's account",                  "L", "N", "N", "N", "N", "N", "Y"),

    ("user.edit",       "own account",                      "L", "Y", "Y", "Y", "Y", "Y", "Y"),
    ("user.edit",       "other account",                    "L", "N", "N", "N", "N", "N", "Y"),

    ("category.manage", "-",                                "L", "N", "N", "N", "N", "Y", "Y"),
    ("jobs.manage",     "-",                                "L", "N", "N", "N", "N", "N", "Y"),

    # Escalation to the help desk. The asker asks for their own open thread once it has
    # an answer, or after ESCALATE_ASKER_WAIT_HOURS (24 here) without one; staff roles
    # pressing it on their own thread count as the asker too.
    ("escalation.request", "own answered thread",           "L", "Y", "Y", "N", "Y", "Y", "Y"),
    ("escalation.request", "own unanswered thread, 1 h old", "L", "N", "N", "N", "N", "N", "N"),
    ("escalation.request", "own unanswered thread, 25 h old", "L", "Y", "Y", "N", "Y", "Y", "Y"),
    ("escalation.request", "own solved thread",             "L", "N", "N", "N", "N", "N", "N"),
    ("escalation.request", "own escalated thread",          "L", "N", "N", "N", "N", "N", "N"),
    ("escalation.request", "own closed thread",             "L", "N", "N", "N", "N", "N", "N"),
    ("escalation.request", "own hidden thread",             "L", "N", "N", "N", "N", "N", "N"),
    ("escalation.request", "others' answered thread",       "L", "N", "N", "N", "N", "N", "N"),
    ("escalation.request", "others' unanswered thread, 25 h old", "L", "N", "N", "N", "N", "N", "N"),
    # "Escalate to support": moderators and above, on any thread that is not deleted.
    ("escalation.create", "others' answered thread",        "L", "N", "N", "N", "Y", "Y", "Y"),
    ("escalation.create", "own unanswered thread, 1 h old", "L", "N", "N", "N", "Y", "Y", "Y"),
    ("escalation.create", "own solved thread",              "L", "N", "N", "N", "Y", "Y", "Y"),
    ("escalation.create", "hidden thread",                  "L", "N", "N", "N", "Y", "Y", "Y"),
    ("escalation.create", "locked thread",                  "L", "N", "N", "N", "Y", "Y", "Y"),
    ("escalation.create", "deleted thread",                 "L", "N", "N", "N", "N", "N", "N"),
    # The badge and ticket status: the asker (even suspended) and moderators and above.
    ("escalation.status", "own escalated thread",           "L", "Y", "Y", "Y", "Y", "Y", "Y"),
    ("escalation.status", "own deleted thread",             "L", "Y", "Y", "Y", "Y", "Y", "Y"),
    ("escalation.status", "others' escalated thread",       "L", "N", "N", "N", "Y", "Y", "Y"),
    ("escalation.status", "deleted thread",                 "L", "N", "N", "N", "Y", "Y", "Y"),
    ("escalation.view",   "-",                              "L", "N", "N", "N", "Y", "Y", "Y"),
    ("webhooks.manage",   "-",                              "L", "N", "N", "N", "N", "N", "Y"),
    # One's own notifications, watches and e-mail choices: any account, suspended too
    # (they still hear why).
    ("notifications.manage", "-",                           "L", "Y", "Y", "Y", "Y", "Y", "Y"),
]

EXPECTED = {"Y": (True, None), "L": (False, 401), "N": (False, 403), "H": (False, 404)}
OTHER_ID = 999


def _person(column: str, ident: int):
    spec = PEOPLE[column]
    if spec is None:
        return AnonymousUserMixin()
    role, reputation, suspended = spec
    return User(id=ident, username=column.replace(" ", "_"), role=role, reputation=reputation,
                session_version=1,
                suspended_until=utcnow() + timedelta(days=3) if suspended else None)


def _thread(author_id: int, *, state=PostState.VISIBLE, locked=False, answers=0,
            status=ThreadStatus.OPEN) -> Thread:
    return Thread(id=10, author_id=author_id, state=state, locked=locked, answer_count=answers, status=status)


def _post(author_id: int, *, state=PostState.VISIBLE, question=False, thread: Thread | None = None) -> Post:
    thread = thread or _thread(OTHER_ID, answers=1)
    return Post(id=20, thread=thread, thread_id=thread.id, author_id=author_id, is_question=question,
                state=state)


def _asked(author_id: int, *, hours: float = 1, answers: int = 0, status=ThreadStatus.OPEN,
           state=PostState.VISIBLE) -> Thread:
    """A thread asked ``hours`` ago, for the escalation rules that look at waiting time."""
    thread = _thread(author_id, answers=answers, status=status, state=state)
    thread.created_at = utcnow() - timedelta(hours=hours)
    if status == ThreadStatus.SOLVED:
        thread.accepted_post_id = 21
    return thread


# Each target builder takes the acting person's id ("own" means authored by them).
TARGETS = {
    "-": lambda me: None,
    "visible thread": lambda me: _thread(OTHER_ID),
    "others' thread": lambda me: _thread(OTHER_ID),
    "own thread": lambda me: _thread(me),
    "locked thread": lambda me: _thread(OTHER_ID, locked=True),
    "closed thread": lambda me: _thread(OTHER_ID, status=ThreadStatus.CLOSED),
    "hidden thread": lambda me: _thread(OTHER_ID, state=PostState.HIDDEN),
    "own hidden thread": lambda me: _thread(me, state=PostState.HIDDEN),
    "deleted thread": lambda me: _thread(OTHER_ID, state=PostState.DELETED),
    "own deleted thread": lambda me: _thread(me, state=PostState.DELETED),
    "own post": lambda me: _post(me),
    "others' post": lambda me: _post(OTHER_ID),
    "own hidden post": lambda me: _post(me, state=PostState.HIDDEN),
    "own queued post": lambda me: _post(me, state=PostState.QUEUED),
    "others' hidden post": lambda me: _post(OTHER_ID, state=PostState.HIDDEN),
    "own deleted post": lambda me: _post(me, state=PostState.DELETED),
    "others' deleted post": lambda me: _post(OTHER_ID, state=PostState.DELETED),
    "own post in locked thread": lambda me: _post(me, thread=_thread(OTHER_ID, locked=True)),
    "others' post in locked thread": lambda me: _post(OTHER_ID, thread=_thread(OTHER_ID, locked=True)),
    "own answer": lambda me: _post(me),
    "others' answer": lambda me: _post(OTHER_ID),
    "own question without answers": lambda me: _post(me, question=True, thread=_thread(me, answers=0)),
    "own question with answers": lambda me: _post(me, question=True, thread=_thread(me, answers=2)),
    "others' question with answers": lambda me: _post(OTHER_ID, question=True,
                                                       thread=_thread(OTHER_ID, answers=2)),
    "answer in own thread": lambda me: _post(OTHER_ID, thread=_thread(me, answers=1)),
    "own answer in own thread": lambda me: _post(me, thread=_thread(me, answers=1)),
    "answer in others' thread": lambda me: _post(OTHER_ID + 1, thread=_thread(OTHER_ID, answers=1)),
    "question of own thread": lambda me: _post(me, question=True, thread=_thread(me, answers=1)),
    "hidden answer in own thread": lambda me: _post(OTHER_ID, state=PostState.HIDDEN,
                                                     thread=_thread(me, answers=1)),
    "deleted answer in own thread": lambda me: _post(OTHER_ID, state=PostState.DELETED,
                                                      thread=_thread(me, answers=1)),
    "published article": lambda me: Article(id=30, status=ArticleStatus.PUBLISHED),
    "draft article": lambda me: Article(id=30, status=ArticleStatus.DRAFT),
    "archived article": lambda me: Article(id=30, status=ArticleStatus.ARCHIVED),
    "own answered thread": lambda me: _asked(me, answers=1),
    "own unanswered thread, 1 h old": lambda me: _asked(me, hours=1),
    "own unanswered thread, 25 h old": lambda me: _asked(me, hours=25),
    "own solved thread": lambda me: _asked(me, answers=1, status=ThreadStatus.SOLVED),
    "own escalated thread": lambda me: _asked(me, answers=1, status=ThreadStatus.ESCALATED),
    "own closed thread": lambda me: _asked(me, answers=1, status=ThreadStatus.CLOSED),
    "others' answered thread": lambda me: _asked(OTHER_ID, answers=1),
    "others' unanswered thread, 25 h old": lambda me: _asked(OTHER_ID, hours=25),
    "others' escalated thread": lambda me: _asked(OTHER_ID, answers=1, status=ThreadStatus.ESCALATED),
    "own account": lambda me: User(id=me, username="me"),
    "other account": lambda me: User(id=OTHER_ID, username="other", role=Role.MEMBER),
    "moderator's account": lambda me: User(id=OTHER_ID, username="mod", role=Role.MODERATOR),
    "admin's account": lambda me: User(id=OTHER_ID, username="root", role=Role.ADMIN),
}


def _cases():
    for action, target, *answers in MATRIX:
        assert len(answers) == len(COLUMNS), (action, target)
        for column, answer in zip(COLUMNS, answers):
            yield pytest.param(action, target, column, answer, id=f"{action}|{target}|{column}")


@pytest.fixture(scope="module")
def policy_app(tmp_path_factory):
    """An app for the policy alone: the targets are never stored, so the database
    is never opened."""
    app = create_app({
        "TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "test-secret",
        "DATA_DIR": str(tmp_path_factory.mktemp("data")), "EMBEDDED_WORKER": False,
        "PRIVILEGES": dict(PRIVILEGES), "ESCALATE_ASKER_WAIT_HOURS": 24, "ESCALATION_STATUS_PUBLIC": False,
    })
    with app.app_context():
        yield app


@pytest.mark.parametrize(("action", "target", "column", "answer"), list(_cases()))
def test_permission_matrix(policy_app, action, target, column, answer):
    me = COLUMNS.index(column) + 1
    decision = permissions.can(_person(column, me), action, TARGETS[target](me))
    allowed, status = EXPECTED[answer]
    assert bool(decision) is allowed, decision.reason
    if allowed:
        assert decision.reason == ""
    else:
        assert decision.status == status
        assert decision.reason, "a refusal must say why"


def test_matrix_covers_every_action_and_nothing_else():
    assert {row[0] for row in MATRIX} == set(permissions.RULES)


def test_every_target_in_the_matrix_has_a_builder():
    assert {row[1] for row in MATRIX} <= set(TARGETS)


def test_matrix_has_one_row_per_action_and_target():
    keys = [(row[0], row[1]) for row in MATRIX]
    assert len(keys) == len(set(keys))


def test_none_is_treated_as_anonymous(policy_app):
    for action in ("thread.create", "category.manage", "jobs.manage"):
        assert permissions.can(None, action) == permissions.can(AnonymousUserMixin(), action)
        assert permissions.can(None, action).status == 401


def test_unknown_action_is_a_programming_error(policy_app):
    with pytest.raises(LookupError, match="unknown action"):
        permissions.can(_person("admin", 1), "thread.burn")


@pytest.mark.parametrize(("privilege", "need"), sorted(PRIVILEGES.items()))
def test_privileges_follow_the_configured_thresholds(policy_app, privilege, need):
    post = _post(OTHER_ID)
    action = PRIVILEGE_ACTIONS[privilege]
    below = User(id=1, role=Role.MEMBER, reputation=need - 1, suspended_until=None)
    at = User(id=2, role=Role.MEMBER, reputation=need, suspended_until=None)
    refused = permissions.can(below, action, post)
    assert not refused and f"needs {need} reputation" in refused.reason
    assert permissions.can(at, action, post)


def test_an_expired_suspension_no_longer_refuses(policy_app):
    person = User(id=1, role=Role.MEMBER, reputation=1, suspended_until=utcnow() - timedelta(seconds=1))
    assert permissions.can(person, "thread.create")


def test_a_public_ticket_status_shows_on_visible_threads_only(policy_app, monkeypatch):
    monkeypatch.setitem(policy_app.config, "ESCALATION_STATUS_PUBLIC", True)
    member = _person("member", 3)
    assert permissions.can(None, "escalation.status", _asked(OTHER_ID, answers=1, status=ThreadStatus.ESCALATED))
    assert permissions.can(member, "escalation.status", _asked(OTHER_ID, answers=1, status=ThreadStatus.ESCALATED))
    hidden = _asked(OTHER_ID, answers=1, state=PostState.HIDDEN)
    assert permissions.can(None, "escalation.status", hidden).status == 401
    assert permissions.can(member, "escalation.status", hidden).status == 403


def test_the_asker_may_ask_support_exactly_when_the_wait_is_over(policy_app, monkeypatch):
    monkeypatch.setitem(policy_app.config, "ESCALATE_ASKER_WAIT_HOURS", 6)
    asker = _person("member", 3)
    refused = permissions.can(asker, "escalation.request", _asked(3, hours=5.9))
    assert not refused and "6 hours after asking" in refused.reason
    assert permissions.can(asker, "escalation.request", _asked(3, hours=6.01))
