"""Tool calls: when the emulated model calls a tool, which one, and with what arguments.

- `tool_choice: "none"`: never. `"required"`: the best-matching tool (else the first).
  `{"type": "function", "function": {"name": X}}`: X.
- `"auto"` or absent: a call only when the last message is the user's and shares a word (4+
  letters, or the tool's name parts) with a tool's name or description ("weather" in
  "What's the weather in Paris?" and `get_weather`). The best overlap wins.
- When the conversation ends with `tool` messages (results of the assistant's calls), the model
  answers with text that uses the result instead of calling again.

Arguments are built from the tool's JSON-schema parameters and the prompt: a location-like
string takes the capitalised place after "in/at/for", a query-like string the prompt itself,
numbers the first number in the prompt, enums their first value.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_WORDS = re.compile(r"[a-z][a-z0-9]+")
_IGNORED_WORDS = (
    "the and for with from that this what when where which your about into have does get set "
    "current given using tool function call return returns value"
)
_IGNORED = frozenset(_IGNORED_WORDS.split())
_PLACE = re.compile(r"\b(?:in|at|for|near|of)\s+((?:[A-Z][\w'\-]*)(?:\s+[A-Z][\w'\-]*)*)")


@dataclass(frozen=True, slots=True)
class PlannedCall:
    id: str
    name: str
    arguments: str  # JSON text


def _function(tool: dict[str, Any]) -> dict[str, Any]:
    fn = tool.get("function")
    return fn if isinstance(fn, dict) else tool


def tool_name(tool: dict[str, Any]) -> str:
    name = _function(tool).get("name")
    return name if isinstance(name, str) and name else "tool"


def _stems(text: str) -> set[str]:
    return {w[:5] for w in _WORDS.findall(text.lower()) if len(w) >= 4 and w not in _IGNORED}


def _overlap(tool: dict[str, Any], prompt_stems: set[str]) -> int:
    fn = _function(tool)
    name = tool_name(tool).replace("_", " ").replace("-", " ")
    desc = fn.get("description") if isinstance(fn.get("description"), str) else ""
    name_hits = len(_stems(name) & prompt_stems)
    desc_hits = len(_stems(str(desc)) & prompt_stems)
    return 2 * name_hits + desc_hits


def choose_tool(
    tools: list[dict[str, Any]], tool_choice: Any, messages: list[dict[str, Any]], prompt: str
) -> dict[str, Any] | None:
    """The tool the model calls now, or None for a text answer."""
    if not tools:
        return None
    if messages and isinstance(messages[-1], dict) and messages[-1].get("role") == "tool":
        return None
    if tool_choice == "none":
        return None
    if isinstance(tool_choice, dict):
        wanted = _function(tool_choice).get("name")
        for t in tools:
            if tool_name(t) == wanted:
                return t
        return tools[0]
    stems = _stems(prompt)
    scored = sorted(((-_overlap(t, stems), i) for i, t in enumerate(tools)))
    best_score, best_index = scored[0]
    if best_score < 0 or tool_choice == "required":
        return tools[best_index]
    return None


def _string_for(prop: str, schema: dict[str, Any], prompt: str) -> str:
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return str(enum[0])
    key = prop.lower()
    if any(k in key for k in ("location", "city", "place", "country", "region", "address")):
        m = _PLACE.search(prompt)
        if m:
            return m.group(1)
        caps = re.findall(r"\b[A-Z][a-z]{2,}\b", prompt[1:])
        return caps[-1] if caps else "Paris"
    if any(k in key for k in ("unit", "format")):
        return "celsius" if "unit" in key else "text"
    if any(k in key for k in ("date", "day", "time")):
        return "today"
    if any(k in key for k in ("lang",)):
        return "en"
    text = " ".join(prompt.split())
    return text[:200] if text else prop


def _value_for(prop: str, schema: Any, prompt: str) -> Any:
    if not isinstance(schema, dict):
        return _string_for(prop, {}, prompt)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind in {"integer", "number"}:
        m = re.search(r"-?\d+(?:\.\d+)?", prompt)
        number = float(m.group(0)) if m else 1.0
        return int(number) if kind == "integer" else number
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {}
    return _string_for(prop, schema, prompt)


def build_arguments(tool: dict[str, Any], prompt: str) -> str:
    params = _function(tool).get("parameters")
    props = params.get("properties") if isinstance(params, dict) else None
    if not isinstance(props, dict) or not props:
        return "{}"
    required = params.get("required") if isinstance(params, dict) else None
    keys = [k for k in required if k in props] if isinstance(required, list) else []
    if not keys:
        keys = list(props)
    args = {k: _value_for(str(k), props[k], prompt) for k in keys}
    return json.dumps(args, ensure_ascii=False)


def last_tool_result(messages: list[dict[str, Any]]) -> tuple[str, str] | None:
    """(tool name, result text) when the conversation ends with a tool result."""
    if not messages or not isinstance(messages[-1], dict) or messages[-1].get("role") != "tool":
        return None
    last = messages[-1]
    content = last.get("content")
    if isinstance(content, list):
        content = " ".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and "text" in p
        )
    result = content if isinstance(content, str) else json.dumps(content)
    name = last.get("name") if isinstance(last.get("name"), str) else None
    call_id = last.get("tool_call_id")
    if name is None:
        for m in reversed(messages[:-1]):
            calls = m.get("tool_calls") if isinstance(m, dict) else None
            if isinstance(calls, list):
                for c in calls:
                    if isinstance(c, dict) and c.get("id") == call_id:
                        fn = c.get("function")
                        if isinstance(fn, dict) and isinstance(fn.get("name"), str):
                            name = fn["name"]
                break
    return (name or "the tool", result)


def split_arguments(arguments: str) -> list[str]:
    """Arguments cut into pieces of at most 8 characters (at least 3 pieces when possible),
    as providers stream them."""
    if len(arguments) <= 1:
        return [arguments]
    size = max(1, min(8, -(-len(arguments) // 3)))
    return [arguments[i : i + size] for i in range(0, len(arguments), size)]
