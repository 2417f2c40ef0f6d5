from tests import factories as f


def test_ask_answer_vote_accept(ctx):
    from forum.threads import services as s

    asker, helper = f.user("asker"), f.user("helper")
    t = f.thread(asker, tags=["Login", "SSO"])
    a = f.answer(t, helper)
    assert s.cast_vote(a, by=asker, value=1) == (1, 1)
    s.accept_answer(a, by=asker)
    assert t.accepted_post_id == a.id and t.status.value == "solved"
    assert [tag.name for tag in t.tags] == ["login", "sso"]


def test_edit_reasons_with_control_characters_and_surrogates_are_cleaned(ctx):
    from forum.threads import services as s

    t = f.thread()
    q = t.question
    s.edit_post(q, by=t.author, body="A new body that is long enough.", reason="typo\x00 \ud800fix")
    from forum.threads.queries import revisions

    assert revisions(q)[0].reason == "typo ?fix"


def test_votes_must_be_whole_numbers(ctx):
    import pytest

    from forum.errors import Invalid
    from forum.threads import services as s

    a = f.answer(f.thread())
    for bad in (1.0, True, "1", None):
        with pytest.raises(Invalid):
            s.cast_vote(a, by=f.user(), value=bad)
