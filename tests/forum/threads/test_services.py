"""The thread use cases, called directly."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.errors import Forbidden, Invalid, NotFound
from forum.extensions import db
from forum.models import Category, Post, PostRevision, PostState, Role, Tag, Thread, ThreadStatus, Vote
from forum.threads import services as s
from tests import factories as f


def _refresh(*objs):
    for obj in objs:
        db.session.refresh(obj)


def test_ask_creates_the_thread_question_revision_and_counts(ctx):
    cat = f.category("Billing")
    asker = f.user("asker")
    t = s.ask(author=asker, title="  Invoice   shows the wrong VAT ", body="The VAT line is 19% instead of 7%.",
              category_id=str(cat.id), tags="Billing, vat")
    _refresh(cat)
    assert t.title == "Invoice shows the wrong VAT"
    assert t.question_id is not None and t.question.is_question
    assert [tag.name for tag in t.tags] == ["billing", "vat"]
    assert cat.thread_count == 1
    assert db.session.execute(sa.select(Tag.thread_count).where(Tag.name == "vat")).scalar_one() == 1
    revs = db.session.execute(sa.select(PostRevision).where(PostRevision.post_id == t.question_id)).scalars().all()
    assert [(r.number, r.title, r.tags) for r in revs] == [(1, "Invoice shows the wrong VAT", "billing vat")]


@pytest.mark.parametrize("field, kwargs", [
    ("title", {"title": "short"}),
    ("body", {"body": "tiny"}),
    ("category", {"category_id": "nope"}),
    ("tags", {"tags": "a b c d e f"}),
    ("tags", {"tags": "bad/tag"}),
])
def test_ask_refuses_invalid_input_per_field(ctx, field, kwargs):
    cat = f.category()
    values = {"title": "A perfectly fine title", "body": "A body that is long enough.", "category_id": cat.id}
    values.update(kwargs)
    with pytest.raises(Invalid) as exc:
        s.ask(author=f.user(), **values)
    assert field in exc.value.errors
    assert db.session.execute(sa.select(sa.func.count()).select_from(Thread)).scalar_one() == 0


def test_tags_are_normalised_deduplicated_and_at_most_five(ctx):
    t = f.thread(tags=["Single Sign_On", "single-sign-on", "SSO", "a", "b", "c"])
    assert [tag.name for tag in t.tags] == ["a", "b", "c", "single-sign-on", "sso"]
    with pytest.raises(Invalid) as exc:
        f.thread(tags=["a", "b", "c", "d", "e", "f"])
    assert "at most 5" in exc.value.errors["tags"]


def test_anonymous_and_suspended_people_cannot_ask(ctx):
    from datetime import timedelta

    from forum.db import utcnow

    cat = f.category()
    with pytest.raises(Forbidden) as exc:
        s.ask(author=None, title="A perfectly fine title", body="Long enough body text.", category_id=cat.id)
    assert exc.value.status == 401
    user = f.user()
    user.suspended_until = utcnow() + timedelta(days=1)
    db.session.commit()
    with pytest.raises(Forbidden):
        s.ask(author=user, title="A perfectly fine title", body="Long enough body text.", category_id=cat.id)


def test_answering_moves_the_counts_and_activity(ctx):
    t = f.thread()
    before = t.last_activity_at
    helper = f.user("helper")
    a = s.post_answer(t, author=helper, body="Clear the cache and log in again.")
    _refresh(t)
    assert t.answer_count == 1 and t.last_poster_id == helper.id and t.last_activity_at >= before
    assert a.revision_count == 1 and not a.is_question


def test_the_same_answer_twice_is_refused_as_a_double_submit(ctx):
    t = f.thread()
    helper = f.user()
    s.post_answer(t, author=helper, body="Clear the cache and log in again.")
    with pytest.raises(Invalid):
        s.post_answer(t, author=helper, body="Clear the cache and log in again.")
    _refresh(t)
    assert t.answer_count == 1


def test_locked_threads_take_answers_from_moderators_only(ctx):
    t = f.thread()
    t.locked = True
    db.session.commit()
    with pytest.raises(Forbidden):
        s.post_answer(t, author=f.user(), body="This should not be posted.")
    mod = f.user(role=Role.MODERATOR)
    assert s.post_answer(t, author=mod, body="A moderator can still answer.").id


def test_editing_keeps_the_old_text_as_a_revision(ctx):
    asker = f.user()
    cat2 = f.category("Other place")
    t = f.thread(asker, tags=["one"], body="How do I make this thing work again?")
    q = t.question
    old_cat = t.category
    s.edit_post(q, by=asker, body="A completely rewritten question body.", title="A better, clearer title",
                tags="one, two", category_id=cat2.id, reason="clarified")
    _refresh(q, t, cat2, old_cat)
    assert q.revision_count == 2 and q.edited_by_id == asker.id
    assert t.title == "A better, clearer title" and [x.name for x in t.tags] == ["one", "two"]
    assert (old_cat.thread_count, cat2.thread_count) == (0, 1)
    revs = db.session.execute(sa.select(PostRevision).where(PostRevision.post_id == q.id)
                              .order_by(PostRevision.number)).scalars().all()
    assert [r.body for r in revs] == ["How do I make this thing work again?", "A completely rewritten question body."]
    assert revs[1].reason == "clarified" and revs[1].tags == "one two"


def test_an_edit_that_changes_nothing_adds_no_revision(ctx):
    a = f.answer(f.thread())
    same = s.edit_post(a, by=a.author, body=a.body, reason="nothing")
    assert same.revision_count == 1


def test_people_cannot_edit_others_posts_but_moderators_can(ctx):
    a = f.answer(f.thread())
    with pytest.raises(Forbidden):
        s.edit_post(a, by=f.user(), body="Someone else's rewrite of it.")
    mod = f.user(role=Role.MODERATOR)
    assert s.edit_post(a, by=mod, body="A moderator fixed the formatting.").revision_count == 2


def test_deleting_an_answer_is_soft_and_moves_the_count(ctx):
    t = f.thread()
    a = f.answer(t)
    s.delete_post(a, by=a.author)
    _refresh(a, t)
    assert a.state == PostState.DELETED and a.deleted_at is not None
    assert t.answer_count == 0
    assert db.session.get(Post, a.id) is not None


def test_deleting_a_question_takes_the_thread_out_of_counts(ctx):
    t = f.thread(tags=["gone"])
    cat = t.category
    s.delete_post(t.question, by=t.author)
    _refresh(t, cat)
    assert t.state == PostState.DELETED and cat.thread_count == 0
    assert db.session.execute(sa.select(Tag.thread_count).where(Tag.name == "gone")).scalar_one() == 0


def test_a_question_with_answers_cannot_be_deleted_by_its_author(ctx):
    t = f.thread()
    f.answer(t)
    with pytest.raises(Forbidden):
        s.delete_post(t.question, by=t.author)


def test_votes_change_and_retract_and_keep_one_row(ctx):
    a = f.answer(f.thread())
    voter = f.user()
    assert s.cast_vote(a, by=voter, value=1) == (1, 1)
    assert s.cast_vote(a, by=voter, value=1) == (1, 1)
    assert s.cast_vote(a, by=voter, value=-1) == (-1, -1)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Vote)).scalar_one() == 1
    assert s.cast_vote(a, by=voter, value=0) == (0, 0)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Vote)).scalar_one() == 0


def test_question_votes_move_the_thread_score(ctx):
    t = f.thread()
    s.cast_vote(t.question, by=f.user(), value=1)
    s.cast_vote(t.question, by=f.user(), value=1)
    _refresh(t)
    assert t.score == 2


def test_voting_on_your_own_post_is_refused(ctx):
    a = f.answer(f.thread())
    with pytest.raises(Forbidden) as exc:
        s.cast_vote(a, by=a.author, value=1)
    assert "own post" in exc.value.reason


@pytest.mark.parametrize("value", [2, "1", None, True, 1.5])
def test_a_vote_is_one_minus_one_or_zero(ctx, value):
    a = f.answer(f.thread())
    with pytest.raises(Invalid):
        s.cast_vote(a, by=f.user(), value=value)


def test_accepting_switches_and_unaccepting_reopens(ctx):
    asker = f.user()
    t = f.thread(asker)
    first, second = f.answer(t), f.answer(t)
    s.accept_answer(first, by=asker)
    _refresh(t)
    assert (t.accepted_post_id, t.status) == (first.id, ThreadStatus.SOLVED)
    s.accept_answer(second, by=asker)
    _refresh(t)
    assert t.accepted_post_id == second.id
    s.unaccept_answer(t, by=asker)
    _refresh(t)
    assert (t.accepted_post_id, t.status) == (None, ThreadStatus.OPEN)


def test_only_the_asker_or_staff_accepts(ctx):
    t = f.thread()
    a = f.answer(t)
    with pytest.raises(Forbidden):
        s.accept_answer(a, by=a.author)
    s.accept_answer(a, by=f.staff("staffer"))
    _refresh(t)
    assert t.accepted_post_id == a.id


def test_questions_cannot_be_accepted(ctx):
    t = f.thread()
    with pytest.raises(Forbidden):
        s.accept_answer(t.question, by=t.author)


def test_unaccepting_without_an_accepted_answer_is_not_found(ctx):
    t = f.thread()
    with pytest.raises(NotFound):
        s.unaccept_answer(t, by=t.author)


def test_deleting_the_accepted_answer_unaccepts_it(ctx):
    t = f.thread()
    a = f.answer(t)
    s.accept_answer(a, by=t.author)
    s.delete_post(a, by=a.author)
    _refresh(t)
    assert (t.accepted_post_id, t.status, t.answer_count) == (None, ThreadStatus.OPEN, 0)


def test_categories_are_staff_managed_with_unique_names_and_slugs(ctx):
    admin = f.staff()
    one = s.save_category(by=admin, name="Single sign-on", description="SSO")
    with pytest.raises(Invalid) as exc:
        s.save_category(by=admin, name="single SIGN-ON")
    assert "already" in exc.value.errors["name"]
    renamed = s.save_category(by=admin, category=one, name="SSO and SAML", position="3")
    assert (renamed.slug, renamed.name, renamed.position) == ("single-sign-on", "SSO and SAML", 3)
    with pytest.raises(Forbidden):
        s.save_category(by=f.user(), name="Members cannot")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Category)).scalar_one() == 1


@pytest.mark.parametrize("ident", ["abc", None, 0, -1, 2**40, True, "1.5"])
def test_unknown_ids_are_not_found(ctx, ident):
    with pytest.raises(NotFound):
        s.get_thread(ident)
