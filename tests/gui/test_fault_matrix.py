"""The fault matrix through the real window (docs/fault-matrix.md).

For every fault the emulator can inject: the sentence shown on the turn, how many requests
went out (what was retried or sent to the fallback), what the store keeps, that the window
kept processing events meanwhile, and that the turn before it is untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from PySide6.QtCore import QTimer

from desktop_app.api.events import TurnStatus
from desktop_app.app import Composition
from desktop_app.config.settings import RetryPolicy, Timeouts
from desktop_app.emulator.server import EmulatorThread
from tests.support.gui import replies, start_with_key, wait_until


@dataclass(frozen=True)
class Case:
    faults: tuple[str, ...]
    status: TurnStatus
    requests: int  # chat requests the turn made (1 = no retry)
    shown: str = ""  # words in the turn's error line (empty: no error shown)
    badge: str = ""  # words in the badge
    partial: bool = False  # some text kept


C, F, INT = TurnStatus.COMPLETE, TurnStatus.FAILED, TurnStatus.INTERRUPTED
CASES: dict[str, Case] = {
    "400": Case(("status:400",), F, 1, "refused the request"),
    "401": Case(("status:401",), F, 1, "Check your API key"),
    "402": Case(("status:402",), F, 1, "Add credits"),
    "403": Case(("status:403",), F, 1, "Check your API key"),
    "422": Case(("status:422",), F, 1, "at most 3"),
    "451": Case(("status:451",), F, 1, "region"),
    "429-once": Case(("status:429:retry=1",), C, 2, badge="retried 1×"),
    "429-lasting": Case(("status:429:retry=1",) * 3, F, 3, "Wait 1 s"),
    "500-once": Case(("status:500",), C, 2, badge="retried 1×"),
    "502-lasting": Case(("status:502",) * 4, F, 4, "HTTP 502"),
    "503-lasting-falls-back": Case(("status:503",) * 3, C, 4, badge="fallback"),
    "504-once": Case(("status:504",), C, 2),
    "stall-before-first-byte": Case(("stall_first:3",), C, 2),
    "stall-midway": Case(("stall_mid:3@5",), INT, 1, "stalled", partial=True),
    "drop-before-text": Case(("drop:0",), C, 2),
    "drop-midway": Case(("drop:5",), INT, 1, "partial answer is kept", partial=True),
    "error-frame-midway": Case(("error_frame:5",), INT, 1, "with an error", partial=True),
    "malformed-first": Case(("malformed:0",), F, 1, "could not be read"),
    "malformed-midway": Case(("malformed:5",), INT, 1, "could not be read", partial=True),
    "no-done": Case(("no_done",), C, 1, badge="$"),
    "no-usage": Case(("no_usage",), C, 1, badge="—"),
    "no-cost-estimated": Case(("no_cost",), C, 1, badge="≈$"),
    "usage-cost": Case(("usage_cost",), C, 1, badge="$"),
    "usage-on-finish": Case(("usage_on_finish",), C, 1, badge=" in · "),
    "bare-model": Case(("bare_model",), C, 1, badge="anthropic/claude-sonnet-4-5"),
    "keepalive-crlf-fragments": Case(("keepalive+crlf+fragment:7",), C, 1, badge="$"),
}

FAST = {
    "retries": RetryPolicy(max_retries=2, max_total_seconds=10),
    "timeouts": Timeouts(connect=2, first_byte=1, idle=1, total=30),
}


@pytest.mark.parametrize("name", list(CASES))
async def test_fault_through_the_window(
    make_app: Callable[..., Composition], emulator: EmulatorThread, name: str
) -> None:
    case = CASES[name]
    parts = make_app(**FAST)
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    ctrl.page.tier_selector.select("code")
    ctrl.send("Write a python function to add two numbers")  # a good turn first
    await wait_until(lambda: not ctrl.streaming)
    before = replies(ctrl)[0]
    assert before.status is C
    ticks = 0

    def tick() -> None:
        nonlocal ticks
        ticks += 1

    heartbeat = QTimer(parts.window)
    heartbeat.setInterval(20)
    heartbeat.timeout.connect(tick)
    heartbeat.start()
    sent_before = len(emulator.server.requests)
    emulator.queue_faults(*case.faults)
    ctrl.send("Write a python function to sort a list")
    await wait_until(lambda: not ctrl.streaming, timeout=30)
    heartbeat.stop()
    reply = replies(ctrl)[-1]
    assert reply.status is case.status
    assert len(emulator.server.requests) - sent_before == case.requests
    await wait_until(lambda: reply.widget.isVisible())
    error = reply.widget.error_label
    if case.shown:
        assert error.isVisible()
        assert case.shown in error.text()
    else:
        assert not error.isVisible()
    badge = reply.widget.badge
    assert badge is not None
    assert case.badge in badge.text()
    if case.status is C:
        assert reply.content
    assert bool(reply.content) == (case.status is C or case.partial)
    assert ticks > 0, "the event loop kept running while the turn was in trouble"
    # What the store kept, and nothing saved before was lost.
    store = parts.controller.store
    assert ctrl.conversation_id is not None
    stored = store.load_messages(ctrl.conversation_id)
    assert [m.role for m in stored] == ["user", "assistant", "user", "assistant"]
    assert stored[1].content == before.content
    assert stored[3].reply is not None
    assert stored[3].reply.status.value == case.status.value
    assert stored[3].content == reply.content
    if case.badge == "fallback":
        assert stored[3].reply.fallback_used
        assert emulator.server.requests[-1]["model"] == "openai/gpt-4o"  # the code pool's first


async def test_connection_refused_is_retried_then_explained(
    make_app: Callable[..., Composition], qapp: object, paths: object
) -> None:
    import socket

    from desktop_app.app import compose
    from desktop_app.config.settings import Settings

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]  # closed again: nothing listens there
    url = f"http://127.0.0.1:{dead}/v3"
    parts = compose(qapp, paths, Settings(**FAST), base_url=url)  # type: ignore[arg-type]
    parts.window.show()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    ctrl.send("Hello?")
    await wait_until(lambda: not ctrl.streaming, timeout=30)
    reply = replies(ctrl)[0]
    assert reply.status is F
    assert "Check your network connection" in reply.widget.error_label.text()
    await wait_until(reply.widget.retry_button.isVisible)
    assert reply.badge.retries == 2
    assert "Offline: cannot reach 127.0.0.1" in parts.window.mode_label.text()
    assert ctrl.entries[0].content == "Hello?"  # the prompt is kept
    parts.controller.quit()
    await parts.controller.wait_shutdown()
