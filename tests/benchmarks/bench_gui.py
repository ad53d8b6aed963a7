"""Benchmark of the real window: streaming render, cold start, ten big tabs.

    python tests/benchmarks/bench_gui.py [--tokens 20000] [--repeat 5] [--starts 7]
                                         [--tabs 10] [--turns 200] [--only stream,start,tabs]
                                         [--profile] [--instructions] [--xvfb]

Runs offscreen (QT_QPA_PLATFORM=offscreen) unless --xvfb is given: then it uses $DISPLAY, or
starts its own Xvfb when DISPLAY is unset. ROUTECHAT_HOME points to a temporary folder, the
keyring is keyring.backends.null.Keyring and EDENAI_API_KEY is removed from the environment.
Every part runs in a fresh child process (so one part's memory does not pollute another's);
the emulator runs in its own process, so its CPU time is not charged to the app.

1. Streaming render. A 20,000-token burst from the emulator (token_delay=0, routing_delay=0,
   max_tokens=20000: the max_tokens setting, and a wrapper on the ChatService instance for
   versions without it), sent by pressing Send in the real window built by compose(); the rest
   is the app's own path (ConversationController -> ChatService with the SQLite recorder ->
   EdenClient -> MessageView incremental rendering -> Transcript.finish_reply/end_stream). Timed
   from the click until the first paint pass that followed the final render, versus the core
   alone consuming the same stream through EdenClient.stream_chat in the same process, loop and
   run (alternating, medians; target <= 1.5x). A 5 ms heartbeat QTimer measures how long the
   event loop was blocked (lateness beyond the interval: max and p99; target: never > 50 ms).
2. Cold start, as a ratio to a bare PySide6 window started in the same run (target <= 2x):
   fresh interpreters, rotating; "interactive" is when the main window has received its
   first paint and the event loop then ran a zero timer, measured from the spawn (the parent's
   time.time() passed in an environment variable); "ready" is when, after that, the keyring
   lookup the app runs after its first frame has finished and the page is final. The app runs
   `desktop_app.app.run_gui` in two cases: a first run (no key: the welcome page; a second
   launch, the warm-up made the database) and a returning user (a key from a fixed test
   keyring backend, three open tabs of twenty turns restored). It quits through the window's
   Quit signal. Bytecode is cached under the temporary folder, as installed. Wall time on a
   shared machine swings by a third between runs, so each start's CPU time is reported too,
   and --instructions counts each kind's instructions until interactive under callgrind
   (the same count whatever else the machine does).
3. Ten tabs of 200 turns (Markdown replies with code blocks, tables and filled badges) built
   with ConversationController.add_user_entry / add_reply_entry / Transcript.finish_reply (no
   network; that is the restore time), then tab switches timed until the page is painted
   (median/p95/max; target < 50 ms) and resident memory (VmRSS) before and after.

Exit status 0 when every part ran (targets are reported, not asserted), 1 when a part failed.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from child_server import spawn_emulator, stop  # noqa: E402  (beside this script)

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

STREAM_RATIO_TARGET = 1.5
BLOCK_TARGET_MS = 50.0
START_RATIO_TARGET = 2.0
SWITCH_TARGET_MS = 50.0
HEARTBEAT_MS = 5
PROMPT = "Write a very long essay about streaming protocols, please."
RESULT_PREFIX = "@@RESULT "


# ============================================================================ small helpers


def pct(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by linear interpolation; 0 for no values."""
    if not values:
        return 0.0
    s = sorted(values)
    k = (len(s) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def proc_status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def mark(ok: bool) -> str:
    return "PASS" if ok else "over"


def emit_result(data: dict[str, Any]) -> None:
    print(RESULT_PREFIX + json.dumps(data), flush=True)


# ============================================================================ environment


def prepare_environment(use_xvfb: bool) -> tuple[Path, subprocess.Popen[bytes] | None]:
    """Set what every child inherits; returns the temporary home and an Xvfb process if any."""
    home = Path(tempfile.mkdtemp(prefix="routechat-bench-gui-"))
    os.environ["ROUTECHAT_BENCH_ROOT"] = str(home)
    os.environ["ROUTECHAT_HOME"] = str(home / "default")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    os.environ.pop("EDENAI_API_KEY", None)
    os.environ.pop("ROUTECHAT_DEMO", None)
    xvfb: subprocess.Popen[bytes] | None = None
    if use_xvfb:
        if not os.environ.get("DISPLAY"):
            binary = shutil.which("Xvfb")
            if binary is None:
                print("--xvfb: no DISPLAY and no Xvfb binary; falling back to offscreen")
                use_xvfb = False
            else:
                read_fd, write_fd = os.pipe()
                xvfb = subprocess.Popen(
                    [
                        binary,
                        "-displayfd",
                        str(write_fd),
                        "-screen",
                        "0",
                        "1920x1080x24",
                        "-nolisten",
                        "tcp",
                    ],
                    pass_fds=(write_fd,),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                os.close(write_fd)
                with os.fdopen(read_fd) as r:
                    number = r.readline().strip()
                if not number:
                    xvfb.kill()
                    raise RuntimeError("Xvfb did not start")
                os.environ["DISPLAY"] = f":{number}"
        if use_xvfb:
            os.environ["QT_QPA_PLATFORM"] = "xcb"
    if not use_xvfb:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    return home, xvfb


def part_home(name: str) -> dict[str, str]:
    """The environment with a fresh, empty ROUTECHAT_HOME for one part.

    The app saves its open tabs and history there and restores them at start-up, so parts must
    not share it.
    """
    home = Path(os.environ["ROUTECHAT_BENCH_ROOT"]) / name
    home.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "ROUTECHAT_HOME": str(home)}


def run_child(args: list[str], timeout: float, env: dict[str, str]) -> dict[str, Any]:
    """Run this script as a child for one part; relay its output; return its result."""
    import threading

    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    with tempfile.TemporaryFile("w+") as err_file:
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=err_file, text=True, cwd=ROOT, env=env
        )
        watchdog = threading.Timer(timeout, proc.kill)  # a hung child must not hang the run
        watchdog.start()
        result: dict[str, Any] | None = None
        assert proc.stdout is not None
        try:
            for line in proc.stdout:
                if line.startswith(RESULT_PREFIX):
                    result = json.loads(line[len(RESULT_PREFIX) :])
                else:
                    print(line, end="", flush=True)
            proc.wait()
        finally:
            watchdog.cancel()
        err_file.seek(0)
        err = err_file.read()
    noise = ("propagateSizeHints",)
    err_lines = [ln for ln in err.splitlines() if not any(n in ln for n in noise)]
    if proc.returncode != 0 or result is None:
        tail = "\n".join(err_lines[-40:])
        raise RuntimeError(f"child {args[:2]} failed (exit {proc.returncode}):\n{tail}")
    if err_lines:
        print("  (child stderr: " + " | ".join(err_lines[-5:]) + ")")
    return result


# ============================================================================ emulator process


# ============================================================================ Qt helpers


