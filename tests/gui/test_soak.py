"""Soak: 500 turns across 5 tabs against the emulator with 10 % random faults."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from desktop_app.app import Composition
from desktop_app.config.settings import RetryPolicy, Timeouts
from desktop_app.emulator.server import EmulatorConfig, EmulatorThread
from desktop_app.store import ReplyStatus
from tests.support.gui import start_with_key, wait_until

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
        # Far above the injected stalls (0.2 s at most): no timeout fires because the shared
        # machine is slow, so every failure below has an injected cause.
        timeouts=Timeouts(connect=10, first_byte=10, idle=10, total=120),
    )
    start_with_key(parts)
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
    requests: dict[str, list[dict[str, object]]] = {}  # by prompt, in the order they came
    for record in emulator.server.requests:
        messages = record.get("messages")
        assert isinstance(messages, list)
        prompt = [m["content"] for m in messages if m["role"] == "user"][-1]
        requests.setdefault(prompt, []).append(record)
    for i, tab in enumerate(tabs):
        assert tab.conversation_id is not None
        stored = store.load_messages(tab.conversation_id)
        users = [m for m in stored if m.role == "user"]
        assert [m.content for m in users] == sent[i], f"tab {i} lost a user message"
        for user in users:
            (m,) = [r for r in stored if r.parent_id == user.id]  # one reply each
            assert m.reply is not None
            statuses[m.reply.status.value] += 1
            retries += m.reply.retry_count
            fallbacks += int(m.reply.fallback_used)
            sent_as = requests[user.content]
            assert len(sent_as) == 1 + m.reply.retry_count + int(m.reply.fallback_used)
            if m.reply.status is not ReplyStatus.COMPLETE:  # an injected fault, nothing else
                assert sent_as[-1]["_faults"], f"{user.content!r} failed with no fault"
            if not any(r["_faults"] for r in sent_as):
                assert m.reply.status is ReplyStatus.COMPLETE
    assert sum(statuses.values()) == TABS * TURNS_PER_TAB
    assert "streaming" not in statuses
    await wait_until(lambda: emulator.server.open_streams == 0)
    assert parts.controller.runner.names() == []
    stats = emulator.server.stats()
    print(
        f"\nsoak: {TABS * TURNS_PER_TAB} turns, statuses {dict(statuses)}, {retries} retries, "
        f"{fallbacks} fallbacks, {stats.get('faults_applied')} faults injected, "
        f"{stats.get('chat_requests')} requests, open streams 0, running tasks 0"
    )
