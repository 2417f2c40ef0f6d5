"""Escalation in the API: escalate by role, the staff queue and one escalation with its
deliveries, and the help desk's signed callback against everything a sender can get
wrong."""
from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from forum.accounts import services as accounts
from forum.db import utcnow
from forum.escalation import endpoints, services
from forum.escalation.models import Escalation, Receipt, TicketStatus
from forum.escalation.webhooks import headers, new_secret
from forum.extensions import db
from forum.models import Post, PostState, Role, Thread
from forum.threads.queries import encode_cursor
from tests import factories as f
from tests.forum.api.conftest import PROBLEM, assert_problem
from tests.forum.api.test_openapi import _check
from tests.forum.escalation.conftest import community, drain

PREFIX = "/api/v1"


@pytest.fixture
def world(ectx, receiver):
    """The escalation community with tokens, a second unsolved thread of Bob's, and
    an endpoint at the receiver. Only ids and strings are kept: requests run in their
    own sessions."""
    c = community()
    sam = f.user("sam", role=Role.STAFF)
    other = f.thread(c.bob, title="Exports time out for large teams", category_obj=c.billing,
                     body="The CSV export of our 400 seats stops after a minute.")
    f.answer(other, c.alice, body="Same here since Monday, with 250 seats.")
    endpoint, _ = endpoints.add_endpoint(by=c.ada, url=receiver.url, secret=receiver.secret, allow_private=True)
    tokens = {u.username: accounts.create_token(u)[1] for u in (c.ada, c.maya, c.alice, c.bob, sam)}
    return SimpleNamespace(thread=c.thread.id, other=other.id, answer=c.answer.id, endpoint=endpoint.id,
                           secret=receiver.secret, tokens=tokens, alice=c.alice.id)


@pytest.fixture
def api(esc_app, world):
    client = esc_app.test_client()

    def call(method: str, path: str, *, as_: str | None = None, **kw):
        h = dict(kw.pop("headers", {}))
        if as_:
            h["Authorization"] = f"Bearer {world.tokens[as_]}"
        return client.open(PREFIX + path, method=method, headers=h, **kw)

    return call


@pytest.fixture
def spec(api):
    return api("GET", "/openapi.json").get_json()


def _escalate(api, thread_id, as_, note="Still stuck after trying that."):
    return api("POST", f"/threads/{thread_id}/escalate", as_=as_, json={"note": note})


# -- escalating ------------------------------------------------------------------------

def test_the_asker_escalates_their_own_thread_and_sees_its_status(api, world, spec):
    response = _escalate(api, world.thread, "alice")
    assert response.status_code == 201, response.get_json()
    _check(spec, response, "POST", "/threads/{thread_id}/escalate")
    body = response.get_json()
    assert body["trigger"] == "asker" and body["delivery"] == "queued" and body["thread_id"] == world.thread
    assert body["badge"] == "waiting for the help desk"
    # The asker learns the status, not the deliveries nor staff's fields.
    assert "messages" not in body and "note" not in body and "idempotency_key" not in body
    assert response.headers["Location"].endswith(f"/api/v1/escalations/{body['id']}")
    assert db.session.get(Thread, world.thread).status.value == "escalated"


def test_a_moderator_escalates_anyones_thread_with_a_note(api, world, spec):
    response = _escalate(api, world.other, "maya", note="Large customer, blocked on exports.")
    assert response.status_code == 201
    _check(spec, response, "POST", "/threads/{thread_id}/escalate")
    body = response.get_json()
    assert body["trigger"] == "staff" and body["note"] == "Large customer, blocked on exports."
    assert body["requested_by"]["username"] == "maya" and body["requester"]["username"] == "bob"
    (message,) = body["messages"]
    assert message["status"] == "pending" and message["endpoint"]["id"] == world.endpoint


@pytest.mark.parametrize(("who", "status"), [(None, 401), ("bob", 403), ("sam", 201), ("ada", 201)])
def test_who_may_escalate_alices_thread(api, world, who, status):
    response = _escalate(api, world.thread, who)
    assert response.status_code == status, response.get_json()
    if status == 201:
        assert response.get_json()["trigger"] == "staff"
    else:
        assert response.mimetype == PROBLEM


def test_escalating_twice_is_409_naming_the_escalation(api, world):
    first = _escalate(api, world.thread, "alice").get_json()
    for who in ("alice", "maya"):
        body = assert_problem(_escalate(api, world.thread, who), 409)
        assert body["escalation_id"] == first["id"] and "already" in body["detail"]
    # Someone who may not see the ticket learns nothing about it: the usual refusal.
    assert "escalation_id" not in assert_problem(_escalate(api, world.thread, "bob"), 403)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Escalation)).scalar_one() == 1


