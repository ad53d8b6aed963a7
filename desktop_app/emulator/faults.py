"""Fault injection: a small spec language and the error bodies of the real API.

A spec is one or more items joined with `+` (`"bare_model+usage_on_finish"`). Counts N are
content chunks (chunks carrying reply text or tool-call pieces); a fault counted in chunks fires
after the last content chunk when the reply is shorter than N.

    none (or "")          no fault: a placeholder in a queue, to fault only the 2nd request
    status:CODE           answer CODE at once with the real API's body and headers (below)
    status:CODE:retry=S   ... with `Retry-After: S`; `retry=none` drops it (429 defaults to 7)
    error_frame:N         after N content chunks send one `data:` frame holding
                          `{"error": {"message", "type": "server_error", "code"}}` and a choice
                          with finish_reason "error", then end the stream (no [DONE])
    drop:N                after N content chunks abort the TCP connection mid-body (the client
                          sees a broken chunked stream); non-streaming: abort before any byte
    stall_first:S         sleep S seconds before the response headers (before routing)
    stall_mid:S@N         sleep S seconds after N content chunks (several allowed)
    malformed:N           the Nth content chunk is cut short (invalid JSON); 0: the role chunk
    fragment, fragment:K  write the stream in K-byte pieces (default 5), each flushed on its
                          own, so frames and UTF-8 characters arrive split across reads
    no_usage              no usage and no cost anywhere
    usage_on_finish       usage (and cost) on the finish_reason chunk, no usage chunk
    usage_cost            cost in `usage.cost` instead of the top-level `cost`
    no_cost               usage without any cost
    bare_model            `model` is the bare name ("gpt-4o") plus a top-level "provider"
    no_done               no `data: [DONE]` line at the end
    keepalive             a `: keep-alive` comment block before every frame
    crlf                  CRLF line endings
    router_fail           routing fails: the first candidate answers (openai/gpt-4o without
                          candidates), as the real server documents
    provider_fail         the chosen model fails: the first of `fallbacks` answers (both are
                          listed in `edenai_metadata.attempts`); without fallbacks: 502 JSON
    tool_unknown          a tool call the model makes names a tool that was not offered
    tool_bad_json         a tool call's arguments are not valid JSON (cut short)

Stream-only specs (error_frame, malformed, fragment, usage_on_finish, no_done, keepalive, crlf)
do nothing to a non-streaming request; stall_mid there delays the whole answer.

Bodies sent by `status:CODE` (the wire reference's, where it gives one):

    400  {"error":{"message":"Model(s) not found or inactive: <model>",
                   "type":"invalid_request_error","code":"invalid_parameter"}}
    401  {"detail":"Invalid token"}
    402  {"error":"Insufficient credits"}
    403  {"detail":"Not authenticated"}
    404  {"detail":"Not Found"}
    422  {"detail":[{"type":"too_long","loc":["body","fallbacks"],
                     "msg":"List should have at most 3 items after validation, not 4",...}]}
    429  {"error":{"message":"Rate limit exceeded","type":"rate_limit_error",
                   "code":"rate_limit_exceeded"}}  with `Retry-After: 7`
    451  {"error":{"message":"...","type":"request_forbidden","code":"region_not_allowed"}}
    500  {"error":{"message":"Internal server error","type":"server_error",
                   "code":"internal_error"}}
    502, 504  an nginx-style HTML page (text/html), as a proxy in front of the API sends
    503  {"error":{"message":"...","type":"service_unavailable","code":"router_unavailable"}}
    other  {"detail":"<reason phrase>"}
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

FLAGS = frozenset(
    {
        "tool_unknown",
        "tool_bad_json",
        "no_usage",
        "usage_on_finish",
        "usage_cost",
        "no_cost",
        "bare_model",
        "no_done",
        "keepalive",
        "crlf",
        "router_fail",
        "provider_fail",
    }
)
DEFAULT_RETRY_AFTER = "7"
DEFAULT_FRAGMENT = 5


class FaultSpecError(ValueError):
    """A fault spec the emulator does not understand."""


@dataclass
class FaultPlan:
    """Everything that should go wrong with one request (the merge of its specs)."""

    status: int | None = None
    retry_after: str | None = None
    retry_given: bool = False
    error_frame_after: int | None = None
    drop_after: int | None = None
    stall_first: float = 0.0
    stall_mid: list[tuple[float, int]] = field(default_factory=list)
    malformed_at: int | None = None
    fragment: int | None = None
    flags: set[str] = field(default_factory=set)
    specs: list[str] = field(default_factory=list)

    def has(self, flag: str) -> bool:
        return flag in self.flags

    def merge(self, other: FaultPlan) -> None:
        if other.status is not None:
            self.status = other.status
            self.retry_after = other.retry_after
            self.retry_given = other.retry_given
        for name in ("error_frame_after", "drop_after", "malformed_at", "fragment"):
            value = getattr(other, name)
            if value is not None:
                setattr(self, name, value)
        self.stall_first += other.stall_first
        self.stall_mid.extend(other.stall_mid)
        self.flags |= other.flags
        self.specs.extend(other.specs)

    def stalls_after(self, n: int) -> float:
        return sum(s for s, after in self.stall_mid if after == n)


def _count(value: str, spec: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise FaultSpecError(f"{spec!r}: expected a whole number, got {value!r}") from None
    if n < 0:
        raise FaultSpecError(f"{spec!r}: the count must not be negative")
    return n


def _seconds(value: str, spec: str) -> float:
    try:
        s = float(value)
    except ValueError:
        raise FaultSpecError(f"{spec!r}: expected seconds, got {value!r}") from None
    if not math.isfinite(s) or s < 0:
        raise FaultSpecError(f"{spec!r}: seconds must be a finite number >= 0")
    return s


def _parse_item(item: str, plan: FaultPlan) -> None:
    name, _, rest = item.partition(":")
    name = name.strip().lower()
    args = [a.strip() for a in rest.split(":")] if rest else []
    if name in {"", "none"} and not args:
        return
    if name in FLAGS:
        if args:
            raise FaultSpecError(f"{item!r}: {name} takes no argument")
        plan.flags.add(name)
        return
    if name == "status":
        if not args:
            raise FaultSpecError(f"{item!r}: expected status:CODE")
        code = _count(args[0], item)
        if not 400 <= code <= 599:
            raise FaultSpecError(f"{item!r}: the status must be 400-599")
        plan.status = code
        plan.retry_after = DEFAULT_RETRY_AFTER if code == 429 else None
        plan.retry_given = False
        for opt in args[1:]:
            key, _, value = opt.partition("=")
            if key != "retry" or not value:
                raise FaultSpecError(f"{item!r}: unknown option {opt!r} (expected retry=S|none)")
            plan.retry_given = True
            plan.retry_after = None if value == "none" else str(_count(value, item))
        return
    if name == "fragment":
        if len(args) > 1:
            raise FaultSpecError(f"{item!r}: expected fragment or fragment:K")
        k = _count(args[0], item) if args else DEFAULT_FRAGMENT
        if k < 1:
            raise FaultSpecError(f"{item!r}: pieces must be at least 1 byte")
        plan.fragment = k
        return
    if len(args) != 1:
        raise FaultSpecError(f"unknown fault spec {item!r}")
    arg = args[0]
    if name == "error_frame":
        plan.error_frame_after = _count(arg, item)
    elif name == "drop":
        plan.drop_after = _count(arg, item)
    elif name == "malformed":
        plan.malformed_at = _count(arg, item)
    elif name == "stall_first":
        plan.stall_first += _seconds(arg, item)
    elif name == "stall_mid":
        seconds, at, after = arg.partition("@")
        if not at:
            raise FaultSpecError(f"{item!r}: expected stall_mid:S@N")
        plan.stall_mid.append((_seconds(seconds, item), _count(after, item)))
    else:
        raise FaultSpecError(f"unknown fault spec {item!r}")


def parse_spec(spec: str) -> FaultPlan:
    """Parse one spec string (items joined with `+`); raises FaultSpecError."""
    if not isinstance(spec, str):
        raise FaultSpecError(f"a fault spec must be a string, got {type(spec).__name__}")
    if len(spec) > 1000:
        raise FaultSpecError("fault spec too long")
    plan = FaultPlan()
    for item in spec.split("+"):
        _parse_item(item.strip(), plan)
    if spec.strip() and spec.strip().lower() != "none":
        plan.specs.append(spec.strip())
    return plan


def merge(plans: list[FaultPlan]) -> FaultPlan:
    out = FaultPlan()
    for p in plans:
        out.merge(p)
    return out


# Transient faults for soak tests (fault_rate > 0): what a client should retry or survive.
def random_fault(rng: random.Random) -> str:
    k = rng.randint(1, 20)
    return rng.choice(
        (
            "status:429:retry=1",
            "status:500",
            "status:503",
            f"drop:{k}",
            f"error_frame:{k}",
            f"stall_first:{rng.choice((0.05, 0.1, 0.2))}",
            f"stall_mid:{rng.choice((0.05, 0.1, 0.2))}@{k}",
        )
    )


# --- error bodies -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErrorResponse:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def openai_error(message: str, type_: str, code: str | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "code": code}}


def unknown_models_body(models: list[str]) -> dict[str, Any]:
    return openai_error(
        "Model(s) not found or inactive: " + ", ".join(models),
        "invalid_request_error",
        "invalid_parameter",
    )


_HTML = (
    "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


def error_for_status(status: int, *, model: str = "openai/does-not-exist") -> ErrorResponse:
    """The body and headers the real API (or the proxy in front of it) sends for a status."""
    reason = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body: Any
    headers: tuple[tuple[str, str], ...] = ()
    if status == 400:
        body = unknown_models_body([model])
    elif status == 401:
        body = {"detail": "Invalid token"}
    elif status == 402:
        body = {"error": "Insufficient credits"}
    elif status == 403:
        body = {"detail": "Not authenticated"}
    elif status == 422:
        fallbacks = ["openai/gpt-4o", "openai/gpt-4o-mini", "google/gemini-2.0-flash", model]
        body = {
            "detail": [
                {
                    "type": "too_long",
                    "loc": ["body", "fallbacks"],
                    "msg": "List should have at most 3 items after validation, not 4",
                    "input": fallbacks,
                    "ctx": {"field_type": "List", "max_length": 3, "actual_length": 4},
                }
            ]
        }
    elif status == 429:
        body = openai_error("Rate limit exceeded", "rate_limit_error", "rate_limit_exceeded")
    elif status == 451:
        body = openai_error(
            "This service is not available in your region.",
            "request_forbidden",
            "region_not_allowed",
        )
    elif status == 500:
        body = openai_error("Internal server error", "server_error", "internal_error")
    elif status in {502, 504}:
        html = _HTML.format(code=status, reason=reason).encode()
        return ErrorResponse(status, html, "text/html", headers)
    elif status == 503:
        body = openai_error(
            "The smart router is temporarily unavailable. Please retry.",
            "service_unavailable",
            "router_unavailable",
        )
    else:
        body = {"detail": reason}
    return ErrorResponse(status, _json(body), "application/json", headers)


def error_for_plan(plan: FaultPlan, *, model: str) -> ErrorResponse:
    assert plan.status is not None
    base = error_for_status(plan.status, model=model)
    headers = tuple(h for h in base.headers if h[0].lower() != "retry-after")
    if plan.retry_after is not None:
        headers += (("Retry-After", plan.retry_after),)
    return ErrorResponse(base.status, base.body, base.content_type, headers)
