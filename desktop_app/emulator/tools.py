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
from functools import lru_cache
from typing import Any

_WORDS = re.compile(r"[a-z][a-z0-9]+")
_IGNORED_WORDS = (
    "the and for with from that this what when where which your about into have does get set "
    "current given using tool function call return returns value"
)
_IGNORED = frozenset(_IGNORED_WORDS.split())
_PATH = re.compile(r"(?:~|\.{1,2})?/[^\s'\"]+|[\w.-]+\.[A-Za-z0-9]{1,5}\b")
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
    if "path" in key or "file" in key:
        found = _PATH.search(prompt)
        if found:
            return found.group(0).rstrip(".,;:!?)'\"")
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


# --- tools the emulator knows how to use well -------------------------------------------------
#
# A tool is recognised by its parameters, not its name (the emulator shares no code with the
# app): an `expression` string is a calculator, a `timezone` string a clock, `value` with a
# `from…`/`to…` pair a unit converter. For those the prompt itself says what to call: each
# arithmetic expression, each place whose time is asked, each conversion, one call a round
# (or all in one response when the prompt says "at once" / "in parallel"). When every call the
# prompt needs has its result, the model answers with text that uses them all.

_NUMBER = r"\d+(?:,\d{3})*(?:\.\d+)?"
_OPERAND = rf"(?:\(\s*)*-?{_NUMBER}%?(?:\s*\))*"
_EXPRESSION = re.compile(rf"{_OPERAND}(?:\s*(?:\*\*|[-+*/^×÷%])\s*{_OPERAND})+")
_SQRT = re.compile(rf"square root of\s+({_NUMBER})", re.IGNORECASE)
_WORD_OPERATORS = (
    (re.compile(r"\s+(?:times|multiplied by|x)\s+", re.IGNORECASE), " * "),
    (re.compile(r"\s+plus\s+", re.IGNORECASE), " + "),
    (re.compile(r"\s+minus\s+", re.IGNORECASE), " - "),
    (re.compile(r"\s+divided by\s+", re.IGNORECASE), " / "),
    (re.compile(r"\s+(?:to the power of|raised to)\s+", re.IGNORECASE), " ^ "),
    (re.compile(r"\s+squared\b", re.IGNORECASE), " ^ 2"),
    (re.compile(r"\s+cubed\b", re.IGNORECASE), " ^ 3"),
    (re.compile(r"%\s+of\s+", re.IGNORECASE), "% * "),
)
_MATH_CUE = re.compile(
    r"\b(?:what(?:'s| is| are)|calculate|compute|how much|evaluate|work out|solve|add up)\b|=",
    re.IGNORECASE,
)
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
_ASKS_TIME = re.compile(
    r"\b(?:what time|time is it|current time|local time|time (?:now )?in|the time (?:in|at)|"
    r"what(?:'s| is) the date|today's date|what day is it|date (?:in|at))\b",
    re.IGNORECASE,
)
_PLACE_NAME = re.compile(r"[A-Z][\w'\-]*(?:\s+[A-Z][\w'\-]*)*")
_CONVERSION = re.compile(
    rf"(?P<value>-?{_NUMBER})\s*(?P<src>°?[A-Za-z][A-Za-z/²³ ]*?)\s+(?:to|in|into)\s+"
    r"(?P<dst>°?[A-Za-z][A-Za-z/²³]*)",
)
_HOW_MANY = re.compile(
    rf"how many\s+(?P<dst>°?[A-Za-z/²³]+)\s+(?:is|are|in|make)\s+(?P<value>-?{_NUMBER})\s*"
    r"(?P<src>°?[A-Za-z][A-Za-z/²³]*)",
    re.IGNORECASE,
)
_AT_ONCE = re.compile(r"\b(?:at once|in parallel|all together|simultaneously)\b", re.IGNORECASE)


def _properties(tool: dict[str, Any]) -> dict[str, Any]:
    params = _function(tool).get("parameters")
    props = params.get("properties") if isinstance(params, dict) else None
    return props if isinstance(props, dict) else {}


def _kind(tool: dict[str, Any]) -> str | None:
    props = {k.lower(): k for k in _properties(tool)}
    if "expression" in props:
        return "calculator"
    if "timezone" in props or "time_zone" in props or "tz" in props:
        return "clock"
    if (
        "value" in props
        and any(p.startswith("from") for p in props)
        and any(p.startswith("to") for p in props)
    ):
        return "units"
    return None


def _expressions(prompt: str) -> list[str]:
    if not _MATH_CUE.search(prompt):
        return []
    text = _DATE.sub(" ", prompt)
    text = _SQRT.sub(lambda m: f"sqrt({m.group(1)})", text)
    for pattern, symbol in _WORD_OPERATORS:
        text = pattern.sub(symbol, text)
    found = [m.group(0).replace(",", "").strip() for m in _EXPRESSION.finditer(text)]
    found += [m.group(0) for m in re.finditer(r"sqrt\(\d+(?:\.\d+)?\)", text)]
    return list(dict.fromkeys(found))


@lru_cache(maxsize=1)
def _zones_by_city() -> dict[str, str]:
    import zoneinfo

    out: dict[str, str] = {}
    for key in sorted(zoneinfo.available_timezones()):
        out.setdefault(key.rsplit("/", 1)[-1].replace("_", " ").lower(), key)
    return out


def _zone_for(place: str) -> str:
    return _zones_by_city().get(place.lower(), place)


