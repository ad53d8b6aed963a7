"""Request validation with the real API's error shapes (FastAPI/pydantic v2 and OpenAI style).

`validate_chat` never raises on any JSON value: it returns either a `ChatCall` or the error
response (422 `{"detail": [...]}` for schema errors, 400 for unknown models).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from desktop_app.emulator import catalogue
from desktop_app.emulator.faults import unknown_models_body

SMART_ROUTER = "@edenai"
MAX_FALLBACKS = 3
MAX_CANDIDATES = 64  # Eden AI's documented bounds for router_candidates
MAX_CANDIDATE_CHARS = 128
MAX_TAGS = 10
_TAG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/")
ROLES = ("user", "assistant", "system", "tool", "developer")
_ROLES_TEXT = "'user', 'assistant', 'system', 'tool' or 'developer'"


@dataclass(frozen=True, slots=True)
class ChatCall:
    """A validated chat request."""

    model: str
    messages: list[dict[str, Any]]
    stream: bool
    include_usage: bool | None  # stream_options.include_usage; None when not given
    max_tokens: int | None
    candidates: list[str] | None  # the ones the router can rank, in the order given
    fallbacks: list[str] | None
    tools: list[dict[str, Any]] | None
    tool_choice: str | dict[str, Any] | None
    dropped: tuple[str, ...] = ()  # candidates it cannot rank (reported, not fatal)
    quality_cost: int | None = None  # routing.quality_cost: 0 best model ... 10 cheapest
    tags: tuple[tuple[str, str], ...] = ()  # from the body's `tags` (the header's come apart)

    @property
    def routed(self) -> bool:
        return self.model.startswith(SMART_ROUTER)


@dataclass(frozen=True, slots=True)
class Invalid:
    status: int
    body: dict[str, Any]


def _err(type_: str, loc: list[str | int], msg: str, input_: Any, **ctx: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"type": type_, "loc": ["body", *loc], "msg": msg, "input": input_}
    if ctx:
        item["ctx"] = ctx
    return item


BodyError = json.JSONDecodeError | UnicodeDecodeError | RecursionError


def parse_body(raw: bytes) -> tuple[Any, BodyError | None]:
    """The JSON value of a request body, or why it is not JSON (never raises)."""
    try:
        return json.loads(raw.decode("utf-8")), None
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        return None, exc


def json_error(exc: BodyError) -> Invalid:
    """The 422 FastAPI sends for a body that is not JSON."""
    if isinstance(exc, json.JSONDecodeError):
        pos, reason = exc.pos, exc.msg
    elif isinstance(exc, UnicodeDecodeError):
        pos, reason = exc.start, "Invalid UTF-8"
    else:
        pos, reason = 0, "Nesting too deep"
    item = _err("json_invalid", [pos], "JSON decode error", {}, error=reason)
    return Invalid(422, {"detail": [item]})


def message_text(message: dict[str, Any]) -> str:
    """The text of a message's content (string or list of parts)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                parts.append(part["text"])
        return "\n".join(parts)
    return ""


def _optional_list_of_str(body: dict[str, Any], key: str, errors: list[dict[str, Any]]) -> None:
    value = body.get(key)
    if value is None:
        return
    if not isinstance(value, list):
        errors.append(_err("list_type", [key], "Input should be a valid list", value))
        return
    for i, v in enumerate(value):
        if not isinstance(v, str):
            errors.append(_err("string_type", [key, i], "Input should be a valid string", v))


def _optional_int(body: dict[str, Any], key: str, errors: list[dict[str, Any]], *, ge: int) -> None:
    value = body.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            msg = "Input should be a valid integer"
            errors.append(_err("int_type", [key], msg, value))
            return
    if value < ge:
        msg = f"Input should be greater than or equal to {ge}"
        errors.append(_err("greater_than_equal", [key], msg, value, ge=ge))


def _optional_number(
    body: dict[str, Any], key: str, errors: list[dict[str, Any]], lo: float, hi: float
) -> None:
    value = body.get(key)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors.append(_err("float_type", [key], "Input should be a valid number", value))
    elif value < lo:
        msg = f"Input should be greater than or equal to {lo:g}"
        errors.append(_err("greater_than_equal", [key], msg, value, ge=lo))
    elif value > hi:
        msg = f"Input should be less than or equal to {hi:g}"
        errors.append(_err("less_than_equal", [key], msg, value, le=hi))