def qt_helpers() -> dict[str, Any]:
    """Qt-dependent helpers, built lazily so the parent process never loads Qt."""
    from PySide6.QtCore import QEvent, QObject, Qt, QTimer

    class Heartbeat(QObject):
        """A precise timer every `interval_ms`; lateness beyond the interval = loop blocked."""

        def __init__(self, interval_ms: int = HEARTBEAT_MS) -> None:
            super().__init__()
            self.interval = interval_ms
            self.timer = QTimer(self)
            self.timer.setTimerType(Qt.TimerType.PreciseTimer)
            self.timer.setInterval(interval_ms)
            self.timer.timeout.connect(self._tick)
            self.ticks: list[float] = []

        def start(self) -> None:
            self.ticks = [time.perf_counter()]
            self.timer.start()

        def _tick(self) -> None:
            self.ticks.append(time.perf_counter())

        def stop(self) -> None:
            self.timer.stop()
            self.ticks.append(time.perf_counter())

        def lateness_ms(self) -> list[float]:
            t = self.ticks
            return [max(0.0, (b - a) * 1000 - self.interval) for a, b in itertools.pairwise(t)]

    class PaintWatch(QObject):
        """Records paint passes over some widgets: when each began and when the loop ran again."""

        def __init__(self, *widgets: Any) -> None:
            super().__init__()
            self.widgets = widgets
            self.count = 0  # Paint events seen
            self.passes: list[list[float]] = []  # [began, over]; over = 0 until the loop ran
            for w in widgets:
                w.installEventFilter(self)

        def eventFilter(self, watched: Any, event: Any) -> bool:
            if event.type() == QEvent.Type.Paint:
                self.count += 1
                if not self.passes or self.passes[-1][1]:
                    self.passes.append([time.perf_counter(), 0.0])
                    QTimer.singleShot(0, self._pass_over)
            return False

        def _pass_over(self) -> None:
            self.passes[-1][1] = time.perf_counter()

        def first_pass_after(self, after: float) -> float | None:
            """When the first paint pass that began after `after` was over, if it is."""
            for began, over in self.passes:
                if began > after:
                    return over or None
            return None

        def reset(self) -> None:
            self.count = 0
            self.passes.clear()

        def close(self) -> None:
            for w in self.widgets:
                w.removeEventFilter(self)

    async def qt_turn() -> None:
        """Let the Qt loop run one more iteration (posted events, paints, timers)."""
        fut = asyncio.get_running_loop().create_future()

        def done() -> None:
            if not fut.done():
                fut.set_result(None)

        QTimer.singleShot(0, done)
        await fut

    async def settle(turns: int = 3) -> None:
        for _ in range(turns):
            await qt_turn()

    async def until_painted(watch: Any, after: float, timeout: float = 3.0) -> float | None:
        """When the first paint pass that began after `after` was over (None: no paint)."""
        deadline = time.perf_counter() + timeout
        while (over := watch.first_pass_after(after)) is None:
            if time.perf_counter() > deadline:
                return None
            await qt_turn()
        return float(over)

    return {
        "Heartbeat": Heartbeat,
        "PaintWatch": PaintWatch,
        "qt_turn": qt_turn,
        "settle": settle,
        "until_painted": until_painted,
    }


def quiet_offscreen() -> None:
    """Drop the offscreen platform's note that it cannot size windows for the window manager
    (printed at every show; it has no category a logging rule could silence)."""
    from PySide6.QtCore import qInstallMessageHandler

    def handler(_kind: Any, _context: Any, message: str) -> None:
        if "propagateSizeHints" not in message:
            print(message, file=sys.stderr)

    qInstallMessageHandler(handler)


def run_on_qasync(main: Callable[[Any], Any]) -> Any:
    """Build a QApplication and the app's qasync loop and run `main(app)` on it.

    The app's own loop factory (`desktop_app.ui.shell.event_loop.new_event_loop`) and garbage
    collector; and, as the app does once its window is up, the modules that would otherwise
    be imported on a worker thread.
    """
    import encodings.idna  # noqa: F401  (getaddrinfo runs in the executor and needs it)

    from PySide6.QtWidgets import QApplication

    from desktop_app.ui.widgets.theme import application_arguments

    app = QApplication.instance() or QApplication(application_arguments(sys.argv[:1]))
    assert isinstance(app, QApplication)
    quiet_offscreen()
    from desktop_app.ui.shell.event_loop import new_event_loop
    from desktop_app.ui.shell.gc_guard import MainThreadGarbageCollector

    collector = MainThreadGarbageCollector(app)  # as the app does
    loop = new_event_loop(app)
    from desktop_app.api.cost import preload_price_table

    preload_price_table()
    with loop:
        result = loop.run_until_complete(main(app))
        loop.run_until_complete(loop.shutdown_asyncgens())
    collector.stop()
    return result


def build_window(app: Any, base_url: str | None = None, **settings: Any) -> Any:
    """compose() as the app does, with default settings (plus `settings`) in ROUTECHAT_HOME."""
    import dataclasses

    from desktop_app.app import compose
    from desktop_app.config.paths import default_paths
    from desktop_app.config.settings import Settings

    known = {f.name for f in dataclasses.fields(Settings)}
    paths = default_paths().ensure()
    parts = compose(
        app, paths, Settings(**{k: v for k, v in settings.items() if k in known}), base_url=base_url
    )
    parts.window.show()
    return parts


async def close_window(parts: Any) -> None:
    parts.controller.quit()
    await parts.controller.wait_shutdown()
    parts.window.deleteLater()


def profile_report(prof: Any, title: str, limit: int = 28) -> None:
    import io
    import pstats

    if os.environ.get("BENCH_PROFILE_DUMP"):
        prof.dump_stats(os.environ["BENCH_PROFILE_DUMP"])

    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out) if not isinstance(prof, pstats.Stats) else prof
        stats.stream = out  # type: ignore[attr-defined]
        stats.sort_stats(key).print_stats(limit)
        text = out.getvalue()
        start = text.find("   ncalls")
        print(f"\n  --- cProfile: {title}, by {key} ---")
        print(text[start:] if start >= 0 else text)


# ============================================================================ part 1: streaming


