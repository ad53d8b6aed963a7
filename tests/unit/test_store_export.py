"""Export as Markdown and JSON, import back, and no key anywhere."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.api.events import CostSource, ToolCall, TurnResult, TurnStatus, Usage
from desktop_app.store import (
    HistoryStore,
    ImportFormatError,
    ReplyInfo,
    ReplyStatus,
)
from desktop_app.store.export import EXPORT_FORMAT, EXPORT_SCHEMA_VERSION

FAKE_KEY = "sk-edenai-THIS-MUST-NEVER-BE-STORED-1234567890"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    s = HistoryStore.open(tmp_path / "routechat.sqlite3")
    yield s
    s.close()


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HistoryStore]:
    """One store for every hypothesis example (function-scoped fixtures are not reset)."""
    s = HistoryStore.open(tmp_path_factory.mktemp("export") / "routechat.sqlite3")
    yield s
    s.close()


def build_conversation(store: HistoryStore) -> int:
    cid = store.create_conversation(tier_id="balanced")
    store.add_message(cid, "system", "Be concise.")
    u1 = store.add_user_message(cid, "What's the capital of France?")
    r1 = store.begin_reply(
        cid,
        parent_id=u1,
        requested_tier_id="balanced",
        candidates=["openai/gpt-4o", "anthropic/claude-sonnet-4-5"],
        requested_model="@edenai",
    )
    store.finish_reply(
        r1,
        TurnResult(
            text="**Paris.**",
            model="openai/gpt-4o",
            usage=Usage(9, 3, 12, 2),
            cost_usd=0.0042,
            cost_source=CostSource.REPORTED,
            finish_reason="stop",
            ttft_ms=280.0,
            total_ms=950.5,
        ),
        retry_count=1,
        fallback_used=True,
    )
    alt = store.begin_reply(
        cid,
        parent_id=u1,
        requested_tier_id="budget",
        candidates=["openai/gpt-4o-mini"],
        chosen=False,
    )
    store.finish_reply(
        alt,
        TurnResult(
            text="Paris",
            model="openai/gpt-4o-mini",
            cost_usd=0.0001,
            cost_source=CostSource.ESTIMATED,
            total_ms=400.0,
        ),
    )
    u2 = store.add_user_message(cid, "Weather there?")
    r2 = store.begin_reply(cid, parent_id=u2, requested_tier_id="functions")
    store.finish_reply(
        r2,
        TurnResult(
            tool_calls=[ToolCall(0, "call_9", "weather", '{"city": "Paris"}')],
            model="anthropic/claude-sonnet-4-5",
            finish_reason="tool_calls",
            total_ms=700.0,
        ),
    )
    store.add_message(cid, "tool", '{"temp_c": 21}', tool_call_id="call_9", parent_id=r2)
    r3 = store.begin_reply(cid, parent_id=u2, requested_tier_id="functions")
    err = ApiError(ErrorKind.RATE_LIMITED, "Too many requests", status=429)
    store.finish_reply(r3, TurnResult(status=TurnStatus.FAILED, error=err, total_ms=50.0))
    return cid


def test_json_export_has_every_turn_detail(store: HistoryStore) -> None:
    cid = build_conversation(store)
    data = store.export_json(cid)
    assert data["format"] == EXPORT_FORMAT
    assert data["schema_version"] == EXPORT_SCHEMA_VERSION
    assert data["database_schema_version"] == store.schema_version
    assert data["conversation"]["title"] == "What's the capital of France?"
    assert data["conversation"]["tier_id"] == "balanced"
    assert data["totals"]["turns"] == 4
    roles = [m["role"] for m in data["messages"]]
    assert roles == [
        "system",
        "user",
        "assistant",
        "assistant",
        "user",
        "assistant",
        "tool",
        "assistant",
    ]
    first = data["messages"][2]
    assert first["parent"] == 1
    assert first["chosen"] is True
    assert first["reply"] == {
        "status": "complete",
        "requested_tier_id": "balanced",
        "candidates": ["openai/gpt-4o", "anthropic/claude-sonnet-4-5"],
        "requested_model": "@edenai",
        "routed_model": "openai/gpt-4o",
        "usage": {
            "prompt_tokens": 9,
            "completion_tokens": 3,
            "total_tokens": 12,
            "cached_tokens": 2,
        },
        "cost_usd": 0.0042,
        "cost_source": "reported",
        "ttft_ms": 280.0,
        "total_ms": 950.5,
        "finish_reason": "stop",
        "error": None,
        "retry_count": 1,
        "fallback_used": True,
        "requests": 1,
        "started_at": first["reply"]["started_at"],
        "finished_at": first["reply"]["finished_at"],
        "column": None,
        "demo": False,
        "routing": None,
        "quality_cost": None,
    }
    assert first["reply"]["started_at"].endswith("+00:00")
    assert data["conversation"]["kind"] == "chat"
    assert data["votes"] == []
    assert data["messages"][3]["chosen"] is False
    assert data["messages"][3]["reply"]["cost_source"] == "estimated"
    assert data["messages"][5]["tool_calls"][0]["function"]["name"] == "weather"
    assert data["messages"][6]["tool_call_id"] == "call_9"
    assert data["messages"][7]["reply"]["error"] == {
        "kind": "rate_limited",
        "message": "Too many requests",
        "status": 429,
    }
    text = store.export_json_text(cid)
    assert json.loads(text) == {**data, "exported_at": json.loads(text)["exported_at"]}


def test_markdown_export(store: HistoryStore) -> None:
    cid = build_conversation(store)
    md = store.export_markdown(cid)
    assert md.startswith("# What's the capital of France?\n")
    assert "4 turns" in md
    assert "## You · " in md
    assert "**Paris.**" in md
    assert "Model: openai/gpt-4o · tier balanced (openai/gpt-4o, anthropic/claude-sonnet-4-5)" in md
    assert "cost $0.0042 (reported)" in md
    assert "tokens 9 in / 3 out (2 cached)" in md
    assert "first token 280 ms" in md
    assert "total 950 ms" in md or "total 951 ms" in md
    assert "1 retry" in md
    assert "fallback used" in md
    assert "### Alternative: Assistant" in md
    assert "cost $0.0001 (estimated)" in md
    assert '"name": "weather"' in md
    assert "Tool result" in md
    assert "error: Too many requests" in md
    assert md.index("**Paris.**") < md.index("### Alternative") < md.index("Weather there?")


def _comparable(data: dict[str, Any]) -> dict[str, Any]:
    out = dict(data)
    out.pop("exported_at")
    return out


def test_import_roundtrip(store: HistoryStore) -> None:
    cid = build_conversation(store)
    exported = store.export_json(cid)
    new_id = store.import_json(json.dumps(exported))
    assert new_id != cid
    again = store.export_json(new_id)
    assert _comparable(again) == _comparable(exported)
    original = store.load_messages(cid, include_alternatives=True)
    imported = store.load_messages(new_id, include_alternatives=True)
    assert [(m.role, m.content, m.is_chosen) for m in imported] == [
        (m.role, m.content, m.is_chosen) for m in original
    ]
    ids = {m.id: i for i, m in enumerate(imported)}
    assert [ids.get(m.parent_id) if m.parent_id else None for m in imported] == [
        None,
        None,
        1,
        1,
        None,
        4,
        5,
        4,
    ]
    for a, b in zip(original, imported, strict=True):
        assert a.created_at == pytest.approx(b.created_at, abs=1e-5)
    assert store.search("capital")  # imported text is searchable
    assert store.totals(new_id).cost_usd == pytest.approx(store.totals(cid).cost_usd)


def test_import_accepts_minimal_and_bytes_and_streaming(store: HistoryStore) -> None:
    minimal = {
        "format": EXPORT_FORMAT,
        "schema_version": 1,
        "messages": [
            {"role": "user", "content": "hello there"},
            {"role": "assistant", "content": "hi", "reply": {"status": "streaming"}},
        ],
    }
    cid = store.import_json(json.dumps(minimal).encode())
    assert store.get_conversation(cid).title == "hello there"
    msgs = store.load_messages(cid)
    assert msgs[1].reply is not None
    assert msgs[1].reply.status is ReplyStatus.INTERRUPTED
    assert store.import_json({**minimal, "messages": []}) > cid


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "not valid JSON (line 1, column 2"),
        (b"\xff\xfe\x00junk", "not"),
        ("[1, 2]", "top level: expected an object"),
        ('{"format": "something.else", "schema_version": 1, "messages": []}', "format"),
        ('{"format": "routechat.conversation", "messages": []}', "schema_version"),
        ('{"format": "routechat.conversation", "schema_version": 99, "messages": []}', "newer"),
        ('{"format": "routechat.conversation", "schema_version": 1}', "messages: expected a list"),
        (
            '{"format": "routechat.conversation", "schema_version": 1, '
            '"messages": [{"role": "wizard", "content": "x"}]}',
            "messages[0].role",
        ),
        (
            '{"format": "routechat.conversation", "schema_version": 1, '
            '"messages": [{"role": "user", "content": 5}]}',
            "messages[0].content: expected text",
        ),
        (
            '{"format": "routechat.conversation", "schema_version": 1, '
            '"messages": [{"role": "assistant", "content": "x", "parent": 0}]}',
            "messages[0].parent",
        ),
        (
            '{"format": "routechat.conversation", "schema_version": 1, "messages": ['
            '{"role": "user"}, {"role": "assistant", "reply": {"cost_usd": "free"}}]}',
            "messages[1].reply.cost_usd: expected a number",
        ),
        (
            '{"format": "routechat.conversation", "schema_version": 1, "messages": ['
            '{"role": "assistant", "reply": {"usage": {"prompt_tokens": -1}}}]}',
            "messages[0].reply.usage.prompt_tokens",
        ),
        (
            '{"format": "routechat.conversation", "schema_version": 1, "messages": ['
            '{"role": "user", "reply": {}}]}',
            "only assistant messages",
        ),
        (
            '{"format": "routechat.conversation", "schema_version": 1, "messages": ['
            '{"role": "user", "created_at": "yesterday"}]}',
            "ISO 8601",
        ),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_malformed_imports_fail_clearly_and_change_nothing(
    store: HistoryStore, payload: str | bytes, message: str
) -> None:
    before = store.list_conversations()
    with pytest.raises(ImportFormatError) as info:
        store.import_json(payload)
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)
    assert store.list_conversations() == before


def test_no_key_in_exports_or_database(store: HistoryStore, tmp_path: Path) -> None:
    """The store never receives the key; an import carrying one drops it everywhere."""
    cid = build_conversation(store)
    data = store.export_json(cid)
    data["api_key"] = FAKE_KEY
    data["conversation"]["api_key"] = FAKE_KEY
    data["messages"][2]["authorization"] = f"Bearer {FAKE_KEY}"
    data["messages"][2]["reply"]["api_key"] = FAKE_KEY
    new_id = store.import_json(data)
    for conversation_id in (cid, new_id):
        assert FAKE_KEY not in store.export_json_text(conversation_id)
        assert FAKE_KEY not in store.export_markdown(conversation_id)
        exported = json.dumps(store.export_json(conversation_id)).lower()
        assert "api_key" not in exported
        assert "authorization" not in exported
    store.close()
    for f in tmp_path.iterdir():
        assert FAKE_KEY.encode() not in f.read_bytes()


def _untimed(reply: ReplyInfo) -> ReplyInfo:
    return dataclasses.replace(reply, started_at=0.0, finished_at=None)


message_text = st.text(max_size=300)
roles = st.sampled_from(["user", "assistant", "system", "tool"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=st.text(max_size=80),
    messages=st.lists(st.tuples(roles, message_text), max_size=8),
    cost=st.none() | st.floats(min_value=0, max_value=100, allow_nan=False),
)
def test_arbitrary_text_roundtrips(
    shared_store: HistoryStore,
    title: str,
    messages: list[tuple[str, str]],
    cost: float | None,
) -> None:
    store = shared_store
    cid = store.create_conversation()
    store.rename_conversation(cid, title)
    for role, text in messages:
        if role == "assistant":
            rid = store.begin_reply(cid, candidates=[text[:20]])
            store.finish_reply(rid, TurnResult(text=text, model=text[:30] or None, cost_usd=cost))
        else:
            store.add_message(cid, role, text)
    exported = store.export_json_text(cid)
    new_id = store.import_json(exported)
    a = store.load_messages(cid)
    b = store.load_messages(new_id)
    assert [(m.role, m.content) for m in b] == [(m.role, m.content) for m in a]
    # Times survive to the microsecond (ISO 8601), not to the last bit of the float.
    assert [_untimed(m.reply) for m in b if m.reply] == [_untimed(m.reply) for m in a if m.reply]
    original_title = store.get_conversation(cid).title
    assert original_title == "" or store.get_conversation(new_id).title == original_title
    md = store.export_markdown(new_id)
    for _, text in messages:
        assert text.strip() in md  # verbatim (the document's trailing whitespace is trimmed)
