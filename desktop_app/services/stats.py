"""Statistics of the history: the figures the statistics window and `routechat stats` show, the
diagnoses the Eden AI guide's troubleshooting section asks for, and their CSV export. Qt-free.

The sums, the percentiles and the win rates are computed by SQLite (`store.stats`); this module
adds them up per tier, per model and per day and reads the diagnoses off them. `StatsJob` runs
one computation on a worker thread with its own read-only connection: everything it calls is
imported with this module (no import may happen on a worker thread).

Only billed replies count: demo replies never do, and a reply of unknown cost is counted as
unknown, never as $0.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from desktop_app.services import format as fmt
from desktop_app.store.stats import (
    TURN_COLUMNS,
    GroupRow,
    LongReply,
    StatsFilter,
    StatsReader,
    VoteRow,
)

PERIODS: dict[str, str] = {
    "today": "Today",
    "7d": "7 days",
    "30d": "30 days",
    "month": "This month",
    "all": "All",
    "custom": "Custom",
}
DEFAULT_PERIOD = "30d"
SELECTIONS = ("ranked", "single", "default", "unknown")

# Diagnoses: when each applies (the guide's troubleshooting section, with numbers).
SAME_MODEL_SHARE = 0.9  # one model answered at least this share ...
SAME_MODEL_MIN_REQUESTS = 20  # ... of at least this many requests of a pool
HIGH_LATENCY_MS = 1000.0  # first-token p50 above this ("high routing latency (>1 s)")
LATENCY_MIN_REQUESTS = 5
PREMIUM_OUTPUT_PER_MTOK = 10.0  # list price per million output tokens that makes a model premium
PREMIUM_SHARE = 0.5  # premium models took at least this share of the routed spend ...
PREMIUM_MIN_REQUESTS = 20  # ... of at least this many priced routed requests
DEFAULT_SHARE = 0.2  # `default` selections of a pool's routed requests
DEFAULT_MIN_REQUESTS = 20
DROPPED_MIN = 3  # a candidate dropped this often is "never ranked"
LONGEST = 3


def period_start_day(period: str, today: date) -> date | None:
    """The first local day a period covers (None: all of the history)."""
    if period == "today":
        return today
    if period == "month":
        return today.replace(day=1)
    if period == "all":
        return None
    if period.endswith("d") and period[:-1].isdigit() and int(period[:-1]) >= 1:
        return today - timedelta(days=int(period[:-1]) - 1)
    raise ValueError(f"unknown period {period!r}")


def period_filter(
    period: str,
    today: date,
    *,
    first: date | None = None,
    last: date | None = None,
    tier: str | None = None,
    kind: str = "all",
) -> StatsFilter:
    """The filter for a period of `PERIODS` (`custom`: from `first` to `last`, both included)."""
    if period == "custom":
        if first is None or last is None:
            raise ValueError("a custom period needs its first and last day")
        if last < first:
            first, last = last, first
        return StatsFilter(first, last + timedelta(days=1), tier, kind)
    return StatsFilter(period_start_day(period, today), None, tier, kind)


def parse_since(text: str, today: date) -> date:
    """`routechat stats --since`: `7d`, `30d` (any number of days, today included) or a
    YYYY-MM-DD date; ValueError with the accepted forms otherwise."""
    value = text.strip().lower()
    try:
        if value.endswith("d") and value[:-1].isdigit():
            start = period_start_day(value, today)
            assert start is not None
            return start
        return date.fromisoformat(value)
    except ValueError:
        pass
    raise ValueError(f"--since takes 7d, 30d (a number of days) or a date YYYY-MM-DD, not {text!r}")


def premium_models(models: Iterable[Any]) -> frozenset[str]:
    """Ids of the models whose list price per million output tokens is at least
    `PREMIUM_OUTPUT_PER_MTOK` (`api.models.ModelInfo` entries of the catalogue)."""
    out = set()
    for m in models:
        per_mtok = getattr(m, "output_per_mtok", None)
        if per_mtok is not None and per_mtok >= PREMIUM_OUTPUT_PER_MTOK:
            out.add(str(m.id))
    return frozenset(out)


# --- figures ---------------------------------------------------------------------------------


@dataclass(slots=True)
class ModelFigures:
    requests: int = 0
    cost_usd: float = 0.0


@dataclass(slots=True)
class TierFigures:
    """What one tier (or pool, fixed model, custom pool) did in the period."""

    tier: str
    requests: int = 0
    cost_reported: float = 0.0
    cost_estimated: float = 0.0
    unknown_cost: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    retries: int = 0
    fallbacks: int = 0
    models: dict[str, ModelFigures] = field(default_factory=dict)
    selection: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SELECTIONS, 0))
    failures: dict[str, int] = field(default_factory=dict)
    ttft_p50: float | None = None
    ttft_p95: float | None = None
    total_p50: float | None = None
    total_p95: float | None = None

    @property
    def cost_usd(self) -> float:
        """Reported and estimated costs together (unknown ones are counted apart)."""
        return self.cost_reported + self.cost_estimated

    @property
    def routed(self) -> bool:
        """Sent to the smart router (not a fixed model)."""
        return not self.tier.startswith("model:")

    @property
    def failed(self) -> int:
        return sum(self.failures.values())


@dataclass(frozen=True, slots=True)
class Diagnosis:
    id: str
    title: str
    findings: tuple[str, ...]  # the numbers, one sentence each
    causes: str
    advice: str  # what to do: the guide's solutions

    @property
    def message(self) -> str:
        return f"{self.title}: {' '.join(self.findings)} {self.causes} {self.advice}"


@dataclass(frozen=True, slots=True)
class WinRate:
    tier: str
    votes: int
    wins: int
    ties: int

    @property
    def rate(self) -> float | None:
        return self.wins / self.votes if self.votes else None


@dataclass(slots=True)
class Figures:
    """Everything the statistics show for one filter."""

    filter: StatsFilter
    by_tier: dict[str, TierFigures] = field(default_factory=dict)
    by_model: dict[str, ModelFigures] = field(default_factory=dict)
    by_day: dict[str, float] = field(default_factory=dict)  # local day -> cost
    requests_by_day: dict[str, int] = field(default_factory=dict)
    dropped: list[tuple[str, str, int]] = field(default_factory=list)
    longest: list[LongReply] = field(default_factory=list)
    win_rates: list[WinRate] = field(default_factory=list)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    tiers: list[str] = field(default_factory=list)  # every tier key billed (the filter's list)

    def _sum(self, name: str) -> Any:
        return sum(getattr(t, name) for t in self.by_tier.values())

    @property
    def requests(self) -> int:
        return int(self._sum("requests"))

    @property
    def cost_reported(self) -> float:
        return float(self._sum("cost_reported"))

    @property
    def cost_estimated(self) -> float:
        return float(self._sum("cost_estimated"))

    @property
    def cost_usd(self) -> float:
        return self.cost_reported + self.cost_estimated

    @property
    def unknown_cost(self) -> int:
        return int(self._sum("unknown_cost"))

    @property
    def prompt_tokens(self) -> int:
        return int(self._sum("prompt_tokens"))

    @property
    def completion_tokens(self) -> int:
        return int(self._sum("completion_tokens"))

    @property
    def retries(self) -> int:
        return int(self._sum("retries"))

    @property
    def fallbacks(self) -> int:
        return int(self._sum("fallbacks"))

    @property
    def failures(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.by_tier.values():
            for kind, n in t.failures.items():
                out[kind] = out.get(kind, 0) + n
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def selection(self) -> dict[str, int]:
        out = dict.fromkeys(SELECTIONS, 0)
        for t in self.by_tier.values():
            for key, n in t.selection.items():
                out[key] += n
        return out

    def spend_line(self) -> str:
        """'$1.23 (≈$0.40 of it estimated) + 3 replies of unknown cost'."""
        text = fmt.money(self.cost_usd, "estimated" if self.cost_estimated else "reported")
        if self.cost_estimated:
            text += f" (≈{fmt.money(self.cost_estimated)} of it estimated)"
        if self.unknown_cost:
            text += f" + {fmt.replies(self.unknown_cost)} of unknown cost"
        return text


def _add_group(figures: Figures, row: GroupRow) -> None:
    t = figures.by_tier.get(row.tier)
    if t is None:
        t = figures.by_tier[row.tier] = TierFigures(row.tier)
    cost = row.cost_reported + row.cost_estimated
    t.requests += row.requests
    t.cost_reported += row.cost_reported
    t.cost_estimated += row.cost_estimated
    t.unknown_cost += row.unknown_cost
    t.prompt_tokens += row.prompt_tokens
    t.completion_tokens += row.completion_tokens
    t.retries += row.retries
    t.fallbacks += row.fallbacks
    t.selection["ranked"] += row.ranked
    t.selection["single"] += row.single
    t.selection["default"] += row.default
    t.selection["unknown"] += row.requests - row.ranked - row.single - row.default
    if row.failure is not None:
        t.failures[row.failure] = t.failures.get(row.failure, 0) + row.requests
    if row.model is not None:
        for bucket in (t.models, figures.by_model):
            m = bucket.get(row.model)
            if m is None:
                m = bucket[row.model] = ModelFigures()
            m.requests += row.requests
            m.cost_usd += cost


def compute(reader: StatsReader, f: StatsFilter, premium: frozenset[str] = frozenset()) -> Figures:
    """All the figures for `f` (on any thread: nothing here imports)."""
    figures = Figures(f)
    for row in reader.groups(f):
        _add_group(figures, row)
    for day, cost, requests in reader.days(f):
        figures.by_day[day] = cost
        figures.requests_by_day[day] = requests
    counts = {tier: t.requests for tier, t in figures.by_tier.items()}
    for column, per_tier in reader.percentiles(f, counts).items():
        prefix = column.removesuffix("_ms")
        for tier, values in per_tier.items():
            t = figures.by_tier.get(tier)
            if t is not None:
                setattr(t, f"{prefix}_p50", values.get(50))
                setattr(t, f"{prefix}_p95", values.get(95))
    figures.by_tier = dict(sorted(figures.by_tier.items(), key=lambda kv: (-kv[1].requests, kv[0])))
    for t in figures.by_tier.values():
        t.models = dict(sorted(t.models.items(), key=lambda kv: (-kv[1].requests, kv[0])))
        t.failures = dict(sorted(t.failures.items(), key=lambda kv: (-kv[1], kv[0])))
    figures.by_model = dict(
        sorted(figures.by_model.items(), key=lambda kv: (-kv[1].cost_usd, kv[0]))
    )
    figures.dropped = reader.dropped(f)
    if _premium_share(figures, premium) is not None:  # read only when the diagnosis needs them
        figures.longest = reader.longest(f, LONGEST)
    figures.win_rates = [_win_rate(v) for v in reader.votes(f)]
    figures.diagnoses = diagnose(figures, premium)
    return figures


def _win_rate(row: VoteRow) -> WinRate:
    return WinRate(row.tier, row.votes, row.wins, row.ties)


# --- diagnoses -------------------------------------------------------------------------------


def _pct(share: float) -> str:
    return f"{share * 100:.0f} %"


def _routed_pools(figures: Figures) -> list[TierFigures]:
    return [t for t in figures.by_tier.values() if t.routed]


def diagnose(figures: Figures, premium: frozenset[str] = frozenset()) -> list[Diagnosis]:
    """The guide's troubleshooting diagnoses that apply to these figures, each with its
    numbers and what to do."""
    found = [
        _same_model(figures),
        _high_latency(figures),
        _unexpected_costs(figures, premium),
        _default_fallback(figures),
        _never_ranked(figures),
    ]
    return [d for d in found if d is not None]


def _same_model(figures: Figures) -> Diagnosis | None:
    findings = []
    for t in _routed_pools(figures):
        answered = sum(m.requests for m in t.models.values())
        if answered < SAME_MODEL_MIN_REQUESTS or not t.models:
            continue
        model, top = max(t.models.items(), key=lambda kv: kv[1].requests)
        share = top.requests / answered
        if share >= SAME_MODEL_SHARE:
            findings.append(
                f"In {t.tier}, {model} answered {top.requests:,} of {answered:,} requests "
                f"({_pct(share)})."
            )
    if not findings:
        return None
    return Diagnosis(
        "same_model",
        "Routing always selects the same model",
        tuple(findings),
        "Possible causes: the candidate list is too restrictive, the requests favour one "
        "model, or the other models are unavailable.",
        "What to do: expand the candidate pool, check that the other models are available "
        "(routechat models), and review what the requests ask for.",
    )


def _high_latency(figures: Figures) -> Diagnosis | None:
    findings = []
    for t in figures.by_tier.values():
        if t.ttft_p50 is None or t.requests < LATENCY_MIN_REQUESTS:
            continue
        if t.ttft_p50 > HIGH_LATENCY_MS:
            p95 = f" (p95 {fmt.duration(t.ttft_p95)})" if t.ttft_p95 is not None else ""
            findings.append(
                f"In {t.tier}, the first token took {fmt.duration(t.ttft_p50)} at the "
                f"median{p95}, over {t.requests:,} requests."
            )
    if not findings:
        return None
    return Diagnosis(
        "high_latency",
        "High routing latency (over 1 s)",
        tuple(findings),
        "Possible causes: network issues, a large candidate pool, congestion at the router.",
        "What to do: reduce the candidates to 3–5 models, check your network connection, and "
        "consider a fixed model for latency-critical work.",
    )


def _premium_share(
    figures: Figures, premium: frozenset[str]
) -> tuple[float, dict[str, float]] | None:
    """(routed spend, spend per premium model) when premium models took at least
    `PREMIUM_SHARE` of what the router chose to spend, else None. The premium preset and fixed
    models are chosen on purpose, so they are left out."""
    spend = 0.0
    premium_spend: dict[str, float] = {}
    priced = 0
    for t in _routed_pools(figures):
        if t.tier == "premium":
            continue
        spend += t.cost_usd
        priced += t.requests - t.unknown_cost
        for model, m in t.models.items():
            if model in premium:
                premium_spend[model] = premium_spend.get(model, 0.0) + m.cost_usd
    total = sum(premium_spend.values())
    if priced < PREMIUM_MIN_REQUESTS or spend <= 0 or total / spend < PREMIUM_SHARE:
        return None
    return spend, premium_spend


def _unexpected_costs(figures: Figures, premium: frozenset[str]) -> Diagnosis | None:
    """Premium models' share of the routed spend, and the longest replies."""
    found = _premium_share(figures, premium)
    if found is None:
        return None
    spend, premium_spend = found
    total_premium = sum(premium_spend.values())
    top = sorted(premium_spend.items(), key=lambda kv: -kv[1])[:3]
    findings = [
        f"Premium models took {_pct(total_premium / spend)} of the routed spend "
        f"({fmt.money(total_premium)} of {fmt.money(spend)}: "
        + ", ".join(f"{model} {fmt.money(cost)}" for model, cost in top)
        + ")."
    ]
    if figures.longest:
        longest = ", ".join(
            f"{r.completion_tokens:,} tokens ({r.model or 'unknown model'}, "
            f"{fmt.money(r.cost_usd) if r.cost_usd is not None else 'cost unknown'})"
            for r in figures.longest
        )
        findings.append(f"The longest replies: {longest}.")
    return Diagnosis(
        "unexpected_costs",
        "Unexpected costs",
        tuple(findings),
        "Possible causes: the router selecting premium models, a high volume of requests, "
        "long responses.",
        "What to do: use budget-tier candidates, limit the answer length (Preferences → Max "
        "tokens per answer), watch the model distribution, and set a spending limit "
        "(Preferences → Spending).",
    )


