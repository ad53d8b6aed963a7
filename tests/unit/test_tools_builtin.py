"""The built-in tools: exact arithmetic that survives hostile input, time zones, units, and a
file read that is read-only, size-capped and text only."""

from __future__ import annotations

import time
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.services.tools.builtin import (
    CALCULATOR,
    CONVERT_UNITS,
    DATETIME,
    READ_FILE,
    ToolError,
    run_builtin,
)
from desktop_app.services.tools.calculator import CalcError, calculate, evaluate
from desktop_app.services.tools.clock import describe_time, find_zone
from desktop_app.services.tools.units import UnitError, convert, convert_text


@pytest.mark.parametrize(
    ("expression", "answer"),
    [
        ("17 * 23", "391"),
        ("0.1 + 0.2", "0.3"),  # exact, not 0.30000000000000004
        ("22/7", "22/7 ≈ 3.1428571428571428571"),
        ("2^10", "1024"),
        ("2**10", "1024"),
        ("-2^2", "-4"),  # as in maths
        ("2^3^2", "512"),  # right-associative
        ("2^-2", "0.25"),
        ("(1 + 2) * 3", "9"),
        ("7 // 2", "3"),
        ("17 % 5", "2"),
        ("15% * 80", "12"),
        ("5!", "120"),
        ("sqrt(144)", "12"),
        ("sqrt(2)", "≈ 1.4142135623730950488"),
        ("abs(-3) + max(1, 2, 3) + min(4, 5)", "10"),
        ("1e3 * 2", "2000"),
        ("1_000 + 1", "1001"),
        ("12 × 3 ÷ 4 − 1", "8"),
        ("2^64", "18446744073709551616"),
    ],
)
def test_calculator_is_exact(expression: str, answer: str) -> None:
    assert calculate(expression) == answer


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("", "empty"),
        ("1/0", "division by zero"),
        ("5 % 0", "division by zero"),
        ("0^-1", "zero to a negative power"),
        ("9^9^9", "too large"),
        ("10^100000", "too large"),
        ("2^0.3", "whole-number exponent"),
        ("100000!", "too large to compute"),
        ("(-1)!", "not negative"),
        ("sqrt(-4)", "not a real number"),
        ("(" * 100 + "1" + ")" * 100, "nested too deeply"),
        ("-" * 500 + "1", "nested too deeply"),
        ("1 + " * 400 + "1", "longer than"),
        ("__import__('os').system('true')", "unexpected character"),
        ("open('/etc/passwd')", "unexpected character"),
        ("open(1)", "unknown name 'open'"),
        ("__import__(1)", "unknown name '__import__'"),
        ("1; 2", "unexpected character"),
        ("lambda: 1", "unexpected character"),
        ("[1, 2]", "unexpected character"),
        ("2 +", "ends too early"),
        ("(1 + 2", "closing parenthesis"),
        ("sqrt 4", "in parentheses"),
        ("max()", r"unexpected '\)'"),
        ("abs(1, 2)", "takes 1 argument"),
        ("1 2", "unexpected"),
    ],
)
def test_calculator_refuses_in_words(expression: str, reason: str) -> None:
    with pytest.raises(CalcError, match=reason):
        calculate(expression)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789+-*/^%().!,e _sqrtmaxb", max_size=200))
def test_calculator_never_raises_anything_else(expression: str) -> None:
    """Any input gives an answer or a CalcError, quickly (no huge numbers built)."""
    started = time.perf_counter()
    try:
        value, _exact = evaluate(expression)
    except CalcError:
        pass
    else:
        assert isinstance(value, Fraction)
    assert time.perf_counter() - started < 2.0


def test_datetime_answers_in_any_zone_and_converts() -> None:
    noon_utc = 1_767_268_800.0  # 2026-01-01 12:00 UTC
    now = describe_time("Asia/Tokyo", now=lambda: noon_utc)
    assert now == "Now: Thursday 2026-01-01 21:00 in Asia/Tokyo (JST, UTC+09:00)"
    assert describe_time("Tokyo", now=lambda: noon_utc) == now  # a city works too
    assert "in America/New_York (EST, UTC-05:00)" in describe_time("New York", now=lambda: noon_utc)
    converted = describe_time("Asia/Tokyo", "09:00", "Europe/Paris", now=lambda: noon_utc)
    assert converted == (
        "Thursday 2026-01-01 09:00 in Europe/Paris (CET, UTC+01:00) is "
        "Thursday 2026-01-01 17:00 in Asia/Tokyo (JST, UTC+09:00)"
    )
    assert find_zone("UTC")[1] == "UTC"
    for bad in ("Mars/Olympus", "../../etc/passwd", "/etc/localtime"):
        with pytest.raises(ValueError, match="unknown time zone"):
            find_zone(bad)
    with pytest.raises(ValueError, match="cannot read the time"):
        describe_time("UTC", "half past nine")


def test_units_convert_exactly_between_kinds_that_match() -> None:
    assert convert(5, "mi", "km") == Fraction("8.04672")
    assert convert(1, "lb", "kg") == Fraction("0.45359237")
    assert convert(212, "F", "C") == 100
    assert convert(0, "C", "K") == Fraction("273.15")
    assert convert(1, "GiB", "MB") == Fraction("1073.741824")
    assert convert_text(26.2, "miles", "km") == "26.2 miles = 42.1648128 km"
    with pytest.raises(UnitError, match="not the same kind"):
        convert(1, "m", "kg")
    with pytest.raises(UnitError, match="not the same kind"):
        convert(1, "C", "m")
    with pytest.raises(UnitError, match="unknown unit"):
        convert(1, "parsec", "m")


def test_builtin_tools_answer_or_say_why() -> None:
    assert run_builtin(CALCULATOR, {"expression": "6*7"}) == "42"
    assert run_builtin(CONVERT_UNITS, {"value": 1, "from_unit": "km", "to_unit": "m"}) == (
        "1 km = 1000 m"
    )
    assert run_builtin(DATETIME, {"timezone": "UTC"}, now=lambda: 0.0).startswith(
        "Now: Thursday 1970-01-01 00:00"
    )
    with pytest.raises(ToolError, match="'expression' is missing"):
        run_builtin(CALCULATOR, {})
    with pytest.raises(ToolError, match="must be text"):
        run_builtin(CALCULATOR, {"expression": 42})
    with pytest.raises(ToolError, match="must be a number"):
        run_builtin(CONVERT_UNITS, {"value": True, "from_unit": "m", "to_unit": "km"})


def test_read_file_is_text_only_and_size_capped(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("héllo\n", encoding="utf-8")
    assert run_builtin(READ_FILE, {"path": str(text)}) == "héllo\n"
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(ToolError, match="larger than 1,024 bytes"):
        run_builtin(READ_FILE, {"path": str(big)}, max_file_bytes=1024)
    binary = tmp_path / "image.bin"
    binary.write_bytes(b"\x89PNG\0\0")
    with pytest.raises(ToolError, match="not a text file"):
        run_builtin(READ_FILE, {"path": str(binary)})
    latin = tmp_path / "latin.txt"
    latin.write_bytes("café".encode("latin-1"))
    with pytest.raises(ToolError, match="not UTF-8"):
        run_builtin(READ_FILE, {"path": str(latin)})
    with pytest.raises(ToolError, match="no file"):
        run_builtin(READ_FILE, {"path": str(tmp_path / "missing.txt")})
    with pytest.raises(ToolError, match="not a regular file"):
        run_builtin(READ_FILE, {"path": str(tmp_path)})
    assert text.read_text(encoding="utf-8") == "héllo\n"  # read-only: untouched