async def stream_part(app: Any, opts: argparse.Namespace) -> dict[str, Any]:
    from desktop_app.api.client import EdenClient
    from desktop_app.api.events import Completed, TextDelta, TurnStatus
    from desktop_app.routing.plan import plan_for
    from desktop_app.secrets import KeySource
    from desktop_app.services.chat import ChatService, MemoryRecorder, build_request

    h = qt_helpers()
    settle, until_painted = h["settle"], h["until_painted"]
    tokens = opts.tokens
    server, url = spawn_emulator()
    parts = build_window(app, url, max_tokens=tokens)
    c = parts.tabs
    try:
        await settle()
        parts.controller.use_key("k", KeySource.SESSION)
        await settle()
        # The turn asks for `tokens` tokens (a burst in the emulator) through the max_tokens
        # setting `build_window` gives the app.
        plan = plan_for(c.controllers[0].tier())
        history = [{"role": "user", "content": PROMPT}]
        request = build_request(history, plan, max_tokens=tokens)
        core = EdenClient(parts.connection.config, "k")
        service = ChatService(lambda: core, MemoryRecorder())
        hb = h["Heartbeat"]()

        async def core_once() -> dict[str, Any]:
            gc.collect()
            pieces: list[str] = []
            status = None
            hb.start()
            t0, c0 = time.perf_counter(), time.thread_time()
            async for event in core.stream_chat(request):
                if type(event) is TextDelta:
                    pieces.append(event.text)
                elif type(event) is Completed:
                    status = event.result.status
            seconds, cpu = time.perf_counter() - t0, time.thread_time() - c0
            hb.stop()
            late = hb.lateness_ms()
            return {
                "s": seconds,
                "cpu": cpu,
                "text": "".join(pieces),
                "deltas": len(pieces),
                "ok": status is TurnStatus.COMPLETE,
                "block_max": max(late, default=0.0),
                "block_p99": pct(late, 0.99),
            }

        async def service_once() -> dict[str, Any]:
            gc.collect()
            turn = service.start_turn(0, PROMPT, plan)
            t0 = time.perf_counter()
            result = await service.run(turn, lambda _e: None, max_tokens=tokens)
            return {"s": time.perf_counter() - t0, "ok": result.status is TurnStatus.COMPLETE}

        previous: list[Any] = []

        async def gui_once(expected: str | None) -> dict[str, Any]:
            ctrl = c.new_conversation()
            for old in previous:
                c.close(old)
            previous[:] = [ctrl]
            await settle(4)
            gc.collect()
            await settle(2)
            timings: dict[str, float] = {}
            real_finish = ctrl.transcript.finish_reply

            def timed_finish(entry: Any, result: Any, **kw: Any) -> None:
                timings["final_start"] = s = time.perf_counter()
                real_finish(entry, result, **kw)
                timings["final_end"] = time.perf_counter()
                timings["final"] = timings["final_end"] - s

            setattr(ctrl.transcript, "finish_reply", timed_finish)  # noqa: B010
            ctrl.page.composer.input.setPlainText(PROMPT)
            hb.start()
            t0, c0 = time.perf_counter(), time.thread_time()
            ctrl.page.composer.send_button.click()
            task = ctrl.streams.task("reply")
            assert task is not None, "pressing Send did not start a turn"
            reply = [e for e in ctrl.entries if e.role == "assistant"][-1]
            watch = h["PaintWatch"](reply.widget.view.viewport(), ctrl.page.chat.viewport())
            await asyncio.wait([task])
            t_done = time.perf_counter()
            # The final render may be painted before this coroutine resumes: wait for the first
            # paint pass that began after Transcript.finish_reply returned.
            painted_at = await until_painted(watch, timings.get("final_end", t_done))
            painted = painted_at is not None
            t_painted = painted_at if painted_at is not None else time.perf_counter()
            cpu = time.thread_time() - c0
            hb.stop()
            watch.close()
            late = hb.lateness_ms()
            view = reply.widget.view
            text_ok = expected is None or view.text == expected
            shown = view.toPlainText()
            return {
                "s": t_painted - t0,
                "cpu": cpu,
                "s_stream": timings.get("final_start", t_done) - t0,
                "s_paint": t_painted - timings.get("final_end", t_done),
                "final": timings.get("final", 0.0),
                "painted": painted,
                "paints": watch.count,
                "ok": reply.status is TurnStatus.COMPLETE and text_ok and len(shown) > 0,
                "chars": len(view.text),
                "shown_chars": len(shown),
                "block_max": max(late, default=0.0),
                "block_p99": pct(late, 0.99),
                "block_p90": pct(late, 0.90),
                "ticks": len(hb.ticks),
            }

        # Warm-up (connections, imports, caches, first Markdown/Pygments use).
        first = await core_once()
        if not first["ok"] or first["deltas"] != tokens:
            print(f"  warning: core saw {first['deltas']} text deltas, expected {tokens}")
        expected = first["text"]
        await service_once()
        warm = await gui_once(expected)
        if not warm["ok"]:
            print("  warning: the GUI reply differs from the core's text (warm-up)")

        cores, services, guis = [], [], []
        for i in range(opts.repeat):
            cores.append(await core_once())
            services.append(await service_once())
            guis.append(await gui_once(expected))
            g, k = guis[-1], cores[-1]
            print(
                f"  run {i + 1}/{opts.repeat}: core {k['s'] * 1000:7.0f} ms"
                f" (blocked max {k['block_max']:5.1f} ms)"
                f" | service {services[-1]['s'] * 1000:7.0f} ms"
                f" | GUI {g['s'] * 1000:7.0f} ms (final render {g['final'] * 1000:5.0f} ms,"
                f" blocked max {g['block_max']:5.1f} ms, p99 {g['block_p99']:4.1f} ms,"
                f" {g['paints']} paints){'' if g['ok'] else '  TEXT MISMATCH'}",
                flush=True,
            )

        if opts.profile:
            import cProfile

            prof = cProfile.Profile()
            prof.enable()
            await gui_once(expected)
            prof.disable()
            profile_report(prof, f"one GUI streaming run of {tokens} tokens")
            import pstats

            pstats.Stats(prof).sort_stats("cumulative").print_stats("desktop_app/ui", 25)

        await core.aclose()
        med = statistics.median
        res = {
            "tokens": tokens,
            "chars": len(expected),
            "repeat": opts.repeat,
            "core_ms": med(r["s"] for r in cores) * 1000,
            "service_ms": med(r["s"] for r in services) * 1000,
            "gui_ms": med(r["s"] for r in guis) * 1000,
            "gui_stream_ms": med(r["s_stream"] for r in guis) * 1000,
            "gui_paint_ms": med(r["s_paint"] for r in guis) * 1000,
            "gui_block_p90_ms": med(r["block_p90"] for r in guis),
            "gui_ticks": med(r["ticks"] for r in guis),
            "gui_final_ms": med(r["final"] for r in guis) * 1000,
            "gui_block_max_ms": med(r["block_max"] for r in guis),
            "gui_block_max_worst_ms": max(r["block_max"] for r in guis),
            "gui_block_p99_ms": med(r["block_p99"] for r in guis),
            "core_block_max_ms": med(r["block_max"] for r in cores),
            "core_block_p99_ms": med(r["block_p99"] for r in cores),
            "gui_paints": med(r["paints"] for r in guis),
            "all_ok": all(r["ok"] for r in guis + cores + services),
            "all_painted": all(r["painted"] for r in guis),
        }
        res["ratio"] = res["gui_ms"] / res["core_ms"]
        # Less sensitive to a noisy host: each GUI run against the core run just before it,
        # and the GUI thread's CPU time (the emulator serves from another thread).
        res["paired_ratio"] = med(g["s"] / k["s"] for g, k in zip(guis, cores, strict=True))
        res["core_cpu_ms"] = med(r["cpu"] for r in cores) * 1000
        res["gui_cpu_ms"] = med(r["cpu"] for r in guis) * 1000
        return res
    finally:
        await close_window(parts)
        stop(server)


def print_stream(r: dict[str, Any]) -> None:
    print(f"\n[stream] {r['tokens']} tokens ({r['chars']} characters), {r['repeat']} runs, medians")
    print(f"  core: EdenClient.stream_chat          {r['core_ms']:8.0f} ms")
    print(f"  core + ChatService (MemoryRecorder)     {r['service_ms']:8.0f} ms   (informative)")
    print(f"  GUI: Send -> reply complete + painted {r['gui_ms']:8.0f} ms")
    print(f"       = stream consumed with incremental rendering {r['gui_stream_ms']:7.0f} ms")
    print(f"       + final Transcript.finish_reply (end_stream)      {r['gui_final_ms']:7.0f} ms")
    print(f"       + until that is painted                       {r['gui_paint_ms']:7.0f} ms")
    print(f"       ({r['gui_paints']:.0f} paints of the chat during the turn)")
    print(
        f"  ratio GUI/core {r['ratio']:.2f}x (target <= {STREAM_RATIO_TARGET}x)"
        f" {mark(r['ratio'] <= STREAM_RATIO_TARGET)}"
    )
    print(
        f"    each GUI run / the core run before it: median {r['paired_ratio']:.2f}x;"
        f" GUI-thread CPU {r['gui_cpu_ms']:.0f} / {r['core_cpu_ms']:.0f} ms"
        f" = {r['gui_cpu_ms'] / r['core_cpu_ms']:.2f}x (both less sensitive to a busy host)"
    )
    print(
        f"  event loop blocked (GUI): max {r['gui_block_max_ms']:.1f} ms (median of runs; worst"
        f" {r['gui_block_max_worst_ms']:.1f} ms), p99 {r['gui_block_p99_ms']:.1f} ms,"
        f" p90 {r['gui_block_p90_ms']:.1f} ms over {r['gui_ticks']:.0f} heartbeats"
        f" of {HEARTBEAT_MS} ms"
        f" (target never > {BLOCK_TARGET_MS:.0f} ms)"
        f" {mark(r['gui_block_max_worst_ms'] <= BLOCK_TARGET_MS)}"
    )
    print(
        f"  event loop blocked (core alone): max {r['core_block_max_ms']:.1f} ms,"
        f" p99 {r['core_block_p99_ms']:.1f} ms"
    )
    if not r["all_ok"]:
        print("  WARNING: some run did not complete or the view text differed from the stream")