def _default_fallback(figures: Figures) -> Diagnosis | None:
    findings = []
    for t in _routed_pools(figures):
        told = t.selection["ranked"] + t.selection["single"] + t.selection["default"]
        if told < DEFAULT_MIN_REQUESTS:
            continue
        share = t.selection["default"] / told
        if share >= DEFAULT_SHARE:
            findings.append(
                f"In {t.tier}, {t.selection['default']:,} of {told:,} routed requests "
                f"({_pct(share)}) could not be ranked, so the pool's first model answered."
            )
    if not findings:
        return None
    return Diagnosis(
        "default_fallback",
        "The router often falls back to defaults",
        tuple(findings),
        "Possible causes: candidates the router cannot rank, a pool that is too large, "
        "requests the ranking cannot read.",
        "What to do: keep 3–5 candidates from the model list (routechat models), put the "
        "model you want when ranking fails first, and check the candidates' availability.",
    )


def _never_ranked(figures: Figures) -> Diagnosis | None:
    findings = [
        f"{candidate} was dropped from {n:,} requests in {tier}."
        for tier, candidate, n in figures.dropped
        if n >= DROPPED_MIN
    ]
    if not findings:
        return None
    return Diagnosis(
        "unranked_candidates",
        "Candidates that are never ranked",
        tuple(findings),
        "The router cannot rank them, so they never answer.",
        "What to do: remove them from the pool or replace them with models from the model "
        "list (routechat models).",
    )


