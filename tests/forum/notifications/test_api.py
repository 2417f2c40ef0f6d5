"""Notifications and watches in the JSON API: listing, marking read, watch levels,
who may, what bad input gets, and the OpenAPI document."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from forum.accounts import services as accounts
from forum.db import write_transaction
from forum.extensions import db
from forum.models import Post, PostState, Role, Thread, User
from forum.notifications import services
from forum.notifications.models import Level, Notification, WatchKind
from tests import factories as f

PROBLEM = "application/problem+json"


@pytest.fixture
def world(ctx):
    """Alice asked; Bob answered twice and mentioned her. Everyone has a token."""
    alice, bob, carol = f.user("alice"), f.user("bob"), f.user("carol")
    maya, sam = f.user("maya", role=Role.MODERATOR), f.user("sam", role=Role.STAFF)
    thread = f.thread(alice, title="Invoices show dollars instead of euros", tags=["invoices"])
    first = f.answer(thread, bob, body="Look under Settings, then Billing, then Currency.")
    f.answer(thread, bob, body="And @alice the setting is per workspace.")
    notes = db.session.execute(sa.select(Notification.id).where(Notification.user_id == alice.id)
                               .order_by(Notification.id)).scalars().all()
    tokens = {u.username: accounts.create_token(u)[1] for u in (alice, bob, carol, maya, sam)}
    return SimpleNamespace(alice=alice.id, bob=bob.id, carol=carol.id, thread=thread.id, answer=first.id,
                           category=thread.category_id, tag=thread.tags[0].id, notes=list(notes), tokens=tokens)


@pytest.fixture
def api(ctx, world):
    client = ctx.test_client()

    def call(method: str, path: str, *, as_: str | None = "alice", **kw):
        headers = kw.pop("headers", {})
        if as_:
            headers["Authorization"] = f"Bearer {world.tokens[as_]}"
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kw)

    return call


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM
    return response.get_json(force=True)


def _unread(user_id: int) -> int:
    db.session.remove()
    return services.unread_count(db.session.get(User, user_id))


# --- listing -------------------------------------------------------------------------------------

def test_the_list_is_newest_first_with_text_links_and_the_unread_count(api, world):
    response = api("GET", "/notifications")
    assert response.status_code == 200
    body = response.json
    assert [n["id"] for n in body["items"]] == list(reversed(world.notes))
    assert [n["kind"] for n in body["items"]] == ["mention", "answer", "answer"]
    first = body["items"][-1]
    assert first["url"].endswith(f"/t/{world.thread}#post-{world.answer}")
    assert first["text"] == "bob answered “Invoices show dollars instead of euros”"
    assert first["actor"]["username"] == "bob" and first["read_at"] is None
    assert first["thread_id"] == world.thread and first["post_id"] == world.answer
    assert body["unread_count"] == 3 and body["next_cursor"] is None


@pytest.mark.parametrize("unread, expected", [("true", 2), ("1", 2), ("false", 3), ("0", 3), ("", 3)])
def test_the_unread_filter(api, world, unread, expected):
    api("POST", "/notifications/read", json={"ids": [world.notes[0]]})
    response = api("GET", f"/notifications?unread={unread}")
    assert len(response.json["items"]) == expected


def test_pages_follow_the_cursor(api, world):
    first = api("GET", "/notifications?limit=2").json
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api("GET", "/notifications", query_string={"limit": 2, "cursor": first["next_cursor"]}).json
    assert [n["id"] for n in rest["items"]] == [world.notes[0]] and rest["next_cursor"] is None


def test_each_person_sees_only_their_own(api, world):
    assert api("GET", "/notifications", as_="carol").json == {"items": [], "next_cursor": None, "unread_count": 0}


@pytest.mark.parametrize("query", ["unread=yes", "unread=TRUE", "limit=0", "limit=101", "limit=x",
                                   "cursor=" + "A" * 5000, "cursor=nonsense"])
def test_bad_list_queries_are_problems(api, world, query):
    response = api("GET", f"/notifications?{query}")
    assert response.status_code in (400, 422)
    assert response.mimetype == PROBLEM


# --- marking read -----------------------------------------------------------------------------

def test_marking_some_read(api, world):
    response = api("POST", "/notifications/read", json={"ids": world.notes[:2]})
    assert response.status_code == 200 and response.json == {"marked": 2, "unread_count": 1}
    # Again: nothing left to mark.
    assert api("POST", "/notifications/read", json={"ids": world.notes[:2]}).json == {"marked": 0, "unread_count": 1}


def test_marking_all_read(api, world):
    assert api("POST", "/notifications/read", json={"all": True}).json == {"marked": 3, "unread_count": 0}
    assert api("GET", "/notifications?unread=true").json["items"] == []


def test_other_peoples_ids_are_not_marked(api, world):
    with write_transaction():
        own = services.notify(world.carol, "badge", data={"badge": "Helper"})
    response = api("POST", "/notifications/read", json={"ids": [*world.notes, own.id]}, as_="carol")
    assert response.json == {"marked": 1, "unread_count": 0}
    assert _unread(world.alice) == 3
    # "all" is all of one's own.
    api("POST", "/notifications/read", json={"all": True}, as_="bob")
    assert _unread(world.alice) == 3


@pytest.mark.parametrize("body", [{}, {"ids": [1], "all": True}, {"all": False}, {"all": 1}, {"all": "true"},
                                  {"ids": "1"}, {"ids": [True]}, {"ids": [0]}, {"ids": [-1]}, {"ids": [1.5]},
                                  {"ids": ["1"]}, {"ids": [2**63]}, {"ids": list(range(1, 502))},
                                  {"ids": [[1]]}, {"ids": [{"id": 1}]}, {"id": [1]}])
def test_bad_read_bodies_are_422(api, world, body):
    _problem(api("POST", "/notifications/read", json=body), 422)
    assert _unread(world.alice) == 3


@pytest.mark.parametrize("data, content_type", [("", "application/json"), ("{", "application/json"),
                                                ("[1]", "application/json"), ("null", "application/json"),
                                                ('{"ids": null}', "application/json"),
                                                ("\xff", "application/json"), ("ids=1", "text/plain")])
def test_unreadable_read_bodies_are_refused(api, world, data, content_type):
    response = api("POST", "/notifications/read", data=data, content_type=content_type)
    assert response.status_code in (400, 415, 422) and response.mimetype == PROBLEM


def test_an_empty_list_marks_nothing(api, world):
    assert api("POST", "/notifications/read", json={"ids": []}).json == {"marked": 0, "unread_count": 3}


# --- watches --------------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["carol", "maya", "sam"])
@pytest.mark.parametrize("kind", ["thread", "category", "tag"])
def test_any_account_sets_its_watch_levels(api, world, role, kind):
    target = getattr(world, kind)
    for level in ("watching", "muted", "normal"):
        response = api("PUT", f"/watches/{kind}/{target}", json={"level": level}, as_=role)
        assert response.status_code == 200
        assert response.json == {"kind": kind, "id": target, "level": level}
        db.session.remove()
        user = db.session.execute(sa.select(User).where(User.username == role)).scalar_one()
        assert services.level_on(user, WatchKind(kind), target) == Level(level)


def test_a_muted_thread_stays_silent_after_a_put(api, world):
    api("PUT", f"/watches/thread/{world.thread}", json={"level": "muted"})
    f.answer(db.session.get(Thread, world.thread), f.user("dave"), body="Try switching the workspace currency.")
    assert _unread(world.alice) == 3


@pytest.mark.parametrize("path", ["/watches/planet/1", "/watches/thread/999999", "/watches/category/0",
                                  "/watches/tag/99999999999999999999", "/watches/THREAD/1"])
def test_unknown_kinds_and_ids_are_404(api, world, path):
    _problem(api("PUT", path, json={"level": "muted"}), 404)


@pytest.mark.parametrize("body", [{}, {"level": "loud"}, {"level": 1}, {"level": ["muted"]}, {"level": "Muted"},
                                  {"level": "muted", "extra": 1}])
def test_bad_watch_bodies_are_422(api, world, body):
    _problem(api("PUT", f"/watches/thread/{world.thread}", json=body), 422)


def test_a_thread_one_cannot_read_cannot_be_watched(api, world):
    thread = db.session.get(Thread, world.thread)
    thread.state = PostState.HIDDEN
    db.session.execute(sa.update(Post).where(Post.thread_id == thread.id, Post.is_question.is_(True))
                       .values(state=PostState.HIDDEN))
    db.session.commit()
    response = api("PUT", f"/watches/thread/{world.thread}", json={"level": "watching"}, as_="carol")
    assert response.status_code in (403, 404) and response.mimetype == PROBLEM


# --- who may ------------------------------------------------------------------------------------

@pytest.mark.parametrize("method, path, body", [
    ("GET", "/notifications", None), ("POST", "/notifications/read", {"all": True}),
    ("PUT", "/watches/thread/1", {"level": "muted"}),
])
def test_without_a_token_everything_is_401(api, world, method, path, body):
    _problem(api(method, path, json=body, as_=None), 401)
    response = api(method, path, json=body, as_=None, headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401 and response.mimetype == PROBLEM
    assert _unread(world.alice) == 3


def test_a_revoked_token_is_refused(api, world):
    alice = db.session.get(User, world.alice)
    for token in accounts.tokens_for(alice):
        accounts.revoke_token(token.id, by=alice)
    _problem(api("GET", "/notifications"), 401)
    _problem(api("POST", "/notifications/read", json={"all": True}), 401)
    assert _unread(world.alice) == 3


# --- the OpenAPI document -------------------------------------------------------------------------

def test_the_endpoints_are_in_the_openapi_document(api, world):
    spec = api("GET", "/openapi.json", as_=None).json
    paths = spec["paths"]
    assert paths["/notifications"]["get"]["operationId"] == "listNotifications"
    assert paths["/notifications/read"]["post"]["operationId"] == "markNotificationsRead"
    assert paths["/watches/{kind}/{target_id}"]["put"]["operationId"] == "setWatch"
    schemas = spec["components"]["schemas"]
    for name in ("Notification", "NotificationPage", "MarkRead", "MarkedRead", "WatchLevel", "Watch"):
        assert name in schemas
    # The document matches what the endpoints answer.
    item = api("GET", "/notifications").json["items"][0]
    assert set(item) == set(schemas["Notification"]["properties"])
    assert set(api("PUT", f"/watches/tag/{world.tag}", json={"level": "muted"}).json) == \
        set(schemas["Watch"]["properties"])
    assert schemas["WatchLevel"]["properties"]["level"]["enum"] == ["watching", "normal", "muted"]
