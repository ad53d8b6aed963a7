"""Render the README screenshots of the main states under Xvfb (`./dev screenshots`).

Runs the real window in demo mode against the bundled emulator, drives it like a user would,
and saves PNGs next to this file; the statistics window is shown over a sample history
(`render.py statistics` renders that one only).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


async def wait_until(predicate: Callable[[], Any], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("the window did not reach the expected state")
        await asyncio.sleep(0.05)


async def settle(seconds: float = 0.4) -> None:
    await asyncio.sleep(seconds)


def save(window: Any, name: str) -> None:
    path = HERE / f"{name}.png"
    window.grab().save(str(path))
    print(f"wrote {path.relative_to(HERE.parent.parent)}")


async def send(ctrl: Any, text: str) -> None:
    ctrl.page.composer.input.setPlainText(text)
    ctrl.page.composer.send_button.click()
    await wait_until(lambda: not ctrl.streaming)
    await settle()


async def large_text(app: Any, scale: float = 1.5) -> None:
    """The system font at 1.5x: the badge wraps, hints end in "…", the composer grows; at the
    window's minimum width too."""
    from desktop_app.app import compose
    from desktop_app.config.paths import default_paths
    from desktop_app.config.settings import Settings

    usual = app.font()
    font = app.font()
    font.setPointSizeF(usual.pointSizeF() * scale)
    app.setFont(font)
    os.environ["ROUTECHAT_HOME"] = tempfile.mkdtemp(prefix="routechat-shots-large-")
    parts = compose(app, default_paths().ensure(), Settings(theme="light"))
    window, ctrl = parts.window, parts.controller
    window.resize(1180, 820)
    window.show()
    ctrl.start_demo()
    tab = parts.tabs.controllers[0]
    tab.page.tier_selector.select("code")
    await send(tab, "Write a python function to merge two sorted lists")
    await send(tab, "What's the capital of France?")
    tab.page.chat.scroll_to_end()
    await settle(0.5)
    save(window, "large-text")
    window.resize(window.minimumSizeHint().width(), 820)
    await settle(0.5)
    tab.page.chat.scroll_to_end()
    await settle(0.3)
    save(window, "large-text-narrow")
    ctrl.quit()
    await ctrl.wait_shutdown()
    app.setFont(usual)


async def scenario(app: Any, theme: str) -> None:
    from desktop_app.app import compose
    from desktop_app.config.paths import default_paths
    from desktop_app.config.settings import Settings

    if theme == "large":
        await large_text(app)
        return
    os.environ["ROUTECHAT_HOME"] = tempfile.mkdtemp(prefix=f"routechat-shots-{theme}-")
    parts = compose(app, default_paths().ensure(), Settings(theme=theme))  # type: ignore[arg-type]
    window, ctrl = parts.window, parts.controller
    window.resize(1180, 820)
    window.show()
    if theme == "light":
        ctrl.start()
        await settle(0.6)
        save(window, "first-run")
    ctrl.start_demo()
    tab = parts.tabs.controllers[0]
    tab.page.tier_selector.select("code")
    await send(tab, "What does this project's merge step do? Keep it short.")
    await send(tab, "Write a python function to merge two sorted lists")
    tab.page.chat.scroll_to_end()
    await settle(0.5)
    other = parts.tabs.new_conversation("fast")
    await send(other, "What's the capital of France?")
    window.tabs.setCurrentIndex(0)
    await settle(0.5)
    save(window, "conversation" if theme == "light" else "dark-mode")
    if theme == "light":
        window.tabs.setCurrentIndex(1)
        demo = parts.connection.demo_server
        assert demo is not None
        demo.queue_faults("status:402")  # type: ignore[attr-defined]
        await send(other, "And the capital of Australia?")
        save(window, "error-turn")
        await tool_turn(parts)
    if theme == "light":
        await pools_scene(parts)
        await comparison_scenes(parts)
    ctrl.quit()
    await ctrl.wait_shutdown()


async def statistics(app: Any) -> None:
    """View → Statistics over a sample history of billed turns (demo replies never count, so
    the demo server cannot fill it): two months of turns from the benchmark's generator."""
    sys.path.insert(0, str(REPO))
    from desktop_app.app import compose
    from desktop_app.config.paths import default_paths
    from desktop_app.config.settings import Settings
    from tests.benchmarks.stats_data import build

    os.environ["ROUTECHAT_HOME"] = tempfile.mkdtemp(prefix="routechat-shots-stats-")
    paths = default_paths().ensure()
    build(paths.database_file, 4000, days=60, seed=3)
    parts = compose(app, paths, Settings(theme="light"))
    parts.window.resize(1180, 820)
    parts.window.show()
    parts.window.statistics_requested.emit()
    await wait_until(lambda: parts.controller.stats is not None)
    stats = parts.controller.stats
    await wait_until(lambda: stats.figures is not None and not stats.window.status.text())
    stats.window.resize(1180, 980)
    await settle(0.8)
    save(stats.window, "statistics")
    parts.controller.quit()
    await parts.controller.wait_shutdown()


