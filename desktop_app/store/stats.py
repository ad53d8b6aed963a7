"""What the statistics read from the history, as SQL over billed replies. Qt-free.

`StatsReader` opens its own read-only connection: the statistics window aggregates on a worker
thread while the store's connection stays on the GUI thread (a WAL reader sees a consistent
snapshot while the app writes). Open it, use it and close it on one thread. Everything it
needs is imported with this module and its URI is built in the constructor: PySide6 replaces
`__import__`, and importing on a worker thread can crash the app.

Every query reads finished replies that were billed (`demo = 0`, not `streaming`) in a span of
`started_at`, through the `replies_billed (demo, started_at)` index; a turn's tier key is its
`requested_tier_id` (a tier or pool id, `model:<id>` for a fixed model, `custom` for a pool
given on the command line), `unknown` for replies older than tiers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as day_time
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from desktop_app.store.database import (
    BUSY_TIMEOUT_MS,
    _companions_present,
    _read_only_uri,
    _tidy_after_read_only,
)
from desktop_app.store.errors import StoreAccessError

KINDS = ("all", "conversations", "comparisons")
UNKNOWN_TIER = "unknown"
SAMPLE = 20_000  # percentiles of a tier with more values than this are read off a sample


def local_midnight(day: date) -> float:
    """Unix time of a local calendar day's start."""
    return datetime.combine(day, day_time.min).timestamp()


@dataclass(frozen=True, slots=True)
class StatsFilter:
    """Which replies count: those started from local day `first` (included) to `end` (not
    included; None: open), of one tier key (None: all), in conversations, comparison columns
    or both (`KINDS`). Periods are whole local days, so `reply_days` serves every one."""

    first: date | None = None
    end: date | None = None
    tier: str | None = None
    kind: str = "all"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")

    def bounds(self) -> list[float]:
        """[since, until) in Unix seconds."""
        return [
            local_midnight(self.first) if self.first is not None else float("-inf"),
            local_midnight(self.end) if self.end is not None else float("inf"),
        ]

    def where(self, alias: str = "r", *, span: bool = True) -> tuple[str, list[Any]]:
        """The WHERE clause over `replies` (billed, finished, in the span unless `span` is
        False) and its parameters."""
        a = alias
        clauses = [f"{a}.demo = 0"]
        params: list[Any] = []
        if span:  # `demo = 0 AND started_at ...`: the replies_billed index serves it
            clauses += [f"{a}.started_at >= ?", f"{a}.started_at < ?"]
            params += self.bounds()
        clauses.append(f"{a}.status != 'streaming'")
        if self.tier is not None:
            if self.tier == UNKNOWN_TIER:
                clauses.append(f"{a}.requested_tier_id IS NULL")
            else:
                clauses.append(f"{a}.requested_tier_id = ?")
                params.append(self.tier)
        if self.kind != "all":  # a comparison column's reply carries its column
            null = "IS NOT NULL" if self.kind == "comparisons" else "IS NULL"
            clauses.append(f"{a}.column_index {null}")
        return " AND ".join(clauses), params

    def where_days(self) -> tuple[str, list[Any]]:
        """The same filter over `reply_days`."""
        clauses = ["day >= ?", "day < ?"]
        params: list[Any] = [
            self.first.isoformat() if self.first is not None else "",
            self.end.isoformat() if self.end is not None else "9999-99-99",
        ]
        if self.tier is not None:
            clauses.append("tier = ?")
            params.append(self.tier)
        if self.kind != "all":
            clauses.append("compared = ?")
            params.append(int(self.kind == "comparisons"))
        return " AND ".join(clauses), params


@dataclass(frozen=True, slots=True)
class GroupRow:
    """The replies of one tier, routed model and failure kind, summed."""

    tier: str
    model: str | None  # None: no model answered (a failure before the first chunk)
    failure: str | None  # the error kind of failed and interrupted replies, else None
    requests: int
    cost_reported: float
    cost_estimated: float
    unknown_cost: int  # replies whose cost nobody knows: never counted as $0
    prompt_tokens: int
    completion_tokens: int
    retries: int
    fallbacks: int
    ranked: int
    single: int
    default: int


