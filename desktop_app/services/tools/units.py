"""The `convert_units` tool: length, mass, volume, area, time, speed, data, energy, pressure
and temperature, with exact factors (fractions), so 1 mile is exactly 1.609344 km."""

from __future__ import annotations

from fractions import Fraction

from desktop_app.services.tools.calculator import decimal_text

F = Fraction

# unit name -> (dimension, factor to the dimension's base unit); aliases below.
_UNITS: dict[str, tuple[str, Fraction]] = {
    # length (metre)
    "m": ("length", F(1)), "km": ("length", F(1000)), "cm": ("length", F(1, 100)),
    "mm": ("length", F(1, 1000)), "um": ("length", F(1, 10**6)), "nm": ("length", F(1, 10**9)),
    "in": ("length", F(254, 10000)), "ft": ("length", F(3048, 10000)),
    "yd": ("length", F(9144, 10000)), "mi": ("length", F(1609344, 1000)),
    "nmi": ("length", F(1852)),
    # mass (kilogram)
    "kg": ("mass", F(1)), "g": ("mass", F(1, 1000)), "mg": ("mass", F(1, 10**6)),
    "t": ("mass", F(1000)), "lb": ("mass", F(45359237, 10**8)),
    "oz": ("mass", F(45359237, 16 * 10**8)), "st": ("mass", F(14 * 45359237, 10**8)),
    # volume (litre)
    "l": ("volume", F(1)), "ml": ("volume", F(1, 1000)), "cl": ("volume", F(1, 100)),
    "dl": ("volume", F(1, 10)), "m3": ("volume", F(1000)), "cm3": ("volume", F(1, 1000)),
    "gal": ("volume", F(3785411784, 10**9)), "qt": ("volume", F(3785411784, 4 * 10**9)),
    "pt": ("volume", F(3785411784, 8 * 10**9)), "cup": ("volume", F(3785411784, 16 * 10**9)),
    "floz": ("volume", F(3785411784, 128 * 10**9)), "impgal": ("volume", F(454609, 10**5)),
    "tbsp": ("volume", F(3785411784, 256 * 10**9)), "tsp": ("volume", F(3785411784, 768 * 10**9)),
    # area (square metre)
    "m2": ("area", F(1)), "km2": ("area", F(10**6)), "cm2": ("area", F(1, 10**4)),
    "ha": ("area", F(10**4)), "acre": ("area", F(40468564224, 10**7)),
    "ft2": ("area", F(3048**2, 10**8)), "in2": ("area", F(254**2, 10**8)),
    "mi2": ("area", F(1609344**2, 10**6)),
    # time (second)
    "s": ("time", F(1)), "ms": ("time", F(1, 1000)), "min": ("time", F(60)),
    "h": ("time", F(3600)), "day": ("time", F(86400)), "week": ("time", F(7 * 86400)),
    "year": ("time", F(36525 * 864, 1)),  # a Julian year, 365.25 days
    # speed (metre per second)
    "m/s": ("speed", F(1)), "km/h": ("speed", F(1000, 3600)),
    "mph": ("speed", F(1609344, 3600 * 1000)), "kn": ("speed", F(1852, 3600)),
    "ft/s": ("speed", F(3048, 10000)),
    # data (byte)
    "b": ("data", F(1)), "kb": ("data", F(1000)), "mb": ("data", F(10**6)),
    "gb": ("data", F(10**9)), "tb": ("data", F(10**12)), "kib": ("data", F(1024)),
    "mib": ("data", F(1024**2)), "gib": ("data", F(1024**3)), "tib": ("data", F(1024**4)),
    "bit": ("data", F(1, 8)),
    # energy (joule)
    "j": ("energy", F(1)), "kj": ("energy", F(1000)), "cal": ("energy", F(4184, 1000)),
    "kcal": ("energy", F(4184)), "wh": ("energy", F(3600)), "kwh": ("energy", F(3_600_000)),
    # pressure (pascal)
    "pa": ("pressure", F(1)), "kpa": ("pressure", F(1000)), "bar": ("pressure", F(100_000)),
    "atm": ("pressure", F(101_325)), "psi": ("pressure", F(689475729, 100_000)),
    "mmhg": ("pressure", F(101_325, 760)),
}  # fmt: skip

