"""Benchmark of the statistics over a large history. Not collected by pytest.

    python tests/benchmarks/bench_stats.py [--turns 200000] [--repeat 5] [--dir DIR] [--keep]
                                           [--only core,write,migrate,window]

Builds a history of 200,000 billed turns over a year (tests/benchmarks/stats_data.py: about
10,000 conversations, 5 % comparisons with votes, 4 % demo replies, 2 % failures, a candidate
the router drops) through the real schema and triggers, then measures in the same run:
- core: `StatsJob.run` (everything the window shows: sums from `reply_days`, percentiles,
  dropped candidates, votes, diagnoses) per period and filter, median of --repeat, against the
  same on an empty history, and `routechat stats --json` in a fresh process;
- write: `finish_reply` on the big history (its triggers keep the daily sums) against an empty
  one, per call;
- migrate: opening the history as schema 3 left it (the one-time upgrade to 4: backup, the
  daily sums filled, two indexes);
- window: the real window (compose, offscreen, qasync) opening View → Statistics, timed from
  the menu's signal until the figures are painted (target <= 300 ms), then switching to the
  whole history, with a 5 ms heartbeat timer measuring how long the event loop was blocked
  (target: never more than 50 ms); the same on an empty history in the same run.
Targets are reported with their ratios, not asserted. The page cache is warm.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

OPEN_TARGET_MS = 300.0
BLOCK_TARGET_MS = 50.0


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def line(label: str, value: float, target: float | None = None, unit: str = "ms") -> str:
    text = f"  {label:<58} {value:9.1f} {unit}"
    if target is not None:
        verdict = "ok" if value <= target else "OVER"
        text += f"   target {target:g} {unit}: {value / target:5.2f}x {verdict}"
    return text


def homes(root: Path, turns: int) -> tuple[Path, Path]:
    """ROUTECHAT_HOMEs with the big history (built unless kept from an earlier run) and none."""
    from tests.benchmarks.stats_data import build

    big, empty = root / "big", root / "empty"
    db = big / "data" / "routechat.sqlite3"
    stamp = big / f"turns-{turns}"
    if not stamp.exists():
        shutil.rmtree(big, ignore_errors=True)
        db.parent.mkdir(parents=True)
        t0 = time.perf_counter()
        print(f"Building a history of {turns:,} turns…", flush=True)
        build(db, turns)
        print(f"  built in {time.perf_counter() - t0:.0f} s", flush=True)
        stamp.touch()
    (empty / "data").mkdir(parents=True, exist_ok=True)
    from desktop_app.store import HistoryStore

    HistoryStore.open(empty / "data" / "routechat.sqlite3").close()
    return big, empty


# --- core ---------------------------------------------------------------------------------------


def core_part(big: Path, empty: Path, repeat: int) -> None:
    from desktop_app.services.catalogue import ModelCatalogue
    from desktop_app.services.stats import StatsJob, period_filter, premium_models

    print("\nCore: StatsJob.run (every figure, diagnosis and the tier list), median")
    today = date.today()
    # Premium models by the bundled list's prices, as the window has them.
    premium = premium_models(ModelCatalogue(big / "no-cache.json").snapshot().models)
    cases = [
        ("30 days (the window's default)", period_filter("30d", today)),
        ("today", period_filter("today", today)),
        ("this month", period_filter("month", today)),
        ("all", period_filter("all", today)),
        ("all, one tier", period_filter("all", today, tier="balanced")),
        ("all, comparisons only", period_filter("all", today, kind="comparisons")),
    ]
    for label, f in cases:
        big_ms = median_ms(
            lambda f=f: StatsJob(big / "data" / "routechat.sqlite3", f, premium).run(), repeat
        )
        empty_ms = median_ms(
            lambda f=f: StatsJob(empty / "data" / "routechat.sqlite3", f, premium).run(), repeat
        )
        print(line(label, big_ms, OPEN_TARGET_MS) + f"   (empty history {empty_ms:.1f} ms)")
    requests = StatsJob(big / "data" / "routechat.sqlite3", period_filter("all", today)).run()
    print(f"  (the whole history: {requests.requests:,} billed requests)")
    for since in ("30d", "2000-01-01"):
        env = {**os.environ, "ROUTECHAT_HOME": str(big), "PYTHONPATH": str(REPO)}
        t0 = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "desktop_app", "stats", "--json", "--since", since],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        wall = (time.perf_counter() - t0) * 1000
        body = json.loads(done.stdout.strip().splitlines()[-1])
        print(line(f"routechat stats --json --since {since} (process)", wall)
              + f"   ({body['requests']:,} requests)")  # fmt: skip


# --- writes -------------------------------------------------------------------------------------


def write_part(big: Path, empty: Path, repeat: int) -> None:
    from desktop_app.api.events import CostSource, TurnResult, Usage
    from desktop_app.store import HistoryStore

    print("\nWrites: one finished reply (begin_reply + finish_reply), per call")
    result = TurnResult(
        text="an answer",
        model="openai/gpt-4o",
        usage=Usage(100, 200, 300, None),
        cost_usd=0.002,
        cost_source=CostSource.REPORTED,
        ttft_ms=400.0,
        total_ms=2000.0,
    )
    routing = {"auto": {"selection": "ranked", "chosen": "openai/gpt-4o", "dropped": ["acme/x"]}}
    figures = {}
    for name, home in (("big", big), ("empty", empty)):
        tmp = Path(tempfile.mkdtemp(prefix="bench-stats-write-")) / "h.sqlite3"
        shutil.copy(home / "data" / "routechat.sqlite3", tmp)
        with HistoryStore.open(tmp) as store:
            cid = store.create_conversation()
            uid = store.add_user_message(cid, "q")

            def one(store: HistoryStore = store, cid: int = cid, uid: int = uid) -> None:
                rid = store.begin_reply(cid, parent_id=uid, requested_tier_id="balanced")
                store.finish_reply(rid, result, routing=routing)

            figures[name] = median_ms(one, max(repeat, 50))
        shutil.rmtree(tmp.parent)
    print(line("on the big history", figures["big"]))
    print(line("on an empty history", figures["empty"])
          + f"   ratio {figures['big'] / figures['empty']:.2f}x")  # fmt: skip


# --- migration ----------------------------------------------------------------------------------


def migrate_part(big: Path) -> None:
    from desktop_app.store import HistoryStore

    print("\nThe one-time upgrade from schema 3 (backup, daily sums filled, indexes)")
    tmp = Path(tempfile.mkdtemp(prefix="bench-stats-migrate-")) / "h.sqlite3"
    shutil.copy(big / "data" / "routechat.sqlite3", tmp)
    conn = sqlite3.connect(tmp)
    try:
        for kind, name in conn.execute(
            "SELECT type, name FROM sqlite_master WHERE name LIKE 'reply_%' "
            "OR name IN ('replies_ttft', 'replies_total', 'replies_longest') "
            "ORDER BY type = 'table'"
        ).fetchall():
            conn.execute(f"DROP {kind.upper()} IF EXISTS {name}")
        conn.execute("PRAGMA user_version = 3")
        conn.commit()
    finally:
        conn.close()
    t0 = time.perf_counter()
    HistoryStore.open(tmp).close()
    print(line("open, migrate to 4 and close", (time.perf_counter() - t0) * 1000))
    shutil.rmtree(tmp.parent)


# --- the window ---------------------------------------------------------------------------------


async def window_once(app: Any, home: Path) -> dict[str, float]:
    from tests.benchmarks.bench_gui import build_window, close_window, qt_helpers

    helpers = qt_helpers()
    os.environ["ROUTECHAT_HOME"] = str(home)
    parts = build_window(app)
    await helpers["settle"](10)
    await asyncio.sleep(1.5)  # the window's own after-first-frame work is done
    await helpers["settle"](5)
    beat = CpuHeartbeat(helpers["Heartbeat"])
    beat.start()
    t0 = time.perf_counter()
    parts.window.statistics_requested.emit()
    for _ in range(3):  # modules, then the window's, then the window: a loop turn each
        await helpers["qt_turn"]()
    stats = parts.controller.stats
    assert stats is not None
    shown: list[float] = []
    arrived = asyncio.Event()

    def figures_shown() -> None:
        shown.append(time.perf_counter())
        arrived.set()

    stats.figures_shown.connect(figures_shown)
    await arrived.wait()  # idle, as the app waits (spinning the loop would hold the GIL)
    watch = helpers["PaintWatch"](stats.window)
    painted = await helpers["until_painted"](watch, shown[0]) or shown[0]
    opened = (painted - t0) * 1000
    month = stats.figures.requests if stats.figures else 0
    # The whole history: the period's menu.
    shown.clear()
    arrived.clear()
    t1 = time.perf_counter()
    stats.window.period.setCurrentIndex(stats.window.period.findData("all"))
    await arrived.wait()
    painted_all = await helpers["until_painted"](watch, shown[0]) or shown[0]
    switched = (painted_all - t1) * 1000
    await helpers["settle"](5)
    beat.stop()
    watch.close()
    await close_window(parts)
    late = beat.lateness_ms()
    return {
        "open_ms": opened,
        "all_ms": switched,
        "blocked_ms": max(late, default=0.0),
        "busy_ms": max(beat.busy_ms(), default=0.0),
        "requests": month,
    }


class CpuHeartbeat:
    """bench_gui's 5 ms heartbeat, plus the GUI thread's own CPU time between two ticks: on a
    shared machine a late tick may mean the loop was busy, or only that the OS ran something
    else; the CPU time tells them apart."""

    def __init__(self, heartbeat: Any) -> None:
        self._beat = heartbeat()
        self.cpu: list[float] = []
        self._beat.timer.timeout.connect(lambda: self.cpu.append(time.thread_time()))

    def start(self) -> None:
        self.cpu = [time.thread_time()]
        self._beat.start()

    def stop(self) -> None:
        self._beat.stop()
        self.cpu.append(time.thread_time())

    def lateness_ms(self) -> list[float]:
        return list(self._beat.lateness_ms())

    def busy_ms(self) -> list[float]:
        """The GUI thread's CPU time in each gap between ticks."""
        return [(b - a) * 1000 for a, b in zip(self.cpu, self.cpu[1:], strict=False)]


