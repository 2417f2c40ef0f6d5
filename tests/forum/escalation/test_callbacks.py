"""The help desk's status callbacks: only correctly signed, fresh ones change state,
each once, never backwards; a solved ticket's public reply becomes an answer."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import Headers

from forum import events
from forum.db import utcnow
from forum.errors import Invalid, NotFound
from forum.escalation import callbacks, endpoints, services, webhooks
from forum.escalation.callbacks import BadSignature
from forum.escalation.models import Delivery, Escalation, Receipt, TicketStatus
from forum.extensions import db
from forum.models import Post, PostState, ThreadStatus
from forum.threads import services as threads

from tests.forum.escalation.conftest import count

T0 = datetime(2026, 3, 1, 10, 0)


@pytest.fixture
def esc(people, endpoint):
    return services.escalate(people.thread, by=people.alice, note="Still stuck")


def signed(secret: str, data: dict, *, msg_id: str | None = None, when: datetime | None = None):
    raw = json.dumps(data).encode()
    return raw, webhooks.headers([secret], msg_id or webhooks.new_message_id(), when or utcnow(), raw.decode())


def status(esc_id: int, value: str, at: datetime, **extra) -> dict:
    return {"escalation_id": esc_id, "status": value, "updated_at": at.isoformat() + "Z", **extra}


def current(esc: Escalation) -> Escalation:
    db.session.expire_all()
    return db.session.get(Escalation, esc.id)


def test_a_valid_callback_changes_the_status_once(ectx, receiver, esc):
    heard = []
    ectx.extensions["forum.events"][events.TicketStatusChanged].append(heard.append)
    raw, h = signed(receiver.secret, status(esc.id, "pending", T0, agent="Jo", ticket_id="T-9",
                                           ticket_url="https://desk.example/t/9"))
    got, changed = callbacks.callback(raw, h)
    assert changed and got.id == esc.id
    esc = current(esc)
    assert (esc.ticket_status, esc.agent, esc.ticket_id, esc.ticket_url) == (
        TicketStatus.PENDING, "Jo", "T-9", "https://desk.example/t/9")
    assert esc.delivery == Delivery.DELIVERED and esc.badge == "ticket #T-9, pending"
    assert [(e.old, e.new) for e in heard] == [(None, "pending")]
    assert count(Receipt, Receipt.webhook_id == h["webhook-id"], Receipt.applied.is_(True)) == 1

    # The same delivery ten more times (the help desk retried): nothing more happens.
    for _ in range(10):
        assert callbacks.callback(raw, h)[1] is False
    assert count(Receipt) == 1 and len(heard) == 1
    # Found by the ticket id as well.
    raw, h = signed(receiver.secret, {"ticket_id": "T-9", "status": "open",
                                      "updated_at": (T0 + timedelta(hours=1)).isoformat() + "Z"})
    assert callbacks.callback(raw, h)[1] and current(esc).ticket_status == TicketStatus.OPEN


def _refused(raw: bytes, h, esc: Escalation) -> None:
    with pytest.raises(BadSignature):
        callbacks.callback(raw, h)
    assert current(esc).ticket_status is None and count(Receipt) == 0


def test_tampered_wrong_secret_stale_and_unsigned_callbacks_change_nothing(ectx, receiver, esc):
    posts = count(Post)
    raw, h = signed(receiver.secret, status(esc.id, "solved", T0, public_reply="Do this."))
    _refused(raw.replace(b"solved", b"closed"), h, esc)
    _refused(raw, {**h, "webhook-id": "msg_other"}, esc)
    other = webhooks.new_secret()
    _refused(*signed(other, status(esc.id, "solved", T0)), esc)
    _refused(*signed(receiver.secret, status(esc.id, "solved", T0), when=utcnow() - timedelta(minutes=6)), esc)
    _refused(*signed(receiver.secret, status(esc.id, "solved", T0), when=utcnow() + timedelta(minutes=6)), esc)
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        _refused(raw, {k: v for k, v in h.items() if k != name}, esc)
    _refused(raw, {}, esc)
    assert count(Post) == posts  # no reply was posted




@pytest.mark.parametrize("signature", ["v1,%%%", "garbage", "v1", "", " ", "v1,", "v2,abc", "v1,YWJj v1",
                                       ",,,", "v1,\u00e9\u00e9"])
def test_a_malformed_signature_header_is_refused_without_an_error(ectx, receiver, esc, signature):
    raw, h = signed(receiver.secret, status(esc.id, "solved", T0))
    _refused(raw, {**h, "webhook-signature": signature}, esc)


@pytest.mark.parametrize("timestamp", ["abc", "", "1e30", "-1", "nan", "inf", "99999999999999999999"])
def test_a_malformed_timestamp_is_refused_without_an_error(ectx, receiver, esc, timestamp):
    raw, h = signed(receiver.secret, status(esc.id, "solved", T0))
    _refused(raw, {**h, "webhook-timestamp": timestamp}, esc)


def test_a_body_that_is_not_utf8_is_refused(ectx, receiver, esc):
    _refused(b"\xff\xfe{}", webhooks.headers([receiver.secret], "msg_x", utcnow(), "{}"), esc)


def test_werkzeug_headers_in_any_case_are_accepted(ectx, receiver, esc):
    raw, h = signed(receiver.secret, status(esc.id, "open", T0))
    mixed = Headers([(k.title(), v) for k, v in h.items()])
    assert callbacks.callback(raw, mixed)[1]


def test_a_signed_but_invalid_body_is_refused_and_leaves_no_receipt(ectx, receiver, esc):
    for data in ([1, 2], {"status": "open", "updated_at": "2026-03-01T10:00:00Z"},
                 status(esc.id, "reopened", T0), {"escalation_id": esc.id, "status": "open",
                                                  "updated_at": "yesterday"},
                 {"escalation_id": esc.id, "status": "open", "updated_at": "2026-03-01T10:00:00"},
                 status(esc.id, "open", T0, public_reply=12), status(esc.id, "open", T0, agent="x" * 101),
                 status(esc.id, "open", T0, agent=5), status(esc.id, "solved", T0, public_reply="x" * 70000),
                 {"escalation_id": True, "status": "open", "updated_at": "2026-03-01T10:00:00Z"},
                 {"escalation_id": 1.5, "status": "open", "updated_at": "2026-03-01T10:00:00Z"},
                 {"escalation_id": 2**70, "status": "open", "updated_at": "2026-03-01T10:00:00Z"},
                 {"ticket_id": ["x"], "status": "open", "updated_at": "2026-03-01T10:00:00Z"},
                 {"escalation_id": esc.id, "status": ["open"], "updated_at": 1767225600},
                 status(esc.id, "open", T0, ticket_url="javascript:alert(1)")):
        raw, h = signed(receiver.secret, data)
        with pytest.raises(Invalid):
            callbacks.callback(raw, h)
    for raw in (b"not json", b"[" * 100_000 + b"]" * 100_000,
                b'{"escalation_id": %d, "status": "open", "updated_at": "2026-03-01T10:00:00Z", "agent": "\\ud800"}'
                % esc.id,
                b'{"ticket_id": "\\udfff", "status": "open", "updated_at": "2026-03-01T10:00:00Z"}'):
        with pytest.raises(Invalid):
            callbacks.callback(raw, webhooks.headers([receiver.secret], "msg_y", utcnow(), raw.decode()))
    for unknown in (esc.id + 1000, 2**31, 2**62):  # past PostgreSQL's INTEGER too
        with pytest.raises(NotFound):
            callbacks.callback(*signed(receiver.secret, status(unknown, "open", T0)))
    for unknown in (2**31, 2**62, "x", None):
        with pytest.raises(NotFound):
            services.get(unknown)
        with pytest.raises(NotFound):
            endpoints.get_endpoint(unknown)
    assert count(Receipt) == 0 and current(esc).ticket_status is None


def test_out_of_order_callbacks_never_move_the_ticket_back(ectx, receiver, esc):
    def send(value, at, **extra):
        return callbacks.callback(*signed(receiver.secret, status(esc.id, value, at, **extra)))[1]

    assert send("pending", T0 + timedelta(minutes=10))
    assert not send("open", T0 + timedelta(minutes=5))          # older: ignored
    assert not send("open", T0 + timedelta(minutes=10))         # same time, lower status: ignored
    assert not send("pending", T0 + timedelta(minutes=10))      # same time, same status
    assert current(esc).ticket_status == TicketStatus.PENDING
    assert send("solved", T0 + timedelta(minutes=10))            # same time, later status
    assert send("open", T0 + timedelta(minutes=20))              # reopened later: that is news
    assert send("closed", T0 + timedelta(minutes=30))
    assert not send("open", T0 + timedelta(days=2))              # nothing after closed
    esc = current(esc)
    assert esc.ticket_status == TicketStatus.CLOSED and esc.ticket_updated_at == T0.replace(
        tzinfo=esc.ticket_updated_at.tzinfo) + timedelta(minutes=30)
    assert count(Receipt) == 8 and count(Receipt, Receipt.applied.is_(True)) == 4


def test_a_solved_ticket_posts_one_support_answer_the_asker_can_accept(ectx, people, receiver, esc):
    reply = "Settings > Billing > Currency: pick EUR. New invoices use it."
    raw, h = signed(receiver.secret, status(esc.id, "solved", T0, public_reply=reply, agent="Jo"))
    assert callbacks.callback(raw, h)[1]
    for _ in range(3):  # the same callback replayed, and a second one with the reply again
        callbacks.callback(raw, h)
    assert callbacks.callback(*signed(receiver.secret, status(esc.id, "closed", T0 + timedelta(hours=1),
                                                              public_reply=reply)))[1]
    esc = current(esc)
    support = db.session.execute(sa.select(Post).where(Post.thread_id == people.thread.id,
                                                       Post.author_id == callbacks.support_user().id)).scalars().all()
    assert [p.id for p in support] == [esc.reply_post_id]
    (answer,) = support
    assert answer.state == PostState.VISIBLE and not answer.is_question
    assert answer.body.startswith(reply) and "Jo for the support team" in answer.body
    assert "pick EUR" in answer.body_html and esc.solved_at is not None
    db.session.refresh(people.thread)
    assert people.thread.answer_count == 2

    thread = threads.accept_answer(answer, by=people.alice)
    assert thread.accepted_post_id == answer.id and thread.status == ThreadStatus.SOLVED


def test_a_reply_to_a_deleted_thread_is_skipped(ectx, people, receiver, esc):
    question = db.session.execute(sa.select(Post).where(Post.thread_id == people.thread.id,
                                                        Post.is_question.is_(True))).scalar_one()
    threads.delete_post(question, by=people.maya)
    posts = count(Post)
    raw, h = signed(receiver.secret, status(esc.id, "solved", T0, public_reply="Fixed, thanks!"))
    assert callbacks.callback(raw, h)[1]
    esc = current(esc)
    assert esc.ticket_status == TicketStatus.SOLVED and esc.reply_post_id is None and count(Post) == posts


def test_callbacks_verify_with_the_old_secret_only_during_the_overlap(ectx, people, receiver, esc, endpoint):
    old = receiver.secret
    _, new = endpoints.rotate_secret(endpoint, by=people.ada)
    assert callbacks.callback(*signed(old, status(esc.id, "open", T0)))[1]
    assert callbacks.callback(*signed(new, status(esc.id, "pending", T0)))[1]
    db.session.get(type(endpoint), endpoint.id).previous_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(BadSignature):
        callbacks.callback(*signed(old, status(esc.id, "solved", T0)))
    assert callbacks.callback(*signed(new, status(esc.id, "solved", T0)))[1]


def test_the_same_callback_arriving_twice_at_once_is_applied_once(esc_app, ectx, receiver, esc):
    raw, h = signed(receiver.secret, status(esc.id, "solved", T0, public_reply="Fixed on our side."))
    results, errors = [], []
    barrier = threading.Barrier(4)

    def send():
        with esc_app.app_context():
            barrier.wait()
            try:
                results.append(callbacks.callback(raw, h)[1])
            except Exception as exc:  # noqa: BLE001 - the test reports it
                errors.append(exc)
            finally:
                db.session.remove()

    workers = [threading.Thread(target=send) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(30)
    assert errors == [] and sorted(results) == [False, False, False, True]
    db.session.commit()  # a fresh snapshot
    assert count(Receipt) == 1 and current(esc).reply_post_id is not None


def test_a_short_reply_is_posted_with_the_support_signature(ectx, people, receiver, esc):
    assert callbacks.callback(*signed(receiver.secret, status(esc.id, "solved", T0, public_reply="Fixed!")))[1]
    answer = db.session.get(Post, current(esc).reply_post_id)
    assert answer.body == "Fixed!\n\n*The support team*"