# --- output ----------------------------------------------------------------------------------


def _money(value: float) -> float:
    return round(value, 10)


def to_json(figures: Figures, since: str) -> dict[str, Any]:
    """`routechat stats --json`: exactly the documented object."""
    return {
        "since": since,
        "requests": figures.requests,
        "cost_usd": _money(figures.cost_usd),
        "estimated_cost_usd": _money(figures.cost_estimated),
        "unknown_cost_requests": figures.unknown_cost,
        "by_tier": {
            t.tier: {
                "requests": t.requests,
                "cost_usd": _money(t.cost_usd),
                "models": {model: m.requests for model, m in t.models.items()},
                "ttft_p50_ms": t.ttft_p50,
                "ttft_p95_ms": t.ttft_p95,
                "total_p50_ms": t.total_p50,
                "total_p95_ms": t.total_p95,
                "selection": dict(t.selection),
                "retries": t.retries,
                "fallbacks": t.fallbacks,
                "failures": dict(t.failures),
            }
            for t in figures.by_tier.values()
        },
        "by_model": {
            model: {"requests": m.requests, "cost_usd": _money(m.cost_usd)}
            for model, m in figures.by_model.items()
        },
        "by_day": {day: _money(cost) for day, cost in figures.by_day.items()},
        "diagnoses": [{"id": d.id, "message": d.message} for d in figures.diagnoses],
    }


