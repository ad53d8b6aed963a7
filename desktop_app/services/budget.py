"""Budgets and cost alerts, and the likely cost of the next message. Qt-free.

The window and `routechat ask` apply the same rules (Preferences → Spending): a daily and a
monthly limit in USD (off by default), a warning threshold with one notice per period, what
happens at the limit (ask before each send, or refuse until the period ends or the limit is
raised) and, as the limit nears, routed turns asking the router for cheaper models. Demo
replies never count; replies of unknown cost are named, never counted as $0.

The next message's cost is estimated before it is sent from the catalogue's list prices of the
tier's candidates: the history and prompt in tokens (about four characters each) at the input
price, plus the max-tokens setting (or `DEFAULT_OUTPUT_TOKENS` when it is unset) at the output
price, cheapest candidate to dearest. The same estimate guards the limit.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as day_time
from typing import TYPE_CHECKING, Any, Literal, Protocol

from desktop_app.api.request import SMART_ROUTER
from desktop_app.config.settings import Settings, Spending
from desktop_app.routing.plan import TurnPlan
from desktop_app.services import format as fmt
from desktop_app.services.format import SpendLike

if TYPE_CHECKING:
    from desktop_app.store import HistoryStore

CHARS_PER_TOKEN = 4  # English text: about four characters a token
MESSAGE_OVERHEAD_TOKENS = 4  # each message's role and separators
DEFAULT_OUTPUT_TOKENS = 1_000  # the answer's size assumed when no max-tokens is set
NEAR_LIMIT_QUALITY_COST = 8  # routed turns above the warning threshold ...
AT_LIMIT_QUALITY_COST = 10  # ... and at the limit: the cheapest model that can answer
NOTICES_KEY = "spending_notices"  # app_state: the periods already warned about


def day_start(day: date) -> float:
    """Unix time of a local calendar day's midnight."""
    return datetime.combine(day, day_time.min).timestamp()


def month_start(day: date) -> float:
    return day_start(day.replace(day=1))


# --- the next message's cost ----------------------------------------------------------------


class PricedModel(Protocol):
    """A catalogue entry (`api.models.ModelInfo`)."""

    @property
    def id(self) -> str: ...
    @property
    def input_per_token(self) -> float | None: ...
    @property
    def output_per_token(self) -> float | None: ...


class Catalogue(Protocol):
    """The model list in use (`services.catalogue.Snapshot`)."""

    @property
    def models(self) -> tuple[Any, ...]: ...
    def get(self, model_id: str) -> Any: ...