# ============================================================================ part 2: cold start

_CHILD_COMMON = r"""
import os, sys, time
_T0 = float(os.environ["BENCH_SPAWN_TIME"])
_PROFILE = os.environ.get("BENCH_PROFILE")
if _PROFILE:
    import cProfile
    _prof = cProfile.Profile()
    _prof.enable()
def _stage(name):
    print("@@STAGE %s %.6f %.6f" % (name, time.time() - _T0, time.process_time()), flush=True)
    if name == "interactive" and os.environ.get("BENCH_EXIT_AT_INTERACTIVE"):
        os._exit(0)  # instruction counts stop here (--instructions)
    if name == "interactive" and _PROFILE:
        _prof.disable()
        _prof.dump_stats(_PROFILE)
_stage("python")
"""

_CHILD_WATCH = r"""
from PySide6.QtCore import QEvent, QObject, QTimer
class _FirstPaint(QObject):
    def __init__(self, window, on_interactive):
        super().__init__()
        self.window, self.on_interactive, self.seen = window, on_interactive, False
        window.installEventFilter(self)
    def eventFilter(self, watched, event):
        if not self.seen and event.type() == QEvent.Type.Paint:
            self.seen = True
            self.window.removeEventFilter(self)
            _stage("painted")
            QTimer.singleShot(0, self._idle)
        return False
    def _idle(self):
        _stage("interactive")
        self.on_interactive()
"""

BARE_CHILD = (
    _CHILD_COMMON
    + r"""
from PySide6.QtWidgets import QApplication, QMainWindow
_stage("imports")
"""
    + _CHILD_WATCH
    + r"""
app = QApplication(sys.argv)
window = QMainWindow()
window.setWindowTitle("bare")
window.resize(1100, 760)
watch = _FirstPaint(window, app.quit)
window.show()
_stage("shown")
app.exec()
_stage("exit")
"""
)

# The app starts as `routechat` does (desktop_app.cli.main); the watcher's Qt classes are
# defined once run_gui has imported Qt, so the harness does not change the app's import order.
APP_CHILD = (
    _CHILD_COMMON
    + r"""
import desktop_app.cli as _cli
import desktop_app.app as _app
_stage("imports")
"""
    + f"_WATCH = {_CHILD_WATCH!r}\n"
    + r"""
_real_compose = _app.compose
_keep = []
def _compose(*args, **kwargs):
    parts = _real_compose(*args, **kwargs)
    _stage("composed")
    exec(_WATCH, globals())
    from PySide6.QtCore import QTimer

    def _ready():
        # "ready": the keyring lookup that follows the first frame is done and the page is
        # final; the event loop then ran once more.
        if parts.session.pending:
            QTimer.singleShot(1, _ready)
            return
        _stage("ready")
        # Quit the app's own way (the window's Quit signal -> AppController.quit -> shutdown).
        parts.window.quit_requested.emit()

    _keep.append(_FirstPaint(parts.window, lambda: QTimer.singleShot(0, _ready)))
    return parts
_app.compose = _compose
code = _cli.main([])
_stage("exit")
sys.exit(code)
"""
)


START_STAGES = ("python", "imports", "composed", "shown", "painted", "interactive", "ready", "exit")


def start_env() -> dict[str, str]:
    """Cold starts share one home (after the warm-up: a second launch) and a bytecode cache.

    An installed app has its .pyc files (pip and PyInstaller compile them); with
    PYTHONDONTWRITEBYTECODE set, every start would compile the app's sources again, which the
    bare window does not have to. So bytecode goes to a cache under the temporary folder
    (PYTHONPYCACHEPREFIX: nothing is written into the source tree), filled by the warm-up.
    """
    env = part_home("start")
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(os.environ["ROUTECHAT_BENCH_ROOT"]) / "pycache")
    return env


RETURNING_TABS = 3
RETURNING_TURNS = 20


