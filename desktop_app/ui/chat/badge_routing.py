"""What a reply's badge says about how its model was chosen (the server's routing decision)
and about the spending limit's knob: nothing extra for a ranked choice; "default", "single",
dropped candidates, a retried provider, cheaper models near the limit."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_app.api.events import RoutingInfo

DEFAULT_TIP = "default: the router could not rank this request, so the pool's first model answered."
SINGLE_TIP = "single: only one of the candidates could answer this request, so it did."


def escape(text: str) -> str:
    """Text for the badge's rich text (not the `html` module: a restored tab's first frame
    would import it)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def routing_parts(routing: RoutingInfo | None, budget_knob: int | None) -> list[tuple[str, bool]]:
    """The badge's fields: (text, whether it is a warning)."""
    out: list[tuple[str, bool]] = []
    if routing is not None:
        if routing.selection == "default":
            out.append(("default", True))
        elif routing.selection == "single":
            out.append(("single", False))
        if routing.dropped:
            names = ", ".join(escape(d) for d in routing.dropped)
            count = len(routing.dropped)
            out.append((f"⚠ {count} of your candidates could not be ranked: {names}", True))
        if routing.attempt is not None and routing.attempt > 1:
            out.append(("provider retried", False))
    if budget_knob is not None:
        out.append((f"cheaper models (quality/cost {budget_knob})", False))
    return out


def routing_spoken(routing: RoutingInfo | None, budget_knob: int | None) -> list[str]:
    """The same in words a screen reader reads well."""
    out: list[str] = []
    if routing is not None:
        if routing.selection == "default":
            out.append("chosen by default: the router could not rank this request")
        elif routing.selection == "single":
            out.append("the single candidate that could answer")
        if routing.dropped:
            count = len(routing.dropped)
            out.append(
                f"warning: {count} of your candidates could not be ranked: "
                + ", ".join(routing.dropped)
            )
        if routing.attempt is not None and routing.attempt > 1:
            out.append("the provider was retried")
    if budget_knob is not None:
        out.append(f"cheaper models asked for, quality over cost {budget_knob} of 10")
    return out


def routing_tips(routing: RoutingInfo | None, budget_knob: int | None) -> list[str]:
    """Tooltip lines that explain the pieces."""
    out: list[str] = []
    if routing is not None:
        if routing.selection == "default":
            out.append(DEFAULT_TIP)
        elif routing.selection == "single":
            out.append(SINGLE_TIP)
        if routing.dropped:
            out.append(
                "The router could not rank " + ", ".join(routing.dropped) + ": they never "
                "answer. Replace them with models from the model list."
            )
        if routing.attempt is not None and routing.attempt > 1:
            out.append(
                f"provider retried: Eden AI's attempt {routing.attempt} answered "
                "(the provider failed before)."
            )
    if budget_knob is not None:
        out.append(
            "Your spending limit is near: this message asked the router for cheaper models "
            f"(quality/cost {budget_knob} of 10; Preferences → Spending)."
        )
    return out
