"""What a turn is sent with: fixed from the tab's tier when the turn starts.

Kept apart from the chat service so that showing a stored conversation (which needs only
this record) does not import the request and retry machinery.
"""

from __future__ import annotations

from dataclasses import dataclass

from desktop_app.routing.tiers import Tier

BUDGET_KNOB = "budget_quality_cost"  # a reply's meta: the spending limit raised its knob


@dataclass(frozen=True, slots=True)
class TurnPlan:
    """What a turn was sent with; recorded with the reply for the badge and statistics."""

    tier_id: str
    tier_label: str
    model: str
    candidates: tuple[str, ...] | None
    fallback_model: str | None = None  # where a failed smart-routing turn goes once more
    demo: bool = False  # sent to the demo server: recorded, never billed
    quality_cost: int | None = None  # the router's cost knob (`routing.quality_cost`)
    budget_knob: bool = False  # the spending limit raised `quality_cost` (services.budget)


def plan_for(tier: Tier, *, demo: bool = False) -> TurnPlan:
    fallback = None if tier.fixed_model else tier.effective_fallback
    quality_cost = None if tier.fixed_model else tier.quality_cost  # the router's knob only
    return TurnPlan(tier.id, tier.label, tier.model, tier.candidates, fallback, demo, quality_cost)