def returning_env() -> dict[str, str]:
    """A returning user: a key in the keyring (a fixed test backend) and three open tabs of
    twenty turns each, so start-up restores real conversations."""
    env = start_env()
    home = Path(os.environ["ROUTECHAT_BENCH_ROOT"]) / "returning"
    env["ROUTECHAT_HOME"] = str(home)
    env["PYTHON_KEYRING_BACKEND"] = "bench_keyring.FixedKeyring"
    here = str(Path(__file__).resolve().parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
    if not (home / "ready").exists():
        from desktop_app.api.events import TurnResult, TurnStatus, Usage
        from desktop_app.config.paths import AppPaths
        from desktop_app.store import HistoryStore, OpenTab

        paths = AppPaths(home / "config", home / "data", home / "cache", home / "log").ensure()
        store = HistoryStore.open(paths.database_file)
        tabs = []
        for t in range(RETURNING_TABS):
            cid = store.create_conversation(f"Conversation {t + 1}", "balanced")
            for n in range(RETURNING_TURNS):
                user = store.add_user_message(cid, f"Question {n}: {_TEXT[: 80 + n]}")
                reply = store.begin_reply(cid, parent_id=user, requested_tier_id="balanced")
                text = make_reply(random.Random(t * 1000 + n))
                store.finish_reply(
                    reply,
                    TurnResult(
                        text=text,
                        model="openai/gpt-4o-mini",
                        usage=Usage(120, 480, 600),
                        cost_usd=0.00042,
                        status=TurnStatus.COMPLETE,
                    ),
                )
            tabs.append(OpenTab(cid, "balanced"))
        store.save_open_tabs(tabs, 0)
        store.close()
        (home / "ready").write_text("1")
    return env


def start_child(kind: str, **extra_env: str) -> tuple[str, dict[str, str]]:
    """The script and environment of one cold start of `kind`, timed from now."""
    code = BARE_CHILD if kind == "bare" else APP_CHILD
    env = returning_env() if kind == "returning" else start_env()
    env.update(extra_env)
    env["BENCH_SPAWN_TIME"] = repr(time.time())
    return code, env


def cold_start_once(kind: str, profile: str | None = None) -> dict[str, float]:
    code, env = start_child(kind, **({"BENCH_PROFILE": profile} if profile else {}))
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    end = time.time() - float(env["BENCH_SPAWN_TIME"])
    stages: dict[str, float] = {}
    for line in proc.stdout.splitlines():
        if line.startswith("@@STAGE "):
            _, name, value, cpu = line.split()
            stages[name] = float(value) * 1000
            stages[f"cpu_{name}"] = float(cpu) * 1000
    stages["process_end"] = end * 1000
    if proc.returncode != 0 or "interactive" not in stages:
        raise RuntimeError(f"{kind} start failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return stages


def instructions_once(kind: str) -> float | None:
    """Instructions executed from the spawn until interactive, under callgrind: the same count
    for the same code whatever else the machine is doing (~15 s a start). None: no valgrind."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    code, env = start_child(kind, BENCH_EXIT_AT_INTERACTIVE="1")
    proc = subprocess.run(
        [
            valgrind,
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            "-c",
            code,
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    for line in proc.stderr.splitlines():
        if "Collected :" in line:
            return float(line.rsplit(":", 1)[1]) / 1e6
    raise RuntimeError(f"callgrind gave no count for {kind}: {proc.stderr[-2000:]}")


def start_part(opts: argparse.Namespace) -> dict[str, Any]:
    print(f"\n[start] cold start, {opts.starts} runs each, rotating (after 1 warm-up each)")
    kinds = ("bare", "app", "returning")
    for kind in kinds:
        cold_start_once(kind)
    runs: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    for i in range(opts.starts):
        order = kinds[i % 3 :] + kinds[: i % 3]
        for kind in order:
            runs[kind].append(cold_start_once(kind))
        b, a, r = (runs[k][-1] for k in kinds)
        print(
            f"  run {i + 1}/{opts.starts}: bare {b['interactive']:6.0f} ms"
            f" | first run {a['interactive']:6.0f} ms (ready {a.get('ready', 0):4.0f})"
            f" | returning {r['interactive']:6.0f} ms (ready {r.get('ready', 0):4.0f})",
            flush=True,
        )

    def med(kind: str, stage: str) -> float:
        values = [r[stage] for r in runs[kind] if stage in r]
        return statistics.median(values) if values else float("nan")

    res: dict[str, Any] = {"starts": opts.starts}
    for kind in kinds:
        for stage in (*START_STAGES, "process_end", "cpu_interactive"):
            res[f"{kind}_{stage}_ms"] = med(kind, stage)
    # CPU time of the process until interactive: steadier than wall time on a busy host.
    res["cpu_ratio"] = res["app_cpu_interactive_ms"] / res["bare_cpu_interactive_ms"]
    res["returning_cpu_ratio"] = (
        res["returning_cpu_interactive_ms"] / res["bare_cpu_interactive_ms"]
    )
    res["ratio"] = res["app_interactive_ms"] / res["bare_interactive_ms"]
    res["ratio_ready"] = res["app_ready_ms"] / res["bare_interactive_ms"]
    res["returning_ratio"] = res["returning_interactive_ms"] / res["bare_interactive_ms"]
    res["returning_ratio_ready"] = res["returning_ready_ms"] / res["bare_interactive_ms"]
    if opts.instructions:
        for kind in kinds:
            res[f"{kind}_minstr"] = instructions_once(kind)
    if opts.profile:
        import pstats

        dump = Path(os.environ["ROUTECHAT_BENCH_ROOT"]) / "start.prof"
        cold_start_once("app", str(dump))
        profile_report(pstats.Stats(str(dump)), "app start until interactive", limit=40)
        importtime_report()
    return res


def importtime_report() -> None:
    """Which imports of the app's startup path cost most (python -X importtime)."""
    modules = [
        "qasync",
        "PySide6.QtWidgets",
        "desktop_app.app",
        "desktop_app.logs",
        "desktop_app.config.paths",
        "desktop_app.config.settings",
        "desktop_app.ui.shell.crash_dialog",
        "desktop_app.emulator.server",
        "desktop_app.routing.tiers",
        "desktop_app.ui.shell.app_controller",
        "desktop_app.ui.history.history_controller",
        "desktop_app.ui.history.history_panel",
        "desktop_app.ui.shell.main_window",
        "desktop_app.ui.widgets.theme",
    ]
    code = "import importlib\n" + "".join(
        f"try:\n    importlib.import_module({m!r})\nexcept ImportError:\n    pass\n"
        for m in modules
    )
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=start_env(),
    )
    rows: list[tuple[int, int, str]] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cum_us, name = line[len("import time:") :].split("|")
        rows.append((int(cum_us), int(self_us), name.rstrip()[1:]))  # keeps the nesting indent
    print("\n  --- python -X importtime: the app's startup imports, top-level, by cumulative ---")
    top_level = [r for r in rows if not r[2].startswith(" ")]
    for cum, own, name in sorted(top_level, reverse=True)[:15]:
        print(f"  {cum / 1000:8.1f} ms cumulative {own / 1000:7.1f} ms self  {name}")
    print("  --- by self time ---")
    for cum, own, name in sorted(rows, key=lambda r: -r[1])[:12]:
        print(f"  {own / 1000:8.1f} ms self {cum / 1000:8.1f} ms cumulative  {name.strip()}")


def print_start(r: dict[str, Any]) -> None:
    print(f"\n[start] medians of {r['starts']} runs, ms from spawn")
    print("  " + " " * 18 + " ".join(f"{s:>11s}" for s in START_STAGES))
    for kind, label in (("bare", "bare window"), ("app", "first run"), ("returning", "returning")):
        cells = [r[f"{kind}_{s}_ms"] for s in START_STAGES]
        text = " ".join(f"{v:11.0f}" if v == v else "          -" for v in cells)
        print(f"  {label:18s}{text}")
    for kind, label in (("", "first run (welcome page)"), ("returning_", "returning (3 tabs)")):
        print(
            f"  {label}: interactive {r[kind + 'ratio']:.2f}x bare (target <= "
            f"{START_RATIO_TARGET}x) {mark(r[kind + 'ratio'] <= START_RATIO_TARGET)};"
            f" key read and page final {r[kind + 'ratio_ready']:.2f}x;"
            f" CPU until interactive {r[kind + 'cpu_ratio']:.2f}x"
        )
    if r.get("bare_minstr"):
        b, a, t = (r[f"{k}_minstr"] for k in ("bare", "app", "returning"))
        print(
            f"  instructions until interactive (callgrind, repeatable): bare {b:.0f} M,"
            f" first run {a:.0f} M = {a / b:.2f}x, returning {t:.0f} M = {t / b:.2f}x"
        )
    elif "bare_minstr" in r:
        print("  instructions: valgrind is not installed")
    print(
        "  CPU until interactive (process time), ms: bare "
        + " / ".join(f"{r[k + '_cpu_interactive_ms']:.0f}" for k in ("bare", "app", "returning"))
        + " (bare / first run / returning)"
    )


# ============================================================================ part 3: ten tabs

_TEXT = (
    "the router picks a model from the pool by price latency and quality; each request carries "
    "its candidates and the server answers with the model that served it. streaming keeps the "
    "interface responsive while tokens arrive, and the badge shows cost tokens and timings. a "
    "conversation is saved before the request leaves so nothing typed is ever lost when the "
    "network fails midway or the application is closed during a reply"
)
_WORDS = _TEXT.split()

_CODE = {
    "python": [
        "def merge(a: list[int], b: list[int]) -> list[int]:",
        "    out, i, j = [], 0, 0",
        "    while i < len(a) and j < len(b):",
        "        if a[i] <= b[j]:",
        "            out.append(a[i]); i += 1",
        "        else:",
        "            out.append(b[j]); j += 1",
        "    return out + a[i:] + b[j:]",
        "",
        "async def fetch(client, url):",
        '    async with client.stream("GET", url) as response:',
        "        async for line in response.aiter_lines():",
        "            yield line",
    ],
    "javascript": [
        "export async function* sse(response) {",
        "  const reader = response.body.getReader();",
        "  const decoder = new TextDecoder();",
        "  let buffer = '';",
        "  for (;;) {",
        "    const { value, done } = await reader.read();",
        "    if (done) break;",
        "    buffer += decoder.decode(value, { stream: true });",
        "    const parts = buffer.split('\\n\\n');",
        "    buffer = parts.pop();",
        "    for (const p of parts) yield JSON.parse(p.slice(6));",
        "  }",
        "}",
    ],
    "bash": [
        "python -m venv .venv && . .venv/bin/activate",
        "pip install -e '.[dev]'",
        'export EDENAI_API_KEY="sk-..."',
        "routechat ask --tier balanced 'What is a vector clock?'",
        'for f in logs/*.log; do grep -c ERROR "$f"; done',
    ],
    "sql": [
        "SELECT c.id, c.title, COUNT(m.id) AS messages, SUM(t.cost_usd) AS spent",
        "FROM conversations c",
        "JOIN messages m ON m.conversation_id = c.id",
        "LEFT JOIN turns t ON t.reply_id = m.id",
        "WHERE c.archived = 0",
        "GROUP BY c.id",
        "ORDER BY spent DESC",
        "LIMIT 20;",
    ],
    "json": [
        "{",
        '  "model": "@edenai",',
        '  "router_candidates": ["openai/gpt-4o", "anthropic/claude-sonnet-4-5"],',
        '  "stream": true,',
        '  "messages": [{"role": "user", "content": "Hello"}]',
        "}",
    ],
    "rust": [
        "fn main() -> Result<(), Box<dyn std::error::Error>> {",
        '    let text = std::fs::read_to_string("input.txt")?;',
        "    let words: usize = text.lines().map(|l| l.split_whitespace().count()).sum();",
        '    println!("{words} words");',
        "    Ok(())",
        "}",
    ],
}
_MODELS = (
    "openai/gpt-4o",
    "anthropic/claude-sonnet-4-5",
    "google/gemini-2.0-flash",
    "openai/gpt-4o-mini",
    "anthropic/claude-haiku-4-5",
)


def _sentence(rng: random.Random, lo: int = 8, hi: int = 22) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(lo, hi))]
    if rng.random() < 0.3:
        i = rng.randrange(len(words))
        words[i] = f"**{words[i]}**"
    if rng.random() < 0.3:
        i = rng.randrange(len(words))
        words[i] = f"`{words[i]}()`"
    if rng.random() < 0.1:
        i = rng.randrange(len(words))
        words[i] = f"[{words[i]}](https://example.com/{words[i]})"
    text = " ".join(words)
    return text[0].upper() + text[1:] + "."


