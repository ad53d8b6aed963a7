"""How numbers read on screen: one place, so the badge, tab, status bar and CLI agree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from desktop_app.api.errors import ApiError, ErrorKind

if TYPE_CHECKING:  # compared by value below (a StrEnum): the status bar needs no event types
    from desktop_app.api.events import CostSource


class SpendLike(Protocol):
    """A sum of replies' costs (`store.Totals`)."""

    @property
    def cost_usd(self) -> float: ...
    @property
    def priced_turns(self) -> int: ...
    @property
    def includes_estimates(self) -> bool: ...
    @property
    def unknown_cost_turns(self) -> int: ...


def money(usd: float | None, source: CostSource | str = "reported") -> str:
    """'$0.0042', '≈$0.0042' when estimated, '—' when unknown."""
    if usd is None or source == "unknown":
        return "—"
    prefix = "≈" if source == "estimated" else ""
    if usd == 0:
        return f"{prefix}$0"
    if usd < 0.01:
        return f"{prefix}${usd:.6f}".rstrip("0")
    return f"{prefix}${usd:.4f}".rstrip("0").rstrip(".")


def replies(n: int) -> str:
    return "1 reply" if n == 1 else f"{n:,} replies"


def spend(total: SpendLike) -> str:
    """What replies cost together, never counting an unknown cost as $0:
    '$0.0070', '≈$0.0070', '$0.0070 + 1 reply of unknown cost', '2 replies of unknown cost'."""
    unknown = total.unknown_cost_turns
    if total.priced_turns == 0 and unknown:
        return f"{replies(unknown)} of unknown cost"
    text = money(total.cost_usd, "estimated" if total.includes_estimates else "reported")
    if unknown:
        text += f" + {replies(unknown)} of unknown cost"
    return text


def duration(ms: float | None) -> str:
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.1f} s"


def spoken_duration(ms: float | None) -> str:
    """A duration as a screen reader should say it: '2.1 seconds', '420 milliseconds'."""
    if ms is None:
        return "unknown"
    if ms < 1000:
        return f"{ms:.0f} milliseconds"
    return f"{ms / 1000:.1f} seconds"


def spoken_money(usd: float | None, source: CostSource | str = "reported") -> str:
    """A reply's cost with its kind in words (no '≈' or '—' to be read out):
    '$0.0012', 'about $0.0012, estimated', 'cost unknown'."""
    if usd is None or source == "unknown":
        return "cost unknown"
    amount = money(usd, "reported")
    return f"about {amount}, estimated" if source == "estimated" else amount


def tokens(prompt: int | None, completion: int | None) -> str:
    def n(v: int | None) -> str:
        return "?" if v is None else f"{v:,}"

    return f"{n(prompt)} in · {n(completion)} out"


_ACTIONS: dict[ErrorKind, str] = {
    ErrorKind.AUTH: "Check your API key in Settings → Account.",
    ErrorKind.CREDITS: "Add credits to your Eden AI account, then retry.",
    ErrorKind.BAD_REQUEST: "Change the request (tier, model or prompt) and retry.",
    ErrorKind.RATE_LIMITED: "Wait a moment, then retry.",
    ErrorKind.REGION: "This model is not available in your region: pick another tier.",
    ErrorKind.SERVER: "Retry, or pick another tier or a fixed model.",
    ErrorKind.CONNECT: "Check your network connection, then retry.",
    ErrorKind.TIMEOUT: "Retry, or pick a faster tier.",
    ErrorKind.INTERRUPTED: "The partial answer is kept. Retry to get a complete one.",
    ErrorKind.PROTOCOL: "The server sent something unexpected. Retry.",
    ErrorKind.CANCELLED: "",
}


def error_sentence(error: ApiError, text_kept: bool = True) -> str:
    """The error in words plus what to do about it."""
    action = _ACTIONS.get(error.kind, "Retry.")
    if error.kind in (ErrorKind.INTERRUPTED, ErrorKind.PROTOCOL) and not text_kept:
        action = "Nothing had arrived yet. Retry, or pick another tier."
    if error.kind is ErrorKind.RATE_LIMITED and error.retry_after:
        action = f"Wait {error.retry_after:.0f} s, then retry."
    message = error.message.rstrip(".") + "."
    return f"{message} {action}".strip()


def key_test_sentence(error: ApiError, host: str) -> str:
    """What a failed "Test key" means for the key, and what to do (not the chat's advice)."""
    status = f" (HTTP {error.status})" if error.status else ""
    if error.kind is ErrorKind.AUTH:
        return (
            f"{host} did not accept this key{status}. Check that you copied all of it, or "
            "create a new key in your Eden AI account (API keys page)."
        )
    if error.kind is ErrorKind.CREDITS:
        return (
            "The key works, but the account has no credits left. Add credits in your Eden AI "
            "account; you can save the key now."
        )
    if error.status == 404:
        return (
            f"{host} has no key-test endpoint, so the key could not be tested here. You can "
            "start chatting: your first message shows whether the key works."
        )
    if error.kind in (ErrorKind.CONNECT, ErrorKind.TIMEOUT):
        return (
            f"Could not reach {host} to test the key ({error.message.rstrip('.')}). Check your "
            "network connection and the server address in Preferences; the key was not tested."
        )
    if error.kind is ErrorKind.SERVER:
        return f"{host} had a problem{status} and could not test the key. Try again in a moment."
    return f"The key could not be tested: {error.message.rstrip('.')}."
