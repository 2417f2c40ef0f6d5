"""Reading what a client sent: a JSON object body and query parameters.

Anything that is not a JSON object is refused before a service sees it (400, or 415
for another media type); values inside the object are the services' business, and
their :class:`~forum.errors.Invalid` becomes a 422 that names the fields.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from ..errors import Invalid


def _no_constants(name: str) -> Any:
    # NaN and Infinity are not JSON, whatever Python's parser tolerates.
    raise ValueError(f"{name} is not valid JSON")


def json_body(*, allowed: Iterable[str]) -> dict[str, Any]:
    """Return the body as a dict whose keys are all in ``allowed``.

    Unknown fields are refused rather than ignored, so a typo ("titel") is reported
    instead of silently doing less than the client meant; so is null.
    """
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise UnsupportedMediaType("Send the body as application/json.")
    raw = request.get_data()  # Raises 413 past MAX_CONTENT_LENGTH.
    if not raw.strip():
        raise BadRequest("The body is empty; send a JSON object.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The body is not valid UTF-8.") from None
    try:
        data = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise BadRequest("The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    allowed = set(allowed)
    errors = {k[:100]: f"Unknown field; expected {', '.join(sorted(allowed))}." for k in data if k not in allowed}
    # No field takes null: leave a field out to mean "none" or "unchanged".
    errors.update({k: "Expected a value, not null." for k, v in data.items() if v is None and k in allowed})
    if errors:
        raise Invalid(errors)
    return data


def query_int(name: str, default: int, *, low: int, high: int) -> int:
    """An integer query parameter within [low, high]."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw) if len(raw) <= 10 else None
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise Invalid({name: f"Use a whole number from {low} to {high}."})
    return value


_CONTROL = dict.fromkeys(c for c in range(32) if chr(c) not in "\n\t")


def optional_text(data: dict[str, Any], name: str, errors: dict[str, str]) -> str | None:
    """A field that must be a string when present, made storable.

    JSON may carry lone surrogates (``"\\ud800"``) and NUL, which no database driver
    accepts; they are replaced or dropped, as the services do for titles and bodies.
    """
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        errors[name] = "Expected text."
        return None
    return value.encode("utf-8", "replace").decode("utf-8").translate(_CONTROL)
