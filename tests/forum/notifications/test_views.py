"""The notification pages: the list, opening and marking read, e-mail settings, watch
buttons on threads, categories and tags, the people suggested after an ``@``, and the
unsubscribe pages that need no login."""
from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from forum.db import utcnow, write_transaction
from forum.extensions import db
from forum.models import Post, PostState, Thread, User
from forum.notifications import mail, services
from forum.notifications.models import EmailMode, Level, Notification, Watch, WatchKind
from tests import factories as f
from tests.conftest import csrf_token


def _html(response) -> str:
    return response.get_data(as_text=True)


def _flashes(client) -> list[str]:
    """The messages waiting to be shown, taken (as the next page would)."""
    with client.session_transaction() as session:
        return [message for _category, message in session.pop("_flashes", [])]


@pytest.fixture
def world(app):
    """Alice asked; Bob answered twice and mentioned her; Carol is a bystander."""
    with app.app_context():
        alice = f.user("alice", display_name="Alice Asker")
        bob = f.user("bob", display_name="Bob Builder")
        carol = f.user("carol")
        category = f.category("Billing")
        thread = f.thread(alice, title="Invoices show dollars instead of euros", tags=["invoices"],
                          category_obj=category)
        first = f.answer(thread, bob, body="Look under Settings, then Billing, then Currency.")
        f.answer(thread, bob, body="And @alice the setting is per workspace, not per account.")
        notes = db.session.execute(sa.select(Notification).where(Notification.user_id == alice.id)
                                   .order_by(Notification.id)).scalars().all()
        tag_id = thread.tags[0].id
        return SimpleNamespace(alice=alice.id, bob=bob.id, carol=carol.id, thread=thread.id,
                               category=category.id, category_slug=category.slug, tag=tag_id,
                               answer=first.id, notes=[n.id for n in notes], kinds=[n.kind for n in notes])


def _user(app, user_id: int) -> User:
    return db.session.get(User, user_id)


def _unread(app, user_id: int) -> int:
    with app.app_context():
        return services.unread_count(db.session.get(User, user_id))


def _login(app, auth, user_id: int) -> None:
    with app.app_context():
        auth.login_as(db.session.get(User, user_id))


# --- logging in first ------------------------------------------------------------------

@pytest.mark.parametrize("method, path", [
    ("get", "/notifications"), ("get", "/notifications?filter=unread"), ("get", "/notifications/1"),
    ("get", "/notifications/settings"), ("post", "/notifications/settings"), ("post", "/notifications/read"),
    ("post", "/watch/thread/1"), ("get", "/users/suggest?q=al"),
])
def test_anonymous_people_are_sent_to_log_in(client, method, path):
    response = getattr(client, method)(path, data={"level": "muted"} if method == "post" else None)
    assert response.status_code == 302
    assert "/login" in response.location


