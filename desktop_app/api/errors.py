"""Typed errors: every HTTP status, body and transport failure becomes one of these.

The UI and the CLI never see httpx exceptions or raw bodies; they map an `ErrorKind` to a
sentence and an action (re-enter key, buy credits, wait and retry, switch tier).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ErrorKind(StrEnum):
    AUTH = "auth"  # 401/403: key missing, wrong or revoked
    CREDITS = "credits"  # 402: the account has no credits left
    BAD_REQUEST = "bad_request"  # 400/422 and other 4xx: the server's own message says why
    RATE_LIMITED = "rate_limited"  # 429, with Retry-After when given
    REGION = "region"  # 451: not available from this region
    SERVER = "server"  # 5xx: server or router unavailable
    CONNECT = "connect"  # could not reach the server at all
    TIMEOUT = "timeout"  # connect, first byte, idle between chunks or total
    INTERRUPTED = "interrupted"  # the stream dropped or sent an error frame midway
    PROTOCOL = "protocol"  # a response we cannot understand (malformed body or chunk)
    CANCELLED = "cancelled"  # the user stopped it


class TimeoutPhase(StrEnum):
    CONNECT = "connect"
    FIRST_BYTE = "first_byte"
    IDLE = "idle"
    TOTAL = "total"


@dataclass(eq=False)
class ApiError(Exception):
    """One failure of one request, with what the server said when it said anything.

    Not frozen: the interpreter and contextlib assign `__traceback__` on exceptions.
    """

    kind: ErrorKind
    message: str
    status: int | None = None
    retry_after: float | None = None
    code: str | None = None
    timeout_phase: TimeoutPhase | None = None

    def __str__(self) -> str:
        return self.message

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind.value, "message": self.message, "status": self.status}
