"""Per category, staff choose whether unsolved threads go to the help desk on their own."""
from __future__ import annotations

from datetime import timedelta

from forum.db import clock_at, utcnow
from forum.escalation import services
from forum.extensions import db
from forum.models import Category, Role
from tests import factories as f


def test_staff_turn_automatic_escalation_off_for_a_category_and_the_sweep_obeys(ectx):
    sam = f.user("sam", role=Role.STAFF)
    billing, setup = f.category("Billing"), f.category("Setup")
    client = ectx.test_client()
    with client.session_transaction() as s:
        s["_user_id"] = sam.get_id()
        s["_fresh"] = True
    page = client.get(f"/admin/categories/{billing.id}").get_data(as_text=True)
    assert 'name="auto_escalate"' in page and "checked" in page
    r = client.post(f"/admin/categories/{billing.id}", data={"name": "Billing", "description": "", "position": "0"})
    assert r.status_code == 302
    db.session.expire_all()
    assert db.session.get(Category, billing.id).auto_escalate is False
    assert db.session.get(Category, setup.id).auto_escalate is True
    assert "<td>No</td>" in client.get("/admin/categories").get_data(as_text=True)

    alice = f.user("alice")
    with clock_at(utcnow() - timedelta(hours=60)):
        quiet = f.thread(alice, category_obj=billing)
        loud = f.thread(alice, category_obj=setup)
    with clock_at(utcnow() - timedelta(hours=20)):
        services.sweep()
    services.sweep()
    assert services.for_thread(loud.id) is not None
    assert services.for_thread(quiet.id) is None and services.last_call(quiet.id) is None
