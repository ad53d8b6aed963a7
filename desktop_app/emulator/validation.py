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
MAX_CANDIDATES = 64  # the undocumented ceiling reported for the real router
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
    candidates: list[str] | None
    fallbacks: list[str] | None
    tools: list[dict[str, Any]] | None
    tool_choice: str | dict[str, Any] | None

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
    if errors:
        return Invalid(422, {"detail": errors})

    assert isinstance(model, str)
    unknown: list[str] = []
    if not model.startswith(SMART_ROUTER) and catalogue.lookup(model) is None:
        unknown.append(model)
    for name in (candidates or []) if model.startswith(SMART_ROUTER) else []:
        if catalogue.lookup(name) is None and name not in unknown:
            unknown.append(name)
    for name in fallbacks or []:
        if catalogue.lookup(name) is None and name not in unknown:
            unknown.append(name)
    if unknown:
        return Invalid(400, unknown_models_body(unknown))

    limits = [v for v in (body.get("max_tokens"), body.get("max_completion_tokens")) if v]
    include_usage = options.get("include_usage") if isinstance(options, dict) else None
    return ChatCall(
        model=model,
        messages=body["messages"],
        stream=bool(stream),
        include_usage=include_usage if isinstance(include_usage, bool) else None,
        max_tokens=int(min(limits)) if limits else None,
        candidates=list(candidates) if candidates else None,
        fallbacks=list(fallbacks) if fallbacks else None,
        tools=list(tools) if tools else None,
        tool_choice=tool_choice,
    )
