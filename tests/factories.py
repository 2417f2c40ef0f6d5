"""Plain functions that build data through the real services."""
from __future__ import annotations

import itertools

from forum.accounts import services as accounts
from forum.models import Category, Role
from forum.threads import services as threads

PASSWORD = "correct horse battery"
_n = itertools.count(1)


def user(username: str | None = None, *, role: Role = Role.MEMBER, password: str = PASSWORD, **kw):
    username = username or f"user{next(_n)}"
    return accounts.register(username=username, email=kw.pop("email", f"{username}@example.com"),
                             password=password, role=role, **kw)


def staff(username: str = "sam"):
    return user(username, role=Role.STAFF)


def category(name: str | None = None, description: str = "Questions about it.") -> Category:
    from forum.extensions import db
    import sqlalchemy as sa

    name = name or f"Category {next(_n)}"
    admin = db.session.execute(sa.select(accounts.User).where(accounts.User.role == Role.ADMIN)).scalars().first() \
        or user(f"root{next(_n)}", role=Role.ADMIN)
    return threads.save_category(by=admin, name=name, description=description)


def thread(author=None, *, title: str | None = None, body: str | None = None, tags=None, category_obj=None):
    author = author or user()
    category_obj = category_obj or category()
    n = next(_n)
    # Numbered: the forum refuses the same text from one author twice within minutes.
    return threads.ask(author=author, title=title or f"Question number {n} about setup",
                       body=body or f"How do I make this thing work again? (#{n})", category_id=category_obj.id,
                       tags=tags or [])


def answer(thread_obj, author=None, *, body: str | None = None):
    author = author or user()
    return threads.post_answer(thread_obj, author=author, body=body or f"Try turning it off and on ({next(_n)}).")
