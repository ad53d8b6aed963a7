"""Soak: 500 turns across 5 tabs against the emulator with 10 % random faults."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from desktop_app.api.events import TurnStatus
from desktop_app.app import Composition
from desktop_app.config.settings import RetryPolicy, Timeouts
from desktop_app.emulator.server import EmulatorConfig, EmulatorThread
from desktop_app.secrets import KeySource
from tests.gui.conftest import wait_until

TABS, TURNS_PER_TAB = 5, 100


@pytest.fixture
def emulator() -> Iterator[EmulatorThread]:
    """Overrides the default: routing and tokens at full speed, 10 % random faults."""
    thread = EmulatorThread(EmulatorConfig(routing_delay=0, token_delay=0, fault_rate=0.10, seed=7))
    thread.start()
    yield thread
    thread.stop()


@pytest.mark.slow
@pytest.mark.timeout(600)
async def test_soak_500_turns_5_tabs_10_percent_faults(
    make_app: Callable[..., Composition], emulator: EmulatorThread
) -> None:
    parts = make_app(
        max_tokens=24,
        retries=RetryPolicy(max_retries=2, max_total_seconds=4),
        timeouts=Timeouts(connect=2, first_byte=1.5, idle=1.5, total=30),
    )
    parts.controller.use_key("sk-test-key-0001", KeySource.SESSION)
    app = parts.tabs
    tabs = [app.controllers[0]] + [app.new_conversation() for _ in range(TABS - 1)]
    tiers = ["budget", "balanced", "premium", "code", "fast"]
    for tab, tier in zip(tabs, tiers, strict=True):
        tab.page.tier_selector.select(tier)
    sent: dict[int, list[str]] = {i: [] for i in range(TABS)}

    async def drive(i: int) -> None:
        tab = tabs[i]
        for n in range(TURNS_PER_TAB):
            prompt = f"tab {i} turn {n}: what is {n} plus {i}?"
            tab.send(prompt)
            sent[i].append(prompt)
            await wait_until(lambda: not tab.streaming, timeout=60)
            await asyncio.sleep(0)

    await asyncio.gather(*(drive(i) for i in range(TABS)))
    statuses: Counter[str] = Counter()
    retries = fallbacks = 0
    store = parts.store
    for i, tab in enumerate(tabs):
        assert tab.conversation_id is not None
        stored = store.load_messages(tab.conversation_id)
        users = [m.content for m in stored if m.role == "user"]
        assert users == sent[i], f"tab {i} lost a user message"
        for m in stored:
            if m.role == "assistant":
                assert m.reply is not None
                statuses[m.reply.status.value] += 1
                retries += m.reply.retry_count
                fallbacks += int(m.reply.fallback_used)
    assert sum(statuses.values()) == TABS * TURNS_PER_TAB
    assert "streaming" not in statuses
    assert statuses[TurnStatus.COMPLETE.value] > 0.8 * TABS * TURNS_PER_TAB
    await wait_until(lambda: emulator.server.open_streams == 0)
    assert parts.controller.runner.names() == []
    stats = emulator.server.stats()
    print(
        f"\nsoak: {TABS * TURNS_PER_TAB} turns, statuses {dict(statuses)}, {retries} retries, "
        f"{fallbacks} fallbacks, {stats.get('faults_applied')} faults injected, "
        f"{stats.get('chat_requests')} requests, open streams 0, running tasks 0"
    )