_ALIASES = {
    "meter": "m", "metre": "m", "meters": "m", "metres": "m", "kilometer": "km",
    "kilometre": "km", "kilometers": "km", "kilometres": "km", "centimeter": "cm",
    "centimeters": "cm", "millimeter": "mm", "millimeters": "mm", "inch": "in", "inches": "in",
    "foot": "ft", "feet": "ft", "yard": "yd", "yards": "yd", "mile": "mi", "miles": "mi",
    "kilogram": "kg", "kilograms": "kg", "kgs": "kg", "gram": "g", "grams": "g",
    "milligram": "mg", "tonne": "t", "tonnes": "t", "pound": "lb", "pounds": "lb", "lbs": "lb",
    "ounce": "oz", "ounces": "oz", "stone": "st", "liter": "l", "litre": "l", "liters": "l",
    "litres": "l", "milliliter": "ml", "millilitre": "ml", "gallon": "gal", "gallons": "gal",
    "quart": "qt", "pint": "pt", "cups": "cup", "fl oz": "floz", "fluid ounce": "floz",
    "hectare": "ha", "hectares": "ha", "acres": "acre", "sq m": "m2", "m²": "m2", "km²": "km2",
    "sq ft": "ft2", "ft²": "ft2", "second": "s", "seconds": "s", "sec": "s", "minute": "min",
    "minutes": "min", "hour": "h", "hours": "h", "hr": "h", "days": "day", "d": "day",
    "weeks": "week", "years": "year", "kph": "km/h", "kmh": "km/h", "knot": "kn",
    "knots": "kn", "byte": "b", "bytes": "b", "joule": "j", "joules": "j", "calorie": "cal",
    "calories": "cal", "kilocalorie": "kcal", "kilojoule": "kj", "pascal": "pa",
    "m³": "m3", "nautical mile": "nmi",
}  # fmt: skip

_TEMPERATURES = {
    "c": "C", "celsius": "C", "°c": "C", "degc": "C",
    "f": "F", "fahrenheit": "F", "°f": "F", "degf": "F",
    "k": "K", "kelvin": "K",
}  # fmt: skip


class UnitError(ValueError):
    """A unit that is unknown or a conversion between different kinds of quantity."""


def _unit(name: str) -> str:
    key = " ".join(str(name).strip().lower().split())
    key = _ALIASES.get(key, key)
    if key in _TEMPERATURES:
        return _TEMPERATURES[key]
    if key not in _UNITS:
        raise UnitError(f"unknown unit {name!r}")
    return key


def _to_kelvin(value: Fraction, unit: str) -> Fraction:
    if unit == "C":
        return value + F(27315, 100)
    if unit == "F":
        return (value - 32) * F(5, 9) + F(27315, 100)
    return value


def _from_kelvin(value: Fraction, unit: str) -> Fraction:
    if unit == "C":
        return value - F(27315, 100)
    if unit == "F":
        return (value - F(27315, 100)) * F(9, 5) + 32
    return value


def convert(value: float | int | str, source: str, target: str) -> Fraction:
    """`value` in `source` units, in `target` units; `UnitError` says what is wrong."""
    try:
        amount = F(str(value))
    except (ValueError, ZeroDivisionError):
        raise UnitError(f"{value!r} is not a number") from None
    a, b = _unit(source), _unit(target)
    temps = {"C", "F", "K"}
    if a in temps or b in temps:
        if not (a in temps and b in temps):
            raise UnitError(f"cannot convert {source} to {target}: not the same kind of quantity")
        return _from_kelvin(_to_kelvin(amount, a), b)
    (dim_a, fa), (dim_b, fb) = _UNITS[a], _UNITS[b]
    if dim_a != dim_b:
        raise UnitError(
            f"cannot convert {source} ({dim_a}) to {target} ({dim_b}): "
            "not the same kind of quantity"
        )
    return amount * fa / fb


def convert_text(value: float | int | str, source: str, target: str) -> str:
    """The tool's answer: "5 mi = 8.04672 km"."""
    result = convert(value, source, target)
    shown = decimal_text(result, 12, exact=len(decimal_text(result)) <= 24)
    return f"{value} {source} = {shown} {target}"