def test_an_unanswered_thread_waits_before_the_asker_may_escalate(api, world):
    fresh = f.thread(db.session.get(accounts.User, world.alice), title="Where did the dark theme go?",
                     body="It vanished after the last update on my laptop.")
    body = assert_problem(_escalate(api, fresh.id, "alice"), 403)
    assert "hours after asking" in body["detail"]
    assert _escalate(api, fresh.id, "maya").status_code == 201


def test_a_suspended_asker_may_not_escalate(api, world):
    alice = db.session.get(accounts.User, world.alice)
    alice.suspended_until = utcnow() + timedelta(days=1)
    db.session.commit()
    assert "suspended" in assert_problem(_escalate(api, world.thread, "alice"), 403)["detail"]


def test_hidden_missing_and_huge_threads_are_404(api, world):
    thread = db.session.get(Thread, world.other)
    thread.state = PostState.HIDDEN
    db.session.commit()
    assert_problem(_escalate(api, world.other, "alice"), 404)
    assert_problem(_escalate(api, 424242, "maya"), 404)
    for ident in (2**70, 2**62, 2**31):
        assert_problem(_escalate(api, ident, "maya"), 404)


@pytest.mark.parametrize(("data", "status", "field"), [
    ('{"note": "x', 400, None), ("[]", 400, None), ("", 400, None), ('"help"', 400, None),
    ('{"note": 5}', 422, "note"), ('{"note": null}', 422, "note"), ('{"note": true}', 422, "note"),
    ('{"notes": "typo"}', 422, "notes"), (json.dumps({"note": "x" * 2001}), 422, "note"),
])
def test_bad_escalation_bodies_are_problems(api, world, data, status, field):
    response = api("POST", f"/threads/{world.thread}/escalate", as_="alice", data=data,
                   content_type="application/json")
    assert_problem(response, status, *([field] if field else []))
    assert services.for_thread(world.thread) is None


def test_an_empty_object_escalates_without_a_note(api, world):
    response = api("POST", f"/threads/{world.thread}/escalate", as_="alice", json={})
    assert response.status_code == 201


# -- reading -----------------------------------------------------------------------------

def test_staff_list_escalations_newest_first_with_filters_and_pages(api, world, spec):
    _escalate(api, world.thread, "alice")
    _escalate(api, world.other, "maya")
    for who, status in ((None, 401), ("bob", 403), ("alice", 403)):
        assert_problem(api("GET", "/escalations", as_=who), status)
    response = api("GET", "/escalations", as_="maya")
    _check(spec, response, "GET", "/escalations")
    items = response.get_json()["items"]
    assert [e["thread_id"] for e in items] == [world.other, world.thread]
    first = api("GET", "/escalations?limit=1", as_="sam").get_json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = api("GET", f"/escalations?limit=1&cursor={first['next_cursor']}", as_="sam").get_json()
    assert [e["thread_id"] for e in second["items"]] == [world.thread] and second["next_cursor"] is None
    assert len(api("GET", "/escalations?status=none&delivery=queued", as_="ada").get_json()["items"]) == 2
    assert api("GET", "/escalations?status=solved", as_="ada").get_json()["items"] == []
    big = encode_cursor(utcnow(), 2**40)
    for bad in ("status=lost", "delivery=sent", "cursor=nope", "cursor=" + "A" * 500, f"cursor={big}", "limit=0",
                "limit=x"):
        _check(spec, api("GET", f"/escalations?{bad}", as_="ada"), "GET", "/escalations")
        assert api("GET", f"/escalations?{bad}", as_="ada").status_code == 422, bad


def test_staff_read_an_escalation_with_every_attempt(api, world, receiver, spec):
    receiver.script(500)
    receiver.respond = lambda req: (201, {"ticket_id": "T-9", "ticket_url": "https://desk.example/t/9"}, {})
    ident = _escalate(api, world.thread, "alice").get_json()["id"]
    drain()
    drain()
    response = api("GET", f"/escalations/{ident}", as_="maya")
    _check(spec, response, "GET", "/escalations/{escalation_id}")
    body = response.get_json()
    assert body["delivery"] == "delivered" and body["ticket_id"] == "T-9" and body["ticket_status"] == "open"
    (message,) = body["messages"]
    assert message["status"] == "delivered" and message["attempt_count"] == 2
    assert [a["status_code"] for a in message["attempts"]] == [500, 201]
    assert message["attempts"][0]["request_headers"]["webhook-id"] == message["id"]


