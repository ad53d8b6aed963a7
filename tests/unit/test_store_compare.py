"""The store's comparison methods: votes, "Continue with this", comparison tabs to reopen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.api.events import CostSource, TurnResult, TurnStatus, Usage
from desktop_app.services.history import history_from_store
from desktop_app.store import (
    VOTE_CHOICES,
    HistoryStore,
    NotFoundError,
    OpenTab,
    TabsState,
    VoteColumn,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[HistoryStore]:
    s = HistoryStore.open(tmp_path / "h.sqlite3", clock=clock)
    yield s
    s.close()


def answer(text: str, model: str, cost: float | None = 0.001, **kw: object) -> TurnResult:
    result = TurnResult(
        text=text,
        model=model,
        usage=Usage(10, 20, 30),
        cost_usd=cost,
        cost_source=CostSource.REPORTED if cost is not None else CostSource.UNKNOWN,
        finish_reason="stop",
        ttft_ms=100.0,
        total_ms=400.0,
    )
    for key, value in kw.items():
        setattr(result, key, value)
    return result


TIERS = ("budget", "balanced", "premium")
MODELS = ("openai/gpt-4o-mini", "openai/gpt-4o", "anthropic/claude-opus-4-5")


def round_of(
    store: HistoryStore, cid: int, prompt: str, columns: tuple[int, ...] = (0, 1, 2)
) -> tuple[int, list[int]]:
    """One prompt answered by each column, as the comparison view records it."""
    uid = store.add_user_message(cid, prompt)
    replies = []
    for col in columns:
        rid = store.begin_reply(
            cid,
            parent_id=uid,
            requested_tier_id=TIERS[col % 3],
            requested_model="@edenai",
            column=col,
        )
        store.finish_reply(rid, answer(f"{prompt} / {TIERS[col % 3]}", MODELS[col % 3]))
        replies.append(rid)
    return uid, replies


def labelled(store: HistoryStore, replies: list[int], labels: str) -> list[VoteColumn]:
    out = []
    for rid, label in zip(replies, labels, strict=True):
        info = store.get_message(rid).reply
        assert info is not None and info.column is not None
        out.append(VoteColumn(info.column, label, info.requested_tier_id, info.routed_model, rid))
    return out


# --- votes ---------------------------------------------------------------------------------


def test_a_vote_names_the_winning_column_and_tier(store: HistoryStore) -> None:
    cid = store.create_conversation(kind="comparison", view={"columns": []})
    uid, replies = round_of(store, cid, "Which is best?")
    columns = labelled(store, replies, "CAB")  # shown in a random order: column 1 was "A"
    vote = store.add_vote(cid, uid, "a", columns)
    assert vote.winner_column == 1
    assert vote.winner_tier == "balanced"
    assert vote.winner is not None and vote.winner.model == "openai/gpt-4o"
    stored = store.vote_for(uid)
    assert stored == vote
    assert store.votes() == [vote]


def test_tie_and_all_bad_have_no_winner(store: HistoryStore) -> None:
    cid = store.create_conversation(kind="comparison")
    u1, r1 = round_of(store, cid, "one")
    u2, r2 = round_of(store, cid, "two")
    tie = store.add_vote(cid, u1, "tie", labelled(store, r1, "ABC"))
    bad = store.add_vote(cid, u2, "bad", labelled(store, r2, "ABC"))
    assert tie.winner_column is None and tie.winner_tier is None
    assert bad.winner_column is None
    assert [v.choice for v in store.votes()] == ["tie", "bad"]


def test_voting_again_replaces_the_vote(store: HistoryStore) -> None:
    cid = store.create_conversation(kind="comparison")
    uid, replies = round_of(store, cid, "again")
    cols = labelled(store, replies, "ABC")
    store.add_vote(cid, uid, "a", cols)
    second = store.add_vote(cid, uid, "c", cols)
    assert store.votes() == [second]
    assert second.winner_tier == "premium"


def test_votes_by_time_and_conversation(store: HistoryStore, clock: Clock) -> None:
    c1 = store.create_conversation(kind="comparison")
    c2 = store.create_conversation(kind="comparison")
    u1, r1 = round_of(store, c1, "first")
    v1 = store.add_vote(c1, u1, "b", labelled(store, r1, "ABC"))
    u2, r2 = round_of(store, c2, "second")
    v2 = store.add_vote(c2, u2, "tie", labelled(store, r2, "ABC"))
    assert store.votes(since=v2.created_at) == [v2]
    assert store.votes(until=v2.created_at) == [v1]
    assert store.votes(conversation_id=c1) == [v1]
    store.delete_conversation(c1)  # the trash keeps its votes: they were cast
    assert len(store.votes()) == 2
    store.purge_conversation(c1)
    assert store.votes() == [v2]


@pytest.mark.parametrize(
    ("choice", "labels", "error"),
    [
        ("e", "ABC", ValueError),  # not a choice
        ("d", "ABC", ValueError),  # no answer labelled D
        ("a", "AAB", ValueError),  # two answers labelled A
    ],
)
def test_a_vote_that_names_no_single_answer_is_refused(
    store: HistoryStore, choice: str, labels: str, error: type[Exception]
) -> None:
    cid = store.create_conversation(kind="comparison")
    uid, replies = round_of(store, cid, "q")
    with pytest.raises(error):
        store.add_vote(cid, uid, choice, labelled(store, replies, labels))
    assert store.votes() == []


def test_a_vote_must_be_on_a_prompt_of_that_comparison(store: HistoryStore) -> None:
    cid = store.create_conversation(kind="comparison")
    uid, replies = round_of(store, cid, "q")
    other = store.create_conversation(kind="comparison")
    with pytest.raises(NotFoundError):
        store.add_vote(other, uid, "a", labelled(store, replies, "ABC"))
    with pytest.raises(NotFoundError):
        store.add_vote(cid, replies[0], "a", labelled(store, replies, "ABC"))  # a reply


def test_deleting_the_prompt_deletes_its_vote(store: HistoryStore) -> None:
    cid = store.create_conversation(kind="comparison")
    uid, replies = round_of(store, cid, "q")
    store.add_vote(cid, uid, "a", labelled(store, replies, "ABC"))
    store.delete_message(uid)
    assert store.votes() == []
    assert store.vote_for(uid) is None


def test_vote_choices_are_the_buttons() -> None:
    assert VOTE_CHOICES == ("a", "b", "c", "d", "tie", "bad")


# --- Continue with this --------------------------------------------------------------------


def test_continue_copies_one_columns_thread(store: HistoryStore) -> None:
    cid = store.create_conversation("Tides", kind="comparison")
    round_of(store, cid, "first question")
    round_of(store, cid, "second question")
    new = store.continue_column(cid, 1, title="Tides (Balanced)", tier_id="balanced")
    conv = store.get_conversation(new)
    assert conv.kind == "chat" and conv.title == "Tides (Balanced)" and conv.tier_id == "balanced"
    messages = store.load_messages(new)
    assert [(m.role, m.content) for m in messages] == [
        ("user", "first question"),
        ("assistant", "first question / balanced"),
        ("user", "second question"),
        ("assistant", "second question / balanced"),
    ]
    reply = messages[1].reply
    assert reply is not None
    assert reply.column is None  # an ordinary conversation now
    assert reply.routed_model == "openai/gpt-4o" and reply.cost_usd == pytest.approx(0.001)
    assert reply.requested_tier_id == "balanced" and reply.ttft_ms == pytest.approx(100.0)
    assert messages[1].parent_id == messages[0].id and messages[3].parent_id == messages[2].id
    # The next request of the new conversation carries that column's answers only.
    history = history_from_store(messages, messages[-1].id)
    assert [h["content"] for h in history] == [m.content for m in messages]
    # The comparison keeps every column.
    assert len(store.load_messages(cid)) == 8
    assert store.search("second question")  # found in both


def test_continue_starts_a_late_column_at_its_first_answer(store: HistoryStore) -> None:
    cid = store.create_conversation(kind="comparison")
    round_of(store, cid, "before", columns=(0, 1))
    round_of(store, cid, "after", columns=(0, 1, 2))  # column 2 added for this prompt
    new = store.continue_column(cid, 2)
    assert [m.content for m in store.load_messages(new)] == ["after", "after / premium"]


def test_continue_keeps_a_failed_answer_but_not_alternatives(store: HistoryStore) -> None:
    cid = store.create_conversation(kind="comparison")
    uid = store.add_user_message(cid, "q")
    failed = store.begin_reply(cid, parent_id=uid, requested_tier_id="budget", column=0)
    store.finish_reply(
        failed,
        TurnResult(status=TurnStatus.FAILED, error=ApiError(ErrorKind.SERVER, "down", 503)),
    )
    retried = store.begin_reply(cid, parent_id=uid, requested_tier_id="budget", column=0)
    store.finish_reply(retried, answer("ok", "openai/gpt-4o-mini"))
    new = store.continue_column(cid, 0)
    assert [m.content for m in store.load_messages(new)] == ["q", "ok"]


def test_continue_an_unknown_column(store: HistoryStore) -> None:
    cid = store.create_conversation(kind="comparison")
    round_of(store, cid, "q", columns=(0, 1))
    with pytest.raises(NotFoundError):
        store.continue_column(cid, 3)


# --- comparison tabs to reopen ---------------------------------------------------------------


def test_an_unsent_comparison_tab_is_reopened_as_one(store: HistoryStore) -> None:
    cid = store.create_conversation(kind="comparison")
    view = {"columns": [{"column": 0, "tier_id": "budget"}, {"column": 1, "tier_id": "premium"}]}
    tabs = [
        OpenTab(None, None, "comparison", view),
        OpenTab(cid, None, "comparison"),
        OpenTab(None),
    ]
    store.save_open_tabs(tabs, selected=0)
    assert store.load_open_tabs() == TabsState(tuple(tabs), 0)


def test_an_unknown_tab_kind_reopens_as_a_conversation(store: HistoryStore) -> None:
    store.set_state("open_tabs", {"tabs": [{"conversation_id": None, "kind": "x", "view": 3}]})
    assert store.load_open_tabs().tabs == (OpenTab(None),)


# --- export and import -----------------------------------------------------------------------

VIEW = {
    "columns": [
        {"column": 0, "tier_id": "budget", "label": "Budget"},
        {"column": 1, "tier_id": "balanced", "label": "Balanced"},
        {"column": 2, "tier_id": "premium", "label": "Premium"},
    ],
    "blind": True,
}


def comparison(store: HistoryStore) -> int:
    cid = store.create_conversation("Tides", kind="comparison", view=VIEW)
    u1, r1 = round_of(store, cid, "How do tides work?")
    store.add_vote(cid, u1, "b", labelled(store, r1, "CAB"))  # B was column 2
    round_of(store, cid, "And the moon?", columns=(0, 1))
    return cid


def test_json_export_carries_columns_view_and_votes(store: HistoryStore) -> None:
    cid = comparison(store)
    data = store.export_json(cid)
    assert data["schema_version"] == 2
    assert data["conversation"]["kind"] == "comparison"
    assert data["conversation"]["view"] == VIEW
    columns = [m["reply"]["column"] for m in data["messages"] if m["reply"]]
    assert columns == [0, 1, 2, 0, 1]
    (vote,) = data["votes"]
    assert vote["prompt"] == 0 and vote["choice"] == "b" and vote["winner_column"] == 2
    assert [c["label"] for c in vote["columns"]] == ["C", "A", "B"]
    assert [c["reply"] for c in vote["columns"]] == [1, 2, 3]  # indexes into messages


def test_a_comparison_imports_back_whole(store: HistoryStore) -> None:
    cid = comparison(store)
    new = store.import_json(store.export_json_text(cid))
    conv = store.get_conversation(new)
    assert conv.kind == "comparison" and conv.view == VIEW
    old_messages, new_messages = store.load_messages(cid), store.load_messages(new)
    assert [(m.role, m.content, m.reply.column if m.reply else None) for m in new_messages] == [
        (m.role, m.content, m.reply.column if m.reply else None) for m in old_messages
    ]
    (vote,) = store.votes(conversation_id=new)
    assert vote.prompt_id == new_messages[0].id
    assert vote.winner_tier == "premium" and vote.winner_column == 2
    assert [c.reply_id for c in vote.columns] == [m.id for m in new_messages[1:4]]
    assert store.totals(new).cost_usd == pytest.approx(store.totals(cid).cost_usd)
    # Each column is still its own thread after the round trip.
    history = history_from_store(new_messages, new_messages[-1].id, 1)
    assert [h["content"] for h in history] == [
        "How do tides work?",
        "How do tides work? / balanced",
        "And the moon?",
        "And the moon? / balanced",
    ]


def test_a_version_1_export_still_imports_as_a_conversation(store: HistoryStore) -> None:
    old = {
        "format": "routechat.conversation",
        "schema_version": 1,
        "conversation": {"title": "Old", "tier_id": "budget"},
        "messages": [
            {"role": "user", "content": "hello"},
            {
                "role": "assistant",
                "content": "hi",
                "parent": 0,
                "reply": {"status": "complete", "routed_model": "openai/gpt-4o", "cost_usd": 0.01},
            },
        ],
    }
    cid = store.import_json(old)
    conv = store.get_conversation(cid)
    assert conv.kind == "chat" and conv.view is None and conv.title == "Old"
    reply = store.load_messages(cid)[1].reply
    assert reply is not None and reply.column is None and reply.requests == 1
    assert store.votes() == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"conversation": {"kind": "meeting"}}, "conversation.kind"),
        ({"conversation": {"view": [1]}}, "conversation.view"),
        ({"votes": {"a": 1}}, "votes: expected a list"),
        ({"votes": [{"prompt": 1, "choice": "a"}]}, "votes[0].prompt"),
        ({"votes": [{"prompt": 0, "choice": "z"}]}, "votes[0].choice"),
        ({"votes": [{"prompt": 0, "choice": "a", "columns": [{"label": "A"}]}]}, "column"),
    ],
)
def test_a_bad_comparison_export_says_what_is_wrong(
    store: HistoryStore, change: dict[str, object], message: str
) -> None:
    from desktop_app.store import ImportFormatError

    data = {
        "format": "routechat.conversation",
        "schema_version": 2,
        "messages": [
            {"role": "user", "content": "q"},
            {"role": "assistant", "content": "a", "parent": 0, "reply": {"column": 0}},
        ],
        **change,
    }
    with pytest.raises(ImportFormatError, match=message.replace("[", r"\[").replace("]", r"\]")):
        store.import_json(data)
    assert store.list_conversations() == []


def test_markdown_shows_each_round_with_every_column_and_the_vote(store: HistoryStore) -> None:
    cid = comparison(store)
    text = store.export_markdown(cid)
    first = text.index("## 1. You")
    columns = [
        text.index(f"### Column {n} · {name}")
        for n, name in ((1, "Budget"), (2, "Balanced"), (3, "Premium"))
    ]
    assert first < columns[0] < columns[1] < columns[2] < text.index("## 2. You")
    assert "How do tides work? / premium" in text
    assert "> Model: anthropic/claude-opus-4-5 · tier premium" in text
    assert "**Vote:** B was better (Premium, anthropic/claude-opus-4-5)" in text
    assert text.count("### Column") == 5
