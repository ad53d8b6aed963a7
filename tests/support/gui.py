"""What the GUI tests share: starting with a key, typing and sending, waiting, quitting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pytestqt.qtbot import QtBot

    from desktop_app.app import Composition
    from desktop_app.ui.chat.conversation_controller import ConversationController
    from desktop_app.ui.chat.transcript import Entry

TEST_KEY = "sk-test-key-0001"


async def wait_until(predicate: Callable[[], Any], timeout: float = 10.0) -> None:
    """Poll while the qasync loop keeps running Qt and asyncio (never a nested loop)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {predicate}")
        await asyncio.sleep(0.02)


def start_with_key(parts: Composition) -> None:
    """Chat with a key for this session (no keyring involved)."""
    from desktop_app.secrets import KeySource

    parts.controller.use_key(TEST_KEY, KeySource.SESSION)


def send(ctrl: ConversationController, qtbot: QtBot, text: str) -> None:
    """Type `text` in the tab's composer and press Enter, as a user does."""
    from PySide6.QtCore import Qt

    box = ctrl.page.composer.input
    box.setPlainText(text)
    qtbot.keyClick(box, Qt.Key.Key_Return)


def replies(ctrl: ConversationController) -> list[Entry]:
    return [e for e in ctrl.entries if e.role == "assistant"]


async def finish_turn(ctrl: ConversationController, qtbot: QtBot, text: str) -> None:
    """Send `text` and wait for its reply to end."""
    count = len(replies(ctrl))
    send(ctrl, qtbot, text)
    await wait_until(lambda: len(replies(ctrl)) == count + 1 and not ctrl.streaming)


async def quit_app(parts: Composition) -> None:
    parts.controller.quit()
    await parts.controller.wait_shutdown()
