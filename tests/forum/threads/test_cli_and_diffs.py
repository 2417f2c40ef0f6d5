"""``flask posts rerender`` and the revision diffs."""
from __future__ import annotations

import sqlalchemy as sa

from forum.extensions import db
from forum.models import Post, PostRevision
from forum.threads.diffs import Line, line_diff
from tests import factories as f


def test_rerender_rebuilds_stale_html_and_leaves_sources_and_revisions(app, runner):
    with app.app_context():
        t = f.thread(body="Some **bold** text here.")
        for _ in range(4):
            f.answer(t)
        db.session.execute(sa.update(Post).where(Post.id == t.question_id).values(body_html="<p>stale</p>"))
        db.session.commit()
        revisions_before = db.session.execute(sa.select(PostRevision.id, PostRevision.body)).all()
    result = runner.invoke(args=["posts", "rerender", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "Re-rendered 5 posts; 1 changed." in result.output
    with app.app_context():
        post = db.session.execute(sa.select(Post).where(Post.is_question)).scalar_one()
        assert post.body_html == "<p>Some <strong>bold</strong> text here.</p>"
        assert post.body == "Some **bold** text here."
        assert db.session.execute(sa.select(PostRevision.id, PostRevision.body)).all() == revisions_before


def test_rerender_on_an_empty_database_says_so(app, runner):
    result = runner.invoke(args=["posts", "rerender"])
    assert result.exit_code == 0 and "Re-rendered 0 posts; 0 changed." in result.output


def test_line_diff_marks_changed_lines_with_context():
    old = "\n".join(f"line {i}" for i in range(10))
    new = old.replace("line 5", "line five")
    diff = line_diff(old, new)
    assert Line("del", "line 5") in diff and Line("ins", "line five") in diff
    assert diff[0] == Line("gap", "…") and diff[-1] == Line("gap", "…")
    assert Line("same", "line 1") not in diff and Line("same", "line 2") in diff


def test_line_diff_of_equal_texts_is_empty():
    assert line_diff("same\ntext", "same\ntext") == []


def test_the_history_page_escapes_what_it_shows(app, client):
    with app.app_context():
        from forum.threads import services as s

        t = f.thread(body="First version of the body.")
        s.edit_post(t.question, by=t.author, body="Second <script>alert(1)</script> version.", reason="<b>why</b>")
        qid = t.question_id
    html = client.get(f"/posts/{qid}/revisions").get_data(as_text=True)
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;why&lt;/b&gt;" in html
