"""The staff's category pages."""
from __future__ import annotations

import sqlalchemy as sa

from forum.extensions import db
from forum.models import Category
from tests import factories as f


def test_members_and_anonymous_people_cannot_manage_categories(app, client, world, login):
    assert client.get("/admin/categories").status_code == 302
    login("carol")
    assert client.get("/admin/categories").status_code == 403
    assert client.post("/admin/categories", data={"name": "Sneaky"}).status_code == 403
    assert client.get(f"/admin/categories/{world.category}").status_code == 403


def test_staff_list_create_and_edit_categories(app, client, world, login):
    with app.app_context():
        f.staff("sam")
    login("sam")
    html = client.get("/admin/categories").get_data(as_text=True)
    assert "Login" in html and "New category" in html
    response = client.post("/admin/categories", data={"name": "Billing", "description": "Invoices.", "position": "2"})
    assert response.status_code == 302
    with app.app_context():
        billing = db.session.execute(sa.select(Category).where(Category.slug == "billing")).scalar_one()
        assert (billing.description, billing.position) == ("Invoices.", 2)
    html = client.get(f"/admin/categories/{billing.id}").get_data(as_text=True)
    assert 'value="Billing"' in html
    response = client.post(f"/admin/categories/{billing.id}", data={"name": "Billing and plans", "position": "1"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Category, billing.id).name == "Billing and plans"


def test_an_invalid_category_keeps_the_input(app, client, world, login):
    with app.app_context():
        f.staff("sam")
    login("sam")
    response = client.post("/admin/categories", data={"name": "login", "description": "Kept text", "position": "x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "already a category" in html and "Kept text" in html and 'value="x"' in html
    response = client.post(f"/admin/categories/{world.category}", data={"name": "L", "position": "1"})
    assert response.status_code == 400 and 'value="L"' in response.get_data(as_text=True)
    assert client.get("/admin/categories/999").status_code == 404
