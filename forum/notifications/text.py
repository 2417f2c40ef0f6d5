"""What a notification says and where it leads, the same in the app and in e-mail."""
from __future__ import annotations

from .models import Notification


def _who(n: Notification) -> str:
    return n.actor.name if n.actor is not None else "Someone"


def _title(n: Notification) -> str:
    title = n.data.get("title") or (n.thread.title if n.thread is not None else "")
    return f"“{title}”" if title else "your thread"


def describe(n: Notification) -> str:
    """One sentence: "Bob answered “Invoices in euros”"."""
    d, who, title = n.data or {}, _who(n), _title(n)
    reason = f" Reason: {d['reason']}" if d.get("reason") else ""
    texts = {
        "answer": f"{who} answered {title}",
        "accepted": f"{who} accepted your answer on {title}",
        "mention": f"{who} mentioned you in {title}",
        "new_thread": f"{who} asked {title}",
        "post_hidden": f"Your post in {title} was hidden after flags.{reason}",
        "post_approved": f"Your post in {title} was approved and is now visible",
        "post_rejected": f"Your post in {title} was removed by a moderator.{reason}",
        "sanction": (f"Your account was {'suspended' if d.get('kind') == 'suspend' else 'silenced'} until "
                     f"{str(d.get('until', ''))[:16].replace('T', ' ')} UTC.{reason}"),
        "badge": f"You earned the {d.get('badge', 'a')} {'privilege' if d.get('privilege') else 'badge'}",
        "escalation": (f"Your thread {title} went to the support team" if d.get("status") == "escalated"
                       else f"Support ticket for {title}: {d.get('status', 'updated')}"),
        "last_call": f"{title} goes to the support team soon unless an answer is accepted",
        "kb_promoted": f"Your answer became the knowledge-base article “{d.get('article', '')}”",
        "queue": d.get("title") or "The review queue needs moderators",
    }
    return texts.get(n.kind, n.kind)


def link(n: Notification) -> str:
    """The path of the exact thing: the post in its thread, the article, the queue."""
    d = n.data or {}
    if n.kind == "kb_promoted" and d.get("slug"):
        return f"/kb/{d['slug']}"
    if n.kind == "queue":
        return "/admin/webhooks/dead" if d.get("message_id") else "/review"
    if n.kind in ("badge", "sanction"):
        return f"/u/{n.user.username}"
    if n.thread_id is not None:
        return f"/t/{n.thread_id}" + (f"#post-{n.post_id}" if n.post_id else "")
    return "/notifications"