def test_the_asker_reads_the_status_and_others_get_404(api, world, spec):
    ident = _escalate(api, world.thread, "maya", note="Internal: VIP").get_json()["id"]
    mine = api("GET", f"/escalations/{ident}", as_="alice")
    _check(spec, mine, "GET", "/escalations/{escalation_id}")
    assert "note" not in mine.get_json() and "messages" not in mine.get_json()
    for who in (None, "bob"):
        assert_problem(api("GET", f"/escalations/{ident}", as_=who), 404)
    for path in ("/escalations/424242", f"/escalations/{2**70}", f"/escalations/{2**31}", "/escalations/0",
                 "/escalations/abc"):
        assert_problem(api("GET", path, as_="maya"), 404)


def test_public_ticket_statuses_are_readable_by_anyone(make_app, receiver):
    app = make_app(ESCALATION_STATUS_PUBLIC=True)
    with app.app_context():
        c = community()
        ident = services.escalate(c.thread, by=c.alice).id
    body = app.test_client().get(f"{PREFIX}/escalations/{ident}").get_json()
    assert body["badge"] == "waiting for staff" and "messages" not in body


# -- the callback ----------------------------------------------------------------------

class Desk:
    """The help desk: signs callbacks with a secret, as a real one would."""

    def __init__(self, client, secret: str):
        self.client, self.secret, self.n = client, secret, 0

    def signed(self, raw: str | bytes, *, secret: str | None = None, msg_id: str | None = None, when=None,
               extra: dict | None = None) -> dict:
        self.n += 1
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        h = headers([secret or self.secret], msg_id or f"cb_{self.n}", when or utcnow(), text)
        return {**h, **(extra or {})}

    def send(self, payload, *, query: str = "", body: bytes | None = None, **kw):
        raw = body if body is not None else (payload if isinstance(payload, str) else json.dumps(payload))
        h = self.signed(raw, **kw)
        data = raw if isinstance(raw, bytes) else raw.encode()
        return self.client.post(f"{PREFIX}/escalations/callback{query}", data=data, headers=h)


@pytest.fixture
def desk(esc_app, world):
    return Desk(esc_app.test_client(), world.secret)


@pytest.fixture
def escalated(api, world):
    return _escalate(api, world.thread, "alice").get_json()["id"]


def _status(ident: int, when, status="pending", **extra) -> dict:
    return {"escalation_id": ident, "status": status, "updated_at": when.isoformat().replace("+00:00", "Z"),
            **extra}


def test_a_signed_callback_moves_the_ticket(desk, escalated, spec):
    response = desk.send(_status(escalated, utcnow(), ticket_url="https://desk.example/t/5"))
    _check(spec, response, "POST", "/escalations/callback")
    assert response.get_json() == {"applied": True, "escalation_id": escalated, "ticket_status": "pending"}
    assert db.session.get(Escalation, escalated).ticket_url == "https://desk.example/t/5"


def test_the_same_callback_replayed_ten_times_changes_the_ticket_once(desk, escalated, spec):
    payload = json.dumps(_status(escalated, utcnow(), "solved", agent="Jo",
                                 public_reply="Pick EUR under Settings, then Billing, then Currency."))
    h = desk.signed(payload, msg_id="cb_replayed")
    answers = [desk.client.post(f"{PREFIX}/escalations/callback", data=payload, headers=h) for _ in range(10)]
    assert [r.status_code for r in answers] == [200] * 10
    assert [r.get_json()["applied"] for r in answers] == [True] + [False] * 9
    for r in answers:
        _check(spec, r, "POST", "/escalations/callback")
    replies = db.session.execute(sa.select(Post).where(Post.body.contains("Pick EUR"))).scalars().all()
    assert len(replies) == 1 and replies[0].author.username == "support"
    assert db.session.execute(sa.select(sa.func.count()).select_from(Receipt)).scalar_one() == 1


def test_an_older_callback_after_a_newer_one_is_ignored(desk, escalated):
    now = utcnow()
    assert desk.send(_status(escalated, now, "solved")).get_json()["applied"] is True
    late = desk.send(_status(escalated, now - timedelta(minutes=3), "pending")).get_json()
    assert late == {"applied": False, "escalation_id": escalated, "ticket_status": "solved"}
    assert db.session.get(Escalation, escalated).ticket_status == TicketStatus.SOLVED


def test_a_callback_names_the_ticket_instead_of_the_escalation(desk, escalated):
    escalation = db.session.get(Escalation, escalated)
    escalation.ticket_id = "4711"
    db.session.commit()
    body = {"ticket_id": 4711, "status": "pending", "updated_at": utcnow().isoformat()}
    assert desk.send(body).get_json()["escalation_id"] == escalated


