"""Every error under ``/api/`` is an RFC 9457 problem document.

The mapping, which the OpenAPI document repeats:

* 400 - the body is not a JSON object (malformed JSON, broken UTF-8, empty, an array).
* 401 - no token where one is needed, or a token that is unknown or revoked. Carries
  ``WWW-Authenticate: Bearer``.
* 403 - the policy refuses (voting on your own post, accepting in someone else's thread).
* 404 - no such thing, or a thing the caller may not see.
* 409 - a race lost against another request; retrying is safe.
* 413 - the body is larger than ``MAX_CONTENT_LENGTH``.
* 415 - the body is not ``application/json``.
* 422 - well-formed input that breaks a rule; ``errors`` lists every field at fault as
  ``{"field": ..., "message": ...}``.

Problems use ``type: about:blank``: the status says what kind of problem it is, the
``title`` is the status phrase and ``detail`` says what to do about it.
"""
from __future__ import annotations

from flask import Blueprint, Response
from werkzeug.exceptions import HTTPException

from ..db import Conflict
from ..errors import Forbidden, Invalid, NotFound
from ..web import problem
from .auth import BadToken

#: Details for HTTP errors whose Werkzeug description speaks about browsers.
_DETAILS = {
    404: "There is nothing here. Check the path and the id.",
    405: "This path does not accept that method; see the Allow header.",
    413: "The request body is too large.",
}


def unauthorized(detail: str, *, invalid_token: bool = False) -> Response:
    """401 with the challenge RFC 6750 asks for; ``error`` only when a token was sent."""
    response = problem(401, "Unauthorized", detail)
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"' if invalid_token else "Bearer"
    return response


def invalid(errors: dict[str, str]) -> Response:
    """422 listing every field at fault; ``_`` (a service's "not about one field") becomes ``body``."""
    items = [{"field": "body" if field == "_" else field, "message": message} for field, message in errors.items()]
    fields = ", ".join(item["field"] for item in items)
    return problem(422, "Unprocessable Content", f"Some fields are not valid: {fields}.", errors=items)


def _forbidden(exc: Forbidden) -> Response:
    if exc.status == 401:
        return unauthorized("Send a personal API token: Authorization: Bearer fpat_...")
    if exc.status == 404:
        return problem(404, "Not Found", exc.reason or _DETAILS[404])
    return problem(exc.status, "Forbidden", exc.reason)


def _http(exc: HTTPException) -> Response:
    code = exc.code or 500
    response = problem(code, exc.name, _DETAILS.get(code) or exc.description or "")
    if getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def register(bp: Blueprint) -> None:
    """Install the handlers on the API blueprint; the app-level handlers in
    :mod:`forum.web` answer problems for unknown ``/api/`` paths and methods."""
    bp.register_error_handler(BadToken, lambda exc: unauthorized(str(exc), invalid_token=True))
    bp.register_error_handler(Invalid, lambda exc: invalid(exc.errors))
    bp.register_error_handler(Forbidden, _forbidden)
    bp.register_error_handler(NotFound, lambda exc: problem(404, "Not Found", str(exc) or _DETAILS[404]))
    bp.register_error_handler(Conflict, lambda exc: problem(
        409, "Conflict", "Someone else changed this at the same moment. Try again."))
    bp.register_error_handler(HTTPException, _http)
