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
