"""`routechat ask`: one prompt through the same chat service as the window (retries, the
fallback model, cost and timings of the whole turn), streamed to stdout or summed up as JSON."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from desktop_app.cli.common import (
    EXIT_BUDGET,
    EXIT_USAGE,
    epilog,
    exit_code_for,
    missing_key_error,
    resolve_base_url,
    say,
)

if TYPE_CHECKING:
    from desktop_app.api.errors import ApiError
    from desktop_app.api.events import RoutingInfo, TurnResult
    from desktop_app.config.paths import AppPaths
    from desktop_app.config.settings import Settings
    from desktop_app.routing.plan import TurnPlan
    from desktop_app.services.budget import SpendingGuard, Verdict
    from desktop_app.services.catalogue import ModelCatalogue
    from desktop_app.services.chat import TurnRecorder
    from desktop_app.services.tools.specs import ToolOutcome
    from desktop_app.store import HistoryStore


def add_parser(sub: Any) -> None:
    ask = sub.add_parser(
        "ask",
        help="send one prompt and stream the answer",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    route = ask.add_mutually_exclusive_group()
    route.add_argument("--tier", help="tier or use case (default: balanced); see `routechat tiers`")
    route.add_argument("--candidates", help="comma-separated provider/model pool for the router")
    route.add_argument("--model", help="a fixed provider/model (no routing)")
    ask.add_argument("--base-url", help="API base URL (…/v3 or …/v3/llm)")
    ask.add_argument("--max-tokens", type=int, help="cap the answer's length")
    ask.add_argument("--temperature", type=float)
    ask.add_argument("--system", help="a system message sent before the prompt")
    ask.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    ask.add_argument(
        "--no-history",
        action="store_true",
        help="leave this turn out of your history (it is recorded in the day's "
        '"Command line" conversation otherwise)',
    )
    ask.add_argument(
        "--ignore-budget",
        action="store_true",
        help="send even when a spending limit (Preferences → Spending) is reached",
    )
    ask.add_argument(
        "--tools",
        metavar="TOOLS",
        help="tools the model may call, comma-separated: calculator, datetime, convert_units, "
        "read_file, mcp:SERVER/TOOL (servers from Settings → Tools)",
    )
    ask.add_argument(
        "--approve-all",
        action="store_true",
        help="run tools that need approval (read_file, MCP tools) without asking; without it "
        "they are denied",
    )
    ask.add_argument("prompt", nargs="+", help="the prompt ('-' reads it from standard input)")


def plan_from_args(
    tier: str | None, candidates: str | None, model: str | None
) -> tuple[TurnPlan, str | None]:
    """The plan for `--tier`, `--candidates` or `--model`, and the tier id the summary names
    (None for a custom pool or a fixed model); UsageError for an unknown tier."""
    from desktop_app.cli.common import UsageError
    from desktop_app.cli.pools import service
    from desktop_app.routing.plan import plan_for
    from desktop_app.routing.tiers import DEFAULT_TIER_ID, custom_tier, fixed_model_tier

    if model:
        return plan_for(fixed_model_tier(model)), None
    if candidates:
        pool = tuple(c.strip() for c in candidates.split(",") if c.strip())
        if not pool:
            raise UsageError("--candidates needs at least one provider/model")
        return plan_for(custom_tier(pool)), None
    pools = service()
    pools.load()
    found = pools.find(tier or DEFAULT_TIER_ID)  # a tier id, or a saved pool by name or id
    if found is None:
        known = ", ".join(t.id for t in pools.all_pools())
        raise UsageError(f"unknown tier {tier!r}; known: {known}")
    return plan_for(found), found.id


async def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from desktop_app.api.client import EdenClient
    from desktop_app.api.config import ClientConfig
    from desktop_app.api.events import RoutedModel, TextDelta
    from desktop_app.cli.common import UsageError
    from desktop_app.config.paths import default_paths
    from desktop_app.config.settings import load_settings
    from desktop_app.secrets import load_key
    from desktop_app.services.catalogue import ModelCatalogue, cache_file
    from desktop_app.services.chat import ChatService

    try:
        plan, tier_id = plan_from_args(args.tier, args.candidates, args.model)
    except UsageError as exc:
        say(err, str(exc))
        return EXIT_USAGE
    prompt = " ".join(args.prompt)
    from_stdin = prompt == "-"
    if from_stdin:
        prompt = sys.stdin.read()
    lookup = load_key()
    if not lookup.key:
        return finish(args, out, err, None, plan, tier_id, missing_key_error(lookup.problem))

    routed: list[str] = []

    def on_event(event: object) -> None:
        if args.json:
            return
        if isinstance(event, TextDelta):
            out.write(event.text)
            out.flush()
        elif isinstance(event, RoutedModel) and event.model not in routed:  # once a loop
            routed.append(event.model)
            err.write(f"[routed to {event.model}]\n")
            err.flush()

    paths = default_paths()
    settings = load_settings(paths).settings
    base_url = resolve_base_url(args.base_url)
    config = ClientConfig(base_url=base_url, timeouts=settings.timeouts)
    catalogue = ModelCatalogue(cache_file(paths.cache_dir, base_url))  # no fetch: the cache
    calls: list[ToolOutcome] = []
    requests = 1
    store = open_store(paths, err)
    try:
        if store is not None and not args.ignore_budget:
            interactive = not from_stdin and sys.stdin.isatty() and err.isatty()
            plan, refusal = check_budget(
                store, settings, catalogue, plan, prompt, args, err, interactive
            )
            if refusal is not None:
                return refuse(args, out, err, plan, tier_id, refusal)
        recorder, conversation_id = recorder_for(store, args, err)
        async with EdenClient(config, lookup.key, prices=catalogue.prices) as client:
            service = ChatService(
                lambda: client,
                recorder,
                policy=lambda: settings.retries,
                tags=lambda: settings.send_tags,
            )
            tools = None
            tool_service = None
            try:
                if args.tools:
                    prepared = await prepare_tools(
                        args, err, plan, catalogue, client, paths, settings
                    )
                    if isinstance(prepared, int):
                        return prepared
                    plan, tools, tool_service = prepared
                turn = service.start_turn(conversation_id, prompt, plan)

                def report(event: object) -> None:
                    on_tool_event(args, err, event, calls)
                    on_event(event)

                result = await service.run(
                    turn,
                    report,
                    max_tokens=args.max_tokens,
                    temperature=args.temperature,
                    on_retry=lambda notice: (
                        None if args.json else say(err, notice.describe() + "…")
                    ),
                    tools=tools,
                )
                requests = turn.requests
            finally:
                if tool_service is not None:
                    await tool_service.aclose()
    finally:
        if store is not None:
            store.close()
    if not args.json and result.text and not result.text.endswith("\n"):
        out.write("\n")
    extra = (
        {"tool_calls": [call_json(c) for c in calls], "requests": requests} if args.tools else {}
    )
    return finish(args, out, err, result, plan, tier_id, result.error, extra)


async def prepare_tools(
    args: argparse.Namespace,
    err: TextIO,
    plan: TurnPlan,
    catalogue: Any,
    client: Any,
    paths: Any,
    settings: Any,
) -> int | tuple[TurnPlan, Any, Any]:
    """The plan narrowed to tool-capable candidates, the turn's tool executor and the tool
    service (to close); or an exit code once the problem is said."""
    from desktop_app.routing.plan import restrict_to_tools
    from desktop_app.services.tools.executor import approver_for_cli
    from desktop_app.services.tools.mcp import McpProblem
    from desktop_app.services.tools.service import (
        TOOLS_FILE,
        ToolService,
        UnknownTool,
        parse_tool_keys,
    )

    keys = parse_tool_keys(args.tools)
    if not keys:
        say(err, "--tools needs at least one tool name")
        return EXIT_USAGE
    refreshed = await catalogue.refresh(client.fetch_model_list)  # at most hourly
    if refreshed.problem:
        say(err, refreshed.problem)

    def supports_tools(model_id: str) -> bool:
        info = catalogue.get(model_id)
        return info is not None and bool(info.supports_tools)

    routing = restrict_to_tools(plan, supports_tools)
    if routing.plan is None:
        say(err, f"{routing.problem} Choose tool-capable models (e.g. --tier functions).")
        return EXIT_USAGE
    if routing.note:
        say(err, routing.note)
    tool_service = ToolService(paths.config_dir / TOOLS_FILE, lambda: settings.tools)
    if problem := tool_service.load():
        say(err, problem)
    try:
        specs = await tool_service.specs_for_keys(keys)
    except (UnknownTool, McpProblem) as exc:
        await tool_service.aclose()
        say(err, str(exc))
        return EXIT_USAGE
    executor = tool_service.executor(specs, approver_for_cli(args.approve_all), None)
    return routing.plan, executor, tool_service


def on_tool_event(
    args: argparse.Namespace, err: TextIO, event: object, calls: list[ToolOutcome]
) -> None:
    """Keep every tool call for the summary; say what the loop does on stderr (not --json)."""
    from desktop_app.services.tools.executor import FollowUp, ToolNote, ToolProgress, ToolRound
    from desktop_app.services.tools.specs import CallState

    if isinstance(event, ToolRound):
        calls.extend(event.outcomes)
    if args.json:
        return
    if isinstance(event, ToolProgress) and event.outcome.state not in (
        CallState.PENDING,
        CallState.WAITING,
        CallState.RUNNING,
    ):
        o = event.outcome
        took = f"{o.duration_ms:.0f} ms, " if o.duration_ms is not None else ""
        result = " ".join(o.result.split())
        if len(result) > 200:
            result = result[:199] + "…"
        err.write(f"[tool {o.key or o.name} {o.arguments_text} → {result} ({took}{o.approval})]\n")
        err.flush()
    elif isinstance(event, FollowUp):
        err.write(f"[request {event.number}: pinned to {event.model or 'the router'}]\n")
        err.flush()
    elif isinstance(event, ToolNote):
        say(err, event.text)


def call_json(outcome: ToolOutcome) -> dict[str, Any]:
    """One entry of `tool_calls`: `approved` is true when the call ran."""
    arguments = outcome.arguments
    if not isinstance(arguments, dict):
        arguments = {"_raw": outcome.arguments_text}
    return {
        "name": outcome.key or outcome.name,
        "arguments": arguments,
        "result": outcome.result,
        "approved": outcome.approved,
        "duration_ms": float(outcome.duration_ms or 0.0),
    }


def open_store(paths: AppPaths, err: TextIO) -> HistoryStore | None:
    """The user's history (None, said on stderr, when it cannot be opened: the turn then goes
    out unrecorded and unchecked, as the window keeps a session apart in that case)."""
    from desktop_app.store import HistoryStore, StoreError

    try:
        # Never recovered here: the window may be streaming into the same file.
        store = HistoryStore.open(paths.database_file, recover=False)
    except StoreError as exc:
        say(err, f"{exc} This turn is not recorded and spending limits are not checked.")
        return None
    for notice in store.report.notices():
        say(err, notice)
    return store


def recorder_for(
    store: HistoryStore | None, args: argparse.Namespace, err: TextIO
) -> tuple[TurnRecorder, int]:
    """The day's "Command line" conversation and its recorder, or memory for --no-history."""
    from desktop_app.services.chat import MemoryRecorder
    from desktop_app.services.cli_history import command_line_recorder, conversation_for_today
    from desktop_app.store import StoreError

    if store is not None and not args.no_history:
        try:
            conversation_id = conversation_for_today(store)
        except StoreError as exc:
            say(err, f"This turn is not recorded: {exc}")
        else:
            return command_line_recorder(store, args.system, lambda m: say(err, m)), conversation_id
    return MemoryRecorder(system=args.system), 1


