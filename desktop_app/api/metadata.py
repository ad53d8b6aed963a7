"""The routing decision a reply reports (`edenai_metadata`), read leniently: metadata never
fails a turn. Light on purpose: restoring a tab reads stored blocks before the first frame."""

from __future__ import annotations

from typing import Any

from desktop_app.api.events import RoutingInfo

__all__ = ["parse_routing"]

_SELECTIONS = frozenset({"ranked", "single", "default"})


def _text(value: Any) -> str | None:
    return value if type(value) is str and value else None


def parse_routing(value: Any) -> RoutingInfo | None:
    """`edenai_metadata` → `RoutingInfo`; None when it is absent or not an object. Fields of
    the wrong type are left out: metadata never fails a turn."""
    if type(value) is not dict:
        return None
    auto = value.get("auto")
    selection = chosen = None
    dropped: tuple[str, ...] = ()
    quality_cost = None
    if type(auto) is dict:
        selection = auto.get("selection") if auto.get("selection") in _SELECTIONS else None
        chosen = _text(auto.get("chosen"))
        raw_dropped = auto.get("dropped")
        if type(raw_dropped) is list:
            dropped = tuple(d for d in raw_dropped if type(d) is str and d)
        qc = auto.get("quality_cost")
        quality_cost = qc if type(qc) is int and 0 <= qc <= 10 else None
    attempt = value.get("attempt")
    attempts: list[dict[str, Any]] = []
    raw_attempts = value.get("attempts")
    if type(raw_attempts) is list:
        for a in raw_attempts:
            if type(a) is dict:
                attempts.append(
                    {
                        "provider": _text(a.get("provider")),
                        "model": _text(a.get("model")),
                        "status": a.get("status") if type(a.get("status")) is int else None,
                        "region": _text(a.get("region")),
                    }
                )
    raw_tags = value.get("tags")
    tags = (
        {k: v for k, v in raw_tags.items() if type(k) is str and type(v) is str}
        if type(raw_tags) is dict
        else {}
    )
    return RoutingInfo(
        selection=selection,
        chosen=chosen,
        dropped=dropped,
        strategy=_text(value.get("strategy")),
        attempt=attempt if type(attempt) is int and attempt >= 1 else None,
        attempts=tuple(attempts),
        region=_text(value.get("region")),
        tags=tags,
        quality_cost=quality_cost,
        raw=value,
    )
