"""Errors the simulator turns into ALP-shaped HTTP answers."""

from __future__ import annotations


class SimError(Exception):
    """A refused request.

    ``form_errors`` becomes ``{"formErrors": {...}}`` (400); otherwise ``code`` and
    ``message`` become ``{"code": ..., "message": ...}`` with ``status``.
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        form_errors: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _DEFAULT_CODES.get(status, "ERROR")
        self.form_errors = form_errors

    @classmethod
    def field(cls, field: str, message: str) -> SimError:
        """A 400 naming one field of the request."""
        return cls(400, f"{field}: {message}", form_errors={field: message})

    def body(self) -> dict[str, object]:
        """The JSON body the exchange answers with."""
        if self.form_errors:
            return {"formErrors": dict(self.form_errors)}
        return {"code": self.code, "message": self.message}


_DEFAULT_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
