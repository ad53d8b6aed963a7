"""Benchmark of the comparison view and workload runs (figures, not a timed test).

    python tests/benchmarks/bench_compare.py [--tokens 5000] [--repeat 5] [--prompts 100]
                                             [--concurrency 4] [--only stream,workload]

Offscreen Qt; ROUTECHAT_HOME in a temporary folder; the emulator in a child process (its CPU
is not the app's). Each part runs in a fresh child process. Every figure is a ratio to
something measured in the same run, so a busy or slow host moves both sides.

1. Four columns at once. One prompt sent with the real window's comparison view (compose(),
   a comparison of Budget, Balanced, Premium and Auto, the Send button) to four columns that
   each stream a 5,000-token burst (emulator: routing_delay=0, token_delay=0; the max-tokens
   setting asks for the burst). Timed from the click to the first paint after the last
   column ended, against the bare core consuming the same four streams at once
   (`EdenClient.stream_chat` ×4 under asyncio.gather, same process, same loop, alternating
   runs, medians). Targets: the window's time (and its GUI-thread CPU) over the core's
   ≤ 1.5× (aim 1.2×); the event loop never blocked more than 50 ms (aim 16 ms), measured by a
   5 ms heartbeat timer's lateness.
2. A workload: `--prompts` prompts × 3 columns through the window's workload run (its tab,
   the table filled as answers arrive, the store recording every turn), at most
   `--concurrency` requests in flight, against an emulator with routing and token delays.
   Ideal wall time for the bound = the sum of every request's own time / concurrency
   (perfect packing); target: the run's wall time within 10 % of it. Resident memory (VmRSS)
   after the run against before it (target: ≤ 50 MB more). Then the table sorted by each of
   its columns, both ways (target: each sort, sorted and painted, under 50 ms; the paint of
   the same table from a QStandardItemModel is given for scale), and the longest event-loop
   block during the run.

Exit status 0 when every part ran (targets are reported, not asserted), 1 when one failed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for path in (str(ROOT), str(HERE)):
    if path not in sys.path:
        sys.path.insert(0, path)

from bench_gui import (  # noqa: E402  (beside this script)
    BLOCK_TARGET_MS,
    build_window,
    close_window,
    emit_result,
    mark,
    pct,
    proc_status_mb,
    profile_report,
    qt_helpers,
    run_on_qasync,
)
from child_server import spawn, stop  # noqa: E402

RESULT_PREFIX = "@@RESULT "
RATIO_TARGET, RATIO_AIM = 1.5, 1.2
BLOCK_AIM_MS = 16.0
IDEAL_TARGET = 1.10
MEMORY_TARGET_MB = 50.0
SORT_TARGET_MS = 50.0
TIERS4 = ("budget", "balanced", "premium", "auto")
PROMPT = "Write a very long essay about streaming protocols, please."
TOPICS = (
    "What is the capital of {}?",
    "Write a python function that {}.",
    "Tell me a short story about {}.",
    "Explain how {} works.",
    "Give me three tips about {}.",
)
WORDS = (
    "tides", "vaccines", "compilers", "bread", "volcanoes", "a fox", "recursion", "sleep",
    "jazz", "bridges", "sorts a list", "parses a date", "reverses a string", "Peru", "Norway",
)  # fmt: skip


def spawn_server(config: str, what: str) -> tuple[subprocess.Popen[str], str]:
    """The emulator in its own process with `EmulatorConfig(<config>)`; it prints its URL."""
    code = (
        "import asyncio, sys\n"
        "from desktop_app.emulator.server import EmulatorConfig, EmulatorServer\n"
        "async def main():\n"
        f"    server = EmulatorServer(EmulatorConfig({config}))\n"
        "    print(await server.start(), flush=True)\n"
        "    try:\n"
        "        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)\n"
        "    finally:\n"
        "        await server.stop()\n"
        "asyncio.run(main())\n"
    )
    return spawn([sys.executable, "-c", code], what)


def prompts(n: int) -> list[str]:
    return [TOPICS[i % len(TOPICS)].format(WORDS[i % len(WORDS)]) for i in range(n)]


async def until(predicate: Any, step: float = 0.02) -> None:
    """Poll while the qasync loop keeps running Qt and asyncio."""
    for _ in range(int(1800 / step)):
        if predicate():
            return
        await asyncio.sleep(step)
    raise TimeoutError("the window never got there")


# ============================================================================ part 1: four columns


async def stream_part(app: Any, opts: argparse.Namespace) -> dict[str, Any]:
    from desktop_app.api.client import EdenClient
    from desktop_app.api.events import Completed, TextDelta, TurnStatus
    from desktop_app.routing.plan import plan_for
    from desktop_app.routing.tiers import TierCatalogue
    from desktop_app.secrets import KeySource
    from desktop_app.services.chat import build_request

    h = qt_helpers()
    settle, until_painted = h["settle"], h["until_painted"]
    tokens = opts.tokens
    # Bursts from 1,000 tokens on: max_tokens then asks for exactly that many.
    config = "routing_delay=0, token_delay=0, burst_min_tokens=1000"
    server, url = spawn_server(config, "burst emulator")
    parts = build_window(app, url, max_tokens=tokens)
    try:
        await settle()
        parts.controller.use_key("k", KeySource.SESSION)
        await settle()
        catalogue = TierCatalogue()
        history = [{"role": "user", "content": PROMPT}]
        requests = [
            build_request(history, plan_for(catalogue.get(t)), max_tokens=tokens) for t in TIERS4
        ]
        core = EdenClient(parts.connection.config, "k")
        hb = h["Heartbeat"]()

        async def consume(request: Any) -> tuple[int, bool]:
            tokens_seen, ok = 0, False
            async for event in core.stream_chat(request):
                if type(event) is TextDelta:
                    pass  # consumed, as the window consumes it
                elif type(event) is Completed:
                    ok = event.result.status is TurnStatus.COMPLETE
                    usage = event.result.usage
                    tokens_seen = (usage.completion_tokens or 0) if usage else 0
            return tokens_seen, ok

        async def core_once() -> dict[str, Any]:
            gc.collect()
            hb.start()
            t0, c0 = time.perf_counter(), time.thread_time()
            done = await asyncio.gather(*(consume(r) for r in requests))
            seconds, cpu = time.perf_counter() - t0, time.thread_time() - c0
            hb.stop()
            late = hb.lateness_ms()
            return {
                "s": seconds,
                "cpu": cpu,
                "tokens": [d for d, _ok in done],
                "ok": all(ok for _d, ok in done),
                "block_max": max(late, default=0.0),
            }

        previous: list[Any] = []

        async def gui_once() -> dict[str, Any]:
            ctrl = parts.tabs.new_comparison(list(TIERS4))
            for old in previous:
                parts.tabs.close(old)
            previous[:] = [ctrl]
            await settle(4)
            gc.collect()
            await settle(2)
            ended: list[float] = []
            real_ended = ctrl._ended

            def timed_ended(*args: Any) -> None:
                real_ended(*args)
                ended.append(time.perf_counter())  # after the column's final render

            setattr(ctrl, "_ended", timed_ended)  # noqa: B010
            ctrl.page.composer.input.setPlainText(PROMPT)
            hb.start()
            t0, c0 = time.perf_counter(), time.thread_time()
            ctrl.page.composer.send_button.click()
            tasks = [ctrl.streams.task(c.slot) for c in ctrl.columns]
            assert all(tasks), "pressing Send did not start every column"
            views = [c.reply.widget.view.viewport() for c in ctrl.columns if c.reply]
            watch = h["PaintWatch"](*views, *(c.widget.chat.viewport() for c in ctrl.columns))
            await asyncio.wait([t for t in tasks if t is not None])
            t_done = max(ended) if ended else time.perf_counter()
            painted_at = await until_painted(watch, t_done)
            t_painted = painted_at if painted_at is not None else time.perf_counter()
            cpu = time.thread_time() - c0
            hb.stop()
            watch.close()
            late = hb.lateness_ms()
            ok = all(
                c.reply is not None
                and c.reply.status is TurnStatus.COMPLETE
                and c.outcome is not None
                and c.outcome.completion_tokens == tokens
                for c in ctrl.columns
            )
            return {
                "s": t_painted - t0,
                "cpu": cpu,
                "ok": ok and painted_at is not None,
                "block_max": max(late, default=0.0),
                "block_p99": pct(late, 0.99),
                "paints": watch.count,
            }

        first = await core_once()  # warm-up: connections, imports, caches
        if not first["ok"] or first["tokens"] != [tokens] * 4:
            print(f"  warning: the core got {first['tokens']} tokens, expected {tokens} ×4")
        await gui_once()
        cores, guis = [], []
        for i in range(opts.repeat):
            cores.append(await core_once())
            guis.append(await gui_once())
            k, g = cores[-1], guis[-1]
            print(
                f"  run {i + 1}/{opts.repeat}: core ×4 {k['s'] * 1000:6.0f} ms"
                f" (blocked max {k['block_max']:4.1f} ms) | window ×4 {g['s'] * 1000:6.0f} ms"
                f" (blocked max {g['block_max']:4.1f} ms, p99 {g['block_p99']:4.1f} ms,"
                f" {g['paints']} paints){'' if g['ok'] else '  NOT COMPLETE'}",
                flush=True,
            )
        if opts.profile:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
            await gui_once()
            prof.disable()
            profile_report(prof, f"one window run of 4 × {tokens} tokens")
        await core.aclose()
        med = statistics.median
        return {
            "tokens": tokens,
            "repeat": opts.repeat,
            "core_ms": med(r["s"] for r in cores) * 1000,
            "gui_ms": med(r["s"] for r in guis) * 1000,
            "ratio": med(g["s"] / k["s"] for g, k in zip(guis, cores, strict=True)),
            "cpu_ratio": med(g["cpu"] / k["cpu"] for g, k in zip(guis, cores, strict=True)),
            "gui_block_max_ms": max(r["block_max"] for r in guis),
            "gui_block_median_max_ms": med(r["block_max"] for r in guis),
            "gui_block_p99_ms": med(r["block_p99"] for r in guis),
            "core_block_max_ms": max(r["block_max"] for r in cores),
            "all_ok": all(r["ok"] for r in guis + cores),
        }
    finally:
        await close_window(parts)
        stop(server)


def print_stream(r: dict[str, Any]) -> None:
    print(f"\n[four columns] 4 × {r['tokens']:,} tokens at once, {r['repeat']} runs, medians")
    print(f"  core: 4 × EdenClient.stream_chat at once      {r['core_ms']:7.0f} ms")
    print(f"  window: Send → 4 columns complete and painted {r['gui_ms']:7.0f} ms")
    print(
        f"  window / core (each run against the core run before it): {r['ratio']:.2f}×,"
        f" GUI-thread CPU {r['cpu_ratio']:.2f}× (target ≤ {RATIO_TARGET}×, aim {RATIO_AIM}×)"
        f" {mark(r['ratio'] <= RATIO_TARGET)}"
    )
    print(
        f"  event loop blocked: worst {r['gui_block_max_ms']:.1f} ms (median of the runs'"
        f" worst {r['gui_block_median_max_ms']:.1f} ms, p99 {r['gui_block_p99_ms']:.1f} ms;"
        f" the core alone {r['core_block_max_ms']:.1f} ms) (target ≤ {BLOCK_TARGET_MS:.0f} ms,"
        f" aim {BLOCK_AIM_MS:.0f} ms) {mark(r['gui_block_max_ms'] <= BLOCK_TARGET_MS)}"
    )
    if not r["all_ok"]:
        print("  WARNING: a run did not complete")


# ============================================================================ part 2: a workload


async def workload_part(app: Any, opts: argparse.Namespace) -> dict[str, Any]:
    from desktop_app.secrets import KeySource
    from desktop_app.services.compare import ColumnSpec

    h = qt_helpers()
    settle = h["settle"]
    server, url = spawn_server("routing_delay=0.05, token_delay=0.001", "paced emulator")
    parts = build_window(app, url)
    parts.window.resize(1400, 900)
    try:
        await settle()
        parts.controller.use_key("k", KeySource.SESSION)
        await settle()
        columns = [ColumnSpec(i, t) for i, t in enumerate(("budget", "balanced", "premium"))]
        # Warm-up: one small run (imports, connections, the table's first paint).
        warm = parts.tabs.open_workload(columns, prompts(4), opts.concurrency)
        assert warm is not None
        await until(lambda: not warm.streaming)
        parts.tabs.close(warm)
        await settle(4)
        for _ in range(3):
            gc.collect()
        rss_before = proc_status_mb("VmRSS")
        hb = h["Heartbeat"]()
        hb.start()
        t0 = time.perf_counter()
        run = parts.tabs.open_workload(columns, prompts(opts.prompts), opts.concurrency)
        assert run is not None and run.run is not None
        await until(lambda: not run.streaming)
        wall = time.perf_counter() - t0
        hb.stop()
        late = hb.lateness_ms()
        await settle(4)
        for _ in range(3):
            gc.collect()
        rss_after = proc_status_mb("VmRSS")
        results = run.model.results
        outcomes = [o for row in results for o in row if o is not None]
        ok = len(outcomes) == opts.prompts * 3 and all(o.succeeded for o in outcomes)
        busy = sum((o.total_ms or 0.0) for o in outcomes) / 1000
        ideal = busy / opts.concurrency
        # Sorting: each column, both ways, model and view (the view lays out what it shows).
        table, model = run.page.table, run.model
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication

        sorts: list[float] = []
        shown: list[float] = []
        for column in range(model.columnCount()):
            for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
                t = time.perf_counter()
                table.sortByColumn(column, order)
                sorts.append((time.perf_counter() - t) * 1000)
                QApplication.processEvents()
                table.viewport().repaint()
                shown.append((time.perf_counter() - t) * 1000)
        # What a table of the same size costs to paint with Qt's own C++ model, for scale.
        from PySide6.QtGui import QStandardItem, QStandardItemModel

        plain = QStandardItemModel(model.rowCount(), model.columnCount())
        for r in range(model.rowCount()):
            for c in range(model.columnCount()):
                plain.setItem(r, c, QStandardItem(str(model.index(r, c).data())))
        table.setModel(plain)
        QApplication.processEvents()
        baseline: list[float] = []
        for _ in range(10):
            t = time.perf_counter()
            table.viewport().repaint()
            baseline.append((time.perf_counter() - t) * 1000)
        table.setModel(model)
        return {
            "prompts": opts.prompts,
            "concurrency": opts.concurrency,
            "requests": len(outcomes),
            "ok": ok,
            "peak_in_flight": run.run.progress.peak_in_flight,
            "wall_s": wall,
            "ideal_s": ideal,
            "ratio": wall / ideal if ideal else float("inf"),
            "rss_before_mb": rss_before,
            "rss_after_mb": rss_after,
            "block_max_ms": max(late, default=0.0),
            "block_p99_ms": pct(late, 0.99),
            "sort_max_ms": max(sorts),
            "sort_median_ms": statistics.median(sorts),
            "shown_max_ms": max(shown),
            "shown_median_ms": statistics.median(shown),
            "plain_paint_ms": statistics.median(baseline),
            "sorts": len(sorts),
        }
    finally:
        await close_window(parts)
        stop(server)


def print_workload(r: dict[str, Any]) -> None:
    growth = r["rss_after_mb"] - r["rss_before_mb"]
    print(
        f"\n[workload] {r['prompts']} prompts × 3 columns = {r['requests']} requests,"
        f" at most {r['concurrency']} in flight (peak seen {r['peak_in_flight']})"
    )
    print(
        f"  wall {r['wall_s']:.2f} s; ideal for the bound (Σ request time / {r['concurrency']})"
        f" {r['ideal_s']:.2f} s → {r['ratio']:.3f}× (target ≤ {IDEAL_TARGET}×)"
        f" {mark(r['ratio'] <= IDEAL_TARGET)}"
    )
    print(
        f"  resident memory {r['rss_before_mb']:.0f} → {r['rss_after_mb']:.0f} MB"
        f" ({growth:+.1f} MB; target ≤ +{MEMORY_TARGET_MB:.0f} MB)"
        f" {mark(growth <= MEMORY_TARGET_MB)}"
    )
    print(
        f"  sorting the table by each of its columns, both ways ({r['sorts']} sorts):"
        f" the sort max {r['sort_max_ms']:.1f} ms, median {r['sort_median_ms']:.1f} ms;"
        f" sorted and painted max {r['shown_max_ms']:.1f} ms, median"
        f" {r['shown_median_ms']:.1f} ms (target < {SORT_TARGET_MS:.0f} ms)"
        f" {mark(r['shown_max_ms'] < SORT_TARGET_MS)}"
    )
    print(
        f"    (painting the same table from Qt's own C++ model: {r['plain_paint_ms']:.1f} ms;"
        f" sorted and painted / that = {r['shown_median_ms'] / r['plain_paint_ms']:.2f}×)"
    )
    print(
        f"  event loop blocked during the run: max {r['block_max_ms']:.1f} ms,"
        f" p99 {r['block_p99_ms']:.1f} ms"
    )
    if not r["ok"]:
        print("  WARNING: some request did not complete")


# ============================================================================ driver


def child(part: str, opts: argparse.Namespace) -> None:
    main = stream_part if part == "stream" else workload_part
    result = run_on_qasync(lambda app: main(app, opts))
    emit_result(result)


def run_child(part: str, argv: list[str], home: Path) -> dict[str, Any]:
    env = {**os.environ, "ROUTECHAT_HOME": str(home / part)}
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", part, *argv],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    result = None
    for line in proc.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
        else:
            print(line)
    if proc.returncode != 0 or result is None:
        noise = ("propagateSizeHints",)
        tail = [ln for ln in proc.stderr.splitlines() if not any(n in ln for n in noise)]
        raise RuntimeError(
            f"part {part} failed (exit {proc.returncode}):\n" + "\n".join(tail[-30:])
        )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tokens", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--prompts", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--only", default="stream,workload")
    parser.add_argument("--profile", action="store_true", help="cProfile one window run")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    opts, _rest = parser.parse_known_args()
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    os.environ.pop("EDENAI_API_KEY", None)
    os.environ.pop("ROUTECHAT_DEMO", None)
    if opts.child:
        child(opts.child, opts)
        return 0
    home = Path(tempfile.mkdtemp(prefix="routechat-bench-compare-"))
    argv = [
        f"--tokens={opts.tokens}",
        f"--repeat={opts.repeat}",
        f"--prompts={opts.prompts}",
        f"--concurrency={opts.concurrency}",
        *(["--profile"] if opts.profile else []),
    ]
    failed = False
    for part, show in (("stream", print_stream), ("workload", print_workload)):
        if part not in opts.only.split(","):
            continue
        print(f"\n=== {part} ===", flush=True)
        try:
            show(run_child(part, argv, home))
        except Exception as exc:
            print(f"  FAILED: {exc}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