def test_scripts_asking_anonymously_get_a_401_not_a_login_page(client):
    response = client.get("/users/suggest?q=al", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_anonymous_people_see_no_bell_and_no_watch_box(client, world):
    assert "nav-bell" not in _html(client.get("/"))
    assert "watch-form" not in _html(client.get(f"/c/{world.category_slug}"))
    assert "watch-form" not in _html(client.get(f"/t/{world.thread}", follow_redirects=True))


# --- the list ------------------------------------------------------------------------------

def test_the_list_groups_answers_on_one_thread_and_marks_unread_rows(app, client, auth, world):
    assert world.kinds == ["answer", "answer", "mention"]
    _login(app, auth, world.alice)
    html = _html(client.get("/notifications"))
    assert "3 unread" in html
    assert "2 new answers on “Invoices show dollars instead of euros”" in html
    assert "Bob Builder mentioned you in" in html
    assert html.count('class="notification is-unread"') == 2
    assert "Mark all read" in html
    # The grouped row opens the newest and marks the older one read with it.
    newest, older = world.notes[1], world.notes[0]
    assert f'href="/notifications/{newest}?also={older}"' in html
    # The bell in the header says the same.
    assert 'data-unread="3"' in html and "Notifications, 3 unread" in html


def test_the_unread_filter_and_the_empty_states(app, client, auth, world):
    _login(app, auth, world.alice)
    client.post("/notifications/read", data={"id": str(world.notes[2])})
    html = _html(client.get("/notifications?filter=unread"))
    assert "2 new answers" in html and "mentioned you" not in html
    assert re.search(r'aria-current="page">Unread', html)
    client.post("/notifications/read", data={"all": "1"})
    html = _html(client.get("/notifications?filter=unread"))
    assert "No unread notifications." in html and "You're all caught up." in html
    assert "Mark all read" not in html
    # Read ones stay in the full list, without the unread styling.
    html = _html(client.get("/notifications"))
    assert "is-unread" not in html and "mentioned you" in html

    _login(app, auth, world.carol)
    html = _html(client.get("/notifications"))
    assert "Nothing yet." in html and "notification-list" not in html


def test_older_notifications_come_in_pages(app, client, auth):
    with app.app_context():
        alice = f.user("alice")
        with write_transaction():
            for i in range(35):
                services.notify(alice.id, "badge", data={"badge": f"Badge {i}"})
        auth.login_as(alice)
    html = _html(client.get("/notifications"))
    assert html.count('<li class="notification') == 30
    assert "Badge 34" in html and "Badge 4 badge" not in html
    older = re.search(r'href="(/notifications\?cursor=[^"]+)"', html).group(1).replace("&amp;", "&")
    html = _html(client.get(older))
    assert html.count('<li class="notification') == 5
    assert "Badge 4 badge" in html and "Badge 0 badge" in html and "Older notifications" not in html
    assert "Newest" in html


@pytest.mark.parametrize("query", ["cursor=nonsense", "cursor=%00%ff", "cursor=" + "A" * 3000,
                                   "filter=everything", "filter=unread&cursor=e30", "cursor=WzEsMl0"])
def test_broken_list_addresses_never_fail(app, client, auth, world, query):
    _login(app, auth, world.alice)
    assert client.get(f"/notifications?{query}").status_code in (200, 404)


# --- opening and marking read -----------------------------------------------------------

def test_opening_a_notification_marks_it_read_and_lands_on_the_post(app, client, auth, world):
    _login(app, auth, world.alice)
    response = client.get(f"/notifications/{world.notes[0]}")
    assert response.status_code == 302
    assert response.location.endswith(f"/t/{world.thread}#post-{world.answer}")
    assert _unread(app, world.alice) == 2


def test_opening_a_group_marks_all_its_notifications_read(app, client, auth, world):
    _login(app, auth, world.alice)
    client.get(f"/notifications/{world.notes[1]}?also={world.notes[0]}")
    assert _unread(app, world.alice) == 1


@pytest.mark.parametrize("also", ["²", "-1", "99999999999999999999999", "x", "", "1e3", "٣"])
def test_odd_companion_ids_are_ignored(app, client, auth, world, also):
    _login(app, auth, world.alice)
    assert client.get(f"/notifications/{world.notes[0]}", query_string={"also": also}).status_code == 302


def test_other_peoples_notifications_are_not_found(app, client, auth, world):
    _login(app, auth, world.carol)
    for note in world.notes:
        assert client.get(f"/notifications/{note}").status_code == 404
    assert client.get("/notifications/0").status_code == 404
    assert client.get("/notifications/99999999999999999999").status_code == 404
    # Nor can they be marked read, singly or in a list with one's own.
    client.post("/notifications/read", data={"id": [str(n) for n in world.notes]})
    assert _unread(app, world.alice) == 3
    # Carol's companion ids do not reach Alice's either.
    with app.app_context():
        with write_transaction():
            own = services.notify(world.carol, "badge", data={"badge": "Helper"})
        own_id = own.id
    client.get(f"/notifications/{own_id}?also={world.notes[0]}&also={world.notes[1]}")
    assert _unread(app, world.alice) == 3 and _unread(app, world.carol) == 0


def test_marking_some_read_by_id(app, client, auth, world):
    _login(app, auth, world.alice)
    response = client.post("/notifications/read", data={"id": [str(world.notes[0]), str(world.notes[1]), "²", "x"],
                                                         "next": "/notifications?filter=unread"})
    assert response.status_code == 302 and response.location.endswith("/notifications?filter=unread")
    assert _flashes(client) == ["Marked 2 notifications read."]
    assert _unread(app, world.alice) == 1
    client.post("/notifications/read", data={"id": str(world.notes[0])})
    assert _flashes(client) == ["Nothing new to mark."]


def test_marking_all_read(app, client, auth, world):
    _login(app, auth, world.alice)
    response = client.post("/notifications/read", data={"all": "1"})
    assert response.status_code == 302 and response.location.endswith("/notifications")
    assert _flashes(client) == ["Marked 3 notifications read."]
    assert _unread(app, world.alice) == 0


def test_marking_read_answers_scripts_with_json(app, client, auth, world):
    _login(app, auth, world.alice)
    response = client.post("/notifications/read", data={"id": str(world.notes[2])},
                           headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.json == {"marked": 1, "unread": 2}
    response = client.post("/notifications/read", data={"all": "1"}, headers={"Accept": "application/json"})
    assert response.json == {"marked": 2, "unread": 0}


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"])
def test_going_back_stays_on_this_site(app, client, auth, world, target):
    _login(app, auth, world.alice)
    response = client.post("/notifications/read", data={"all": "1", "next": target})
    assert response.location.endswith("/notifications")


# --- e-mail settings -------------------------------------------------------------------------

def test_the_settings_page_shows_every_kind_and_what_one_watches(app, client, auth, world):
    _login(app, auth, world.alice)
    html = _html(client.get("/notifications/settings"))
    assert "New answers on threads you watch" in html and "The review queue needs moderators" in html
    # Account notices cannot be turned off: their "Off" is disabled.
    assert re.search(r'id="m-sanction-off"[^>]*disabled', html)
    assert not re.search(r'id="m-answer-off"[^>]*disabled', html)
    assert re.search(r'id="m-answer-instant"[^>]*checked', html)
    assert "Invoices show dollars instead of euros" in html and "You asked it" in html


def test_saving_email_choices(app, client, auth, world):
    _login(app, auth, world.alice)
    response = client.post("/notifications/settings", data={"email-answer": "daily", "email-badge": "off"})
    assert response.status_code == 302
    assert _flashes(client) == ["Your e-mail choices are saved."]
    with app.app_context():
        assert services.email_mode(world.alice, "answer") == EmailMode.DAILY
        assert services.email_mode(world.alice, "badge") == EmailMode.OFF
        assert services.email_mode(world.alice, "mention") == EmailMode.INSTANT


@pytest.mark.parametrize("field, value", [("email-sanction", "off"), ("email-answer", "hourly"),
                                          ("email-answer", ""), ("email-mention", "x" * 10_000)])
def test_a_refused_choice_saves_nothing_and_keeps_what_was_picked(app, client, auth, world, field, value):
    _login(app, auth, world.alice)
    response = client.post("/notifications/settings", data={"email-badge": "daily", field: value})
    assert response.status_code == 400
    html = _html(response)
    assert 'id="form-errors"' in html or "class=\"error\"" in html
    # The valid choice in the same form is shown as picked, but not saved.
    assert re.search(r'id="m-badge-daily"[^>]*checked', html)
    with app.app_context():
        assert services.email_mode(world.alice, "badge") == EmailMode.WEEKLY
        assert services.email_mode(world.alice, "sanction") == EmailMode.INSTANT


# --- watching ----------------------------------------------------------------------------------

def _level(app, user_id: int, kind: WatchKind, target_id: int) -> Level:
    with app.app_context():
        return services.level_on(db.session.get(User, user_id), kind, target_id)


@pytest.mark.parametrize("kind", ["thread", "category", "tag"])
@pytest.mark.parametrize("level", ["watching", "normal", "muted"])
def test_watch_levels_through_the_form(app, client, auth, world, kind, level):
    _login(app, auth, world.carol)
    target = getattr(world, kind)
    response = client.post(f"/watch/{kind}/{target}", data={"level": level, "next": "/c/billing?view=newest"})
    assert response.status_code == 302 and response.location.endswith("/c/billing?view=newest")
    assert _level(app, world.carol, WatchKind(kind), target) == Level(level)
    assert len(_flashes(client)) == 1


@pytest.mark.parametrize("kind", ["thread", "category", "tag"])
def test_watch_levels_for_scripts(app, client, auth, world, kind):
    _login(app, auth, world.carol)
    target = getattr(world, kind)
    json = {"Accept": "application/json"}
    response = client.post(f"/watch/{kind}/{target}", data={"level": "muted"}, headers=json)
    assert response.status_code == 200 and response.json == {"level": "muted"}
    assert _level(app, world.carol, WatchKind(kind), target) == Level.MUTED
    response = client.post(f"/watch/{kind}/{target}", data={"level": "loud"}, headers=json)
    assert response.status_code == 422 and "watching, normal or muted" in response.json["error"]
    assert _level(app, world.carol, WatchKind(kind), target) == Level.MUTED


@pytest.mark.parametrize("level", ["loud", "", "WATCHING", "x" * 5000, None])
def test_a_bad_level_in_the_form_is_explained_not_a_crash(app, client, auth, world, level):
    _login(app, auth, world.carol)
    data = {"next": f"/t/{world.thread}"} | ({"level": level} if level is not None else {})
    response = client.post(f"/watch/thread/{world.thread}", data=data)
    assert response.status_code == 302 and response.location.endswith(f"/t/{world.thread}")
    assert _flashes(client) == ["The level is watching, normal or muted."]
    assert _level(app, world.carol, WatchKind.THREAD, world.thread) == Level.NORMAL


@pytest.mark.parametrize("path", ["/watch/planet/1", "/watch/thread/999999", "/watch/category/0",
                                  "/watch/tag/99999999999999999999", "/watch/Thread/1"])
def test_unknown_things_to_watch_are_not_found(app, client, auth, world, path):
    _login(app, auth, world.carol)
    assert client.post(path, data={"level": "muted"}).status_code == 404


def test_a_thread_one_cannot_read_cannot_be_watched(app, client, auth, world):
    with app.app_context():
        thread = db.session.get(Thread, world.thread)
        thread.state = PostState.HIDDEN
        db.session.execute(sa.update(Post).where(Post.thread_id == thread.id, Post.is_question.is_(True))
                           .values(state=PostState.HIDDEN))
        db.session.commit()
    _login(app, auth, world.carol)
    assert client.post(f"/watch/thread/{world.thread}", data={"level": "watching"}).status_code in (403, 404)
    with app.app_context():
        assert db.session.execute(sa.select(Watch).where(Watch.user_id == world.carol)).first() is None


def test_the_thread_page_shows_the_level_and_its_buttons(app, client, auth, world):
    _login(app, auth, world.alice)
    html = _html(client.get(f"/t/{world.thread}", follow_redirects=True))
    box = html[html.index('class="card stack watch-box"'):]
    box = box[:box.index("</section>")]
    assert f'action="/watch/thread/{world.thread}"' in box
    assert re.search(r'value="watching" class="button button-sm is-active"\s+aria-pressed="true"', box)
    assert "You hear about every new answer." in box
    assert 'name="csrf_token"' in box


@pytest.mark.parametrize("page", ["category", "tag"])
def test_category_and_tag_pages_have_a_watch_box(app, client, auth, world, page):
    _login(app, auth, world.carol)
    path = f"/c/{world.category_slug}" if page == "category" else "/tags/invoices"
    target = world.category if page == "category" else world.tag
    html = _html(client.get(path))
    assert f'action="/watch/{page}/{target}"' in html
    assert re.search(r'value="normal" class="button button-sm is-active"', html)
    client.post(f"/watch/{page}/{target}", data={"level": "watching"})
    html = _html(client.get(path))
    assert re.search(r'value="watching" class="button button-sm is-active"', html)
    assert ("in this category" if page == "category" else "tagged invoices") in html
    # The all-questions page has none.
    assert "watch-form" not in _html(client.get("/"))


# --- CSRF ------------------------------------------------------------------------------------------

def test_every_form_carries_a_csrf_token_and_posts_without_it_are_refused(make_app, auth):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        alice, bob = f.user("alice"), f.user("bob")
        thread = f.thread(alice)
        f.answer(thread, bob)
        thread_id, category_id = thread.id, thread.category_id
        slug = thread.category.slug
        alice_id = alice.id
    auth = type(auth)(client)
    _login(app, auth, alice_id)
    for path in ("/notifications", "/notifications/settings", f"/c/{slug}"):
        html = _html(client.get(path))
        for form in re.findall(r'<form method="post".*?</form>', html, re.S):
            if 'action="/logout"' not in form:
                assert 'name="csrf_token"' in form, (path, form[:200])
    for path, data in (("/notifications/read", {"all": "1"}), ("/notifications/settings", {"email-answer": "off"}),
                       (f"/watch/thread/{thread_id}", {"level": "muted"}),
                       (f"/watch/category/{category_id}", {"level": "muted"})):
        assert client.post(path, data=data).status_code == 400, path
    assert _unread(app, alice_id) == 1
    token = csrf_token(_html(client.get("/notifications")))
    assert client.post("/notifications/read", data={"all": "1", "csrf_token": token}).status_code == 302
    # Scripts send the token in a header, from <meta name="csrf-token">.
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)"', _html(client.get("/"))).group(1)
    response = client.post(f"/watch/thread/{thread_id}", data={"level": "muted"},
                           headers={"Accept": "application/json", "X-CSRFToken": meta})
    assert response.status_code == 200 and response.json == {"level": "muted"}


# --- @mention suggestions -----------------------------------------------------------------

@pytest.fixture
def crowd(app, world):
    with app.app_context():
        for name, display in (("bobby", "Roberta Tables"), ("boris", ""), ("albert", "Bo Diddley"),
                              ("bo_5", ""), ("dora", "Bob's Double")):
            f.user(name, display_name=display)
        suspended = f.user("bogdan")
        suspended.suspended_until = utcnow() + timedelta(days=3)
        served = f.user("bonnie")
        served.suspended_until = utcnow() - timedelta(days=3)
        db.session.commit()
    return world


def _suggest(client, query: str, **params):
    response = client.get("/users/suggest", query_string={"q": query, **params},
                          headers={"Accept": "application/json"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return [p["username"] for p in response.json]


def test_suggestions_match_usernames_and_display_names_people_in_the_thread_first(app, client, auth, crowd):
    _login(app, auth, crowd.carol)
    names = _suggest(client, "bo", thread=crowd.thread)
    assert names[0] == "bob"
    assert set(names) == {"bob", "bobby", "boris", "albert", "bo_5", "dora", "bonnie"}
    assert "bogdan" not in names  # suspended
    # Without the thread, plain username order.
    assert _suggest(client, "bo")[:3] == ["albert", "bo_5", "bob"]
    response = client.get("/users/suggest?q=bob&thread=%d" % crowd.thread, headers={"Accept": "application/json"})
    assert response.json[0] == {"username": "bob", "display_name": "Bob Builder", "in_thread": True}


def test_suggestions_ignore_case_and_a_leading_at(app, client, auth, crowd):
    _login(app, auth, crowd.carol)
    assert _suggest(client, "@ROBERTA") == ["bobby"]
    assert _suggest(client, "Ali") == ["alice"]


def test_one_is_not_suggested_to_oneself(app, client, auth, crowd):
    _login(app, auth, crowd.bob)
    assert "bob" not in _suggest(client, "bo", thread=crowd.thread)


def test_wildcards_are_letters_like_any_other(app, client, auth, crowd):
    _login(app, auth, crowd.carol)
    assert _suggest(client, "bo_") == ["bo_5"]
    assert _suggest(client, "b_b") == []


def test_at_most_eight_are_suggested(app, client, auth):
    with app.app_context():
        me = f.user("meg")
        for i in range(12):
            f.user(f"sam{i:02d}")
        auth.login_as(me)
    assert _suggest(client, "sam") == [f"sam{i:02d}" for i in range(8)]


@pytest.mark.parametrize("query", ["", "@", " ", "%", "_", "a b", "a" * 31, "ä", "\x00", "'; drop table users; --"])
def test_text_that_cannot_start_a_username_finds_nobody(app, client, auth, crowd, query):
    _login(app, auth, crowd.carol)
    assert _suggest(client, query) == []


@pytest.mark.parametrize("raw", ["q=a%ED%A0%80", "q=%FF%FE", "q=al&q=bo", "thread=1"])
def test_undecodable_queries_find_nobody_or_the_first(app, client, auth, crowd, raw):
    _login(app, auth, crowd.carol)
    response = client.get(f"/users/suggest?{raw}", headers={"Accept": "application/json"})
    assert response.status_code == 200 and isinstance(response.json, list)


@pytest.mark.parametrize("params", [{"thread": "x"}, {"thread": "0"}, {"thread": "99999999999999999999"},
                                    {"thread": "999999"}, {"post": "-1"}, {"thread": "²"}])
def test_a_broken_thread_is_ignored(app, client, auth, crowd, params):
    _login(app, auth, crowd.carol)
    assert "bob" in _suggest(client, "bo", **params)


def test_the_thread_of_a_post_being_edited_counts_too(app, client, auth, crowd):
    _login(app, auth, crowd.carol)
    assert _suggest(client, "bo", post=crowd.answer)[0] == "bob"


def test_a_thread_one_cannot_read_does_not_reveal_who_posted_in_it(app, client, auth, crowd):
    with app.app_context():
        thread = db.session.get(Thread, crowd.thread)
        thread.state = PostState.HIDDEN
        db.session.execute(sa.update(Post).where(Post.thread_id == thread.id, Post.is_question.is_(True))
                           .values(state=PostState.HIDDEN))
        db.session.commit()
    _login(app, auth, crowd.carol)
    response = client.get("/users/suggest", query_string={"q": "bob", "thread": crowd.thread},
                          headers={"Accept": "application/json"})
    assert response.json and not any(p["in_thread"] for p in response.json)


def test_suggestions_are_rate_limited(make_app, auth):
    app = make_app(USER_SUGGEST_RATE="3 per minute")
    client = app.test_client()
    with app.app_context():
        auth = type(auth)(client)
        auth.login_as(f.user("alice"))
    for _ in range(3):
        assert client.get("/users/suggest?q=al").status_code == 200
    response = client.get("/users/suggest?q=al")
    assert response.status_code == 429 and "Retry-After" in response.headers


# --- unsubscribing ------------------------------------------------------------------------------

def test_the_unsubscribe_link_asks_first_then_unsubscribes_without_logging_in(app, client, world):
    with app.app_context():
        token = mail.unsubscribe_token(db.session.get(User, world.alice), "answer")
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200
    html = _html(page)
    assert "Stop sending “New answers on threads you watch” e-mails to <strong>alice@example.com</strong>" in html
    with app.app_context():
        assert services.email_mode(world.alice, "answer") == EmailMode.INSTANT  # a GET changes nothing
    done = client.post(f"/unsubscribe/{token}")
    assert done.status_code == 200 and "won't get “New answers on threads you watch” e-mails" in _html(done)
    with app.app_context():
        assert services.email_mode(world.alice, "answer") == EmailMode.OFF
        assert services.email_mode(world.alice, "mention") == EmailMode.INSTANT


def test_unsubscribing_from_everything_leaves_account_notices(app, client, world):
    with app.app_context():
        token = mail.unsubscribe_token(db.session.get(User, world.alice))
    assert "all optional e-mails" in _html(client.get(f"/unsubscribe/{token}"))
    assert client.post(f"/unsubscribe/{token}").status_code == 200
    with app.app_context():
        assert services.email_mode(world.alice, "mention") == EmailMode.OFF
        assert services.email_mode(world.alice, "sanction") == EmailMode.INSTANT


def test_one_click_unsubscribe_needs_no_csrf_token(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        alice = f.user("alice")
        token = mail.unsubscribe_token(alice, "badge")
        alice_id = alice.id
    response = app.test_client().post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    with app.app_context():
        assert services.email_mode(alice_id, "badge") == EmailMode.OFF


@pytest.mark.parametrize("mangle", [lambda t: t + "x", lambda t: t[:-3], lambda t: "nonsense",
                                    lambda t: t.replace(".", "!"), lambda t: "%C3%A4" * 50])
def test_a_broken_unsubscribe_link_is_refused_in_words(app, client, world, mangle):
    with app.app_context():
        token = mail.unsubscribe_token(db.session.get(User, world.alice), "answer")
    for method in ("get", "post"):
        response = getattr(client, method)(f"/unsubscribe/{mangle(token)}")
        assert response.status_code == 400
        assert 'role="alert"' in _html(response)
    with app.app_context():
        assert services.email_mode(world.alice, "answer") == EmailMode.INSTANT
