import re

from forum.accounts import services
from forum.models import Role
from forum.threads import services as threads
from tests import factories as f


def test_unknown_users_are_not_found(client):
    assert client.get("/u/nobody").status_code == 404


def test_profiles_are_found_whatever_the_case(client, alice):
    response = client.get("/u/ALICE")
    assert response.status_code == 200
    assert "Alice Liddell" in response.text and "@alice" in response.text


def test_profile_shows_the_role_badge(app, client):
    with app.app_context():
        f.user("moe", role=Role.MODERATOR)
    assert '<span class="badge badge-moderator">Moderator</span>' in client.get("/u/moe").text
    with app.app_context():
        f.user("plain")
    assert 'class="badge' not in client.get("/u/plain").text


def test_about_is_escaped_plain_text_with_line_breaks(app, client, alice):
    with app.app_context():
        user = services.get_user("alice")
        services.update_profile(user, by=user, display_name="Alice",
                                about="**Not bold** <script>alert(1)</script>\nline two\n\nsecond paragraph")
    html = client.get("/u/alice").text
    assert "<p>**Not bold** &lt;script&gt;alert(1)&lt;/script&gt;<br>line two</p>" in html
    assert "<p>second paragraph</p>" in html
    assert "<strong>Not bold" not in html and "<script>alert" not in html


def test_profile_counts_questions_answers_and_accepted_answers(app, client, alice):
    with app.app_context():
        me, asker = services.get_user("alice"), f.user("asker")
        f.thread(me, title="My own question about the setup")
        first = f.thread(asker, title="Printer says PC LOAD LETTER")
        second = f.thread(asker, title="Screen stays black after update")
        threads.accept_answer(f.answer(first, me), by=asker)
        f.answer(second, me)
        first_id = first.id
    html = client.get("/u/alice").text
    stats = dict(re.findall(r"<dt>([^<]+)</dt><dd>(\d+)</dd>", html))
    # Reputation belongs to the reputation package; the counts are this page's.
    assert "Reputation" in stats
    assert (stats["Questions"], stats["Answers"], stats["Accepted answers"]) == ("1", "2", "1")
    assert re.search(r'href="/t/\d+/my-own-question-about-the-setup"', html)
    # Answers live on their own tab (other panels, like the reputation ledger, may name them).
    assert "Printer says PC LOAD LETTER" not in html.split('id="activity-title"')[1]

    answers = client.get("/u/alice?tab=answers").text
    assert "Printer says PC LOAD LETTER" in answers and "Screen stays black after update" in answers
    assert re.search(rf'href="/t/{first_id}/[a-z0-9-]+#post-\d+"', answers)
    assert "accepted-mark" in answers
    assert "My own question about the setup" not in answers


def test_profile_hides_deleted_threads(app, client, alice):
    with app.app_context():
        me = services.get_user("alice")
        thread = f.thread(me, title="A question I deleted later")
        threads.delete_post(thread.question, by=me)
    html = client.get("/u/alice").text
    assert "A question I deleted later" not in html
    assert "No questions yet." in html


def test_an_unknown_tab_falls_back_to_questions(client, alice):
    html = client.get("/u/alice?tab=<script>").text
    assert 'aria-current="page">Questions</a>' in html and "<script>" not in html.split("</header>", 1)[1]


def test_only_the_owner_sees_the_edit_link(client, auth, alice):
    assert "Edit profile" not in client.get("/u/alice").text
    auth.login()
    assert "Edit profile" in client.get("/u/alice").text