FIGURE_COLUMNS = ("section", "key", "metric", "value")


def figure_rows(figures: Figures) -> list[tuple[str, str, str, Any]]:
    """The figures as long rows (section, key, metric, value): easy to pivot in a spreadsheet."""
    rows: list[tuple[str, str, str, Any]] = []
    for metric, value in (
        ("requests", figures.requests),
        ("cost_usd", _money(figures.cost_usd)),
        ("estimated_cost_usd", _money(figures.cost_estimated)),
        ("unknown_cost_requests", figures.unknown_cost),
        ("prompt_tokens", figures.prompt_tokens),
        ("completion_tokens", figures.completion_tokens),
        ("retries", figures.retries),
        ("fallbacks", figures.fallbacks),
    ):
        rows.append(("total", "", metric, value))
    for key, n in figures.selection.items():
        rows.append(("total", "", f"selection_{key}", n))
    for kind, n in figures.failures.items():
        rows.append(("total", "", f"failures_{kind}", n))
    for t in figures.by_tier.values():
        tier_values: tuple[tuple[str, float | None], ...] = (
            ("requests", t.requests),
            ("cost_usd", _money(t.cost_usd)),
            ("estimated_cost_usd", _money(t.cost_estimated)),
            ("unknown_cost_requests", t.unknown_cost),
            ("ttft_p50_ms", t.ttft_p50),
            ("ttft_p95_ms", t.ttft_p95),
            ("total_p50_ms", t.total_p50),
            ("total_p95_ms", t.total_p95),
            ("retries", t.retries),
            ("fallbacks", t.fallbacks),
        )
        for metric, tier_value in tier_values:
            rows.append(("tier", t.tier, metric, "" if tier_value is None else tier_value))
        for key, n in t.selection.items():
            rows.append(("tier", t.tier, f"selection_{key}", n))
        for kind, n in t.failures.items():
            rows.append(("tier", t.tier, f"failures_{kind}", n))
        for model, m in t.models.items():
            rows.append(("tier_model", f"{t.tier} {model}", "requests", m.requests))
    for model, m in figures.by_model.items():
        rows.append(("model", model, "requests", m.requests))
        rows.append(("model", model, "cost_usd", _money(m.cost_usd)))
    for day, cost in figures.by_day.items():
        rows.append(("day", day, "cost_usd", _money(cost)))
        rows.append(("day", day, "requests", figures.requests_by_day.get(day, 0)))
    for w in figures.win_rates:
        rows.append(("win_rate", w.tier, "votes", w.votes))
        rows.append(("win_rate", w.tier, "wins", w.wins))
        rows.append(("win_rate", w.tier, "ties", w.ties))
    for d in figures.diagnoses:
        rows.append(("diagnosis", d.id, "message", d.message))
    return rows