def check_budget(
    store: HistoryStore,
    settings: Settings,
    catalogue: ModelCatalogue,
    plan: TurnPlan,
    prompt: str,
    args: argparse.Namespace,
    err: TextIO,
    interactive: bool,
) -> tuple[TurnPlan, str | None]:
    """The spending limits, as the window applies them: the plan to send with (cheaper models
    near the limit, when asked for) and, when the limit refuses, why. "Ask before each send"
    asks on a terminal; without one it refuses (use --ignore-budget)."""
    from desktop_app.store import StoreError

    guard = spending_guard(store, settings, catalogue, args.max_tokens, interactive)
    try:
        estimate = guard.estimate(plan, [args.system] if args.system else [], prompt)
        verdict, plan = guard.before_send(plan, estimate, command_line=True)
        for notice in guard.notices(guard.status()):
            say(err, notice)
    except StoreError as exc:
        say(err, f"Spending limits could not be checked: {exc}")
        return plan, None
    return plan, answer(verdict, err)


def spending_guard(
    store: HistoryStore,
    settings: Settings,
    catalogue: ModelCatalogue,
    max_tokens: int | None,
    interactive: bool,
) -> SpendingGuard:
    """The window's spending rules for a command: without a terminal to ask on, "ask before
    each send" refuses."""
    import dataclasses

    from desktop_app.services.budget import SpendingGuard

    if not interactive and settings.spending.at_limit == "ask":
        spending = dataclasses.replace(settings.spending, at_limit="refuse")
        settings = dataclasses.replace(settings, spending=spending)
    effective = dataclasses.replace(settings, max_tokens=max_tokens or settings.max_tokens)
    return SpendingGuard(store, lambda: effective, catalogue.snapshot)


