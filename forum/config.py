"""Configuration in layers: documented defaults here, then ``FORUM_*`` environment
variables, then the test config passed to :func:`forum.create_app`.

Every setting below can be overridden by an environment variable of the same name
prefixed with ``FORUM_`` (``FORUM_MAX_POST_CHARS=20000``). Values are parsed as JSON
when they look like JSON (numbers, booleans, objects), so
``FORUM_PRIVILEGES='{"vote_down": 125}'`` works; anything else is kept as a string.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any


class Defaults:
    #: SQLAlchemy URL. Empty means SQLite at ``instance/forum.sqlite3``.
    DATABASE_URL = ""
    #: Session signing key. Empty means: read or generate ``instance/secret_key``.
    SECRET_KEY = ""
    #: Name shown in the header and page titles.
    SITE_NAME = "Support Community"
    #: Longest question or answer body, in characters.
    MAX_POST_CHARS = 30_000
    #: Shortest question or answer body, in characters.
    MIN_POST_CHARS = 15
    MIN_TITLE_CHARS = 10
    MAX_TITLE_CHARS = 150
    MAX_TAGS = 5
    MAX_TAG_CHARS = 25
    #: Largest request body the server accepts at all, in bytes.
    MAX_CONTENT_LENGTH = 1_000_000
    #: Threads per list page.
    PAGE_SIZE = 30
    #: Reputation needed for each privilege, overriding the preset one by one
    #: (``{"vote_down": 100}``). Without the reputation package every privilege needs 1.
    PRIVILEGES: dict[str, int] = {}
    #: The reputation package's thresholds: ``small``, ``medium`` or ``large`` community.
    PRIVILEGE_PRESET = "medium"
    #: Points overriding the reputation package's table (``{"answer_accepted": 20}``).
    REPUTATION_RULES: dict[str, int] = {}
    #: Links a post may hold before its author has the ``post_links`` privilege.
    NEW_USER_MAX_LINKS = 2
    #: Visible posts someone without ``post_without_review`` needs before their posts
    #: skip the review queue.
    NEW_USER_REVIEW_POSTS = 2
    #: Flags one person may raise in 24 hours (moderators are not capped).
    FLAGS_PER_DAY = 10
    #: A post whose pending flags weigh this much is hidden until reviewed.
    HIDE_FLAG_SCORE = 6
    #: This many people flagging a new user's posts as spam silence them pending review.
    SILENCE_AFTER_SPAM_FLAGGERS = 3
    #: Turn the rate limits below on or off.
    RATELIMIT_ENABLED = True
    #: Where rate-limit counters live: empty keeps them in this process's memory;
    #: ``redis://host:6379/0`` shares them between web processes (needs ``redis``).
    RATELIMIT_STORAGE_URL = ""
    #: Login attempts per client address (``6 per minute``; the format of Flask-Limiter).
    LOGIN_RATE = "6 per minute"
    #: New accounts per client address.
    REGISTER_RATE = "3 per hour"
    #: Questions and answers per member, pages and API together.
    POST_RATE = "30 per hour"
    #: Questions and answers per member without the ``post_without_review`` privilege.
    NEW_USER_POST_RATE = "10 per hour"
    #: Seconds during which the same text from the same author is refused on any thread.
    IDENTICAL_POST_WINDOW = 300
    #: Phrases (case-insensitive) that send a post to the review queue.
    SPAM_PHRASES: list[str] = ["buy now", "free money", "casino", "work from home", "cheap viagra",
                               "crypto giveaway", "click here to claim", "100% guaranteed"]
    #: Spam-check score at which a post is queued for review (see ``moderation.spam``).
    SPAM_SCORE_THRESHOLD = 3
    #: Run the job worker in a thread of the web process (the one-command default).
    EMBEDDED_WORKER = False
    #: Seconds the embedded worker sleeps when no job is due.
    WORKER_IDLE_SECONDS = 1.0
    #: Seconds a claimed job stays locked before another worker may take it over.
    JOB_LOCK_SECONDS = 300
    #: Attempts before a job is parked as failed.
    JOB_MAX_ATTEMPTS = 10
    #: Serve cookies with the Secure flag (turn on behind HTTPS).
    SECURE_COOKIES = False
    #: Where the search index and other local state live; empty means the instance folder.
    DATA_DIR = ""
    #: ``whoosh`` (an index under ``DATA_DIR/search``, written by the job worker) or
    #: ``postgres`` (a ``tsvector`` table kept in each write's own transaction).
    SEARCH_BACKEND = "whoosh"
    #: Seconds the index writer waits for the Whoosh write lock before retrying later.
    SEARCH_WRITER_TIMEOUT = 10.0
    #: Results per search page.
    SEARCH_PAGE_SIZE = 20
    #: Similar threads suggested while someone types a question.
    SUGGEST_LIMIT = 5
    #: Characters of a title before suggestions start (Discourse waits for 10).
    SUGGEST_MIN_CHARS = 10
    #: Days after which a published article is listed for staff to review again.
    KB_REVIEW_DAYS = 180
    #: "No" answers (at least half of all answers) that list an article for review.
    KB_UNHELPFUL_THRESHOLD = 5
    #: Public address of the forum, for links in webhooks and e-mails sent by the worker.
    BASE_URL = "http://127.0.0.1:5000"
    #: Hours without an accepted answer after which the sweep escalates a thread to the
    #: help desk (categories can opt out); 0 turns automatic escalation off.
    ESCALATE_AFTER_HOURS = 48
    #: Hours before that moment when watchers get the "last call" notice.
    ESCALATE_LAST_CALL_HOURS = 12
    #: Threads older than this many days past the deadline are left alone by the sweep
    #: (turning escalation on must not flood the help desk with a forum's history).
    ESCALATE_LOOKBACK_DAYS = 7
    #: Hours an asker waits before "I still need help" is offered on a thread nobody answered.
    ESCALATE_ASKER_WAIT_HOURS = 24
    #: Seconds between two sweeps.
    ESCALATE_SWEEP_SECONDS = 300
    #: Whether everyone (not only the asker and staff) sees a thread's ticket status.
    ESCALATION_STATUS_PUBLIC = False
    #: Seconds to wait after each failed webhook attempt (the Standard Webhooks schedule:
    #: about three days and four hours over ten attempts), each up to 10 % longer (jitter).
    WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    #: Seconds to connect, and for the whole request, per webhook attempt.
    WEBHOOK_CONNECT_TIMEOUT = 5.0
    WEBHOOK_TIMEOUT = 15.0
    #: Hours the old secret keeps signing after a rotation.
    WEBHOOK_ROTATION_HOURS = 24
    #: Signed status callbacks the help desk may send per client address.
    ESCALATION_CALLBACK_RATE = "300 per minute"
    #: Username of the account that posts the help desk's public replies.
    SUPPORT_USERNAME = "support"
    #: Seconds an instant e-mail waits for more of the same person's notifications, so a
    #: burst (ten answers in a minute) arrives as one message.
    NOTIFY_COALESCE_SECONDS = 60
    #: Pending review items at which moderators are told the queue needs them (once per
    #: crossing: again only after it went back under); 0 turns the alert off.
    MODERATION_ALERT_QUEUE_SIZE = 20
    #: Hours the oldest pending review item may wait before moderators are told (once
    #: per crossing, like the size alert); 0 turns the alert off.
    MODERATION_ALERT_AGE_HOURS = 12
    #: Requests per member to the @mention suggestions while typing.
    USER_SUGGEST_RATE = "120 per minute"
    #: People a member without ``post_without_review`` may @mention in one post.
    NEW_USER_MAX_MENTIONS = 3
    #: How mail leaves: ``file`` (written under ``DATA_DIR/mail``, the default: nothing is
    #: sent by accident), ``console``, ``smtp``, or ``locmem`` (tests).
    MAIL_BACKEND = "file"
    #: The SMTP server for ``MAIL_BACKEND=smtp``.
    MAIL_SERVER = "localhost"
    MAIL_PORT = 25
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    #: ``starttls``, ``ssl`` or empty for a plain connection.
    MAIL_SECURITY = ""
    #: Seconds to wait for the SMTP server.
    MAIL_TIMEOUT = 10
    #: The From address of every e-mail.
    MAIL_SENDER = "Support Community <noreply@localhost>"
    #: Seconds "remember me" keeps a browser logged in.
    REMEMBER_SECONDS = 30 * 24 * 3600


def _parse(value: str) -> Any:
    try:
        return json.loads(value)
    except ValueError:
        return value


def load(instance_path: str, test_config: dict[str, Any] | None) -> dict[str, Any]:
    """Return the settings for one app, defaults < environment < test config."""
    settings = {k: v for k, v in vars(Defaults).items() if k.isupper()}
    for name in settings:
        raw = os.environ.get(f"FORUM_{name}")
        if raw is not None:
            settings[name] = _parse(raw) if not isinstance(settings[name], str) else raw
    if test_config:
        settings.update(test_config)

    instance = Path(instance_path)
    if not settings["DATABASE_URL"]:
        instance.mkdir(parents=True, exist_ok=True)
        settings["DATABASE_URL"] = f"sqlite:///{instance / 'forum.sqlite3'}"
    if not settings["SECRET_KEY"]:
        settings["SECRET_KEY"] = _instance_secret(instance)
    if not settings["DATA_DIR"]:
        settings["DATA_DIR"] = str(instance)
    return settings


def _instance_secret(instance: Path) -> str:
    """Read the generated secret key, creating it (mode 600) on first run."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key)
        return key
