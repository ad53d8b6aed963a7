"""Export a conversation as Markdown or JSON, and import the JSON back.

The JSON export (`format: "routechat.conversation"`, `schema_version: 2`) holds the
conversation (its `kind`: chat, comparison, workload or cli, and a comparison's `view`: its
columns) and every message in order, alternatives included, each assistant reply with its
turn data: status, requested tier and candidates, requested and routed model, token usage, cost
and its source, time to first token, total time, finish reason, error, retries, fallback and
(version 2) its comparison `column`, `demo`, the server's `routing` decision, the
`quality_cost` it was sent with and the `requests` of its tool loop. A reply's tool calls and
results are messages of their own (`parent`: the reply), the results with their `meta` (tool,
server, duration, approval). A comparison's blind `votes` come last, each naming its prompt
by index. Times are ISO 8601 in UTC. `parent` is the index (in `messages`) of the prompt a
reply answers. Version 1 files (conversations only) import as before. No key or credential
is stored in the database, so none can appear in an export; an import ignores every field it
does not know.

A comparison's Markdown shows each prompt once, then every column's answer one after another,
each with its badge line (and the vote, when there is one).
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from desktop_app import APP_NAME, __version__
from desktop_app.store.errors import ImportFormatError
from desktop_app.store.models import (
    COST_SOURCES,
    FINAL_STATUSES,
    ROLES,
    VOTE_CHOICES,
    Conversation,
    ReplyInfo,
    StoredMessage,
    Totals,
    Vote,
    routing_selection,
)
from desktop_app.store.text import make_title

EXPORT_FORMAT = "routechat.conversation"
EXPORT_SCHEMA_VERSION = 2
KINDS = ("chat", "comparison", "workload", "cli")
COMPARISON_KINDS = ("comparison", "workload")
MAX_IMPORT_BYTES = 256 * 1024 * 1024


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat()


# --- export ---------------------------------------------------------------------------------


def _reply_json(reply: ReplyInfo) -> dict[str, Any]:
    return {
        "status": reply.status.value,
        "requested_tier_id": reply.requested_tier_id,
        "candidates": list(reply.candidates) if reply.candidates is not None else None,
        "requested_model": reply.requested_model,
        "routed_model": reply.routed_model,
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.total_tokens,
            "cached_tokens": reply.cached_tokens,
        },
        "cost_usd": reply.cost_usd,
        "cost_source": reply.cost_source,
        "ttft_ms": reply.ttft_ms,
        "total_ms": reply.total_ms,
        "finish_reason": reply.finish_reason,
        "error": (
            {"kind": reply.error_kind, "message": reply.error_message, "status": reply.error_status}
            if reply.error_kind or reply.error_message
            else None
        ),
        "retry_count": reply.retry_count,
        "fallback_used": reply.fallback_used,
        "requests": reply.requests,
        "started_at": iso(reply.started_at),
        "finished_at": iso(reply.finished_at),
        "column": reply.column,
        "demo": reply.demo,
        "routing": reply.routing,
        "quality_cost": reply.quality_cost,
    }


def to_json(
    conversation: Conversation,
    messages: Sequence[StoredMessage],
    totals: Totals,
    database_schema_version: int,
    votes: Sequence[Vote] = (),
) -> dict[str, Any]:
    index = {m.id: i for i, m in enumerate(messages)}
    return {
        "format": EXPORT_FORMAT,
        "schema_version": EXPORT_SCHEMA_VERSION,
        "database_schema_version": database_schema_version,
        "exported_by": f"{APP_NAME} {__version__}",
        "exported_at": iso(datetime.now(UTC).timestamp()),
        "conversation": {
            "title": conversation.title,
            "created_at": iso(conversation.created_at),
            "updated_at": iso(conversation.updated_at),
            "tier_id": conversation.tier_id,
            "pinned": conversation.pinned,
            "archived": conversation.archived,
            "kind": conversation.kind,
            "view": conversation.view,
        },
        "totals": {"turns": totals.turns, "cost_usd": totals.cost_usd},
        "messages": [
            {
                "role": m.role,
                "content": m.content,
                "created_at": iso(m.created_at),
                "tool_calls": m.tool_calls,
                "tool_call_id": m.tool_call_id,
                "parent": index.get(m.parent_id) if m.parent_id is not None else None,
                "chosen": m.is_chosen,
                "meta": m.meta,
                "reply": _reply_json(m.reply) if m.reply else None,
            }
            for m in messages
        ],
        "votes": [
            {
                "prompt": index[v.prompt_id],
                "choice": v.choice,
                "winner_column": v.winner_column,
                "columns": [
                    c.to_json() | {"reply": index.get(c.reply_id or -1)} for c in v.columns
                ],
                "created_at": iso(v.created_at),
            }
            for v in votes
            if v.prompt_id in index
        ],
    }


def _money(usd: float) -> str:
    text = f"{usd:.6f}".rstrip("0").rstrip(".")
    return "$" + (text if text not in ("", "-0") else "0")


def _duration(ms: float) -> str:
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def reply_summary(reply: ReplyInfo) -> str:
    """One line: model, tier, cost and source, tokens, timings, status."""
    parts = [f"Model: {reply.routed_model or 'unknown'}"]
    if reply.requested_tier_id:
        tier = f"tier {reply.requested_tier_id}"
        if reply.candidates:
            tier += " (" + ", ".join(reply.candidates) + ")"
        parts.append(tier)
    elif reply.requested_model:
        parts.append(f"requested {reply.requested_model}")
    if reply.cost_usd is not None:
        parts.append(f"cost {_money(reply.cost_usd)} ({reply.cost_source})")
    else:
        parts.append("cost unknown")
    if reply.prompt_tokens is not None or reply.completion_tokens is not None:
        tokens = f"tokens {reply.prompt_tokens or 0} in / {reply.completion_tokens or 0} out"
        if reply.cached_tokens:
            tokens += f" ({reply.cached_tokens} cached)"
        parts.append(tokens)
    if reply.ttft_ms is not None:
        parts.append(f"first token {_duration(reply.ttft_ms)}")
    if reply.total_ms is not None:
        parts.append(f"total {_duration(reply.total_ms)}")
    if reply.retry_count:
        parts.append(f"{reply.retry_count} retr{'y' if reply.retry_count == 1 else 'ies'}")
    if reply.fallback_used:
        parts.append("fallback used")
    if reply.requests > 1:
        parts.append(f"{reply.requests} requests (tool loop)")
    parts.append(reply.status.value)
    if reply.error_message:
        parts.append(f"error: {reply.error_message}")
    return " · ".join(parts)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M UTC")


_HEADINGS = {"user": "You", "assistant": "Assistant", "system": "System", "tool": "Tool result"}


def _round_markdown(m: StoredMessage, calls: dict[str, dict[str, Any]]) -> list[str]:
    """A tool round's message: the calls the model made, or one call's result."""
    out: list[str] = []
    if m.role == "assistant":
        if m.content:
            out += [m.content, ""]
        for call in m.tool_calls or []:
            fn = call.get("function") if isinstance(call, dict) else None
            fn = fn if isinstance(fn, dict) else {}
            calls[str(call.get("id"))] = fn
        return out
    fn = calls.get(str(m.tool_call_id), {})
    meta = m.meta or {}
    name = meta.get("key") or fn.get("name") or "tool"
    where = f" on MCP server {meta['server']}" if meta.get("server") else ""
    facts = []
    if meta.get("duration_ms") is not None:
        facts.append(_duration(float(meta["duration_ms"])))
    if meta.get("approval"):
        facts.append(("approved by " if meta.get("approved") else "") + str(meta["approval"]))
    out += [f"**Tool call: {name}**{where}" + (f" ({', '.join(facts)})" if facts else ""), ""]
    arguments = fn.get("arguments") or "{}"
    with contextlib.suppress(TypeError, ValueError):
        arguments = json.dumps(json.loads(arguments), indent=2, ensure_ascii=False)
    out += ["```json", str(arguments), "```", "", "Tool result:", "", "```", m.content, "```", ""]
    return out


def _message_markdown(m: StoredMessage, heading: str) -> list[str]:
    title = f"{heading} {_HEADINGS.get(m.role, m.role)} · {_when(m.created_at)}"
    if m.role == "tool" and m.tool_call_id:
        title += f" · call {m.tool_call_id}"
    out = [title, ""]
    if m.content:
        out += [m.content, ""]
    if m.tool_calls:
        out += ["Tool calls:", "", "```json", json.dumps(m.tool_calls, indent=2), "```", ""]
    if m.reply:
        out += ["> " + reply_summary(m.reply), ""]
    return out


def _column_names(conversation: Conversation) -> dict[int, str]:
    """Column index → its tier as the view names it (a comparison's own labels)."""
    names: dict[int, str] = {}
    view = conversation.view or {}
    for item in view.get("columns") or []:
        if isinstance(item, dict) and type(item.get("column")) is int:
            names[item["column"]] = str(item.get("label") or item.get("tier_id") or "")
    return names


def _comparison_markdown(
    conversation: Conversation, messages: Sequence[StoredMessage], votes: Sequence[Vote]
) -> list[str]:
    """Each prompt once, then each column's answer (chosen ones, in column order) with its
    badge line; a vote under its round."""
    names = _column_names(conversation)
    by_prompt: dict[int, list[StoredMessage]] = {}
    for m in messages:
        if m.reply is not None and m.is_chosen and m.parent_id is not None:
            by_prompt.setdefault(m.parent_id, []).append(m)
    vote_of = {v.prompt_id: v for v in votes}
    out: list[str] = []
    number = 0
    for m in messages:
        if m.role != "user":
            continue
        number += 1
        out += [f"## {number}. You · {_when(m.created_at)}", "", m.content, ""]
        answers = sorted(by_prompt.get(m.id, []), key=_column_order)
        for a in answers:
            assert a.reply is not None
            column = a.reply.column
            name = names.get(column or 0) or a.reply.requested_tier_id or "custom"
            label = f"Column {(column or 0) + 1}" if column is not None else "Answer"
            out += [f"### {label} · {name}", ""]
            if a.content:
                out += [a.content, ""]
            out += ["> " + reply_summary(a.reply), ""]
        vote = vote_of.get(m.id)
        if vote is not None:
            out += [f"**Vote:** {_vote_sentence(vote, names)}", ""]
    return out


def _column_order(message: StoredMessage) -> tuple[int, int]:
    column = message.reply.column if message.reply is not None else None
    return (column if column is not None else -1, message.position)


def _vote_sentence(vote: Vote, names: dict[int, str]) -> str:
    if vote.choice == "tie":
        return "a tie"
    if vote.choice == "bad":
        return "all bad"
    winner = vote.winner
    if winner is None:
        return vote.choice
    tier = names.get(winner.column) or winner.tier_id or "custom"
    return f"{winner.label} was better ({tier}, {winner.model or 'unknown model'})"


def to_markdown(
    conversation: Conversation,
    messages: Sequence[StoredMessage],
    totals: Totals,
    votes: Sequence[Vote] = (),
) -> str:
    out = [f"# {conversation.display_title}", ""]
    spend = _money(totals.cost_usd) + (" (partly estimated)" if totals.includes_estimates else "")
    out += [
        f"*Exported from {APP_NAME} {__version__} · started {_when(conversation.created_at)} · "
        f"{totals.turns} turn{'s' if totals.turns != 1 else ''} · {spend}*",
        "",
    ]
    if conversation.kind in COMPARISON_KINDS:
        return "\n".join(out + _comparison_markdown(conversation, messages, votes)).rstrip() + "\n"
    replies = {m.id for m in messages if m.reply is not None}
    rounds: dict[int, list[StoredMessage]] = {}
    for m in messages:  # a reply's tool loop goes right before its text
        if m.reply is None and m.parent_id in replies:
            rounds.setdefault(m.parent_id, []).append(m)
    alternatives: dict[int, list[StoredMessage]] = {}
    for m in messages:
        if not m.is_chosen and m.parent_id is not None and m.reply is not None:
            alternatives.setdefault(m.parent_id, []).append(m)
    in_rounds = {r.id for ms in rounds.values() for r in ms}

    def with_tools(m: StoredMessage, heading: str) -> list[str]:
        lines: list[str] = []
        if m.id in rounds:
            calls: dict[str, dict[str, Any]] = {}
            _round_markdown(m, calls)  # a reply that holds its calls itself (older exports)
            lines += [f"{heading} Tools · {_when(m.created_at)}", ""]
            for r in rounds[m.id]:
                lines += _round_markdown(r, calls)
        return lines + _message_markdown(m, heading)

    for m in messages:
        if not m.is_chosen or m.id in in_rounds:
            continue
        out += with_tools(m, "##")
        if m.role == "user":
            continue
        if m.reply and m.parent_id is not None:
            for alt in alternatives.pop(m.parent_id, []):
                out += with_tools(alt, "### Alternative:")
    for rest in alternatives.values():  # alternatives whose chosen sibling is gone
        for alt in rest:
            out += with_tools(alt, "### Alternative:")
    return "\n".join(out).rstrip() + "\n"


# --- import ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportedMessage:
    role: str
    content: str
    created_at: float | None
    tool_calls: list[dict[str, Any]] | None
    tool_call_id: str | None
    parent: int | None
    chosen: bool
    reply: dict[str, Any] | None  # replies-table columns
    meta: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class ImportedVote:
    prompt: int  # index into messages
    choice: str
    winner_column: int | None
    columns: list[dict[str, Any]]
    created_at: float | None


@dataclass(frozen=True, slots=True)
class ImportedConversation:
    title: str
    created_at: float | None
    updated_at: float | None
    tier_id: str | None
    pinned: bool
    archived: bool
    messages: list[ImportedMessage]
    kind: str = "chat"
    view: dict[str, Any] | None = None
    votes: list[ImportedVote] | None = None


def _fail(where: str, what: str) -> ImportFormatError:
    return ImportFormatError(f"Not a valid RouteChat conversation export: {where}: {what}")


def _obj(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, f"expected an object, got {type(value).__name__}")
    return value


def _opt_str(obj: Mapping[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _fail(f"{where}.{key}", f"expected text, got {type(value).__name__}")


def _opt_bool(obj: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = obj.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    raise _fail(f"{where}.{key}", f"expected true or false, got {value!r}")


def _opt_int(obj: Mapping[str, Any], key: str, where: str) -> int | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _fail(f"{where}.{key}", f"expected a whole number ≥ 0, got {value!r}")
    return value


def _opt_float(obj: Mapping[str, Any], key: str, where: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(f"{where}.{key}", f"expected a number, got {value!r}")
    return float(value)


def _opt_time(obj: Mapping[str, Any], key: str, where: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            return parsed.timestamp()
    raise _fail(f"{where}.{key}", f"expected an ISO 8601 time, got {value!r}")


def _parse_reply(value: Any, where: str) -> dict[str, Any]:
    obj = _obj(value, where)
    status = obj.get("status", "complete")
    if status == "streaming":  # exported mid-stream: it will never finish now
        status = "interrupted"
    if status not in FINAL_STATUSES:
        raise _fail(f"{where}.status", f"expected one of {', '.join(sorted(FINAL_STATUSES))}")
    cost_source = obj.get("cost_source", "unknown")
    if cost_source not in COST_SOURCES:
        raise _fail(f"{where}.cost_source", f"expected one of {', '.join(COST_SOURCES)}")
    candidates = obj.get("candidates")
    if candidates is not None and (
        not isinstance(candidates, list) or not all(isinstance(c, str) for c in candidates)
    ):
        raise _fail(f"{where}.candidates", "expected a list of model names")
    usage = _obj(obj.get("usage") or {}, f"{where}.usage")
    error = _obj(obj.get("error") or {}, f"{where}.error")
    retry_count = _opt_int(obj, "retry_count", where)
    routing = obj.get("routing")
    if routing is not None and not isinstance(routing, Mapping):
        raise _fail(f"{where}.routing", "expected an object")
    return {
        "status": status,
        "requested_tier_id": _opt_str(obj, "requested_tier_id", where),
        "candidates": json.dumps(candidates) if candidates is not None else None,
        "requested_model": _opt_str(obj, "requested_model", where),
        "routed_model": _opt_str(obj, "routed_model", where),
        "prompt_tokens": _opt_int(usage, "prompt_tokens", f"{where}.usage"),
        "completion_tokens": _opt_int(usage, "completion_tokens", f"{where}.usage"),
        "total_tokens": _opt_int(usage, "total_tokens", f"{where}.usage"),
        "cached_tokens": _opt_int(usage, "cached_tokens", f"{where}.usage"),
        "cost_usd": _opt_float(obj, "cost_usd", where),
        "cost_source": cost_source,
        "ttft_ms": _opt_float(obj, "ttft_ms", where),
        "total_ms": _opt_float(obj, "total_ms", where),
        "finish_reason": _opt_str(obj, "finish_reason", where),
        "error_kind": _opt_str(error, "kind", f"{where}.error"),
        "error_message": _opt_str(error, "message", f"{where}.error"),
        "error_status": _opt_int(error, "status", f"{where}.error"),
        "retry_count": retry_count or 0,
        "fallback_used": int(_opt_bool(obj, "fallback_used", where, False)),
        "requests": max(1, _opt_int(obj, "requests", where) or 1),
        "started_at": _opt_time(obj, "started_at", where),
        "finished_at": _opt_time(obj, "finished_at", where),
        "column_index": _opt_int(obj, "column", where),
        "demo": int(_opt_bool(obj, "demo", where, False)),
        "routing": json.dumps(dict(routing), ensure_ascii=False) if routing else None,
        "selection": routing_selection(routing),
        "quality_cost": _opt_int(obj, "quality_cost", where),
    }


def _parse_vote(value: Any, index: int, messages: list[ImportedMessage]) -> ImportedVote:
    where = f"votes[{index}]"
    obj = _obj(value, where)
    prompt = obj.get("prompt")
    if (
        isinstance(prompt, bool)
        or not isinstance(prompt, int)
        or not 0 <= prompt < len(messages)
        or messages[prompt].role != "user"
    ):
        raise _fail(f"{where}.prompt", f"expected the index of a prompt, got {prompt!r}")
    choice = obj.get("choice")
    if choice not in VOTE_CHOICES:
        raise _fail(f"{where}.choice", f"expected one of {', '.join(VOTE_CHOICES)}")
    columns = obj.get("columns") or []
    if not isinstance(columns, list) or not all(isinstance(c, Mapping) for c in columns):
        raise _fail(f"{where}.columns", "expected a list of objects")
    kept = []
    for i, column in enumerate(columns):
        at = f"{where}.columns[{i}]"
        number = _opt_int(column, "column", at)
        if number is None:
            raise _fail(f"{at}.column", "expected the column's number")
        reply = _opt_int(column, "reply", at)
        kept.append(
            {
                "column": number,
                "label": _opt_str(column, "label", at) or "",
                "tier_id": _opt_str(column, "tier_id", at),
                "model": _opt_str(column, "model", at),
                "reply": reply if reply is not None and reply < len(messages) else None,
            }
        )
    return ImportedVote(
        prompt=prompt,
        choice=choice,
        winner_column=_opt_int(obj, "winner_column", where),
        columns=kept,
        created_at=_opt_time(obj, "created_at", where),
    )


def _parse_message(value: Any, index: int) -> ImportedMessage:
    where = f"messages[{index}]"
    obj = _obj(value, where)
    role = obj.get("role")
    if role not in ROLES:
        raise _fail(f"{where}.role", f"expected one of {', '.join(ROLES)}, got {role!r}")
    content = obj.get("content", "")
    if content is None:
        content = ""
    if not isinstance(content, str):
        raise _fail(f"{where}.content", f"expected text, got {type(content).__name__}")
    tool_calls = obj.get("tool_calls")
    if tool_calls is not None and (
        not isinstance(tool_calls, list) or not all(isinstance(c, dict) for c in tool_calls)
    ):
        raise _fail(f"{where}.tool_calls", "expected a list of objects")
    parent = obj.get("parent")
    if parent is not None and (
        isinstance(parent, bool) or not isinstance(parent, int) or not 0 <= parent < index
    ):
        raise _fail(f"{where}.parent", f"expected the index of an earlier message, got {parent!r}")
    meta = obj.get("meta")
    if meta is not None and not isinstance(meta, dict):
        raise _fail(f"{where}.meta", "expected an object")
    reply = obj.get("reply")
    if reply is not None and role != "assistant":
        raise _fail(f"{where}.reply", "only assistant messages carry reply data")
    return ImportedMessage(
        role=role,
        content=content,
        created_at=_opt_time(obj, "created_at", where),
        tool_calls=tool_calls or None,
        tool_call_id=_opt_str(obj, "tool_call_id", where),
        parent=parent,
        chosen=_opt_bool(obj, "chosen", where, True),
        reply=_parse_reply(reply, f"{where}.reply") if reply is not None else None,
        meta=meta,
    )


def parse_import(data: str | bytes | Mapping[str, Any]) -> ImportedConversation:
    if isinstance(data, str | bytes):
        if len(data) > MAX_IMPORT_BYTES:
            raise ImportFormatError("The file is too large to be a conversation export.")
        try:
            data = json.loads(data)
        except UnicodeDecodeError as exc:
            raise ImportFormatError(f"The file is not UTF-8 text: {exc.reason}.") from exc
        except json.JSONDecodeError as exc:
            raise ImportFormatError(
                f"The file is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
            ) from exc
        except RecursionError as exc:
            raise ImportFormatError("The file is nested too deeply to be an export.") from exc
    root = _obj(data, "top level")
    if root.get("format") != EXPORT_FORMAT:
        raise _fail("format", f"expected {EXPORT_FORMAT!r}, got {root.get('format')!r}")
    version = root.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise _fail("schema_version", f"expected a positive whole number, got {version!r}")
    if version > EXPORT_SCHEMA_VERSION:
        raise ImportFormatError(
            f"This export was written by a newer RouteChat (format version {version}; this "
            f"version reads up to {EXPORT_SCHEMA_VERSION}). Update RouteChat to import it."
        )
    conv = _obj(root.get("conversation") or {}, "conversation")
    messages = root.get("messages")
    if not isinstance(messages, list):
        raise _fail("messages", "expected a list")
    parsed = [_parse_message(m, i) for i, m in enumerate(messages)]
    kind = conv.get("kind") or "chat"
    if kind not in KINDS:
        raise _fail("conversation.kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
    view = conv.get("view")
    if view is not None and not isinstance(view, Mapping):
        raise _fail("conversation.view", "expected an object")
    votes = root.get("votes") or []
    if not isinstance(votes, list):
        raise _fail("votes", "expected a list")
    return ImportedConversation(
        title=_opt_str(conv, "title", "conversation") or "",
        created_at=_opt_time(conv, "created_at", "conversation"),
        updated_at=_opt_time(conv, "updated_at", "conversation"),
        tier_id=_opt_str(conv, "tier_id", "conversation"),
        pinned=_opt_bool(conv, "pinned", "conversation", False),
        archived=_opt_bool(conv, "archived", "conversation", False),
        messages=parsed,
        kind=kind,
        view=dict(view) if view is not None else None,
        votes=[_parse_vote(v, i, parsed) for i, v in enumerate(votes)],
    )


def insert_import(conn: sqlite3.Connection, data: ImportedConversation, now: float) -> int:
    """Insert a parsed import as a new conversation inside the caller's transaction."""
    title = data.title
    if not title:
        first = next((m.content for m in data.messages if m.role == "user"), "")
        title = make_title(first)
    created = data.created_at if data.created_at is not None else now
    cur = conn.execute(
        "INSERT INTO conversations (title, created_at, updated_at, tier_id, pinned, archived, "
        "kind, view) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            " ".join(title.split()),
            created,
            data.updated_at if data.updated_at is not None else created,
            data.tier_id,
            int(data.pinned),
            int(data.archived),
            data.kind,
            json.dumps(data.view, ensure_ascii=False) if data.view is not None else None,
        ),
    )
    conversation_id = cur.lastrowid
    assert conversation_id is not None
    ids: list[int] = []
    for position, m in enumerate(data.messages):
        at = m.created_at if m.created_at is not None else created
        cur = conn.execute(
            "INSERT INTO messages (conversation_id, position, role, content, tool_calls, "
            "tool_call_id, created_at, parent_id, is_chosen, meta) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                conversation_id,
                position,
                m.role,
                m.content,
                json.dumps(m.tool_calls, ensure_ascii=False) if m.tool_calls else None,
                m.tool_call_id,
                at,
                ids[m.parent] if m.parent is not None else None,
                int(m.chosen),
                json.dumps(m.meta, ensure_ascii=False) if m.meta is not None else None,
            ),
        )
        assert cur.lastrowid is not None
        ids.append(cur.lastrowid)
        if m.reply is not None:
            columns = dict(m.reply)
            if columns["started_at"] is None:
                columns["started_at"] = at
            columns["message_id"] = cur.lastrowid
            columns["conversation_id"] = conversation_id
            names = ", ".join(columns)
            marks = ", ".join("?" for _ in columns)
            conn.execute(f"INSERT INTO replies ({names}) VALUES ({marks})", tuple(columns.values()))
    for vote in data.votes or []:
        winner = vote.winner_column
        if vote.choice in ("tie", "bad"):
            winner = None
        columns_json = [
            {
                "column": c["column"],
                "label": c["label"],
                "tier_id": c["tier_id"],
                "model": c["model"],
                "reply_id": ids[c["reply"]] if c["reply"] is not None else None,
            }
            for c in vote.columns
        ]
        conn.execute(
            "INSERT INTO votes (conversation_id, prompt_id, choice, winner_column, columns, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (prompt_id) DO NOTHING",
            (
                conversation_id,
                ids[vote.prompt],
                vote.choice,
                winner,
                json.dumps(columns_json, ensure_ascii=False),
                vote.created_at if vote.created_at is not None else now,
            ),
        )
    return conversation_id