def window_part(big: Path, empty: Path, repeat: int) -> None:
    from tests.benchmarks.bench_gui import run_on_qasync

    print("\nThe window: View → Statistics until its figures are painted (offscreen)")

    async def main(app: Any) -> dict[str, list[dict[str, float]]]:
        out: dict[str, list[dict[str, float]]] = {"big": [], "empty": []}
        for _ in range(repeat):
            for name, home in (("big", big), ("empty", empty)):
                out[name].append(await window_once(app, home))
        return out

    runs = run_on_qasync(main)

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[name])

    print(f"  ({runs['big'][0]['requests']:,} billed requests in 30 days; medians of {repeat})")
    ratio = med("big", "open_ms") / med("empty", "open_ms")
    opened = line("open, 30 days, the big history", med("big", "open_ms"), OPEN_TARGET_MS)
    print(opened + f"   ratio to empty {ratio:.2f}x")
    print(line("open, 30 days, empty history", med("empty", "open_ms"), OPEN_TARGET_MS))
    print(line("switch to the whole history", med("big", "all_ms"), OPEN_TARGET_MS))
    worst = max(r["blocked_ms"] for r in runs["big"])
    busy = max(r["busy_ms"] for r in runs["big"])
    print(line("event loop: longest gap between 5 ms ticks (wall)", worst, BLOCK_TARGET_MS))
    print(line("event loop: most GUI-thread CPU in one gap", busy, BLOCK_TARGET_MS))
    print(f"  (the machine's load average while measuring: {os.getloadavg()[0]:.1f})")


def installed_bytecode(prefix: Path) -> None:
    """As installed (pip and PyInstaller compile every module): the window's modules are
    imported from bytecode, not compiled at their first import."""
    import compileall

    sys.dont_write_bytecode = False
    sys.pycache_prefix = str(prefix)
    compileall.compile_dir(REPO / "desktop_app", quiet=1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, help="where to build (and, with --keep, keep) it")
    parser.add_argument("--keep", action="store_true", help="keep the history for the next run")
    parser.add_argument("--only", default="core,write,migrate,window")
    opts = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    os.environ.pop("EDENAI_API_KEY", None)
    root = opts.dir or Path(tempfile.mkdtemp(prefix="bench-stats-"))
    root.mkdir(parents=True, exist_ok=True)
    installed_bytecode(root / "pycache")
    try:
        big, empty = homes(root, opts.turns)
        parts = set(opts.only.split(","))
        if "core" in parts:
            core_part(big, empty, opts.repeat)
        if "write" in parts:
            write_part(big, empty, opts.repeat)
        if "migrate" in parts:
            migrate_part(big)
        if "window" in parts:
            window_part(big, empty, opts.repeat)
    finally:
        if not opts.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
