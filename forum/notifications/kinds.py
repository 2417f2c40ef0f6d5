"""The kinds of notification: what each says, and how it is e-mailed unless the person
chose otherwise. Defaults follow Discourse and Stack Overflow: what is about you
(an answer to your question, your answer accepted, a mention, a moderator's decision)
comes at once; the rest waits for a digest or stays in the app.
"""
from __future__ import annotations

from dataclasses import dataclass

from .models import EmailMode


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    email: EmailMode
    #: May the person turn the e-mail off? (Account and moderation notices: no.)
    optional: bool = True


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("answer", "New answers on threads you watch", EmailMode.INSTANT),
    Kind("accepted", "Your answer was accepted", EmailMode.INSTANT),
    Kind("mention", "Someone mentioned you", EmailMode.INSTANT),
    Kind("post_hidden", "Your post was hidden after flags", EmailMode.INSTANT, optional=False),
    Kind("post_approved", "Your post was approved", EmailMode.DAILY),
    Kind("post_rejected", "Your post was rejected", EmailMode.INSTANT, optional=False),
    Kind("sanction", "Your account was suspended or silenced", EmailMode.INSTANT, optional=False),
    Kind("badge", "Badges and privileges you earned", EmailMode.WEEKLY),
    Kind("escalation", "Support tickets for your threads", EmailMode.INSTANT),
    Kind("last_call", "Threads about to go to support", EmailMode.INSTANT),
    Kind("kb_promoted", "Your answer became a knowledge-base article", EmailMode.INSTANT),
    Kind("queue", "The review queue needs moderators", EmailMode.INSTANT),
    Kind("new_thread", "New questions in categories and tags you watch", EmailMode.DAILY),
)}


def get(name: str) -> Kind:
    return KINDS[name]
