"""The `calculator` tool: exact arithmetic over fractions, parsed by hand (never `eval`).

Grammar (usual precedence, `^`/`**` right-associative and above unary minus, as in maths:
-2^2 = -4):

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/" | "//" | "%" | "×" | "÷") unary)*
    unary  := ("+" | "-") unary | power
    power  := atom (("^" | "**") unary)?
    atom   := number | "(" expr ")" | name "(" expr ("," expr)* ")" | "pi" | "e"
    number := digits ["." digits] [("e" | "E") ["+" | "-"] digits] ["%"]

Every value is a `Fraction`, so 0.1 + 0.2 is exactly 0.3. Hostile input is bounded: the
expression's length, its nesting depth, the size of powers and factorials, and the digits of
any intermediate result; each limit raises `CalcError` with a sentence for the model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from decimal import Decimal, localcontext
from fractions import Fraction

MAX_CHARS = 1000
MAX_DEPTH = 60
MAX_BITS = 20_000  # about 6,000 decimal digits in any intermediate numerator or denominator
MAX_FACTORIAL = 1000
DIGITS = 20  # significant digits of the decimal form of a non-terminating result

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<op>\*\*|//|[-+*/%^(),×÷−!]))"
)


class CalcError(ValueError):
    """The expression cannot be evaluated; the message says why, in words."""


def _bits(value: Fraction) -> int:
    return max(value.numerator.bit_length(), value.denominator.bit_length())


def _checked(value: Fraction) -> Fraction:
    if _bits(value) > MAX_BITS:
        raise CalcError("the result is too large to compute exactly (more than 6,000 digits)")
    return value


def _sqrt(x: Fraction) -> Fraction:
    if x < 0:
        raise CalcError("the square root of a negative number is not a real number")
    n, d = x.numerator, x.denominator
    rn, rd = math.isqrt(n), math.isqrt(d)
    if rn * rn == n and rd * rd == d:
        return Fraction(rn, rd)
    with localcontext() as ctx:  # not exact: 40 significant digits
        ctx.prec = 40
        return Fraction((Decimal(n) / Decimal(d)).sqrt())


def _integer(x: Fraction, what: str) -> int:
    if x.denominator != 1:
        raise CalcError(f"{what} needs a whole number")
    return x.numerator


def _factorial(x: Fraction) -> Fraction:
    n = _integer(x, "a factorial")
    if n < 0:
        raise CalcError("a factorial needs a number that is not negative")
    if n > MAX_FACTORIAL:
        raise CalcError(f"factorials above {MAX_FACTORIAL}! are too large to compute here")
    return Fraction(math.factorial(n))


_FUNCTIONS: dict[str, tuple[int, Callable[..., Fraction]]] = {
    "sqrt": (1, _sqrt),
    "abs": (1, lambda x: abs(x)),
    "round": (1, lambda x: Fraction(round(x))),
    "floor": (1, lambda x: Fraction(math.floor(x))),
    "ceil": (1, lambda x: Fraction(math.ceil(x))),
    "min": (-1, lambda *xs: min(xs)),
    "max": (-1, lambda *xs: max(xs)),
    "factorial": (1, _factorial),
}
_CONSTANTS = {  # not exact: 30 significant digits
    "pi": Fraction("3.14159265358979323846264338328"),
    "e": Fraction("2.71828182845904523536028747135"),
}
_INEXACT = frozenset({"pi", "e", "sqrt"})


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = self._tokenize(text)
        self.pos = 0
        self.depth = 0
        self.inexact = False

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                bad = text[pos:].lstrip()[:1] or text[pos]
                raise CalcError(f"unexpected character {bad!r} in the expression")
            kind = m.lastgroup
            assert kind is not None
            value = m.group(kind)
            if kind == "op":
                value = {"×": "*", "÷": "/", "−": "-"}.get(value, value)
            out.append((kind, value))
            pos = m.end()
        return out

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, op: str) -> bool:
        token = self.peek()
        if token is not None and token == ("op", op):
            self.pos += 1
            return True
        return False

    def parse(self) -> Fraction:
        if not self.tokens:
            raise CalcError("the expression is empty")
        value = self.expr()
        token = self.peek()
        if token is not None:
            raise CalcError(f"unexpected {token[1]!r} in the expression")
        return value

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise CalcError("the expression is nested too deeply")

    def expr(self) -> Fraction:
        self.nest()
        value = self.term()
        while True:
            if self.take("+"):
                value = _checked(value + self.term())
            elif self.take("-"):
                value = _checked(value - self.term())
            else:
                break
        self.depth -= 1
        return value

    def term(self) -> Fraction:
        value = self.unary()
        while True:
            if self.take("*"):
                value = _checked(value * self.unary())
            elif self.take("/"):
                value = self._divide(value, self.unary())
            elif self.take("//"):
                value = Fraction(math.floor(self._divide(value, self.unary())))
            elif self.take("%"):
                divisor = self.unary()
                if divisor == 0:
                    raise CalcError("the remainder of a division by zero is undefined")
                value = value % divisor
            else:
                break
        return value

    @staticmethod
    def _divide(a: Fraction, b: Fraction) -> Fraction:
        if b == 0:
            raise CalcError("division by zero is undefined")
        return _checked(a / b)

    def unary(self) -> Fraction:
        if self.take("-"):
            self.nest()
            value = -self.unary()
            self.depth -= 1
            return value
        if self.take("+"):
            self.nest()
            value = self.unary()
            self.depth -= 1
            return value
        return self.power()

    def power(self) -> Fraction:
        base = self.postfix()
        if self.take("^") or self.take("**"):
            self.nest()
            exponent = self.unary()
            self.depth -= 1
            return self._power(base, exponent)
        return base

    def _power(self, base: Fraction, exponent: Fraction) -> Fraction:
        if exponent.denominator != 1:
            if exponent == Fraction(1, 2):
                self.inexact = self.inexact or _sqrt(base) ** 2 != base
                return _sqrt(base)
            raise CalcError("powers need a whole-number exponent (or 0.5 for a square root)")
        n = exponent.numerator
        if base == 0 and n < 0:
            raise CalcError("zero to a negative power is undefined")
        if base in (0, 1) or n == 0:
            return base**n if n else Fraction(1)
        if base == -1:
            return Fraction(-1 if n % 2 else 1)
        if abs(n) * _bits(base) > MAX_BITS:
            raise CalcError("the power is too large to compute exactly (more than 6,000 digits)")
        return _checked(base**n)

    def postfix(self) -> Fraction:
        value = self.atom()
        while self.take("!"):
            value = _factorial(value)
        return value

    def atom(self) -> Fraction:
        token = self.peek()
        if token is None:
            raise CalcError("the expression ends too early")
        kind, text = token
        self.pos += 1
        if kind == "num":
            value = Fraction(text.replace("_", ""))
            if self.take("%"):
                # "15%" alone is 0.15; "15 % 4" is a remainder (the parser sees a number next)
                following = self.peek()
                if following is not None and (
                    following[0] in ("num", "name") or following[1] == "("
                ):
                    self.pos -= 1
                else:
                    value /= 100
            return _checked(value)
        if kind == "name":
            name = text.lower()
            if name in _CONSTANTS:
                self.inexact = True
                return _CONSTANTS[name]
            if name not in _FUNCTIONS:
                raise CalcError(f"unknown name {text!r} (functions: {', '.join(_FUNCTIONS)})")
            arity, fn = _FUNCTIONS[name]
            if not self.take("("):
                raise CalcError(f"{name} needs its argument in parentheses")
            args = [self.expr()]
            while self.take(","):
                args.append(self.expr())
            if not self.take(")"):
                raise CalcError("a closing parenthesis is missing")
            if arity >= 0 and len(args) != arity:
                raise CalcError(f"{name} takes {arity} argument{'s' if arity != 1 else ''}")
            if name in _INEXACT:
                before = args[0]
                result = fn(*args)
                self.inexact = self.inexact or result * result != before
                return result
            return _checked(fn(*args))
        if text == "(":
            value = self.expr()
            if not self.take(")"):
                raise CalcError("a closing parenthesis is missing")
            return value
        raise CalcError(f"unexpected {text!r} in the expression")


def evaluate(expression: str) -> tuple[Fraction, bool]:
    """(the value, whether it is exact) of an arithmetic expression; `CalcError` otherwise."""
    if not isinstance(expression, str):
        raise CalcError("the expression must be text")
    if len(expression) > MAX_CHARS:
        raise CalcError(f"the expression is longer than {MAX_CHARS} characters")
    parser = _Parser(expression)
    value = parser.parse()
    return value, not parser.inexact


def _terminates(value: Fraction) -> bool:
    d = value.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def decimal_text(value: Fraction, digits: int = DIGITS, *, exact: bool = True) -> str:
    """`value` in decimal: exact when it terminates (and `exact`), else `digits` significant
    digits."""
    if value.denominator == 1:
        return str(value.numerator)
    with localcontext() as ctx:
        ctx.prec = max(digits, 1)
        if exact and _terminates(value):
            ctx.prec = 200
        approx = Decimal(value.numerator) / Decimal(value.denominator)
    text = format(approx, "f") if abs(approx) >= Decimal("1e-6") else format(approx, "e")
    if "." in text and "e" not in text:
        text = text.rstrip("0").rstrip(".")
    return text


def calculate(expression: str) -> str:
    """The tool's answer: the exact result, with its decimal form when it is a fraction
    ("22/7 ≈ 3.1428571428571428571"), or "≈ ..." when a step was not exact (sqrt, pi)."""
    value, exact = evaluate(expression)
    if not exact:
        return f"≈ {decimal_text(value, exact=False)}"
    if value.denominator == 1:
        return str(value.numerator)
    if _terminates(value) and len(decimal_text(value)) <= 40:
        return decimal_text(value)
    return f"{value.numerator}/{value.denominator} ≈ {decimal_text(value)}"