def answer(verdict: Verdict, err: TextIO) -> str | None:
    """None when the send may go (asked on the terminal when the limit says "ask"), else why
    not."""
    if verdict.action == "refuse":
        return verdict.message
    if verdict.action == "ask":
        err.write(f"routechat: {verdict.message} [y/N] ")
        err.flush()
        if sys.stdin.readline().strip().lower() not in ("y", "yes"):
            return "Not sent: the spending limit is reached."
    return None


def refuse(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    plan: TurnPlan,
    tier_id: str | None,
    message: str,
) -> int:
    """A send the spending limit refused: nothing went out (exit code 4)."""
    from desktop_app.api.errors import ApiError, ErrorKind

    error = ApiError(ErrorKind.CREDITS, message)
    finish(args, out, err, None, plan, tier_id, error, error_kind="budget")
    return EXIT_BUDGET


def routing_json(info: RoutingInfo | None) -> dict[str, Any] | None:
    """The `routing` key: how the router chose (null when the server sent no metadata;
    `chosen` null when the request named its own model)."""
    if info is None:
        return None
    return {
        "selection": info.selection,
        "chosen": info.chosen,
        "dropped": list(info.dropped),
        "attempt": info.attempt,
    }


def finish(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    result: TurnResult | None,
    plan: TurnPlan,
    tier_id: str | None,
    error: ApiError | None,
    extra: dict[str, Any] | None = None,
    *,
    error_kind: str | None = None,
) -> int:
    """Print the summary (`extra`: keys a tool turn adds; `error_kind` names an error that is
    not the API's, e.g. "budget") and return the exit code."""
    from desktop_app.services import format as fmt

    usage = result.usage if result else None
    if error is not None and error.retry_after is not None:
        error = dataclasses.replace(
            error, message=f"{error.message.rstrip('.')}. Retry after {error.retry_after:g} s."
        )
    summary: dict[str, Any] = {
        "text": result.text if result else "",
        "model": result.model if result else None,
        "tier": tier_id,
        "candidates": list(plan.candidates) if plan.candidates else None,
        "cost_usd": result.cost_usd if result else None,
        "cost_source": result.cost_source.value if result else "unknown",
        "prompt_tokens": usage.prompt_tokens if usage else None,
        "completion_tokens": usage.completion_tokens if usage else None,
        "ttft_ms": result.ttft_ms if result else None,
        "total_ms": result.total_ms if result else 0.0,
        "finish_reason": result.finish_reason if result else None,
        "error": {**error.to_json(), "kind": error_kind or error.kind.value} if error else None,
        "routing": routing_json(result.routing if result else None),
        **(extra or {}),
    }
    if args.json:
        out.write(json.dumps(summary, ensure_ascii=False) + "\n")
        out.flush()
    else:
        cost = fmt.money(summary["cost_usd"], summary["cost_source"])
        parts = [
            f"model {summary['model'] or 'unknown'}",
            "cost unknown" if cost == "—" else f"{cost} ({summary['cost_source']})",
            "tokens " + fmt.tokens(summary["prompt_tokens"], summary["completion_tokens"]),
        ]
        if summary["ttft_ms"] is not None:
            parts.append(f"first token {fmt.duration(summary['ttft_ms'])}")
        parts.append(f"total {fmt.duration(summary['total_ms'])}")
        if summary.get("requests", 1) > 1:
            parts.append(f"routed once, pinned for {summary['requests']} requests")
        err.write("— " + " · ".join(parts) + "\n")
    if error is not None:
        say(err, error.message)
    return exit_code_for(error)