@dataclass(frozen=True, slots=True)
class LongReply:
    """One of the longest replies: what makes costs unexpected."""

    message_id: int
    conversation_id: int
    started_at: float
    tier: str
    model: str | None
    completion_tokens: int
    cost_usd: float | None


@dataclass(frozen=True, slots=True)
class VoteRow:
    """Blind-comparison votes of one tier: how often it was shown, won, tied."""

    tier: str
    votes: int
    wins: int
    ties: int


TURN_COLUMNS = (
    "started_at",
    "conversation_id",
    "kind",
    "tier",
    "requested_model",
    "model",
    "status",
    "selection",
    "dropped",
    "cost_usd",
    "cost_source",
    "prompt_tokens",
    "completion_tokens",
    "ttft_ms",
    "total_ms",
    "retries",
    "fallback",
    "error_kind",
    "quality_cost",
)


def nearest_rank(values: list[float], points: Sequence[int]) -> dict[int, float]:
    """The nearest-rank percentiles of `values` (sorted in place)."""
    values.sort()
    n = len(values)
    return {p: float(values[(p * n + 99) // 100 - 1]) for p in points}


class StatsReader:
    """Read-only statistics queries over a history file (see the module docstring)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._uri = _read_only_uri(self.path)
        self._conn: sqlite3.Connection | None = None
        self._present = (False, False)

    def open(self) -> Self:
        """Connect (on the thread that will use and close this reader)."""
        self._present = _companions_present(self.path)
        try:
            conn = sqlite3.connect(self._uri, uri=True)
        except sqlite3.Error as exc:
            raise StoreAccessError.from_sqlite(self.path, exc) from exc
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._conn = conn
        return self

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
            _tidy_after_read_only(self.path, self._present)

    def interrupt(self) -> None:
        """Stop a running query soon (any thread): the window closed or the filter changed."""
        conn = self._conn
        if conn is not None:
            conn.interrupt()

    def __enter__(self) -> Self:
        return self.open() if self._conn is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        conn = self._conn
        if conn is None:
            raise RuntimeError("open() the statistics reader first")
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreAccessError.from_sqlite(self.path, exc) from exc

    # --- queries ----------------------------------------------------------------------------

    def groups(self, f: StatsFilter) -> list[GroupRow]:
        """Everything summed per tier, model and failure kind, from `reply_days` (a few
        thousand rows a year, however many turns; SQLite adds them up)."""
        where, params = f.where_days()
        rows = self._all(
            "SELECT tier, NULLIF(model, ''), NULLIF(failure, ''), SUM(requests), "
            "TOTAL(cost_reported), TOTAL(cost_estimated), SUM(unknown_cost), "
            "SUM(prompt_tokens), SUM(completion_tokens), SUM(retries), SUM(fallbacks), "
            "SUM(ranked), SUM(single), SUM(defaulted) "
            f"FROM reply_days WHERE {where} GROUP BY tier, model, failure "
            "HAVING SUM(requests) > 0",
            params,
        )
        return [GroupRow(*row) for row in rows]

    def days(self, f: StatsFilter) -> list[tuple[str, float, int]]:
        """(local day, cost, requests) per day with billed replies, in order."""
        where, params = f.where_days()
        rows = self._all(
            "SELECT day, TOTAL(cost_reported) + TOTAL(cost_estimated), SUM(requests) "
            f"FROM reply_days WHERE {where} GROUP BY day HAVING SUM(requests) > 0 ORDER BY day",
            params,
        )
        return [(str(d), float(c), int(n)) for d, c, n in rows]

    def percentiles(
        self,
        f: StatsFilter,
        counts: Mapping[str, int] | None = None,
        points: Sequence[int] = (50, 95),
        sample: int = SAMPLE,
    ) -> dict[str, dict[str, dict[int, float]]]:
        """Nearest-rank percentiles of `ttft_ms` and `total_ms` per tier key:
        `{"ttft_ms": {tier: {50: v, 95: v}}, "total_ms": ...}`.

        One pass reads the period's two timings (sorting them here is faster than SQLite's
        window functions). `counts` (requests per tier, from `groups`): a tier with more than
        twice `sample` of them is read off a deterministic sample of about `sample` replies (by
        a hash of the id), so a long custom period stays quick; the error of a percentile is
        then well under one percent of the values' spread. The whole history is read off the
        indexes instead (`_percentiles_by_index`).
        """
        if f.kind == "all" and counts is not None and self._whole_history(f):
            return self._percentiles_by_index(f, counts, points)
        where, params = f.where()
        steps = {t: n // sample for t, n in (counts or {}).items() if n > 2 * sample}
        sampled = ""
        if steps:
            cases = " ".join("WHEN ? THEN ?" for _ in steps)
            sampled = (
                " AND ((r.message_id * 2654435761) % 4294967296) % (CASE "
                f"COALESCE(r.requested_tier_id, '{UNKNOWN_TIER}') {cases} ELSE 1 END) = 0"
            )
            for tier, step in steps.items():
                params += [tier, step]
        rows = self._all(
            f"SELECT COALESCE(r.requested_tier_id, '{UNKNOWN_TIER}'), r.ttft_ms, r.total_ms "
            f"FROM replies AS r WHERE {where}{sampled}",
            params,
        )
        ttft: dict[str, list[float]] = {}
        total: dict[str, list[float]] = {}
        for tier, first_token, whole in rows:
            if first_token is not None:
                ttft.setdefault(tier, []).append(first_token)
            if whole is not None:
                total.setdefault(tier, []).append(whole)
        return {
            "ttft_ms": {t: nearest_rank(v, points) for t, v in ttft.items()},
            "total_ms": {t: nearest_rank(v, points) for t, v in total.items()},
        }

    def _whole_history(self, f: StatsFilter) -> bool:
        """Whether `f`'s span covers every billed reply (`--since` before the first one too)."""
        if f.end is not None:
            return False
        if f.first is None:
            return True
        first = self._all("SELECT MIN(day) FROM reply_days")[0][0]
        return first is None or f.first.isoformat() <= str(first)

    def _percentiles_by_index(
        self, f: StatsFilter, counts: Mapping[str, int], points: Sequence[int]
    ) -> dict[str, dict[str, dict[int, float]]]:
        """The whole history's percentiles, read off the `replies_ttft`/`replies_total`
        indexes (values in order per tier): a count and one step per percentile, no sort."""
        out: dict[str, dict[str, dict[int, float]]] = {"ttft_ms": {}, "total_ms": {}}
        for tier in counts:
            if f.tier is not None and tier != f.tier:
                continue
            match = "requested_tier_id IS NULL" if tier == UNKNOWN_TIER else "requested_tier_id = ?"
            params = [] if tier == UNKNOWN_TIER else [tier]
            for column in out:
                where = f"demo = 0 AND {match} AND {column} IS NOT NULL"
                (n,) = self._all(f"SELECT COUNT(*) FROM replies WHERE {where}", params)[0]
                for p in points if n else ():
                    rank = (p * n + 99) // 100
                    (value,) = self._all(
                        f"SELECT {column} FROM replies WHERE {where} "
                        f"ORDER BY {column} LIMIT 1 OFFSET ?",
                        [*params, rank - 1],
                    )[0]
                    out[column].setdefault(tier, {})[p] = float(value)
        return out

    def dropped(self, f: StatsFilter) -> list[tuple[str, str, int]]:
        """(tier, candidate, how many requests) for candidates the router could not rank,
        from `reply_dropped`, most often dropped first."""
        where, params = f.where_days()
        rows = self._all(
            "SELECT tier, candidate, SUM(requests) FROM reply_dropped "
            f"WHERE {where} GROUP BY tier, candidate HAVING SUM(requests) > 0 "
            "ORDER BY 3 DESC, 1, 2",
            params,
        )
        return [(str(t), str(c), int(n)) for t, c, n in rows]

    def longest(self, f: StatsFilter, limit: int = 3) -> list[LongReply]:
        """The replies with the most output tokens (what long answers cost)."""
        where, params = f.where()
        # The whole history walks its index from the top; a period reads its own replies
        # (walking the longest of all from the top could pass most of the history first).
        index = "replies_longest" if self._whole_history(f) else "replies_billed"
        rows = self._all(
            "SELECT r.message_id, r.conversation_id, r.started_at, "
            f"COALESCE(r.requested_tier_id, '{UNKNOWN_TIER}'), r.routed_model, "
            "r.completion_tokens, CASE WHEN r.cost_source != 'unknown' THEN r.cost_usd END "
            f"FROM replies AS r INDEXED BY {index} "
            f"WHERE {where} AND r.completion_tokens IS NOT NULL "
            "ORDER BY r.completion_tokens DESC, r.message_id LIMIT ?",
            [*params, limit],
        )
        return [LongReply(*row) for row in rows]

    def votes(self, f: StatsFilter) -> list[VoteRow]:
        """Blind-comparison votes per tier: each vote counts once for every column's tier;
        a win when the vote chose that column, a tie when it said "tie". Votes cast in the
        span, on billed replies; an empty `votes` table gives no rows."""
        # The votes' span, not the replies': a vote cast today on an old comparison counts today.
        where, params = f.where(span=False)
        rows = self._all(
            f"SELECT COALESCE(r.requested_tier_id, '{UNKNOWN_TIER}'), COUNT(*), "
            "SUM(v.winner_column IS NOT NULL AND r.column_index = v.winner_column), "
            "SUM(v.choice = 'tie') "
            # CROSS JOIN keeps this order: from the few votes to their replies (starting from
            # the billed replies would read them all).
            "FROM votes AS v "
            "CROSS JOIN messages AS m ON m.parent_id = v.prompt_id AND m.role = 'assistant' "
            "AND m.is_chosen = 1 "
            "CROSS JOIN replies AS r ON r.message_id = m.id "
            f"WHERE v.created_at >= ? AND v.created_at < ? AND {where} GROUP BY 1 ORDER BY 1",
            [*f.bounds(), *params],
        )
        return [VoteRow(str(t), int(n), int(w or 0), int(ties or 0)) for t, n, w, ties in rows]

    def tiers(self) -> list[str]:
        """Every tier key billed replies were ever sent with (for the window's filter)."""
        return [str(r[0]) for r in self._all("SELECT DISTINCT tier FROM reply_days ORDER BY 1")]

    def turns(self, f: StatsFilter) -> Iterator[tuple[Any, ...]]:
        """The per-turn rows behind the figures (`TURN_COLUMNS`), oldest first."""
        conn = self._conn
        if conn is None:
            raise RuntimeError("open() the statistics reader first")
        where, params = f.where()
        sql = (
            "SELECT r.started_at, r.conversation_id, c.kind, "
            f"COALESCE(r.requested_tier_id, '{UNKNOWN_TIER}'), r.requested_model, "
            "r.routed_model, r.status, r.selection, "
            "CASE WHEN json_valid(r.routing) THEN json_extract(r.routing, '$.auto.dropped') END, "
            "r.cost_usd, r.cost_source, r.prompt_tokens, r.completion_tokens, r.ttft_ms, "
            "r.total_ms, r.retry_count, r.fallback_used, r.error_kind, r.quality_cost "
            "FROM replies AS r JOIN conversations AS c ON c.id = r.conversation_id "
            f"WHERE {where} ORDER BY r.started_at, r.message_id"
        )
        try:
            yield from conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise StoreAccessError.from_sqlite(self.path, exc) from exc
