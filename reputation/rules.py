"""The points table and the privilege presets, both overridable from config.

``REPUTATION_RULES`` (env ``FORUM_REPUTATION_RULES``, JSON) is merged over
:data:`DEFAULT_RULES`. ``PRIVILEGE_PRESET`` picks ``small``, ``medium`` (default) or
``large``; ``PRIVILEGES`` (env ``FORUM_PRIVILEGES``) overrides single thresholds on
top of the preset. The values follow what Stack Exchange and Apache Answer converged on.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, current_app

DEFAULT_RULES: dict[str, int] = {
    "question_voted_up": 10,
    "answer_voted_up": 10,
    "voted_down": -2,
    # Stack Exchange charges for downvoting answers only, so questions get honest votes.
    "downvoter_cost_answer": -1,
    "answer_accepted": 15,
    "accept_given": 2,
    #: Most a user can gain from upvotes per UTC day; accepted answers are exempt.
    "daily_vote_cap": 200,
    #: Reputation starts here and never falls below it.
    "floor": 1,
    #: For the knowledge base issue: an answer promoted into an article.
    "kb_promoted": 25,
}

#: The privileges ``forum.permissions.can`` asks about, with their labels.
PRIVILEGE_LABELS: dict[str, str] = {
    "vote_up": "Vote up",
    "flag": "Flag posts",
    "vote_down": "Vote down",
    "post_links": "Posting links freely",
    "edit_others": "Editing others' posts",
    "post_without_review": "Posting without review",
    "trusted_flags": "Trusted flags: each of your flags counts double in the review queue",
    "close_reopen": "Closing and reopening threads",
}

PRESETS: dict[str, dict[str, int]] = {
    # A young community: almost everything open, only the destructive powers earned.
    "small": {"vote_up": 1, "flag": 1, "vote_down": 50, "post_links": 1, "edit_others": 500,
              "post_without_review": 1, "trusted_flags": 100, "close_reopen": 750},
    # Apache Answer's default community size.
    "medium": {"vote_up": 8, "flag": 8, "vote_down": 125, "post_links": 8, "edit_others": 1000,
               "post_without_review": 5, "trusted_flags": 400, "close_reopen": 1500},
    # Stack Exchange's thresholds.
    "large": {"vote_up": 15, "flag": 15, "vote_down": 125, "post_links": 10, "edit_others": 2000,
              "post_without_review": 10, "trusted_flags": 500, "close_reopen": 3000},
}
DEFAULT_PRESET = "medium"


def rules() -> dict[str, int]:
    """The current app's points table."""
    return current_app.extensions["reputation"]["rules"]


def configure(app: Flask) -> None:
    """Compute the app's rules and privilege thresholds from its config.

    Raises ``ValueError`` for an unknown preset, rule or privilege, or a value that is
    not a whole number: a typo in config must stop the app, not silently pay 0."""
    app.extensions["reputation"]["rules"] = _merge("REPUTATION_RULES", DEFAULT_RULES,
                                                   app.config.get("REPUTATION_RULES") or {})
    preset = app.config.get("PRIVILEGE_PRESET") or DEFAULT_PRESET
    if preset not in PRESETS:
        raise ValueError(f"PRIVILEGE_PRESET must be one of {', '.join(PRESETS)}, not {preset!r}")
    app.config["PRIVILEGES"] = _merge("PRIVILEGES", PRESETS[preset], app.config.get("PRIVILEGES") or {})


def _merge(setting: str, defaults: dict[str, int], overrides: Any) -> dict[str, int]:
    if not isinstance(overrides, dict):
        raise ValueError(f"{setting} must be a JSON object")
    unknown = set(overrides) - set(defaults)
    if unknown:
        raise ValueError(f"{setting} has unknown keys: {', '.join(sorted(unknown))}")
    for key, value in overrides.items():
        if type(value) is not int:
            raise ValueError(f"{setting}[{key!r}] must be a whole number")
    return {**defaults, **overrides}
