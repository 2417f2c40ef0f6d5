"""Sending one webhook attempt, and checking the addresses it may go to.

Signing and verification are the ``standardwebhooks`` library's: ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature`` (``v1,`` + base64 HMAC-SHA256 over
``id.timestamp.body``; one signature per live secret, space-separated, during a
rotation). HTTP is httpx with a connect timeout and an overall deadline; redirects are
never followed (a 3xx is a failure to retry, like any other non-2xx).

A URL is resolved before each attempt and every address it resolves to must be
public unless the endpoint allows private ones; the request then goes to the address
that was checked (with the original ``Host`` and TLS server name), so a DNS answer
that changes between check and connect can't reach the inside network.
"""
from __future__ import annotations

import base64
import functools
import ipaddress
import json
import random
import secrets
import socket
import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
from standardwebhooks.webhooks import Webhook

from ..db import utcnow

USER_AGENT = "SupportForum-Webhooks/1.0"
#: Response bytes kept in the delivery log.
EXCERPT_BYTES = 2000
#: Response bytes read at most (a ticket id is in the first few hundred).
READ_BYTES = 64 * 1024


class Refused(Exception):
    """The URL is not one webhooks may be sent to."""


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def valid_secret(value: str) -> bool:
    try:
        Webhook(value)
    except Exception:
        return False
    return value.startswith("whsec_") and len(value) >= 30


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(12)


def sign(secrets_: list[str], msg_id: str, when: datetime, body: str) -> str:
    """The ``webhook-signature`` header: one ``v1,...`` per secret."""
    return " ".join(Webhook(s).sign(msg_id, when, body) for s in secrets_)


def headers(secrets_: list[str], msg_id: str, when: datetime, body: str) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": sign(secrets_, msg_id, when, body),
    }


def verify(secret: str, body: bytes, request_headers: dict[str, str]) -> bool:
    """Whether ``body`` was signed with ``secret`` less than five minutes from now."""
    try:
        Webhook(secret).verify(body, request_headers, json_parse=False)
    except Exception:  # missing, malformed, stale or wrong: all the same to the caller
        return False
    return True


# -- where a webhook may go -----------------------------------------------------------

def check_url(url: str, *, allow_private: bool = True) -> str | None:
    """What is wrong with ``url`` as a webhook address, or None. Without
    ``allow_private``, an address that is plainly private (an IP literal or
    ``localhost``) is refused at once; host names are checked again at every attempt."""
    if not url:
        return "Enter the address the help desk receives webhooks at."
    if len(url) > 500:
        return "Keep the address under 500 characters."
    if any(c.isspace() or ord(c) < 32 for c in url):
        return "The address may not contain spaces or control characters."
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "The port is not a number from 1 to 65535, or the address is malformed."
    if parts.scheme not in ("http", "https"):
        return "Use an http:// or https:// address."
    if not parts.hostname:
        return "The address needs a host name."
    if parts.username or parts.password:
        return "Put credentials in the endpoint's settings, not in the address."
    if port == 0:
        return "The port is not a number from 1 to 65535, or the address is malformed."
    if parts.fragment:
        return "The address may not have a #fragment."
    if not allow_private and _plainly_private(parts.hostname):
        return (f"{parts.hostname} is a private, loopback or link-local address; "
                "allow private addresses for this endpoint to use it.")
    return None