@pytest.mark.parametrize("case", ["tampered", "wrong secret", "stale", "future", "no signature", "no id",
                                  "garbage signature", "unknown endpoint", "other endpoint"])
def test_callbacks_that_are_not_signed_right_are_401(desk, escalated, world, case):
    payload = json.dumps(_status(escalated, utcnow(), "solved"))
    h, data, query = desk.signed(payload), payload, ""
    if case == "tampered":
        data = payload.replace("solved", "closed")
    elif case == "wrong secret":
        h = desk.signed(payload, secret=new_secret())
    elif case == "stale":
        h = desk.signed(payload, when=utcnow() - timedelta(minutes=11))
    elif case == "future":
        h = desk.signed(payload, when=utcnow() + timedelta(minutes=11))
    elif case == "no signature":
        del h["webhook-signature"]
    elif case == "no id":
        del h["webhook-id"]
    elif case == "garbage signature":
        h["webhook-signature"] = "v1,not base64!! v2 ,,,"
    elif case == "unknown endpoint":
        query = "?endpoint=999"
    elif case == "other endpoint":
        other, _ = endpoints.add_endpoint(by=None, url="https://desk.example/hooks", secret=new_secret())
        query = f"?endpoint={other.id}"
    response = desk.client.post(f"{PREFIX}/escalations/callback{query}", data=data, headers=h)
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"]
    assert db.session.get(Escalation, escalated).ticket_status is None


def test_the_endpoint_query_picks_the_secret(desk, escalated, world):
    assert desk.send(_status(escalated, utcnow()), query=f"?endpoint={world.endpoint}").status_code == 200
    assert_problem(desk.send(_status(escalated, utcnow()), query="?endpoint=abc"), 400, "endpoint")
    for huge in (2**70, 2**31):
        assert_problem(desk.send(_status(escalated, utcnow()), query=f"?endpoint={huge}"), 400, "endpoint")


def test_the_previous_secret_verifies_until_the_overlap_ends(desk, escalated, world):
    old = world.secret
    endpoint, new = endpoints.rotate_secret(endpoints.get_endpoint(world.endpoint), by=None)
    start = utcnow()
    assert desk.send(_status(escalated, start, "open"), secret=old).get_json()["applied"] is True
    assert desk.send(_status(escalated, start + timedelta(seconds=1)), secret=new).get_json()["applied"] is True
    endpoint = endpoints.get_endpoint(world.endpoint)
    endpoint.previous_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert_problem(desk.send(_status(escalated, start + timedelta(seconds=2), "solved"), secret=old), 401)
    assert desk.send(_status(escalated, start + timedelta(seconds=3), "solved"), secret=new).status_code == 200


FUZZ = {
    "not json": b"status=solved",
    "truncated": b'{"escalation_id": 1, "status": "sol',
    "array": b'[{"escalation_id": 1, "status": "solved"}]',
    "string": b'"solved"',
    "null": b"null",
    "empty object": b"{}",
    "huge id": b'{"escalation_id": 100000000000000000000000000000, "status": "solved", '
               b'"updated_at": "2030-01-01T00:00:00Z"}',
    "negative id": b'{"escalation_id": -1, "status": "solved", "updated_at": "2030-01-01T00:00:00Z"}',
    "bool id": b'{"escalation_id": true, "status": "solved", "updated_at": "2030-01-01T00:00:00Z"}',
    "float id": b'{"escalation_id": 1.5, "status": "solved", "updated_at": "2030-01-01T00:00:00Z"}',
    "bool ticket": b'{"ticket_id": false, "status": "solved", "updated_at": "2030-01-01T00:00:00Z"}',
    "list ticket": b'{"ticket_id": [1], "status": "solved", "updated_at": "2030-01-01T00:00:00Z"}',
    "long ticket": b'{"ticket_id": "' + b"9" * 500 + b'", "status": "solved", "updated_at": "2030-01-01T00:00:00Z"}',
    "bad status": b'{"escalation_id": 1, "status": "reopened", "updated_at": "2030-01-01T00:00:00Z"}',
    "status object": b'{"escalation_id": 1, "status": {"a": 1}, "updated_at": "2030-01-01T00:00:00Z"}',
    "no zone": b'{"escalation_id": 1, "status": "solved", "updated_at": "2030-01-01T00:00:00"}',
    "bad time": b'{"escalation_id": 1, "status": "solved", "updated_at": "yesterday"}',
    "numeric time": b'{"escalation_id": 1, "status": "solved", "updated_at": 1700000000}',
    "reply object": b'{"escalation_id": 1, "status": "solved", "updated_at": "2030-01-01T00:00:00Z", '
                    b'"public_reply": {"x": 1}}',
    "huge reply": b'{"escalation_id": 1, "status": "solved", "updated_at": "2030-01-01T00:00:00Z", '
                  b'"public_reply": "' + b"a" * 40_000 + b'"}',
    "javascript url": b'{"escalation_id": 1, "status": "solved", "updated_at": "2030-01-01T00:00:00Z", '
                      b'"ticket_url": "javascript:alert(1)"}',
    "NaN": b'{"escalation_id": NaN, "status": "solved", "updated_at": "2030-01-01T00:00:00Z"}',
    "huge number": b'{"escalation_id": 1' + b"0" * 5000 + b', "status": "solved"}',
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "number agent": b'{"escalation_id": 1, "status": "solved", "updated_at": "2030-01-01T00:00:00Z", "agent": 7}',
    "lone surrogate": b'{"escalation_id": 1, "status": "solved", "updated_at": "2030-01-01T00:00:00Z", '
                      b'"agent": "\\ud800"}',
    "surrogate ticket": b'{"ticket_id": "\\udfff", "status": "solved", "updated_at": "2030-01-01T00:00:00Z"}',
    "surrogate reply": b'{"escalation_id": 1, "status": "solved", "updated_at": "2030-01-01T00:00:00Z", '
                       b'"public_reply": "Fixed on our side now \\ud800, sorry."}',
}


