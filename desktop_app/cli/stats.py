"""`routechat stats`: what the statistics window shows, as a table or one JSON object."""

from __future__ import annotations

import argparse
import json
from datetime import date
from typing import TYPE_CHECKING, Any, TextIO

from desktop_app.cli.common import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, say

if TYPE_CHECKING:
    from desktop_app.services.stats import Figures

DEFAULT_SINCE = "30d"


def add_parser(sub: Any) -> None:
    stats = sub.add_parser(
        "stats",
        help="requests, spend, models, latency and diagnoses from your history",
        description="Statistics of your history (the window's View → Statistics). Demo "
        "replies never count; replies of unknown cost are counted apart, never as $0.",
    )
    stats.add_argument(
        "--since",
        default=DEFAULT_SINCE,
        metavar="7d|30d|YYYY-MM-DD",
        help=f"from this many days ago (today included) or this date (default {DEFAULT_SINCE})",
    )
    stats.add_argument("--tier", metavar="T", help="one tier or pool (or model:<id>, custom) only")
    stats.add_argument("--json", action="store_true", help="print one JSON object last")


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from desktop_app.config.paths import default_paths
    from desktop_app.services import stats
    from desktop_app.store import HistoryStore, StoreError
    from desktop_app.store.stats import StatsFilter, StatsReader

    today = date.today()
    try:
        first = stats.parse_since(args.since, today)
    except ValueError as exc:
        say(err, str(exc))
        return EXIT_USAGE
    tier = resolve_tier(args.tier) if args.tier else None
    f = StatsFilter(first, None, tier)
    db = default_paths().database_file
    try:
        if db.exists():
            # Migrated if it is older; never recovered here: the window may be streaming.
            HistoryStore.open(db, recover=False).close()
            with StatsReader(db) as reader:
                figures = stats.compute(reader, f, premium())
        else:
            figures = stats.Figures(f)
    except StoreError as exc:
        say(err, str(exc))
        return EXIT_INTERNAL
    if args.json:
        out.write(json.dumps(stats.to_json(figures, first.isoformat()), ensure_ascii=False) + "\n")
    else:
        out.write(table(figures, first))
    out.flush()
    return EXIT_OK


def resolve_tier(name: str) -> str:
    """A tier or saved pool by id or name → its id (by_tier's key); anything else as given
    (`model:<id>`, `custom`, a pool deleted since)."""
    from desktop_app.cli.pools import service

    pools = service()
    pools.load()
    found = pools.find(name)
    return found.id if found is not None else name


def premium() -> frozenset[str]:
    """Premium models by the cached model list's prices (no network)."""
    from desktop_app.cli.common import resolve_base_url
    from desktop_app.config.paths import default_paths
    from desktop_app.services.catalogue import ModelCatalogue, cache_file
    from desktop_app.services.stats import premium_models

    catalogue = ModelCatalogue(cache_file(default_paths().cache_dir, resolve_base_url(None)))
    return premium_models(catalogue.snapshot().models)


def _columns(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def table(figures: Figures, first: date) -> str:
    from desktop_app.services import format as fmt

    def ms(a: float | None, b: float | None) -> str:
        return f"{fmt.duration(a)} / {fmt.duration(b)}"

    noun = "request" if figures.requests == 1 else "requests"
    text = f"Since {first.isoformat()}: {figures.requests:,} {noun} · {figures.spend_line()}\n"
    if not figures.requests:
        return text + "No billed replies in this period (demo replies never count).\n"
    rows = [
        [
            "TIER", "REQUESTS", "SPEND", "FIRST TOKEN p50/p95", "TOTAL p50/p95",
            "RANKED/SINGLE/DEFAULT", "RETRIES", "FALLBACKS", "FAILURES",
        ]
    ]  # fmt: skip
    for t in figures.by_tier.values():
        s = t.selection
        rows.append(
            [
                t.tier,
                f"{t.requests:,}",
                fmt.money(t.cost_usd, "estimated" if t.cost_estimated else "reported"),
                ms(t.ttft_p50, t.ttft_p95),
                ms(t.total_p50, t.total_p95),
                f"{s['ranked']}/{s['single']}/{s['default']}",
                str(t.retries),
                str(t.fallbacks),
                ", ".join(f"{k} {n}" for k, n in t.failures.items()) or "—",
            ]
        )
    text += "\n" + _columns(rows)
    models = [["MODEL", "REQUESTS", "SPEND"]]
    for model, m in figures.by_model.items():
        models.append([model, f"{m.requests:,}", fmt.money(m.cost_usd)])
    text += "\n" + _columns(models)
    days = [["DAY", "SPEND"]] + [[d, fmt.money(c)] for d, c in figures.by_day.items()]
    text += "\n" + _columns(days)
    if figures.win_rates:
        wins = [["TIER", "VOTES", "WINS", "TIES", "WIN RATE"]]
        for w in figures.win_rates:
            rate = f"{w.rate * 100:.0f} %" if w.rate is not None else "—"
            wins.append([w.tier, str(w.votes), str(w.wins), str(w.ties), rate])
        text += "\nBlind comparisons:\n" + _columns(wins)
    for d in figures.diagnoses:
        text += f"\n• {d.message}\n"
    return text