def _check_messages(body: dict[str, Any], errors: list[dict[str, Any]]) -> None:
    if "messages" not in body:
        errors.append(_err("missing", ["messages"], "Field required", body))
        return
    messages = body["messages"]
    if not isinstance(messages, list):
        errors.append(_err("list_type", ["messages"], "Input should be a valid list", messages))
        return
    if not messages:
        msg = "List should have at least 1 item after validation, not 0"
        errors.append(
            _err("too_short", ["messages"], msg, messages, field_type="List", min_length=1)
        )
        return
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            msg = "Input should be a valid dictionary or object to extract fields from"
            errors.append(_err("model_attributes_type", ["messages", i], msg, m))
            continue
        if "role" not in m:
            errors.append(_err("missing", ["messages", i, "role"], "Field required", m))
        elif m["role"] not in ROLES:
            msg = f"Input should be {_ROLES_TEXT}"
            errors.append(
                _err("enum", ["messages", i, "role"], msg, m["role"], expected=_ROLES_TEXT)
            )
        content = m.get("content")
        if content is not None and not isinstance(content, str | list):
            msg = "Input should be a valid string"
            errors.append(_err("string_type", ["messages", i, "content", "str"], msg, content))


def validate_chat(body: Any) -> ChatCall | Invalid:
    """Check a parsed JSON body as the real server would."""
    if not isinstance(body, dict):
        msg = "Input should be a valid dictionary or object to extract fields from"
        item = {"type": "model_attributes_type", "loc": ["body"], "msg": msg, "input": body}
        return Invalid(422, {"detail": [item]})
    errors: list[dict[str, Any]] = []
    model = body.get("model")
    if "model" not in body:
        errors.append(_err("missing", ["model"], "Field required", body))
    elif not isinstance(model, str):
        errors.append(_err("string_type", ["model"], "Input should be a valid string", model))
    _check_messages(body, errors)
    _optional_list_of_str(body, "router_candidates", errors)
    _optional_list_of_str(body, "fallbacks", errors)
    candidates = body.get("router_candidates")
    if isinstance(candidates, list):
        if not candidates:
            msg = "Value error, router_candidates must contain at least one model"
            errors.append(_err("value_error", ["router_candidates"], msg, candidates, error={}))
        elif any(isinstance(c, str) and len(c) > MAX_CANDIDATE_CHARS for c in candidates):
            for i, c in enumerate(candidates):
                if isinstance(c, str) and len(c) > MAX_CANDIDATE_CHARS:
                    msg = f"String should have at most {MAX_CANDIDATE_CHARS} characters"
                    errors.append(
                        _err(
                            "string_too_long",
                            ["router_candidates", i],
                            msg,
                            c,
                            max_length=MAX_CANDIDATE_CHARS,
                        )
                    )
        elif len(candidates) > MAX_CANDIDATES:
            msg = (
                f"List should have at most {MAX_CANDIDATES} items after validation, "
                f"not {len(candidates)}"
            )
            errors.append(
                _err(
                    "too_long",
                    ["router_candidates"],
                    msg,
                    candidates,
                    field_type="List",
                    max_length=MAX_CANDIDATES,
                    actual_length=len(candidates),
                )
            )
    fallbacks = body.get("fallbacks")
    if isinstance(fallbacks, list) and len(fallbacks) > MAX_FALLBACKS:
        msg = (
            f"List should have at most {MAX_FALLBACKS} items after validation, not {len(fallbacks)}"
        )
        errors.append(
            _err(
                "too_long",
                ["fallbacks"],
                msg,
                fallbacks,
                field_type="List",
                max_length=MAX_FALLBACKS,
                actual_length=len(fallbacks),
            )
        )
    stream = body.get("stream")
    if stream is not None and not isinstance(stream, bool):
        errors.append(_err("bool_type", ["stream"], "Input should be a valid boolean", stream))
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        msg = "Input should be a valid dictionary"
        errors.append(_err("dict_type", ["stream_options"], msg, options))
    _optional_int(body, "max_tokens", errors, ge=1)
    _optional_int(body, "max_completion_tokens", errors, ge=1)
    _optional_number(body, "temperature", errors, 0, 2)
    _optional_number(body, "top_p", errors, 0, 1)
    tools = body.get("tools")
    if tools is not None:
        if not isinstance(tools, list):
            errors.append(_err("list_type", ["tools"], "Input should be a valid list", tools))
        else:
            for i, t in enumerate(tools):
                if not isinstance(t, dict):
                    msg = "Input should be a valid dictionary"
                    errors.append(_err("dict_type", ["tools", i], msg, t))
    tool_choice = body.get("tool_choice")
    if tool_choice is not None and not isinstance(tool_choice, str | dict):
        msg = "Input should be a valid string"
        errors.append(_err("string_type", ["tool_choice", "str"], msg, tool_choice))
    quality_cost = _quality_cost(body.get("routing"), errors)
    if errors:
        return Invalid(422, {"detail": errors})
    if (pairing := tool_pairing_problem(body["messages"])) is not None:
        return Invalid(400, invalid_tags_body(pairing))

    assert isinstance(model, str)
    unknown: list[str] = []
    if not model.startswith(SMART_ROUTER) and catalogue.lookup(model) is None:
        unknown.append(model)
    for name in fallbacks or []:
        if catalogue.lookup(name) is None and name not in unknown:
            unknown.append(name)
    if unknown:
        return Invalid(400, unknown_models_body(unknown))
    # Candidates the router cannot rank are dropped and reported; only none left is an error.
    usable: list[str] = []
    dropped: list[str] = []
    if model.startswith(SMART_ROUTER):
        for name in candidates or []:
            (usable if catalogue.lookup(name) is not None else dropped).append(name)
        if candidates and not usable:
            msg = "Value error, none of the router candidates can be routed to: " + ", ".join(
                dropped
            )
            item = _err("value_error", ["router_candidates"], msg, candidates, error={})
            return Invalid(422, {"detail": [item]})
    tags = body.get("tags")
    body_tags: tuple[tuple[str, str], ...] = ()
    if tags is not None:
        if not isinstance(tags, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
        ):
            return Invalid(400, invalid_tags_body("tags must be an object of strings"))
        body_tags = tuple(tags.items())

    limits = [v for v in (body.get("max_tokens"), body.get("max_completion_tokens")) if v]
    include_usage = options.get("include_usage") if isinstance(options, dict) else None
    return ChatCall(
        model=model,
        messages=body["messages"],
        stream=bool(stream),
        include_usage=include_usage if isinstance(include_usage, bool) else None,
        max_tokens=int(min(limits)) if limits else None,
        candidates=usable or None,
        fallbacks=list(fallbacks) if fallbacks else None,
        tools=list(tools) if tools else None,
        tool_choice=tool_choice,
        dropped=tuple(dropped),
        quality_cost=quality_cost,
        tags=body_tags,
    )