def make_prompt(rng: random.Random) -> str:
    return " ".join(_sentence(rng, 6, 16) for _ in range(rng.randint(1, 3)))


def make_reply(rng: random.Random) -> str:
    """A realistic assistant reply: paragraphs, lists, sometimes a heading, code or a table."""
    blocks: list[str] = []
    if rng.random() < 0.25:
        blocks.append("## " + " ".join(rng.choice(_WORDS) for _ in range(4)).capitalize())
    for _ in range(rng.randint(1, 3)):
        blocks.append(" ".join(_sentence(rng) for _ in range(rng.randint(2, 5))))
    if rng.random() < 0.5:
        numbered = rng.random() < 0.4
        items = [
            (f"{k + 1}. " if numbered else "- ") + _sentence(rng, 5, 14)
            for k in range(rng.randint(3, 6))
        ]
        blocks.append("\n".join(items))
    if rng.random() < 0.35:
        lang = rng.choice(list(_CODE))
        lines = _CODE[lang]
        start = rng.randrange(max(1, len(lines) - 4))
        body = "\n".join(lines[start : start + rng.randint(4, len(lines))])
        tag = "" if rng.random() < 0.05 else lang  # a few untagged fences (guessed lexer)
        blocks.append(f"```{tag}\n{body}\n```")
    if rng.random() < 0.1:
        rows = ["| Model | Cost | Latency |", "|---|---:|---:|"]
        for m in rng.sample(_MODELS, 3):
            rows.append(f"| {m} | ${rng.random() / 50:.4f} | {rng.randint(200, 2000)} ms |")
        blocks.append("\n".join(rows))
    blocks.append(_sentence(rng))
    return "\n\n".join(blocks)


