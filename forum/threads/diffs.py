"""What changed between two revisions of a post, in a shape a template can show.

The diff is taken over the Markdown source, line by line, because that is what the
author wrote and what an editor changed; the rendered HTML would hide edits to links
and code. Nothing here builds HTML: templates escape every line.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ..models import PostRevision

#: Unchanged lines kept around each change, like ``diff -U3``.
CONTEXT = 3


@dataclass(frozen=True)
class Line:
    #: "same", "ins", "del", or "gap" for skipped unchanged lines.
    op: str
    text: str


@dataclass
class Change:
    """One revision and how it differs from the one before it."""

    revision: PostRevision
    lines: list[Line]
    is_original: bool = False
    #: (old, new) when a question's title changed.
    title: tuple[str, str] | None = None
    tags_added: list[str] = field(default_factory=list)
    tags_removed: list[str] = field(default_factory=list)

    @property
    def body_changed(self) -> bool:
        return any(line.op in ("ins", "del") for line in self.lines)


def line_diff(old: str, new: str, context: int = CONTEXT) -> list[Line]:
    """The changed lines of ``new`` versus ``old`` with some context; empty if equal."""
    a, b = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    out: list[Line] = []
    for group in matcher.get_grouped_opcodes(context):
        if group[0][1] > 0 or out:
            out.append(Line("gap", "…"))
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                out.extend(Line("same", text) for text in a[i1:i2])
                continue
            out.extend(Line("del", text) for text in a[i1:i2])
            out.extend(Line("ins", text) for text in b[j1:j2])
    if out and out[-1].op != "gap" and group[-1][2] < len(a):
        out.append(Line("gap", "…"))
    return out


def changes(revisions: list[PostRevision]) -> list[Change]:
    """Pair each revision (newest first, as listed) with what it changed."""
    result: list[Change] = []
    for index, rev in enumerate(revisions):
        prev = revisions[index + 1] if index + 1 < len(revisions) else None
        if prev is None:
            result.append(Change(rev, [Line("same", text) for text in rev.body.splitlines()], is_original=True))
            continue
        change = Change(rev, line_diff(prev.body, rev.body))
        if rev.title != prev.title:
            change.title = (prev.title, rev.title)
        old_tags, new_tags = prev.tags.split(), rev.tags.split()
        change.tags_added = [t for t in new_tags if t not in old_tags]
        change.tags_removed = [t for t in old_tags if t not in new_tags]
        result.append(change)
    return result