def _quality_cost(routing: Any, errors: list[dict[str, Any]]) -> int | None:
    """`routing.quality_cost`: a whole number 0-10 (0: best model, 10: cheapest)."""
    if routing is None:
        return None
    if not isinstance(routing, dict):
        errors.append(_err("dict_type", ["routing"], "Input should be a valid dictionary", routing))
        return None
    value = routing.get("quality_cost")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        msg = "Input should be a valid integer"
        errors.append(_err("int_type", ["routing", "quality_cost"], msg, value))
        return None
    if not 0 <= value <= 10:
        msg = "Input should be greater than or equal to 0 and less than or equal to 10"
        errors.append(_err("value_error", ["routing", "quality_cost"], msg, value))
        return None
    return value


def tool_pairing_problem(messages: list[Any]) -> str | None:
    """What providers refuse about tool messages, in their words: an assistant message with
    `tool_calls` must be followed by a `tool` message answering each id, and a `tool` message
    must answer one of them."""
    pending: list[str] = []
    for i, m in enumerate(messages):
        if not isinstance(m, dict):
            continue
        role = m.get("role")
        if role == "tool":
            call_id = m.get("tool_call_id")
            if call_id not in pending:
                return (
                    f"messages[{i}]: a message with role 'tool' must be a response to a "
                    f"preceding message with 'tool_calls' (tool_call_id {call_id!r})."
                )
            pending.remove(call_id)
            continue
        if pending:
            return (
                "An assistant message with 'tool_calls' must be followed by tool messages "
                "responding to each 'tool_call_id'. The following tool_call_ids did not have "
                f"response messages: {', '.join(pending)}"
            )
        calls = m.get("tool_calls") if role == "assistant" else None
        if isinstance(calls, list):
            pending = [str(c.get("id")) for c in calls if isinstance(c, dict)]
    if pending:
        return (
            "An assistant message with 'tool_calls' must be followed by tool messages "
            f"responding to each 'tool_call_id'. Missing: {', '.join(pending)}"
        )
    return None


def invalid_tags_body(message: str) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_parameter",
        }
    }


def merge_tags(
    header: str | None, body_tags: tuple[tuple[str, str], ...]
) -> tuple[dict[str, str] | None, str | None]:
    """The request's tags (`X-EdenAI-Tags: k=v,k=v`, then the body's, which win per key), or
    why they are refused (the documented rules: at most 10; keys 1-64 characters, stored
    lowercase, not starting with `eden:`; values 1-128; letters, digits and `- _ . : /`)."""
    pairs: list[tuple[str, str]] = []
    if header is not None and header.strip():
        for item in header.split(","):
            key, sep, value = item.strip().partition("=")
            if not sep:
                return None, f"tag {item.strip()!r} is not key=value"
            pairs.append((key.strip(), value.strip()))
    pairs.extend(body_tags)
    tags: dict[str, str] = {}
    for key, value in pairs:
        if not 1 <= len(key) <= 64:
            return None, f"tag key {key!r} must be 1 to 64 characters"
        if not 1 <= len(value) <= 128:
            return None, f"tag value for {key!r} must be 1 to 128 characters"
        if not set(key) <= _TAG_CHARS or not set(value) <= _TAG_CHARS:
            return (
                None,
                f"tag {key}={value} has characters other than letters, digits and - _ . : /",
            )
        if key.lower().startswith("eden:"):
            return None, f"tag key {key!r} is reserved"
        tags[key.lower()] = value
    if len(tags) > MAX_TAGS:
        return None, f"at most {MAX_TAGS} tags per call, got {len(tags)}"
    return tags, None
