"""A closed thread that went to the help desk reopens as escalated, not open."""
from __future__ import annotations

from forum.escalation import services
from forum.models import ThreadStatus
from moderation import services as moderation
from tests import factories as f


def test_reopening_an_escalated_thread_keeps_it_escalated(people):
    services.escalate(people.thread, by=people.maya, note="Customer is blocked")
    other = people.thread
    original = f.thread(people.bob, title="The same invoice question, asked first")
    moderation.close_as_duplicate(other, duplicate_of=original, by=people.maya)
    assert other.status == ThreadStatus.CLOSED
    reopened = moderation.reopen_thread(other, by=people.maya)
    assert reopened.status == ThreadStatus.ESCALATED


def test_reopening_a_thread_never_escalated_makes_it_open(people):
    original = f.thread(people.bob, title="The same invoice question, asked first")
    moderation.close_as_duplicate(people.thread, duplicate_of=original, by=people.maya)
    assert moderation.reopen_thread(people.thread, by=people.maya).status == ThreadStatus.OPEN