async def tool_turn(parts: Any) -> None:
    """A tool turn: two calls done (one expanded), then a file read waiting for approval."""
    from desktop_app.ui.chat.tool_block import tool_panel

    notes = Path(os.environ["ROUTECHAT_HOME"]) / "trip-notes.txt"
    notes.write_text("Flight to Tokyo on Friday, 09:40.\n", encoding="utf-8")
    tab = parts.tabs.new_conversation("functions")
    tab.page.tools_toggle.setChecked(True)
    await send(tab, "What is 17 * 23, and what time is it in Tokyo?")
    reply = [e for e in tab.entries if e.role == "assistant"][-1]
    panel = tool_panel(reply.ui, create=False)
    assert panel is not None
    next(iter(panel.blocks.values())).set_expanded(True)
    tab.page.composer.input.setPlainText(f"Please read the file {notes} and check my flight")
    tab.page.composer.send_button.click()

    def waiting() -> bool:
        last = [e for e in tab.entries if e.role == "assistant"][-1]
        found = tool_panel(last.ui, create=False) if last.widget is not None else None
        return found is not None and any(b.approval for b in found.blocks.values())

    await wait_until(waiting)
    tab.page.chat.scroll_to_end()
    await settle(0.6)
    save(parts.window, "tool-approval")
    tab.stop()
    await wait_until(lambda: not tab.streaming)


async def pools_scene(parts: Any) -> None:
    """Settings → Pools with a pool of one's own selected, the tier selector listing it."""
    from PySide6.QtWidgets import QApplication

    from desktop_app.ui.settings.pools_dialog import PoolsDialog

    pool = parts.pools.add(
        "Docs writer",
        ["anthropic/claude-sonnet-4-5", "openai/gpt-4o", "mistral/mistral-large-latest"],
        description="Long, careful prose for documentation",
        quality_cost=3,
        fallback="openai/gpt-4o",
    )
    parts.controller.show_pools(select=pool.id)
    await settle(0.6)
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, PoolsDialog))
    save(dialog, "pools")
    dialog.close()
    await settle(0.2)


WORKLOAD = [
    "What is the capital of France?",
    "Write a python function to reverse a list",
    "Tell me a story about a fox",
    "Explain how tides work",
    "Summarise the causes of the First World War",
    "What is 17 * 23?",
    "Write a haiku about autumn",
    "How do vaccines work?",
    "Explain recursion with an example in JavaScript",
    "Give me three tips for better sleep",
    "What's the difference between TCP and UDP?",
    "Translate 'good morning' into Spanish",
]


async def comparison_scenes(parts: Any) -> None:
    """A three-column comparison, then a workload run's table (demo mode)."""
    window = parts.window
    window.resize(1400, 860)
    compare = parts.tabs.new_comparison(["budget", "balanced", "premium"])
    compare.page.composer.input.setPlainText("Write a python function to merge two sorted lists")
    compare.page.composer.send_button.click()
    await wait_until(lambda: not compare.streaming)
    await settle(0.6)
    save(window, "compare")
    run = parts.tabs.open_workload([c.spec for c in compare.columns], WORKLOAD, 4)
    await wait_until(lambda: not run.streaming, timeout=120)
    await settle(1.2)
    save(window, "workload")
    window.resize(1180, 820)


def main() -> int:
    os.environ.pop("EDENAI_API_KEY", None)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    from PySide6.QtWidgets import QApplication

    from desktop_app.ui.shell.event_loop import AppEventLoop
    from desktop_app.ui.widgets.theme import application_arguments

    app = QApplication(application_arguments(sys.argv[:1]))
    themes = sys.argv[1:] or ["light", "dark", "large", "statistics"]  # "large": 1.5x text
    for theme in themes:
        loop = AppEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            if theme == "statistics":
                loop.run_until_complete(statistics(app))
            else:
                loop.run_until_complete(scenario(app, theme))
    return 0


if __name__ == "__main__":
    sys.exit(main())
