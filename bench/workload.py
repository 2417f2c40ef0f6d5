"""Realistic search and suggest inputs for the benchmark, deterministic per seed.

Search: 1-2 common words, 3-5 word questions, rare terms (error codes, names only a
few threads mention), a typo or two, long 12-word questions pasted whole. Suggest:
what someone types in the ask form's title box: a title cut mid-word while typing,
whole titles, long questions, titles with a typo (all at least ``SUGGEST_MIN_CHARS``
long, below which the product answers nothing without searching).
"""
from __future__ import annotations

import random
import re

import vocabulary as V

SEARCH_MIX = {"short": 25, "question": 30, "rare": 15, "typo": 10, "long": 20}
SUGGEST_MIX = {"typing": 40, "title": 30, "long": 20, "typo": 10}
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
STOP = {"the", "a", "an", "my", "to", "for", "on", "of", "and", "is", "are", "it", "in", "i", "do", "how", "can"}


def typo(rng: random.Random, text: str) -> str:
    """One typo in one word of at least five letters: a letter dropped, doubled or swapped."""
    words = text.split()
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not candidates:
        return text
    i = rng.choice(candidates)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    kind = rng.randrange(3)
    if kind == 0:
        w = w[:j] + w[j + 1:]
    elif kind == 1:
        w = w[:j] + w[j] + w[j:]
    else:
        w = w[:j - 1] + w[j] + w[j - 1] + w[j + 1:]
    words[i] = w
    return " ".join(words)


class QueryMaker:
    def __init__(self, text, seed: int) -> None:
        self.text = text
        self.rng = random.Random(seed)
        self.areas = list(V.AREAS)

    def _area(self) -> dict:
        return V.AREAS[self.rng.choice(self.areas)]

    def _content_words(self, phrase: str) -> list[str]:
        return [w.lower() for w in _WORD.findall(phrase) if w.lower() not in STOP]

    def short(self) -> str:
        area = self._area()
        words = area["words"][:20]
        if self.rng.random() < 0.4:
            return self.rng.choice(words)
        return f"{self.rng.choice(words)} {self.rng.choice(words + V.GENERIC[:30])}"

    def question(self) -> str:
        rng = self.rng
        area = self._area()
        phrase = rng.choice([rng.choice(area["actions"]),
                             f"{rng.choice(area['entities'])} {rng.choice(area['symptoms'])}"])
        words = self._content_words(phrase)
        if rng.random() < 0.5:
            words = phrase.lower().replace("?", "").split()
        n = rng.randint(3, 5)
        return " ".join(words[:n]) if len(words) >= 3 else phrase.lower()

    def rare(self) -> str:
        rng = self.rng
        if rng.random() < 0.35:
            return rng.choice(self._area()["errors"])
        token = self.text.tail[int(rng.uniform(2_000, len(self.text.tail)))]
        if rng.random() < 0.5:
            return token
        return f"{token} {rng.choice(self._area()['words'][:15])}"

    def long(self) -> str:
        rng = self.rng
        area = self._area()
        sentence = self.text.fill(rng, rng.choice(V.SENTENCE_TEMPLATES[:3]), area)
        extra = self.text.fill(rng, rng.choice(["how do I fix it so I can {action}",
                                                "is there a way to {action} today",
                                                "we tried to {action} already"]), area)
        words = (sentence.rstrip(".") + " " + extra).split()
        return " ".join(words[:12])

    def title(self) -> str:
        rng = self.rng
        return self.text.fill(rng, rng.choice(V.TITLE_TEMPLATES), self._area())

    def search_set(self, n: int) -> list[tuple[str, str]]:
        kinds = list(SEARCH_MIX)
        out = []
        for _ in range(n):
            kind = self.rng.choices(kinds, weights=list(SEARCH_MIX.values()))[0]
            if kind == "typo":
                for _ in range(20):
                    base = self.question() if self.rng.random() < 0.6 else self.short()
                    q = typo(self.rng, base)
                    if q != base:
                        break
            else:
                q = getattr(self, kind)()
            out.append((kind, q))
        return out

    def suggest_set(self, n: int, min_chars: int = 10) -> list[tuple[str, str]]:
        kinds = list(SUGGEST_MIX)
        out = []
        while len(out) < n:
            kind = self.rng.choices(kinds, weights=list(SUGGEST_MIX.values()))[0]
            if kind == "typing":
                t = self.title()
                t = t[:self.rng.randint(min(min_chars, len(t)), len(t))]
            elif kind == "title":
                t = self.title()
            elif kind == "long":
                t = self.long()
            else:
                t = typo(self.rng, self.title())
            if len(t) >= min_chars:
                out.append((kind, t))
        return out
