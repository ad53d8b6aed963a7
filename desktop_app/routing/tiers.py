"""Tiers: named candidate pools for the smart router, kept as data.

The presets are the seed guide's pools (cost tiers and use cases). They are records, not code
branches, so a settings screen can edit them and user-defined pools sit beside them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

from desktop_app.api.request import SMART_ROUTER
from desktop_app.routing.pools import Pool

# What the server itself falls back to when routing fails and no candidates were given.
SERVER_DEFAULT_FALLBACK = "openai/gpt-4o"
# The seed advises 3-5 candidates and warns that 20+ slows the routing decision.
ADVISED_MAX_CANDIDATES = 5
WARN_CANDIDATES = 20


@dataclass(frozen=True, slots=True)
class Tier:
    """A named pool: what the tier selector offers and what a turn is sent with."""

    id: str
    label: str
    description: str
    candidates: tuple[str, ...] | None = None  # None: the router's whole pool
    fixed_model: str | None = None  # set: no routing, this model answers
    fallback_model: str | None = None  # None: the pool's first candidate, as the server does
    kind: str = "tier"  # "tier" | "use_case" | "auto" | "fixed" | "pool" | "custom"
    quality_cost: int | None = None  # routing.quality_cost: 0 best model ... 10 cheapest
    requires_tools: bool = False

    @property
    def model(self) -> str:
        return self.fixed_model or SMART_ROUTER

    @property
    def effective_fallback(self) -> str:
        if self.fallback_model:
            return self.fallback_model
        if self.fixed_model:
            return self.fixed_model
        return self.candidates[0] if self.candidates else SERVER_DEFAULT_FALLBACK

    def routing_summary(self) -> str:
        """One line for a tooltip: what this tier sends."""
        if self.fixed_model:
            return f"Fixed model {self.fixed_model} (no routing)"
        if not self.candidates:
            return "Smart routing over Eden AI's whole model pool"
        return "Smart routing among " + ", ".join(self.candidates)


PRESETS: tuple[Tier, ...] = (
    Tier(
        "balanced",
        "Balanced",
        "Good quality at a moderate price",
        ("openai/gpt-4o", "anthropic/claude-sonnet-4-5", "google/gemini-2.0-flash"),
    ),
    Tier(
        "budget",
        "Budget",
        "Cheapest capable models",
        ("openai/gpt-4o-mini", "google/gemini-2.0-flash", "anthropic/claude-haiku-4-5"),
    ),
    Tier(
        "premium",
        "Premium",
        "Strongest models for demanding work",
        ("anthropic/claude-opus-4-5", "openai/gpt-4o", "google/gemini-2.5-pro"),
    ),
    Tier(
        "auto",
        "Auto (all models)",
        "The router chooses from every available model",
        None,
        kind="auto",
    ),
    Tier(
        "general",
        "General chat",
        "Balanced quality and cost for everyday chat",
        ("openai/gpt-4o", "anthropic/claude-sonnet-4-5", "google/gemini-2.0-flash"),
        kind="use_case",
    ),
    Tier(
        "code",
        "Code",
        "Strong coding models",
        ("openai/gpt-4o", "anthropic/claude-sonnet-4-5"),
        kind="use_case",
    ),
    Tier(
        "creative",
        "Creative writing",
        "Premium models for stories and style",
        ("anthropic/claude-opus-4-5", "openai/gpt-4o", "google/gemini-2.5-pro"),
        kind="use_case",
    ),
    Tier(
        "fast",
        "Fast Q&A",
        "Fast and cheap for simple questions",
        ("openai/gpt-4o-mini", "google/gemini-2.0-flash", "anthropic/claude-haiku-4-5"),
        kind="use_case",
    ),
    Tier(
        "functions",
        "Function calling",
        "Tool-compatible models",
        ("openai/gpt-4o", "anthropic/claude-sonnet-4-5", "google/gemini-2.0-flash"),
        kind="use_case",
    ),
)

DEFAULT_TIER_ID = "balanced"


def fixed_model_tier(model: str) -> Tier:
    """A tier that always sends one model: the seed's 'fixed model' alternative to routing."""
    return Tier(f"model:{model}", model, f"Always {model}", None, fixed_model=model, kind="fixed")


def custom_tier(candidates: tuple[str, ...]) -> Tier:
    """A pool given on the command line (`--candidates`): its first candidate is the fallback,
    as the server's own."""
    return Tier("custom", "Custom pool", "Your own candidates", candidates, kind="custom")


def pool_tier(pool: Pool) -> Tier:
    """A user's pool as the tier selector and a turn see it."""
    return Tier(
        pool.id,
        pool.name,
        pool.description or "Your own pool",
        pool.candidates,
        fallback_model=pool.fallback,
        kind="pool",
        quality_cost=pool.quality_cost,
        requires_tools=pool.requires_tools,
    )


class TierCatalogue:
    """Lookup over the presets and the user's pools, in the order the selector shows them.

    The pools change while the app runs (Settings → Pools): listeners hear it, and views
    holding a tier id look it up again.
    """

    def __init__(
        self,
        tiers: tuple[Tier, ...] = PRESETS,
        pools: Sequence[Pool] = (),
        preset_quality_cost: Mapping[str, int] | None = None,
    ) -> None:
        self._presets = tiers
        self._listeners: list[Callable[[], None]] = []
        self._tiers: dict[str, Tier] = {}
        self.pools: tuple[Pool, ...] = ()
        self.set_pools(pools, preset_quality_cost or {})

    def set_pools(self, pools: Sequence[Pool], preset_quality_cost: Mapping[str, int]) -> None:
        presets = [
            replace(t, quality_cost=preset_quality_cost[t.id]) if t.id in preset_quality_cost else t
            for t in self._presets
        ]
        self.pools = tuple(pools)
        self._tiers = {t.id: t for t in (*presets, *(pool_tier(p) for p in pools))}
        for listener in list(self._listeners):
            listener()

    def subscribe(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def presets(self) -> list[Tier]:
        return [t for t in self._tiers.values() if t.kind != "pool"]

    def __iter__(self) -> Iterator[Tier]:
        return iter(self._tiers.values())

    def ids(self) -> list[str]:
        return list(self._tiers)

    def get(self, tier_id: str) -> Tier:
        """A known tier, or a fixed-model tier for `model:provider/name`; KeyError otherwise."""
        if tier_id in self._tiers:
            return self._tiers[tier_id]
        if tier_id.startswith("model:") and "/" in tier_id:
            return fixed_model_tier(tier_id.removeprefix("model:"))
        raise KeyError(tier_id)
