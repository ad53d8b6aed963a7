"""The built-in tools: their schemas (what the model is told) and how each runs.

`calculator`, `datetime` and `convert_units` are safe (no file, no network, no side effect)
and run without asking. `read_file` reads one text file the user confirms, read-only and
size-capped; it always asks, for the exact path.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from desktop_app.services.tools.calculator import CalcError, calculate
from desktop_app.services.tools.clock import ClockError, describe_time
from desktop_app.services.tools.specs import ToolSpec
from desktop_app.services.tools.units import UnitError, convert_text


class ToolError(Exception):
    """A tool that could not do what was asked; the message is the result the model reads."""


CALCULATOR = ToolSpec(
    key="calculator",
    name="calculator",
    description=(
        "Exact arithmetic. Evaluates an expression with + - * / // % ^ (power), parentheses, "
        "decimals, percentages (15%), factorials (5!) and sqrt, abs, round, floor, ceil, min, "
        "max. Use it for any calculation instead of computing in your head."
    ),
    parameters={
        "type": "object",
        "properties": {
            "expression": {
                "type": "string",
                "description": "The arithmetic expression, e.g. (17 * 23) / 4",
            }
        },
        "required": ["expression"],
    },
    safe=True,
)

DATETIME = ToolSpec(
    key="datetime",
    name="datetime",
    description=(
        "The current date and time in any time zone, or a given time converted from one time "
        "zone to another. Time zones are IANA names (Asia/Tokyo, Europe/Paris) or city names."
    ),
    parameters={
        "type": "object",
        "properties": {
            "timezone": {
                "type": "string",
                "description": "The time zone to answer in, e.g. Asia/Tokyo (default UTC)",
            },
            "time": {
                "type": "string",
                "description": "A time to convert, 'HH:MM' or 'YYYY-MM-DD HH:MM' (default: now)",
            },
            "from_timezone": {
                "type": "string",
                "description": "The time zone `time` is given in (default UTC)",
            },
        },
    },
    safe=True,
)

CONVERT_UNITS = ToolSpec(
    key="convert_units",
    name="convert_units",
    description=(
        "Converts a quantity between units of length, mass, volume, area, time, speed, data, "
        "energy, pressure and temperature (e.g. 5 mi to km, 100 F to C, 2 GiB to MB)."
    ),
    parameters={
        "type": "object",
        "properties": {
            "value": {"type": "number", "description": "The amount to convert"},
            "from_unit": {"type": "string", "description": "Its unit, e.g. mi, lb, F, GiB"},
            "to_unit": {"type": "string", "description": "The unit wanted, e.g. km, kg, C, MB"},
        },
        "required": ["value", "from_unit", "to_unit"],
    },
    safe=True,
)

READ_FILE = ToolSpec(
    key="read_file",
    name="read_file",
    description=(
        "Reads a text file from the user's computer, read-only. The user sees the exact path "
        "and must approve it (or pick another file) before anything is read."
    ),
    parameters={
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "The file's path, e.g. ~/notes/todo.txt"}
        },
        "required": ["path"],
    },
    confirm_path=True,
)

BUILTIN: tuple[ToolSpec, ...] = (CALCULATOR, DATETIME, CONVERT_UNITS, READ_FILE)
BY_KEY: dict[str, ToolSpec] = {t.key: t for t in BUILTIN}


def _text(args: dict[str, Any], key: str, required: bool = True) -> str | None:
    value = args.get(key)
    if value is None:
        if required:
            raise ToolError(f"the argument {key!r} is missing")
        return None
    if not isinstance(value, str):
        raise ToolError(f"the argument {key!r} must be text")
    return value


def read_text_file(path_text: str, max_bytes: int) -> str:
    """The file's text, read-only: a regular file of at most `max_bytes`, UTF-8, no NUL."""
    path = Path(path_text).expanduser()
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ToolError(f"there is no file at {path}") from None
    except OSError as exc:
        raise ToolError(f"{path} cannot be read ({exc.strerror or exc})") from None
    if not path.is_file():
        raise ToolError(f"{path} is not a regular file")
    if info.st_size > max_bytes:
        raise ToolError(
            f"{path} is {info.st_size:,} bytes; files larger than {max_bytes:,} bytes are not "
            "read (a setting)"
        )
    try:
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise ToolError(f"{path} cannot be read ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise ToolError(f"{path} grew past {max_bytes:,} bytes while it was read")
    if b"\0" in data:
        raise ToolError(f"{path} is not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolError(f"{path} is not UTF-8 text") from None


def run_builtin(
    spec: ToolSpec,
    args: dict[str, Any],
    *,
    max_file_bytes: int = 256 * 1024,
    now: Callable[[], float] = time.time,
) -> str:
    """Run a built-in tool; `ToolError` carries a result for the model when it cannot."""
    try:
        if spec.key == "calculator":
            return calculate(_text(args, "expression") or "")
        if spec.key == "datetime":
            return describe_time(
                _text(args, "timezone", False) or "UTC",
                _text(args, "time", False),
                _text(args, "from_timezone", False),
                now=now,
            )
        if spec.key == "convert_units":
            value = args.get("value")
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ToolError("the argument 'value' must be a number")
            return convert_text(value, _text(args, "from_unit") or "", _text(args, "to_unit") or "")
        if spec.key == "read_file":
            return read_text_file(_text(args, "path") or "", max_file_bytes)
    except (CalcError, ClockError, UnitError) as exc:
        raise ToolError(str(exc)) from None
    raise ToolError(f"{spec.key} is not a built-in tool")
