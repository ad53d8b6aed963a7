"""What one turn cost, and where that figure comes from.

Order of preference (see the wire reference): the top-level `cost` Eden puts on its final chunk,
then `usage.cost` (OpenRouter and other OpenAI-compatible routers), then an estimate from the
token usage at the prices of the server's model list (the catalogue), then at the offline
`genai-prices` table, then unknown. Every figure is tagged with its
`CostSource` so the UI can mark estimates.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

from desktop_app.api.events import CostSource, Usage

__all__ = [
    "CATALOGUE",
    "PRICE_TABLE",
    "estimate_cost",
    "estimate_from_prices",
    "parse_cost",
    "resolve_cost",
]

log = logging.getLogger(__name__)


def parse_cost(value: Any) -> float | None:
    """A USD amount from a JSON value (number or numeric string), or None if it is not one."""
    if type(value) is float or type(value) is int:
        number = float(value)
    elif type(value) is str:
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:  # None, bool, containers
        return None
    if not math.isfinite(number) or number < 0:
        return None
    return number


def preload_price_table() -> None:
    """Import the price table now (about 0.2 s), so the first estimate does not pay for it.

    Call it on the thread that will estimate (the GUI's main thread, at an idle moment).
    """
    import genai_prices  # noqa: F401


def estimate_cost(model: str | None, usage: Usage | None) -> float | None:
    """USD estimated from token usage with the bundled `genai-prices` table, or None.

    `model` is "provider/model" (the routed one); the table knows providers such as `openai`,
    `anthropic` and `google`, not `edenai`, so the provider is split off and passed on its own.
    The package is imported here, lazily: importing it costs about 160 ms and most turns never
    need it. Never raises.
    """
    if not model or usage is None:
        return None
    if usage.prompt_tokens is None and usage.completion_tokens is None:
        return None
    provider, sep, name = model.partition("/")
    if not sep:
        provider, name = "", model
    name = name.split(":", 1)[0]  # "openai/gpt-4o:cost" style suffixes
    if not name:
        return None
    try:
        from genai_prices import Usage as PriceUsage
        from genai_prices import calc_price

        price_usage = PriceUsage(
            input_tokens=usage.prompt_tokens or 0,
            output_tokens=usage.completion_tokens or 0,
            cache_read_tokens=usage.cached_tokens or 0,
        )
        if provider:
            calculation = calc_price(price_usage, name, provider_id=provider)
        else:
            calculation = calc_price(price_usage, name)
        total = float(calculation.total_price)
    except Exception as exc:  # unknown model or provider, or a table the package cannot read
        log.debug("no price estimate for %s: %s", model, exc)
        return None
    if not math.isfinite(total) or total < 0:
        return None
    return total


Prices = Callable[[str], "tuple[float, float] | None"]  # USD per input, output token
CATALOGUE = "catalogue"  # the estimate's prices: the server's model list
PRICE_TABLE = "price table"  # ... or the offline genai-prices table


def estimate_from_prices(
    model: str | None, usage: Usage | None, prices: Prices | None
) -> float | None:
    """USD from token usage at the model list's prices, or None when it has none for it."""
    if not model or usage is None or prices is None:
        return None
    if usage.prompt_tokens is None and usage.completion_tokens is None:
        return None
    found = prices(model)
    if found is None:
        return None
    per_in, per_out = found
    return (usage.prompt_tokens or 0) * per_in + (usage.completion_tokens or 0) * per_out


def resolve_cost(
    reported: float | None,
    usage_cost: float | None,
    model: str | None,
    usage: Usage | None,
    prices: Prices | None = None,
) -> tuple[float | None, CostSource, str | None]:
    """Pick the best cost figure: reported top-level → `usage.cost` → an estimate from the
    model list's prices → from the offline price table → unknown. The third value says which
    prices an estimate used (`CATALOGUE` or `PRICE_TABLE`; None when not estimated)."""
    if reported is not None:
        return reported, CostSource.REPORTED, None
    if usage_cost is not None:
        return usage_cost, CostSource.REPORTED, None
    estimate = estimate_from_prices(model, usage, prices)
    if estimate is not None:
        return estimate, CostSource.ESTIMATED, CATALOGUE
    estimate = estimate_cost(model, usage)
    if estimate is not None:
        return estimate, CostSource.ESTIMATED, PRICE_TABLE
    return None, CostSource.UNKNOWN, None