def estimate_tokens(chars: int, messages: int = 1) -> int:
    """About how many tokens `chars` characters in `messages` messages make."""
    return -(-max(chars, 0) // CHARS_PER_TOKEN) + MESSAGE_OVERHEAD_TOKENS * max(messages, 0)


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """The likely cost range of the next message."""

    low: float
    high: float
    prompt_tokens: int
    output_tokens: int
    output_assumed: bool  # no max-tokens setting: DEFAULT_OUTPUT_TOKENS assumed
    priced: int  # candidates with list prices
    unpriced: tuple[str, ...] = ()  # candidates the catalogue has no prices for

    def text(self) -> str:
        """'≈ $0.0004–$0.006', or '≈ $0.004' for one price."""
        low, high = fmt.money(self.low), fmt.money(self.high)
        return f"≈ {low}" if low == high else f"≈ {low}–{high}"

    def tooltip(self) -> str:
        lines = [
            f"Likely cost of this message: {self.prompt_tokens:,} tokens of history and prompt "
            f"(about {CHARS_PER_TOKEN} characters a token) and an answer of up to "
            f"{self.output_tokens:,} tokens, at the list prices of "
            f"{'the one model' if self.priced == 1 else f'{self.priced} candidate models'} "
            "(cheapest to dearest)."
        ]
        if self.output_assumed:
            lines.append(
                f"No maximum answer length is set, so {DEFAULT_OUTPUT_TOKENS:,} tokens are "
                "assumed; set one in Preferences → Max tokens per answer."
            )
        if self.unpriced:
            lines.append("No list price for " + ", ".join(self.unpriced) + ".")
        return "\n".join(lines)


def estimate_cost(
    plan: TurnPlan,
    catalogue: Catalogue,
    prompt_tokens: int,
    max_tokens: int | None,
) -> CostEstimate | None:
    """The range of what the next message may cost with `plan` (None: no candidate has list
    prices). A pool's candidates, a fixed model, or every model for the router's whole pool."""
    if plan.model != SMART_ROUTER:
        ids: Sequence[str] = (plan.model,)
    elif plan.candidates:
        ids = plan.candidates
    else:
        ids = [str(m.id) for m in catalogue.models]
    output = max_tokens if max_tokens is not None else DEFAULT_OUTPUT_TOKENS
    costs: list[float] = []
    unpriced: list[str] = []
    for model_id in ids:
        model: PricedModel | None = catalogue.get(model_id)
        if model is None or model.input_per_token is None or model.output_per_token is None:
            unpriced.append(model_id)
            continue
        costs.append(model.input_per_token * prompt_tokens + model.output_per_token * output)
    if not costs:
        return None
    return CostEstimate(
        min(costs),
        max(costs),
        prompt_tokens,
        output,
        max_tokens is None,
        len(costs),
        tuple(unpriced) if plan.candidates or plan.model != SMART_ROUTER else (),
    )


# --- spend against the limits ---------------------------------------------------------------

Period = Literal["day", "month"]
_WORDS = {
    "day": ("today", "daily", "tomorrow"),
    "month": ("this month", "monthly", "next month"),
}


def _usd(value: float) -> str:
    """A limit as people write it: '$1.00', '$20.00'."""
    return f"${value:,.2f}"


@dataclass(frozen=True, slots=True)
class PeriodSpend:
    """Billed spend of today or this month, against its limit (None: no limit)."""

    period: Period
    key: str  # "2025-06-15" or "2025-06": which day or month (notices once per period)
    spent: SpendLike
    limit: float | None

    @property
    def usd(self) -> float:
        return self.spent.cost_usd

    @property
    def share(self) -> float | None:
        return None if not self.limit else self.usd / self.limit

    @property
    def when(self) -> str:
        return _WORDS[self.period][0]

    @property
    def adjective(self) -> str:
        return _WORDS[self.period][1]

    @property
    def resumes(self) -> str:
        return _WORDS[self.period][2]

    def unknown_note(self) -> str:
        n = self.spent.unknown_cost_turns
        if not n:
            return ""
        verb = "is" if n == 1 else "are"
        return f" ({fmt.replies(n)} of unknown cost {verb} not included)"


@dataclass(frozen=True, slots=True)
class SpendStatus:
    day: PeriodSpend
    month: PeriodSpend
    warn_share: float  # Spending.warn_percent / 100

    @property
    def periods(self) -> tuple[PeriodSpend, PeriodSpend]:
        return (self.day, self.month)

    @property
    def limited(self) -> bool:
        return any(p.limit is not None for p in self.periods)

    def warned(self) -> list[PeriodSpend]:
        """Periods whose spend reached the warning threshold of their limit."""
        return [p for p in self.periods if p.share is not None and p.share >= self.warn_share]

    def reached(self, next_usd: float = 0.0) -> list[PeriodSpend]:
        """Periods whose limit is reached now, or would be passed by a message of `next_usd`."""
        return [
            p
            for p in self.periods
            if p.limit is not None and (p.usd >= p.limit or p.usd + next_usd > p.limit)
        ]


def read_status(store: HistoryStore, spending: Spending, today: date) -> SpendStatus:
    """Today's and this month's billed spend (raises `store.StoreError`)."""
    day = store.totals(since=day_start(today), demo=False)
    month = store.totals(since=month_start(today), demo=False)
    return SpendStatus(
        PeriodSpend("day", today.isoformat(), day, spending.daily_limit_usd),
        PeriodSpend("month", today.strftime("%Y-%m"), month, spending.monthly_limit_usd),
        spending.warn_percent / 100,
    )


Action = Literal["send", "ask", "refuse"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What to do with a message about to be sent, and why (with the figures)."""

    action: Action
    message: str = ""


def _reached_sentence(p: PeriodSpend, next_usd: float, what: str = "this message") -> str:
    spent = fmt.money(p.usd)
    assert p.limit is not None
    if p.usd >= p.limit:
        return (
            f"You have spent {spent} {p.when}, which reaches your {p.adjective} limit of "
            f"{_usd(p.limit)}{p.unknown_note()}."
        )
    return (
        f"You have spent {spent} {p.when}{p.unknown_note()}; {what} may cost up to "
        f"{fmt.money(next_usd)}, which would pass your {p.adjective} limit of {_usd(p.limit)}."
    )


def check(
    status: SpendStatus,
    spending: Spending,
    next_usd: float | None,
    *,
    command_line: bool = False,
    what: str = "this message",
) -> Verdict:
    """Whether a message (`what`) whose cost may reach `next_usd` (None: unknown) can go out."""
    reached = status.reached(next_usd or 0.0)
    if not reached:
        return Verdict("send")
    figures = " ".join(_reached_sentence(p, next_usd or 0.0, what) for p in reached)
    if spending.at_limit == "ask":
        return Verdict("ask", f"{figures} Send it anyway?")
    resumes = " and ".join(dict.fromkeys(p.resumes for p in reached))
    raise_it = "raise the limit in Preferences → Spending"
    if command_line:
        raise_it += ", or pass --ignore-budget"
    return Verdict("refuse", f"Not sent: {figures} Sending resumes {resumes}; or {raise_it}.")


def cheaper_plan(
    plan: TurnPlan, status: SpendStatus, spending: Spending, next_usd: float | None
) -> TurnPlan:
    """With "prefer cheaper models", a routed turn near the limit asks the router for cheaper
    models (`quality_cost` 8 above the warning threshold, 10 at the limit); `budget_knob` then
    says so on the badge. Fixed models and demo turns are left alone."""
    if not spending.prefer_cheaper or plan.demo or plan.model != SMART_ROUTER:
        return plan
    if status.reached(next_usd or 0.0):
        knob = AT_LIMIT_QUALITY_COST
    elif status.warned():
        knob = NEAR_LIMIT_QUALITY_COST
    else:
        return plan
    if plan.quality_cost is not None and plan.quality_cost >= knob:
        return plan
    return dataclasses.replace(plan, quality_cost=knob, budget_knob=True)


def status_text(status: SpendStatus, demo_today: SpendLike | None = None) -> tuple[str, str]:
    """The status bar's spend (label, tooltip): 'Today $0.42 of $1.00 · This month: $3.10'."""
    if demo_today is not None:
        return (
            f"Demo replies today: {fmt.spend(demo_today)} (not billed)",
            "Demo replies are answered by a local server and never billed.",
        )
    parts = []
    for p, title in ((status.day, "Today"), (status.month, "This month")):
        if p.limit is None:
            parts.append(f"{title}: {fmt.spend(p.spent)}")
            continue
        unknown = p.spent.unknown_cost_turns
        extra = f" + {fmt.replies(unknown)} of unknown cost" if unknown else ""
        parts.append(f"{title} {fmt.money(p.usd)} of {_usd(p.limit)}{extra}")
    tip = [
        f"Replies {p.when}: {p.spent.priced_turns + p.spent.unknown_cost_turns:,}"
        + (f"; {p.share * 100:.0f} % of the {p.adjective} limit" if p.share is not None else "")
        for p in status.periods
    ]
    tip.append("Demo replies are not counted. Limits: Preferences → Spending.")
    return " · ".join(parts), "\n".join(tip)


def due_notices(status: SpendStatus, seen: dict[str, str]) -> list[tuple[PeriodSpend, str]]:
    """Periods that reached the warning threshold and were not yet warned about (`seen`:
    period → the key of the day or month last warned), with the notice's sentence."""
    out = []
    for p in status.warned():
        if seen.get(p.period) == p.key:
            continue
        assert p.limit is not None and p.share is not None
        out.append(
            (
                p,
                f"You have spent {fmt.money(p.usd)} {p.when}, {p.share * 100:.0f} % of your "
                f"{p.adjective} limit of {_usd(p.limit)}{p.unknown_note()}.",
            )
        )
    return out


# --- what the window and the command line share ---------------------------------------------


class SpendingGuard:
    """The spending rules over one history: status, the next message's estimate, the check
    before a send, the knob near the limit, and the once-per-period notices."""

    def __init__(
        self,
        store: HistoryStore,
        settings: Callable[[], Settings],
        catalogue: Callable[[], Catalogue],
        *,
        today: Callable[[], date] = date.today,
    ) -> None:
        self._store = store
        self._settings = settings
        self._catalogue = catalogue
        self._today = today

    @property
    def spending(self) -> Spending:
        return self._settings().spending

    @property
    def limited(self) -> bool:
        """Whether any spending limit is set."""
        spending = self.spending
        return spending.daily_limit_usd is not None or spending.monthly_limit_usd is not None

    def status(self) -> SpendStatus:
        return read_status(self._store, self.spending, self._today())

    def estimate(self, plan: TurnPlan, history: Iterable[str], prompt: str) -> CostEstimate | None:
        """The next message's likely cost: `history` is the text of the messages sent before
        it (the request carries them all)."""
        texts = [*history, prompt]
        tokens = estimate_tokens(sum(len(t) for t in texts), len(texts))
        return estimate_cost(plan, self._catalogue(), tokens, self._settings().max_tokens)

    def before_send(
        self, plan: TurnPlan, estimate: CostEstimate | None, *, command_line: bool = False
    ) -> tuple[Verdict, TurnPlan]:
        """Whether the message may go out, and the plan to send it with. Demo turns always
        go (and never count). Raises `store.StoreError` when the spend cannot be read."""
        if plan.demo:
            return Verdict("send"), plan
        if not self.limited:
            return Verdict("send"), plan
        spending = self.spending
        status = self.status()
        next_usd = estimate.high if estimate is not None else None
        verdict = check(status, spending, next_usd, command_line=command_line)
        return verdict, cheaper_plan(plan, status, spending, next_usd)

    def before_round(
        self, estimates: Sequence[CostEstimate | None], *, command_line: bool = False
    ) -> Verdict:
        """Whether a comparison round or a workload may go out: its requests checked as one
        send, the sum of their dearest estimates. Their plans stay as they are (a cheaper
        router in one column would skew what is compared). Raises `store.StoreError`."""
        if not self.limited:
            return Verdict("send")
        known = [e.high for e in estimates if e is not None]
        next_usd = sum(known) if known else None
        n = len(estimates)
        what = f"these {n} requests" if n != 1 else "this request"
        return check(self.status(), self.spending, next_usd, command_line=command_line, what=what)

    def notices(self, status: SpendStatus) -> list[str]:
        """The warning sentences due now, remembered so that each period warns once (also
        across restarts). Raises `store.StoreError`."""
        seen = self._store.get_state(NOTICES_KEY, {})
        seen = dict(seen) if isinstance(seen, dict) else {}
        due = due_notices(status, seen)
        if not due:
            return []
        for p, _text in due:
            seen[p.period] = p.key
        self._store.set_state(NOTICES_KEY, seen)
        return [text for _p, text in due]
