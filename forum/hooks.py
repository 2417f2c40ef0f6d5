"""Template hooks: how plugins add to the forum's pages without the forum importing them.

A plugin calls :func:`provide` in its ``init_app`` with a hook name and a function;
a forum template calls ``hook(name, *args)`` and renders whatever every provider
returned, in the order the plugins were set up. A page with no provider for a hook
renders nothing there. The hooks the forum's templates call:

``nav_links()``
    ``(endpoint, label, url)`` tuples for the main navigation.
``nav_badges()``
    Markup after the navigation links (the moderators' pending count).
``post_actions(post)``
    Markup in a post's action row (flag, promote to an article...).
``thread_tools(thread)``
    Markup in the thread page's sidebar (moderators' lock, close, reopen).
``profile_panels(user, where)``
    Markup on a profile; ``where`` is ``"content"`` or ``"sidebar"``.
``header_search()``
    Markup in the header, between the navigation and the account menu (the search box).
``ask_suggestions(title, body, checked)``
    Markup beside the ask form: threads like the one being typed. ``checked`` is true
    when the asker pressed "Check for similar questions" (the no-script path).
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask, current_app

NAMES = ("nav_links", "nav_badges", "post_actions", "thread_tools", "profile_panels", "header_search",
         "ask_suggestions")


def provide(app: Flask, name: str, fn: Callable[..., list[Any]]) -> None:
    """Add ``fn`` to the providers of hook ``name``; it returns a list of items."""
    if name not in NAMES:
        raise LookupError(f"unknown template hook {name!r}; the forum calls {', '.join(NAMES)}")
    app.extensions.setdefault("template_hooks", {}).setdefault(name, []).append(fn)


def hook(name: str, *args: Any) -> list[Any]:
    """Every provider's items for hook ``name``, concatenated."""
    items: list[Any] = []
    for fn in current_app.extensions.get("template_hooks", {}).get(name, ()):
        items.extend(fn(*args))
    return items


def init_app(app: Flask) -> None:
    app.add_template_global(hook, "hook")
