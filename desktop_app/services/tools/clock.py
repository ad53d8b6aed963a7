"""The `datetime` tool: the current date and time in any time zone, and a time converted from
one zone to another (zoneinfo: the system's time zone database, or the tzdata package)."""

from __future__ import annotations

import re
import time
import zoneinfo
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import lru_cache

_ABBREVIATIONS = {
    "utc": "UTC", "gmt": "UTC", "z": "UTC", "cet": "Europe/Paris", "cest": "Europe/Paris",
    "bst": "Europe/London", "est": "America/New_York", "edt": "America/New_York",
    "cst": "America/Chicago", "cdt": "America/Chicago", "mst": "America/Denver",
    "mdt": "America/Denver", "pst": "America/Los_Angeles", "pdt": "America/Los_Angeles",
    "jst": "Asia/Tokyo", "ist": "Asia/Kolkata", "aest": "Australia/Sydney",
}  # fmt: skip
_CITIES = {  # cities whose zone is named after another city
    "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "washington": "America/New_York", "boston": "America/New_York",
    "beijing": "Asia/Shanghai", "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata", "bangalore": "Asia/Kolkata", "kyoto": "Asia/Tokyo",
    "osaka": "Asia/Tokyo", "munich": "Europe/Berlin", "barcelona": "Europe/Madrid",
    "geneva": "Europe/Zurich", "montreal": "America/Toronto", "hanoi": "Asia/Bangkok",
}  # fmt: skip
_TIME = re.compile(r"^(?:(\d{4})-(\d{2})-(\d{2})[ T])?(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class ClockError(ValueError):
    """An unknown time zone or a time that cannot be read."""


@lru_cache(maxsize=1)
def _zones_by_city() -> dict[str, str]:
    out: dict[str, str] = {}
    for key in sorted(zoneinfo.available_timezones()):
        city = key.rsplit("/", 1)[-1].replace("_", " ").lower()
        out.setdefault(city, key)
    return out


def find_zone(name: str) -> tuple[tzinfo, str]:
    """(the zone, its IANA name) for an IANA name, an abbreviation or a city."""
    text = " ".join(str(name).strip().split())
    if not text or text.lower() == "local":
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local, "local time"
    key = _ABBREVIATIONS.get(text.lower()) or _CITIES.get(text.lower()) or text
    if key == "UTC":
        return UTC, "UTC"
    if "/" in key and ".." not in key and not key.startswith("/"):
        try:
            return zoneinfo.ZoneInfo(key.replace(" ", "_")), key.replace(" ", "_")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    found = _zones_by_city().get(key.lower())
    if found is None:
        raise ClockError(f"unknown time zone {name!r}: use an IANA name such as Asia/Tokyo")
    return zoneinfo.ZoneInfo(found), found


def _describe(moment: datetime, zone_name: str) -> str:
    offset = moment.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    abbreviation = moment.tzname() or ""
    label = f"{abbreviation}, {offset}" if abbreviation and abbreviation[0].isalpha() else offset
    return f"{moment:%A %Y-%m-%d %H:%M} in {zone_name} ({label})"


def _parse_time(text: str, zone: tzinfo, now: datetime) -> datetime:
    m = _TIME.match(str(text).strip())
    if m is None:
        raise ClockError(f"cannot read the time {text!r}: use 'HH:MM' or 'YYYY-MM-DD HH:MM'")
    year, month, day, hour, minute, second = m.groups()
    base = now.astimezone(zone)
    try:
        return datetime(
            int(year) if year else base.year,
            int(month) if month else base.month,
            int(day) if day else base.day,
            int(hour),
            int(minute),
            int(second or 0),
            tzinfo=zone,
        )
    except ValueError as exc:
        raise ClockError(f"the time {text!r} does not exist ({exc})") from None


def describe_time(
    timezone: str = "UTC",
    time_text: str | None = None,
    from_timezone: str | None = None,
    *,
    now: Callable[[], float] = time.time,
) -> str:
    """The tool's answer: now in `timezone`, or `time_text` (in `from_timezone`) converted."""
    current = datetime.fromtimestamp(now(), UTC)
    zone, zone_name = find_zone(timezone or "UTC")
    if not time_text:
        return "Now: " + _describe(current.astimezone(zone), zone_name)
    source, source_name = find_zone(from_timezone or "UTC")
    moment = _parse_time(time_text, source, current)
    return f"{_describe(moment, source_name)} is {_describe(moment.astimezone(zone), zone_name)}"
