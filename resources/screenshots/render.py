"""Render the README screenshots of the main states under Xvfb (`./dev screenshots`).

Runs the real window in demo mode against the bundled emulator, drives it like a user would,
and saves PNGs next to this file.
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
    ctrl.quit()
    await ctrl.wait_shutdown()


def main() -> int:
    os.environ.pop("EDENAI_API_KEY", None)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    from PySide6.QtWidgets import QApplication

    from desktop_app.ui.shell.event_loop import AppEventLoop
    from desktop_app.ui.widgets.theme import application_arguments

    app = QApplication(application_arguments(sys.argv[:1]))
    themes = sys.argv[1:] or ["light", "dark", "large"]  # "large": 1.5x text, light
    for theme in themes:
        loop = AppEventLoop(app)
        asyncio.set_event_loop(loop)
        with loop:
            loop.run_until_complete(scenario(app, theme))
    return 0


if __name__ == "__main__":
    sys.exit(main())