def _plainly_private(host: str) -> bool:
    if host.lower().rstrip(".") == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return not _public(host)
    except ValueError:
        return False  # a name: resolved and checked at every attempt


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(url: str, *, allow_private: bool) -> str:
    """The address to connect to for ``url``, after checking every address its host
    resolves to; raises :class:`Refused`."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"cannot resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise Refused(f"{host} has no address")
    if not allow_private:
        private = [a for a in addresses if not _public(a)]
        if private:
            raise Refused(f"{host} resolves to a private, loopback or link-local address ({private[0]}); "
                          "an admin can allow private addresses for this endpoint")
    return addresses[0]


# -- one attempt --------------------------------------------------------------------------

@dataclass
class Outcome:
    status_code: int | None = None
    excerpt: str = ""
    error: str = ""
    duration_ms: int = 0
    retry_after: float | None = None
    response_json: Any = None
    request_headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date), capped at a day."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
            if when.tzinfo is None:  # "-0000" or no zone: HTTP dates are GMT
                when = when.replace(tzinfo=timezone.utc)
            seconds = (when - now).total_seconds()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    if seconds != seconds:  # NaN
        return None
    return max(0.0, min(seconds, 86400.0))


@functools.lru_cache(maxsize=1)
def _tls() -> ssl.SSLContext:
    """One TLS context for every attempt (building one loads the CA bundle: ~20 ms)."""
    return httpx.create_ssl_context()


def redacted(request_headers: dict[str, str]) -> dict[str, str]:
    return {k: ("[redacted]" if k.lower() == "authorization" else v) for k, v in request_headers.items()}


def post(url: str, body: str, request_headers: dict[str, str], *, allow_private: bool,
         connect_timeout: float, total_timeout: float) -> Outcome:
    """POST ``body`` to ``url`` once. Never raises for network trouble: the outcome
    says what happened."""
    started = time.monotonic()
    out = Outcome(request_headers=redacted(request_headers))

    def done() -> Outcome:
        out.duration_ms = int((time.monotonic() - started) * 1000)
        return out

    if problem := check_url(url):
        out.error = f"refused: {problem}"[:500]
        return done()
    try:
        address = resolve(url, allow_private=allow_private)
    except Refused as exc:
        out.error = f"refused: {exc}"[:500]
        return done()
    parts = urlsplit(url)
    netloc = f"[{address}]" if ":" in address else address
    if parts.port:
        netloc += f":{parts.port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    send_headers = {**request_headers, "host": parts.netloc.rsplit("@", 1)[-1]}
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    timeout = httpx.Timeout(total_timeout, connect=connect_timeout)
    deadline = started + total_timeout
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, verify=_tls()) as client:
            request = client.build_request("POST", pinned, content=body.encode(), headers=send_headers,
                                           extensions=extensions)
            response = client.send(request, stream=True)
            try:
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size >= READ_BYTES:
                        break
                    if time.monotonic() > deadline:
                        raise httpx.ReadTimeout("the response took longer than the total timeout")
            finally:
                response.close()
    except httpx.TimeoutException as exc:
        out.error = f"timeout: {exc or type(exc).__name__}"[:500]
        return done()
    except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, OSError, ValueError) as exc:
        out.error = f"{type(exc).__name__}: {exc}"[:500]
        return done()
    raw = b"".join(chunks)
    out.status_code = response.status_code
    out.excerpt = raw[:EXCERPT_BYTES].decode("utf-8", "replace")
    out.retry_after = retry_after(response.headers.get("retry-after"), utcnow())
    if response.status_code in (301, 302, 303, 307, 308):
        out.error = f"redirect to {response.headers.get('location', '?')[:300]} not followed"
    if out.ok and raw:
        try:
            out.response_json = json.loads(raw)
        except ValueError:
            out.response_json = None
    return done()


def next_delay(attempts: int, schedule: list[float], retry_after_s: float | None = None,
               jitter: float = 0.1) -> timedelta | None:
    """Wait before the next attempt after ``attempts`` failed ones, or None when the
    schedule is used up. A ``Retry-After`` longer than the schedule's wait wins.

    The jitter only lengthens a wait (by up to ``jitter``): retries of a failing burst
    spread out, and the whole schedule never ends sooner than its sum (three days)."""
    if attempts < 1 or attempts > len(schedule):
        return None
    base = max(float(schedule[attempts - 1]), 0.0)
    wait = base * random.uniform(1, 1 + jitter)
    if retry_after_s is not None:
        wait = max(wait, retry_after_s)
    return timedelta(seconds=wait)