@pytest.mark.parametrize("case", FUZZ)
def test_odd_signed_bodies_are_never_a_500(desk, escalated, case):
    data = FUZZ[case].replace(b'"escalation_id": 1,', f'"escalation_id": {escalated},'.encode())
    response = desk.send(None, body=data)
    assert response.status_code in (200, 400, 404), (response.status_code, response.get_data()[:300])
    assert response.mimetype in (PROBLEM, "application/json")
    if response.status_code != 200:
        assert_problem(response, response.status_code)


def test_broken_bytes_and_unknown_escalations(desk, escalated):
    assert_problem(desk.send(None, body=b'{"status": "caf\xc3\x28"}'), 401)  # not text: nothing to verify
    body = assert_problem(desk.send(_status(2**31 - 1, utcnow())), 404)
    assert "escalation" in body["detail"]
    assert_problem(desk.send({"ticket_id": "nope", "status": "open", "updated_at": utcnow().isoformat()}), 404)
    assert_problem(desk.send(_status(escalated, utcnow(), "reopened")), 400, "status")


@pytest.mark.parametrize("ident", [2**31, 2**62])
def test_an_escalation_id_past_32_bits_is_not_found(desk, escalated, ident):
    assert_problem(desk.send(_status(ident, utcnow())), 404)


def test_the_callback_ignores_bearer_tokens_and_cookies_and_wants_post(desk, escalated):
    response = desk.send(_status(escalated, utcnow()), extra={"Authorization": "Basic ZGVzazpzZWNyZXQ="})
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert_problem(desk.client.get(f"{PREFIX}/escalations/callback"), 405)


def test_the_callback_needs_no_csrf_token_and_skips_the_posting_limits(make_app, receiver):
    app = make_app(WTF_CSRF_ENABLED=True, POST_RATE="1 per hour", NEW_USER_POST_RATE="1 per hour",
                   ESCALATION_CALLBACK_RATE="4 per minute")
    with app.app_context():
        c = community()
        endpoints.add_endpoint(by=c.ada, url=receiver.url, secret=receiver.secret, allow_private=True)
        ident = services.escalate(c.thread, by=c.alice).id
        desk = Desk(app.test_client(), receiver.secret)
        start = utcnow()
        reply = "Our agents changed the currency of your account to EUR for you."
        codes = [desk.send(_status(ident, start + timedelta(seconds=n), "solved" if n else "pending",
                                   public_reply=reply)).status_code for n in range(5)]
    assert codes == [200, 200, 200, 200, 429]


def test_two_tickets_solved_in_a_row_post_two_replies(desk, api, world):
    """The support account is not held to the identical-post window or the rate limits."""
    first = _escalate(api, world.thread, "alice").get_json()["id"]
    second = _escalate(api, world.other, "maya").get_json()["id"]
    reply = "This is fixed in today's release; reload the page and try again."
    for ident in (first, second):
        assert desk.send(_status(ident, utcnow(), "solved", public_reply=reply)).get_json()["applied"] is True
    assert all(db.session.get(Escalation, i).reply_post_id for i in (first, second))