def _places(prompt: str) -> list[str]:
    m = _ASKS_TIME.search(prompt)
    if m is None:
        return []
    tail = prompt[m.start() :]
    after = re.search(r"\b(?:in|at|for)\s+(.*)", tail)
    if after is None:
        return ["UTC"]
    places = []
    for part in re.split(r",|\band\b|&|\bor\b|\bvs\.?\b", after.group(1)):
        part = re.sub(r"^\s*(?:in|at|for)\s+", "", part.strip())
        name = _PLACE_NAME.match(part)
        if name:
            places.append(_zone_for(name.group(0).strip()))
    return list(dict.fromkeys(places)) or ["UTC"]


def _conversions(prompt: str) -> list[tuple[str, str, str]]:
    out = []
    for m in (*_CONVERSION.finditer(prompt), *_HOW_MANY.finditer(prompt)):
        value, src, dst = m.group("value"), m.group("src").strip(), m.group("dst").strip()
        if src.lower() in ("is", "are", "what"):
            continue
        out.append((value.replace(",", ""), src, dst))
    return list(dict.fromkeys(out))


def _wanted(tool: dict[str, Any], prompt: str) -> list[str]:
    """The calls (arguments as JSON) `prompt` asks this recognised tool for."""
    props = list(_properties(tool))
    kind = _kind(tool)
    if kind == "calculator":
        key = next(p for p in props if p.lower() == "expression")
        return [json.dumps({key: e}) for e in _expressions(prompt)]
    if kind == "clock":
        key = next(p for p in props if p.lower() in ("timezone", "time_zone", "tz"))
        return [json.dumps({key: z}) for z in _places(prompt)]
    if kind == "units":
        value_key = next(p for p in props if p.lower() == "value")
        src_key = next(p for p in props if p.lower().startswith("from"))
        dst_key = next(p for p in props if p.lower().startswith("to"))
        return [
            json.dumps({value_key: float(v) if "." in v else int(v), src_key: s, dst_key: d})
            for v, s, d in _conversions(prompt)
        ]
    return []


def _turn_calls(messages: list[Any]) -> list[tuple[str, str]]:
    """(name, arguments) of the calls made since the last user message."""
    out: list[tuple[str, str]] = []
    for m in messages:
        if not isinstance(m, dict):
            continue
        if m.get("role") == "user":
            out = []
        calls = m.get("tool_calls") if m.get("role") == "assistant" else None
        for c in calls if isinstance(calls, list) else []:
            fn = c.get("function") if isinstance(c, dict) else None
            if isinstance(fn, dict):
                out.append((str(fn.get("name")), _canonical(fn.get("arguments"))))
    return out


def _canonical(arguments: Any) -> str:
    try:
        return json.dumps(json.loads(arguments), sort_keys=True)
    except (TypeError, ValueError):
        return str(arguments)


def next_calls(
    tools: list[dict[str, Any]], tool_choice: Any, messages: list[dict[str, Any]], prompt: str
) -> list[tuple[str, str]] | None:
    """What the model calls now, as (tool name, arguments JSON) pairs; None: answer in text.

    Recognised tools: what the prompt still needs (one a round, all at once when asked).
    Other tools: `choose_tool`'s single call, once a turn.
    """
    if not tools or tool_choice == "none":
        return None
    made = set(_turn_calls(messages))
    wanted: list[tuple[str, str]] = []
    for tool in tools:
        if _kind(tool) is not None:
            wanted += [(tool_name(tool), a) for a in _wanted(tool, prompt)]
    remaining = [(n, a) for n, a in wanted if (n, _canonical(a)) not in made]
    if remaining:
        return remaining if _AT_ONCE.search(prompt) else remaining[:1]
    if wanted:  # every recognised call has its result
        return None
    generic = [t for t in tools if _kind(t) is None]
    if not generic and tool_choice in (None, "auto"):
        return None
    chosen = choose_tool(generic or tools, tool_choice, messages, prompt)
    if chosen is None:
        return None
    return [(tool_name(chosen), build_arguments(chosen, prompt))]


def turn_results(messages: list[Any]) -> list[tuple[str, str, str]]:
    """(tool name, arguments, result) of each tool result since the last user message."""
    names: dict[str, tuple[str, str]] = {}
    out: list[tuple[str, str, str]] = []
    for m in messages:
        if not isinstance(m, dict):
            continue
        role = m.get("role")
        if role == "user":
            names, out = {}, []
        elif role == "assistant" and isinstance(m.get("tool_calls"), list):
            for c in m["tool_calls"]:
                fn = c.get("function") if isinstance(c, dict) else None
                if isinstance(fn, dict):
                    names[str(c.get("id"))] = (str(fn.get("name")), str(fn.get("arguments", "")))
        elif role == "tool":
            name, args = names.get(str(m.get("tool_call_id")), ("the tool", ""))
            content = m.get("content")
            out.append((name, args, content if isinstance(content, str) else json.dumps(content)))
    return out


def _shown(arguments: str) -> str:
    try:
        values = json.loads(arguments)
    except ValueError:
        return arguments
    if isinstance(values, dict):
        return ", ".join(str(v) for v in values.values())
    return arguments


def results_text(results: list[tuple[str, str, str]]) -> str:
    """An answer built on several tool results."""
    lines = ["I used the tools for that. Here is what they found:", ""]
    for name, arguments, result in results:
        shown = " ".join(result.split())
        if len(shown) > 300:
            shown = shown[:297] + "..."
        lines.append(f"- **{name}** ({_shown(arguments)}): {shown}")
    return "\n".join(lines)