def figures_csv(figures: Figures) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FIGURE_COLUMNS)
    writer.writerows(figure_rows(figures))
    return out.getvalue()


def write_turns_csv(reader: StatsReader, f: StatsFilter, out: TextIO) -> int:
    """The per-turn rows behind the figures, oldest first (local ISO times); returns how
    many were written."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(TURN_COLUMNS)
    count = 0
    for row in reader.turns(f):
        started = datetime.fromtimestamp(row[0]).isoformat(timespec="seconds")
        writer.writerow([started, *("" if v is None else v for v in row[1:])])
        count += 1
    return count


# --- off the GUI thread ----------------------------------------------------------------------


class StatsJob:
    """One computation of the figures (or a CSV of the turns) on a worker thread.

    `run()` opens its own read-only connection on the calling thread and closes it before it
    returns; `cancel()` (any thread) interrupts a running query: `run()` then raises
    `store.StoreAccessError`. Build it on the GUI thread (the URI is made here).
    """

    def __init__(self, path: Path, f: StatsFilter, premium: frozenset[str] = frozenset()) -> None:
        self.filter = f
        self._premium = premium
        self._reader = StatsReader(path)
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True
        self._reader.interrupt()

    def run(self) -> Figures:
        """The figures, and every tier key of the history for the window's filter."""
        with self._reader.open():
            figures = compute(self._reader, self.filter, self._premium)
            figures.tiers = tier_keys(self._reader.tiers())
            return figures

    def write_turns(self, path: Path) -> int:
        """Write the per-turn CSV to `path` (on the worker thread); returns the row count."""
        with self._reader.open(), path.open("w", encoding="utf-8", newline="") as out:
            return write_turns_csv(self._reader, self.filter, out)


def tier_keys(values: Sequence[str]) -> list[str]:
    """Tier keys in the filter's order: tiers and pools first, then fixed models, custom."""
    return sorted(values, key=lambda k: (k.startswith("model:"), k == "custom", k))