async def tabs_part(app: Any, opts: argparse.Namespace) -> dict[str, Any]:
    from desktop_app.api.events import CostSource, TurnResult, TurnStatus, Usage
    from desktop_app.routing.plan import plan_for
    from desktop_app.secrets import KeySource

    h = qt_helpers()
    settle = h["settle"]
    rng = random.Random(20250901)
    # Pre-generate the text so the build time is the app's only.
    convs = [
        [(make_prompt(rng), make_reply(rng)) for _ in range(opts.turns)] for _ in range(opts.tabs)
    ]
    chars = sum(len(p) + len(r) for conv in convs for p, r in conv)
    if opts.restore:
        return await restored_tabs_part(app, opts, convs, chars)
    parts = build_window(app)
    c = parts.tabs
    tabs = parts.window.tabs
    try:
        await settle()
        parts.controller.use_key("k", KeySource.SESSION)
        await settle(5)
        gc.collect()
        rss_before = proc_status_mb("VmRSS")
        print(
            f"\n[tabs] building {opts.tabs} tabs x {opts.turns} turns"
            f" ({chars / 1e6:.1f} M characters of Markdown); RSS before {rss_before:.0f} MB",
            flush=True,
        )
        prof = None
        if opts.profile:
            import cProfile

            prof = cProfile.Profile()
        build_s: list[float] = []
        settle_s: list[float] = []
        quarter_first: list[float] = []
        quarter_last: list[float] = []
        db_id = 0
        for t, conv in enumerate(convs):
            ctrl = c.controllers[0] if t == 0 else c.new_conversation()
            plan = plan_for(ctrl.tier())
            if prof is not None and t == opts.tabs - 1:
                prof.enable()
            t0 = time.perf_counter()
            per_turn: list[float] = []
            for i, (prompt, text) in enumerate(conv):
                s = time.perf_counter()
                db_id += 2
                ctrl.transcript.add_user(prompt, db_id - 1)
                reply = ctrl.transcript.add_reply(plan, db_id)
                prompt_tokens = 40 + 30 * i
                result = TurnResult(
                    text=text,
                    model=_MODELS[(t + i) % len(_MODELS)],
                    usage=Usage(prompt_tokens, len(text) // 4, prompt_tokens + len(text) // 4),
                    cost_usd=0.0004 + (i % 7) * 0.0003,
                    cost_source=CostSource.REPORTED,
                    finish_reason="stop",
                    ttft_ms=300.0 + i % 200,
                    total_ms=1500.0 + 7 * (i % 300),
                    status=TurnStatus.COMPLETE,
                )
                ctrl.transcript.finish_reply(reply, result)
                per_turn.append(time.perf_counter() - s)
            tabs.renamed.emit(tabs.indexOf(ctrl.page), f"Conversation {t + 1}")
            t1 = time.perf_counter()
            await settle(3)
            t2 = time.perf_counter()
            if prof is not None and t == opts.tabs - 1:
                prof.disable()
            build_s.append(t1 - t0)
            settle_s.append(t2 - t1)
            q = max(1, len(per_turn) // 4)
            quarter_first.append(sum(per_turn[:q]) / q)
            quarter_last.append(sum(per_turn[-q:]) / q)
            print(
                f"  tab {t + 1:2d}: {opts.turns} turns built in {(t1 - t0) * 1000:6.0f} ms"
                f" + layout/paint {(t2 - t1) * 1000:5.0f} ms; per turn first quarter"
                f" {quarter_first[-1] * 1000:.2f} ms,"
                f" last quarter {quarter_last[-1] * 1000:.2f} ms;"
                f" RSS {proc_status_mb('VmRSS'):.0f} MB",
                flush=True,
            )
        if prof is not None:
            profile_report(prof, f"building the last tab ({opts.turns} turns)")
        gc.collect()
        await settle(5)
        rss_after = proc_status_mb("VmRSS")
        hwm = proc_status_mb("VmHWM")

        switches = await measure_switches(c, tabs, opts)
        return {
            "tabs": opts.tabs,
            "turns": opts.turns,
            "chars": chars,
            "build_s": sum(build_s),
            "settle_s": sum(settle_s),
            "restore_s": sum(build_s) + sum(settle_s),
            "per_turn_first_ms": statistics.median(quarter_first) * 1000,
            "per_turn_last_ms": statistics.median(quarter_last) * 1000,
            "rss_before_mb": rss_before,
            "rss_after_mb": rss_after,
            "rss_hwm_mb": hwm,
            "rss_per_tab_mb": (rss_after - rss_before) / opts.tabs,
            **switches,
        }
    finally:
        await close_window(parts)


async def measure_switches(
    c: Any, tabs: Any, opts: argparse.Namespace, rounds: int | None = None
) -> dict[str, Any]:
    """Tab switches: every tab in turn, a few rounds; timed until the new page is painted.

    A restored tab loads when first shown (its messages are read from the history and the
    first screen is built): those first visits are reported apart; the target applies to
    the switches between tabs that are open.
    """
    h = qt_helpers()
    settle, until_painted = h["settle"], h["until_painted"]
    watches = [
        h["PaintWatch"](ctrl.page, ctrl.page.chat.viewport(), ctrl.page.chat.widget())
        for ctrl in c.controllers
    ]
    firsts: list[float] = []
    switches: list[float] = []
    calls: list[float] = []
    for _rnd in range(opts.rounds if rounds is None else rounds):
        for i in range(tabs.count()):
            if i == tabs.currentIndex():
                continue
            page = tabs.widget(i)
            k = next(n for n, ctrl in enumerate(c.controllers) if ctrl.page is page)
            watch = watches[k]
            watch.reset()
            await settle(2)
            first = not c.controllers[k].loaded
            t0 = time.perf_counter()
            tabs.setCurrentIndex(i)
            t_call = time.perf_counter()
            painted_at = await until_painted(watch, t0)
            t1 = painted_at if painted_at is not None else time.perf_counter()
            (firsts if first else switches).append((t1 - t0) * 1000)
            if not first:
                calls.append((t_call - t0) * 1000)
    for w in watches:
        w.close()
    out: dict[str, Any] = {"unpainted": 0, "first_visits": len(firsts)}
    if firsts:
        out |= {"first_median_ms": statistics.median(firsts), "first_max_ms": max(firsts)}
    if switches:
        out |= {
            "switches": len(switches),
            "switch_median_ms": statistics.median(switches),
            "switch_p95_ms": pct(switches, 0.95),
            "switch_max_ms": max(switches),
            "switch_call_median_ms": statistics.median(calls),
        }
    return out


async def restored_tabs_part(
    app: Any, opts: argparse.Namespace, convs: list[list[tuple[str, str]]], chars: int
) -> dict[str, Any]:
    """The tabs as the app restores them at start-up: written to the history, then reopened."""
    from desktop_app.api.events import CostSource, TurnResult, TurnStatus, Usage
    from desktop_app.config.paths import default_paths
    from desktop_app.secrets import KeySource
    from desktop_app.store import HistoryStore, OpenTab

    h = qt_helpers()
    settle = h["settle"]
    paths = default_paths().ensure()
    with HistoryStore.open(paths.database_file) as store:
        tabs_state = []
        for t, conv in enumerate(convs):
            cid = store.create_conversation(f"Conversation {t + 1}", tier_id="balanced")
            for i, (prompt, text) in enumerate(conv):
                uid = store.add_user_message(cid, prompt)
                rid = store.begin_reply(cid, parent_id=uid, requested_tier_id="balanced")
                store.finish_reply(
                    rid,
                    TurnResult(
                        text=text,
                        model=_MODELS[(t + i) % len(_MODELS)],
                        usage=Usage(40, len(text) // 4, 40 + len(text) // 4),
                        cost_usd=0.0004,
                        cost_source=CostSource.REPORTED,
                        finish_reason="stop",
                        ttft_ms=300.0,
                        total_ms=1500.0,
                        status=TurnStatus.COMPLETE,
                    ),
                )
            tabs_state.append(OpenTab(cid, "balanced"))
        store.save_open_tabs(tabs_state, 0)
    gc.collect()
    rss_before = proc_status_mb("VmRSS")
    parts = build_window(app)
    c = parts.tabs
    try:
        await settle()
        t0 = time.perf_counter()
        parts.controller.use_key("k", KeySource.SESSION)  # restores the open tabs
        t1 = time.perf_counter()
        await settle(3)
        t2 = time.perf_counter()
        assert parts.window.tabs.count() == opts.tabs, parts.window.tabs.count()
        gc.collect()
        rss_after = proc_status_mb("VmRSS")
        print(
            f"\n[tabs, restored] {opts.tabs} tabs x {opts.turns} turns reopened from the history"
            f" in {(t1 - t0) * 1000:.0f} ms + layout/paint {(t2 - t1) * 1000:.0f} ms",
            flush=True,
        )
        switches = await measure_switches(c, parts.window.tabs, opts)
        gc.collect()
        rss_loaded = proc_status_mb("VmRSS")
    finally:
        await close_window(parts)
    # A second start: the render cache now holds what the first one rendered.
    parts = build_window(app)
    c = parts.tabs
    try:
        await settle()
        parts.controller.use_key("k", KeySource.SESSION)
        await settle(3)
        again = await measure_switches(c, parts.window.tabs, opts, rounds=1)
        return {
            "tabs": opts.tabs,
            "turns": opts.turns,
            "chars": chars,
            "build_s": t1 - t0,
            "settle_s": t2 - t1,
            "restore_s": t2 - t0,
            "per_turn_first_ms": (t1 - t0) * 1000 / (opts.tabs * opts.turns),
            "per_turn_last_ms": (t1 - t0) * 1000 / (opts.tabs * opts.turns),
            "rss_before_mb": rss_before,
            "rss_after_mb": rss_after,
            "rss_hwm_mb": proc_status_mb("VmHWM"),
            "rss_per_tab_mb": (rss_after - rss_before) / opts.tabs,
            "rss_loaded_mb": rss_loaded,
            **switches,
            "first_warm_median_ms": again.get("first_median_ms", 0.0),
            "first_warm_max_ms": again.get("first_max_ms", 0.0),
        }
    finally:
        await close_window(parts)


def print_tabs(r: dict[str, Any]) -> None:
    turns = r["tabs"] * r["turns"]
    print(
        f"\n[tabs] {r['tabs']} tabs x {r['turns']} turns"
        f" ({turns} turns, {r['chars'] / 1e6:.1f} M chars)"
    )
    print(
        f"  restore: {r['restore_s']:.1f} s ({r['build_s']:.1f} s building entries +"
        f" {r['settle_s']:.1f} s layout/paint), {r['restore_s'] / turns * 1000:.2f} ms per turn;"
        f" per turn in a tab: first quarter {r['per_turn_first_ms']:.2f} ms,"
        f" last quarter {r['per_turn_last_ms']:.2f} ms"
    )
    print(
        f"  memory: RSS {r['rss_before_mb']:.0f} MB -> {r['rss_after_mb']:.0f} MB"
        f" (+{r['rss_after_mb'] - r['rss_before_mb']:.0f} MB, {r['rss_per_tab_mb']:.1f} MB per tab,"
        f" {(r['rss_after_mb'] - r['rss_before_mb']) * 1024 / turns:.0f} KB per turn);"
        f" peak {r['rss_hwm_mb']:.0f} MB"
    )
    if "rss_loaded_mb" in r:
        print(
            f"  memory with every tab shown once (each tab's latest 40 messages built):"
            f" RSS {r['rss_loaded_mb']:.0f} MB"
            f" ({(r['rss_loaded_mb'] - r['rss_before_mb']) / r['tabs']:.1f} MB per tab)"
        )
    if r.get("first_visits"):
        print(
            f"  first visit of a restored tab (reads its history, builds its first screen),"
            f" until painted: median {r['first_median_ms']:.1f} ms, max"
            f" {r['first_max_ms']:.1f} ms; after a restart (render cache warm): median"
            f" {r.get('first_warm_median_ms', 0):.1f} ms,"
            f" max {r.get('first_warm_max_ms', 0):.1f} ms"
        )
    print(
        f"  tab switch until painted ({r['switches']} switches): median"
        f" {r['switch_median_ms']:.1f} ms, p95 {r['switch_p95_ms']:.1f} ms,"
        f" max {r['switch_max_ms']:.1f} ms (target < {SWITCH_TARGET_MS:.0f} ms)"
        f" {mark(r['switch_max_ms'] < SWITCH_TARGET_MS)};"
        f" setCurrentIndex itself median {r['switch_call_median_ms']:.1f} ms"
    )
    if r["unpainted"]:
        print(f"  WARNING: {r['unpainted']} switches saw no paint within 3 s")


# ============================================================================ summary


def print_summary(results: dict[str, dict[str, Any]], errors: dict[str, str]) -> None:
    rows: list[tuple[str, str, str, str]] = []
    s = results.get("stream")
    if s:
        rows.append(
            (
                f"stream {s['tokens']} tok: GUI / core",
                f"{s['gui_ms']:.0f} / {s['core_ms']:.0f} ms = {s['ratio']:.2f}x",
                f"<= {STREAM_RATIO_TARGET}x",
                mark(s["ratio"] <= STREAM_RATIO_TARGET),
            )
        )
        rows.append(
            (
                "stream: loop blocked max (worst run)",
                f"{s['gui_block_max_ms']:.1f} ms ({s['gui_block_max_worst_ms']:.1f} ms)",
                f"<= {BLOCK_TARGET_MS:.0f} ms",
                mark(s["gui_block_max_worst_ms"] <= BLOCK_TARGET_MS),
            )
        )
        rows.append(
            (
                "stream: loop blocked p99",
                f"{s['gui_block_p99_ms']:.1f} ms",
                f"<= {BLOCK_TARGET_MS:.0f} ms",
                mark(s["gui_block_p99_ms"] <= BLOCK_TARGET_MS),
            )
        )
        rows.append(("stream: final end_stream render", f"{s['gui_final_ms']:.0f} ms", "-", "info"))
    st = results.get("start")
    if st:
        for kind, label in (("app", "first run"), ("returning", "returning, 3 tabs")):
            ratio = st["ratio"] if kind == "app" else st["returning_ratio"]
            rows.append(
                (
                    f"cold start ({label}) / bare",
                    f"{st[kind + '_interactive_ms']:.0f} / {st['bare_interactive_ms']:.0f} ms"
                    f" = {ratio:.2f}x",
                    f"<= {START_RATIO_TARGET}x",
                    mark(ratio <= START_RATIO_TARGET),
                )
            )
            rows.append(
                (
                    f"  ... until key read ({label})",
                    f"{st[kind + '_ready_ms']:.0f} ms",
                    "-",
                    "info",
                )
            )
            if st.get("bare_minstr"):
                ratio = st[kind + "_minstr"] / st["bare_minstr"]
                rows.append(
                    (
                        f"  ... instructions ({label}) / bare",
                        f"{st[kind + '_minstr']:.0f} / {st['bare_minstr']:.0f} M = {ratio:.2f}x",
                        f"<= {START_RATIO_TARGET}x",
                        mark(ratio <= START_RATIO_TARGET),
                    )
                )
    t = results.get("tabs")
    if t:
        rows.append(
            (
                f"tabs {t['tabs']}x{t['turns']}: switch med/p95/max",
                f"{t['switch_median_ms']:.1f} / {t['switch_p95_ms']:.1f}"
                f" / {t['switch_max_ms']:.1f} ms",
                f"< {SWITCH_TARGET_MS:.0f} ms",
                mark(t["switch_max_ms"] < SWITCH_TARGET_MS),
            )
        )
        if t.get("first_visits"):
            rows.append(
                (
                    "tabs: first visit med/max (cold; warm)",
                    f"{t['first_median_ms']:.0f} / {t['first_max_ms']:.0f} ms;"
                    f" {t['first_warm_median_ms']:.0f} / {t['first_warm_max_ms']:.0f} ms",
                    "-",
                    "info",
                )
            )
        rows.append(
            (
                "tabs: RSS added (per tab)",
                f"+{t['rss_after_mb'] - t['rss_before_mb']:.0f} MB ({t['rss_per_tab_mb']:.1f} MB)",
                "-",
                "info",
            )
        )
        if "rss_loaded_mb" in t:
            rows.append(
                (
                    "tabs: RSS, every tab shown once",
                    f"{t['rss_loaded_mb']:.0f} MB"
                    f" ({(t['rss_loaded_mb'] - t['rss_before_mb']) / t['tabs']:.1f} MB per tab)",
                    "-",
                    "info",
                )
            )
        rows.append(
            (
                f"tabs: restore {t['tabs'] * t['turns']} turns",
                f"{t['restore_s']:.1f} s",
                "-",
                "info",
            )
        )
    for name, err in errors.items():
        rows.append((name, "FAILED: " + err.splitlines()[0][:40], "-", "error"))
    w0 = max(len(r[0]) for r in rows) if rows else 10
    w1 = max(len(r[1]) for r in rows) if rows else 10
    print("\n" + "=" * (w0 + w1 + 24))
    print(f"{'Summary':{w0}}  {'figure':{w1}}  {'target':9}  mark")
    print("-" * (w0 + w1 + 24))
    for name, fig, target, m in rows:
        print(f"{name:{w0}}  {fig:{w1}}  {target:9}  {m}")
    print("=" * (w0 + w1 + 24))


# ============================================================================ entry point


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000, help="burst size (>= 10000)")
    parser.add_argument("--repeat", type=int, default=5, help="streaming runs of each kind")
    parser.add_argument("--starts", type=int, default=7, help="cold starts of each kind")
    parser.add_argument("--tabs", type=int, default=10)
    parser.add_argument("--turns", type=int, default=200, help="turns per tab")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of tab switches")
    parser.add_argument("--only", default="stream,start,tabs", help="parts to run, comma-separated")
    parser.add_argument("--profile", action="store_true", help="cProfile / importtime hotspots")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each start's instructions under callgrind (repeatable; ~1 min)",
    )
    parser.add_argument(
        "--live",
        dest="restore",
        action="store_false",
        help="tabs: build every turn live in one session instead of restoring from the history",
    )
    parser.add_argument("--xvfb", action="store_true", help="a real X server instead of offscreen")
    parser.add_argument("--part", choices=["stream", "tabs"], help=argparse.SUPPRESS)
    opts = parser.parse_args()

    if opts.part == "stream":
        emit_result(run_on_qasync(lambda app: stream_part(app, opts)))
        return 0
    if opts.part == "tabs":
        emit_result(run_on_qasync(lambda app: tabs_part(app, opts)))
        return 0

    if opts.tokens < 10_000:
        parser.error("--tokens must be >= 10000 (the emulator's burst convention)")
    home, xvfb = prepare_environment(opts.xvfb)
    print(
        f"bench_gui: Python {sys.version.split()[0]}, QT_QPA_PLATFORM="
        f"{os.environ.get('QT_QPA_PLATFORM')}, DISPLAY={os.environ.get('DISPLAY', '')},"
        f" {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, temporary homes under {home}",
        flush=True,
    )
    wanted = [p.strip() for p in opts.only.split(",") if p.strip()]
    common = (
        [
            "--tokens",
            str(opts.tokens),
            "--repeat",
            str(opts.repeat),
            "--tabs",
            str(opts.tabs),
            "--turns",
            str(opts.turns),
            "--rounds",
            str(opts.rounds),
        ]
        + (["--profile"] if opts.profile else [])
        + ([] if opts.restore else ["--live"])
    )
    results: dict[str, dict[str, Any]] = {}
    errors: dict[str, str] = {}
    try:
        for part in wanted:
            started = time.perf_counter()
            try:
                if part == "stream":
                    print(f"\n[stream] {opts.tokens}-token burst: core vs real window", flush=True)
                    results[part] = run_child(
                        ["--part", "stream", *common], 1800, part_home("stream")
                    )
                    print_stream(results[part])
                elif part == "start":
                    results[part] = start_part(opts)
                    print_start(results[part])
                elif part == "tabs":
                    results[part] = run_child(["--part", "tabs", *common], 3600, part_home("tabs"))
                    print_tabs(results[part])
                else:
                    errors[part] = "unknown part"
                    continue
            except Exception as exc:  # report and go on with the other parts
                errors[part] = f"{type(exc).__name__}: {exc}"
                print(f"\n[{part}] FAILED: {errors[part]}", flush=True)
            print(f"  ({part}: {time.perf_counter() - started:.0f} s)", flush=True)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)
    print_summary(results, errors)
    print(f"(load average at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
