"""What a turn is sent with: fixed from the tab's tier when the turn starts.

Kept apart from the chat service so that showing a stored conversation (which needs only
this record) does not import the request and retry machinery.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from desktop_app.api.request import SMART_ROUTER
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


@dataclass(frozen=True, slots=True)
class ToolRouting:
    """A plan narrowed for a turn that offers tools: `plan` (None when nothing is left to
    send to), the candidates left out for lack of tool support, and what to tell the user."""

    plan: TurnPlan | None
    left_out: tuple[str, ...] = ()
    problem: str | None = None

    @property
    def note(self) -> str | None:
        if not self.left_out:
            return None
        names = ", ".join(self.left_out)
        return f"Left out of routing for this tool turn (no tool support): {names}."


def restrict_to_tools(plan: TurnPlan, supports_tools: Callable[[str], bool]) -> ToolRouting:
    """Only tool-capable candidates (`supports_tools`: the model list says so), whatever the
    pool came from. A fixed model must support tools; the router's whole pool (no candidates)
    is left to the router, which keeps tool-capable models itself. The fallback moves to the
    first candidate left when it cannot call tools."""
    if plan.model != SMART_ROUTER:
        if supports_tools(plan.model):
            return ToolRouting(plan)
        return ToolRouting(
            None,
            (plan.model,),
            f"{plan.model} cannot call tools (the model list says so), so nothing was sent.",
        )
    if not plan.candidates:
        return ToolRouting(plan)
    kept = tuple(c for c in plan.candidates if supports_tools(c))
    left_out = tuple(c for c in plan.candidates if c not in kept)
    if not kept:
        return ToolRouting(
            None,
            left_out,
            f"None of the candidates can call tools ({', '.join(left_out)}), so nothing was sent.",
        )
    fallback = plan.fallback_model
    if fallback is not None and not supports_tools(fallback):
        fallback = kept[0]
    return ToolRouting(replace(plan, candidates=kept, fallback_model=fallback), left_out)
