"""The API's one error shape: ``{"error": {"code", "message", "fields"}}``.

Every failure under /api/ answers in this shape — the views' own (``ApiError``),
the token check's 401, and Flask's 404/405/500 (``matchmaker.main.errors`` calls
``error_body`` for API paths) — so a client needs exactly one error parser.
"""

from __future__ import annotations

from flask import jsonify

#: HTTP status -> stable machine-readable code.
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "server_error",
    503: "unavailable",
}


class ApiError(Exception):
    """Raise in an API view to answer with ``status`` and the standard error body."""

    def __init__(self, status: int, message: str, fields: dict[str, str] | None = None,
                 code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.fields = fields or {}
        self.code = code or CODES.get(status, "error")


def error_body(status: int, message: str, fields: dict[str, str] | None = None,
               code: str | None = None) -> dict:
    return {"error": {"code": code or CODES.get(status, "server_error" if status >= 500
                                                else "bad_request"),
                      "message": message, "fields": fields or {}}}


def error_response(exc: ApiError):
    response = jsonify(error_body(exc.status, exc.message, exc.fields, exc.code))
    response.status_code = exc.status
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="matchmaker"'
    return response
