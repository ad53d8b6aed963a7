"""`routechat compare`: one prompt, or a workload of prompts, sent to 2-4 tiers side by side
through the same chat service as the window (retries, the fallback model, cost and timings).

A single prompt streams every column at once as interleaved lines prefixed `[tier]`; `--json`
prints one object last instead. `--workload FILE` runs every prompt through every column with
at most `--concurrency` requests in flight, and prints per-column totals (`--json`: the
summary object), `--csv OUT` one row per prompt × column. The shapes are in the help text and
`services.compare` (`Outcome.to_json`, `ColumnTotals.to_json`, `CSV_HEADER`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from desktop_app.cli.common import (
    EXIT_BUDGET,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    epilog,
    exit_code_for,
    missing_key_error,
    resolve_base_url,
    say,
)

if TYPE_CHECKING:
    from desktop_app.api.client import EdenClient
    from desktop_app.api.errors import ApiError
    from desktop_app.config.paths import AppPaths
    from desktop_app.services.chat import TurnEvent, TurnRecorder
    from desktop_app.services.compare import Job, Outcome, RunColumn
    from desktop_app.store import HistoryStore

SHAPES = """\
With --json, a single prompt prints one object as its last line:
  {"prompt": str, "columns": [{"tier", "candidates", "model", "text", "cost_usd",
   "cost_source", "prompt_tokens", "completion_tokens", "ttft_ms", "total_ms",
   "finish_reason", "error": {"kind", "message", "status"} | null}],
   "cheapest": tier | null, "fastest_first_token": tier | null}
and a workload its summary:
  {"prompts": int, "columns": [{"tier", "requests", "failures", "cost_usd", "unknown_costs",
   "ttft_p50_ms", "ttft_p95_ms", "total_p50_ms", "total_p95_ms", "models": {model: count}}]}
--csv writes the header
  prompt_index,prompt,column,tier,model,cost_usd,cost_source,prompt_tokens,
  completion_tokens,ttft_ms,total_ms,error_kind
(prompt_index and column 0-based, an empty cell for null). Columns come in the order given.
Unknown costs never count as the cheapest; timings in the totals are over completed answers.
Exit code: 0 when at least one answer succeeded, else the first column's error code.

"""


class _AddColumn(argparse.Action):
    """--tiers, --model and --candidates add columns in the order they are given."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        columns = list(getattr(namespace, "columns", None) or [])
        columns.append((self.dest, str(values)))
        namespace.columns = columns


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "compare",
        help="send one prompt, or a workload, to 2-4 tiers side by side",
        description="Compare tiers, pools and fixed models on the same prompt(s): the routed "
        "model, cost, tokens and timings of each column.",
        epilog=SHAPES + epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(columns=[])
    p.add_argument(
        "--tiers",
        action=_AddColumn,
        metavar="T1,T2[,T3,T4]",
        help="columns by tier, use case or model:provider/name (see `routechat tiers`)",
    )
    p.add_argument(
        "--model",
        action=_AddColumn,
        metavar="M",
        help="add a fixed-model column (its tier is model:M); repeatable",
    )
    p.add_argument(
        "--candidates",
        action=_AddColumn,
        metavar="A,B,C",
        help="add a column routed among your own provider/model pool (its tier is custom)",
    )
    p.add_argument("--base-url", help="API base URL (…/v3 or …/v3/llm)")
    p.add_argument("--max-tokens", type=int, metavar="N", help="cap each answer's length")
    p.add_argument("--json", action="store_true", help="print one JSON object last")
    p.add_argument(
        "--workload",
        metavar="FILE",
        help='run every prompt of FILE (.txt: one a line; .jsonl: {"prompt": ...} a line)',
    )
    p.add_argument(
        "--concurrency",
        type=int,
        default=4,
        metavar="N",
        help="at most N requests in flight (default 4)",
    )
    p.add_argument("--csv", metavar="OUT", help="write one row per prompt × column to OUT")
    p.add_argument(
        "--ignore-budget",
        action="store_true",
        help="send even when a spending limit (Preferences → Spending) would refuse it",
    )
    p.add_argument(
        "--no-history",
        action="store_true",
        help="leave these turns out of your history (they are recorded in the day's "
        '"Command line" conversation otherwise, where statistics and spending limits see them)',
    )
    p.add_argument("prompt", nargs="*", help="the prompt ('-' reads it from standard input)")


def _columns(args: argparse.Namespace) -> list[RunColumn]:
    from desktop_app.cli.pools import service
    from desktop_app.routing.plan import plan_for
    from desktop_app.routing.tiers import custom_tier, fixed_model_tier
    from desktop_app.services.compare import MAX_COLUMNS, MIN_COLUMNS, RunColumn

    pools = service()  # a saved pool by name or id, as for `ask --tier`
    pools.load()
    tiers = []
    for option, value in args.columns:
        if option == "tiers":
            for name in (v.strip() for v in value.split(",")):
                if not name:
                    raise UsageError("--tiers has an empty name; separate tiers with commas")
                found = pools.find(name)
                if found is None:
                    known = ", ".join(p.id for p in pools.all_pools())
                    raise UsageError(
                        f"unknown tier {name!r}; known: {known} (or model:provider/name)"
                    )
                tiers.append(found)
        elif option == "model":
            if "/" not in value.strip():
                raise UsageError(f"--model wants provider/model, not {value!r}")
            tiers.append(fixed_model_tier(value.strip()))
        else:
            pool = tuple(c.strip() for c in value.split(",") if c.strip())
            if not pool:
                raise UsageError("--candidates needs at least one provider/model")
            tiers.append(custom_tier(pool))
    ids = [t.id for t in tiers]
    for tier_id in ids:
        if ids.count(tier_id) > 1:
            raise UsageError(f"column {tier_id!r} is given twice; each column must differ")
    if not MIN_COLUMNS <= len(tiers) <= MAX_COLUMNS:
        raise UsageError(
            f"compare needs {MIN_COLUMNS} to {MAX_COLUMNS} columns (from --tiers, --model and "
            f"--candidates); {len(tiers)} given"
        )
    return [RunColumn(i, t.id, plan_for(t)) for i, t in enumerate(tiers)]


def _prompts(args: argparse.Namespace) -> list[str]:
    from desktop_app.services.compare import WorkloadError, parse_prompts

    if args.workload and args.prompt:
        raise UsageError("give a PROMPT or --workload FILE, not both")
    if args.workload:
        path = Path(args.workload)
        try:
            data = sys.stdin.buffer.read() if args.workload == "-" else path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            return parse_prompts(data, "workload.txt" if args.workload == "-" else path.name)
        except WorkloadError as exc:
            raise UsageError(str(exc)) from None
    if not args.prompt:
        raise UsageError("give a PROMPT, or --workload FILE")
    prompt = " ".join(args.prompt)
    if prompt == "-":
        prompt = sys.stdin.read()
    if not prompt.strip():
        raise UsageError("the prompt is empty")
    return [prompt]


def _check(args: argparse.Namespace) -> None:
    if args.concurrency < 1:
        raise UsageError("--concurrency must be at least 1")
    if args.max_tokens is not None and args.max_tokens < 1:
        raise UsageError("--max-tokens must be at least 1")
    if args.csv and not Path(args.csv).resolve().parent.is_dir():
        raise UsageError(f"cannot write {args.csv}: its folder does not exist")


class _Printer:
    """Streams the columns as whole lines prefixed `[tier]` (stdout), notes on stderr."""

    def __init__(self, columns: Sequence[RunColumn], out: TextIO, err: TextIO) -> None:
        self._tags = [f"[{c.tier_id}]" for c in columns]
        self._partial = [""] * len(columns)
        self._out = out
        self._err = err

    def event(self, job: Job, event: TurnEvent) -> None:
        from desktop_app.api.events import RoutedModel, TextDelta

        if isinstance(event, TextDelta):
            text = self._partial[job.column] + event.text
            *lines, self._partial[job.column] = text.split("\n")
            tag = self._tags[job.column]
            for line in lines:
                self._out.write(f"{tag} {line}\n" if line else f"{tag}\n")
            if lines:
                self._out.flush()
        elif isinstance(event, RoutedModel):
            self._err.write(f"{self._tags[job.column]} routed to {event.model}\n")
            self._err.flush()

    def finished(self, job: Job, outcome: Outcome) -> None:
        rest = self._partial[job.column]
        self._partial[job.column] = ""
        if rest:
            self._out.write(f"{self._tags[job.column]} {rest}\n")
            self._out.flush()
        if outcome.error is not None:
            message = outcome.error_json() or {}
            self._err.write(f"{self._tags[job.column]} error: {message.get('message')}\n")
            self._err.flush()


def _first_error(outcomes: Sequence[Outcome | None]) -> ApiError | None:
    """None when an answer succeeded; else the first column's error (in column order)."""
    from desktop_app.api.errors import ApiError, ErrorKind

    if any(o is not None and o.succeeded for o in outcomes):
        return None
    for o in outcomes:
        if o is not None and o.error is not None:
            return o.error
    return ApiError(ErrorKind.CANCELLED, "Nothing was sent.")


async def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        _check(args)
        columns = _columns(args)
        prompts = _prompts(args)
    except UsageError as exc:
        say(err, str(exc))
        return EXIT_USAGE
    from desktop_app.api.client import EdenClient
    from desktop_app.api.config import ClientConfig
    from desktop_app.api.errors import ApiError, ErrorKind
    from desktop_app.cli.ask import open_store
    from desktop_app.config.paths import default_paths
    from desktop_app.secrets import load_key

    workload = bool(args.workload)
    lookup = load_key()
    if not lookup.key:  # nothing is sent: a single prompt's columns each carry the error
        error = missing_key_error(lookup.problem)
        results = _not_sent(prompts, columns, workload, error)
        return _finish(args, out, err, prompts, columns, results, workload, unsent=error)
    paths = default_paths()
    base_url = resolve_base_url(args.base_url)
    config = ClientConfig(base_url=base_url)
    store = open_store(paths, err)  # the limits read it, also with --no-history
    try:
        if store is not None and not args.ignore_budget:
            refusal = check_spending(store, paths, base_url, args, prompts, columns, err)
            if refusal is not None:
                error = ApiError(ErrorKind.CREDITS, refusal)
                results = _not_sent(prompts, columns, workload, error, "budget")
                _finish(args, out, err, prompts, columns, results, workload, unsent=error)
                return EXIT_BUDGET
        recorder, today = recorder_for_compare(None if args.no_history else store, err)
        async with EdenClient(config, lookup.key) as client:
            return await _run(args, out, err, client, recorder, today, prompts, columns)
    finally:
        if store is not None:
            store.close()


def _not_sent(
    prompts: Sequence[str],
    columns: Sequence[RunColumn],
    workload: bool,
    error: ApiError,
    kind: str | None = None,
) -> list[list[Outcome | None]]:
    """The results when nothing was sent: a single prompt's columns each carry `error`."""
    from desktop_app.services.compare import Outcome

    return [
        [None if workload else Outcome.not_sent(c.tier_id, c.plan, error, kind) for c in columns]
        for _ in prompts
    ]


def check_spending(
    store: HistoryStore,
    paths: AppPaths,
    base_url: str,
    args: argparse.Namespace,
    prompts: Sequence[str],
    columns: Sequence[RunColumn],
    err: TextIO,
) -> str | None:
    """The spending limits for the whole run, checked as one send: every prompt × column's
    dearest estimate added up (a workload is not sent in part). None: it may go."""
    from desktop_app.cli.ask import answer, spending_guard
    from desktop_app.config.settings import load_settings
    from desktop_app.services.catalogue import ModelCatalogue, cache_file
    from desktop_app.store import StoreError

    settings = load_settings(paths).settings
    catalogue = ModelCatalogue(cache_file(paths.cache_dir, base_url))  # no fetch: the cache
    interactive = args.prompt != ["-"] and sys.stdin.isatty() and err.isatty()
    guard = spending_guard(store, settings, catalogue, args.max_tokens, interactive)
    try:
        estimates = [guard.estimate(c.plan, [], p) for p in prompts for c in columns]
        verdict = guard.before_round(estimates, command_line=True)
        for notice in guard.notices(guard.status()):
            say(err, notice)
    except StoreError as exc:
        say(err, f"Spending limits could not be checked: {exc}")
        return None
    return answer(verdict, err)


def recorder_for_compare(
    store: HistoryStore | None, err: TextIO
) -> tuple[TurnRecorder, int | None]:
    """The day's "Command line" conversation and its recorder (every prompt sent on its own),
    or memory when there is no history (--no-history, or it cannot be opened)."""
    from desktop_app.services.chat import MemoryRecorder
    from desktop_app.services.cli_history import command_line_recorder, conversation_for_today
    from desktop_app.store import StoreError

    if store is not None:
        try:
            today = conversation_for_today(store)
        except StoreError as exc:
            say(err, f"These turns are not recorded: {exc}")
        else:
            return command_line_recorder(store, on_error=lambda m: say(err, m)), today
    return MemoryRecorder(), None


def _conversations(today: int | None, workload: bool) -> Callable[[int], int]:
    """Which conversation each prompt goes to: the day's "Command line" one when recorded;
    in memory, a workload's prompts each their own (nothing carries over)."""
    if today is not None:
        return lambda _i: today
    return (lambda i: i + 1) if workload else (lambda _i: 1)


async def _run(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    client: EdenClient,
    recorder: TurnRecorder,
    today: int | None,
    prompts: list[str],
    columns: list[RunColumn],
) -> int:
    from desktop_app.services.chat import ChatService
    from desktop_app.services.compare import WorkloadRun

    workload = bool(args.workload)
    printer = _Printer(columns, out, err)
    quiet = args.json or workload
    progress = _ProgressLine(err) if workload and err.isatty() else None
    service = ChatService(lambda: client, recorder)
    runner: WorkloadRun | None = None

    def finished(job: Job, outcome: Outcome) -> None:
        if not quiet:
            printer.finished(job, outcome)
        if progress is not None and runner is not None:
            progress.show(runner.progress.describe())

    runner = WorkloadRun(
        service,
        prompts,
        columns,
        concurrency=args.concurrency,
        conversation_of=_conversations(today, workload),
        max_tokens=args.max_tokens,
        on_event=None if quiet else printer.event,
        on_finished=finished,
        on_retry=None
        if args.json
        else lambda job, n: say(err, f"[{columns[job.column].tier_id}] {n.describe()}…"),
        keep_text=not workload,
    )
    try:
        await runner.run()
    except asyncio.CancelledError:  # Ctrl+C: what finished is still reported
        if progress is not None:
            progress.done()
        _finish(args, out, err, prompts, columns, runner.results, workload)
        raise
    if progress is not None:
        progress.done()
    return _finish(args, out, err, prompts, columns, runner.results, workload)


class _ProgressLine:
    """One status line on a terminal's stderr, rewritten in place."""

    def __init__(self, err: TextIO) -> None:
        self._err = err
        self._width = 0

    def show(self, text: str) -> None:
        self._width = max(self._width, len(text))
        self._err.write("\r" + text.ljust(self._width))
        self._err.flush()

    def done(self) -> None:
        if self._width:
            self._err.write("\n")
            self._err.flush()


def _finish(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    prompts: Sequence[str],
    columns: Sequence[RunColumn],
    results: Sequence[Sequence[Outcome | None]],
    workload: bool,
    *,
    unsent: ApiError | None = None,
) -> int:
    """Print the summary (and write the CSV); the exit code: 0 when an answer succeeded,
    else the first column's error's (`unsent`: why nothing was sent)."""
    code = EXIT_OK
    if args.csv and unsent is None:
        code = _write_csv(args.csv, prompts, results, err)
    error = unsent or _first_error([o for row in results for o in row])
    if workload:
        _workload_summary(args, out, prompts, columns, results)
    else:
        _round_summary(args, out, err, prompts[0], results[0])
    if error is not None:
        if workload or args.json or unsent is not None:
            say(err, error.message)
        return exit_code_for(error)
    return code


def _write_csv(
    path: str, prompts: Sequence[str], results: Sequence[Sequence[Outcome | None]], err: TextIO
) -> int:
    from desktop_app.services.compare import write_csv

    target = Path(path)
    part = target.with_name(target.name + ".part")
    try:
        with part.open("w", encoding="utf-8", newline="") as f:
            write_csv(f, prompts, results)
        part.replace(target)
    except OSError as exc:
        say(err, f"could not write {target}: {exc.strerror or exc}")
        return EXIT_INTERNAL
    return EXIT_OK


def _round_summary(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    prompt: str,
    outcomes: Sequence[Outcome | None],
) -> None:
    from desktop_app.services import format as fmt
    from desktop_app.services.compare import describe_round, summarize

    summary = summarize(outcomes)
    tiers = [o.tier if o is not None else "" for o in outcomes]
    if args.json:
        data = {
            "prompt": prompt,
            "columns": [o.to_json() for o in outcomes if o is not None],
            "cheapest": tiers[summary.cheapest] if summary.cheapest is not None else None,
            "fastest_first_token": (
                tiers[summary.fastest_first_token]
                if summary.fastest_first_token is not None
                else None
            ),
        }
        out.write(json.dumps(data, ensure_ascii=False) + "\n")
        out.flush()
        return
    for o in outcomes:
        if o is None:
            continue
        cost = fmt.money(o.cost_usd, o.cost_source)
        parts = [
            f"model {o.model or 'unknown'}",
            "cost unknown" if cost == "—" else f"{cost} ({o.cost_source})",
            "tokens " + fmt.tokens(o.prompt_tokens, o.completion_tokens),
            f"first token {fmt.duration(o.ttft_ms)}",
            f"total {fmt.duration(o.total_ms)}",
        ]
        if o.error is not None:
            parts.append(f"error {o.error.kind.value}")
        err.write(f"— [{o.tier}] " + " · ".join(parts) + "\n")
    err.write("— " + " · ".join(describe_round(summary, outcomes, tiers)) + "\n")
    err.flush()


def _workload_summary(
    args: argparse.Namespace,
    out: TextIO,
    prompts: Sequence[str],
    columns: Sequence[RunColumn],
    results: Sequence[Sequence[Outcome | None]],
) -> None:
    from desktop_app.services import format as fmt
    from desktop_app.services.compare import column_totals, workload_summary

    totals = [
        column_totals(c.tier_id, [row[i] for row in results if row[i] is not None])  # type: ignore[misc]
        for i, c in enumerate(columns)
    ]
    if args.json:
        out.write(json.dumps(workload_summary(len(prompts), totals), ensure_ascii=False) + "\n")
        out.flush()
        return
    width = max(len(c.tier_id) for c in columns)
    out.write(
        f"{'column':<{width}}  {'requests':>8}  {'failed':>6}  {'cost':>14}  "
        f"{'first token p50 / p95':>21}  {'total p50 / p95':>17}  models\n"
    )
    for t in totals:
        cost = fmt.money(t.cost_usd, "estimated" if t.estimated else "reported")
        if t.unknown_costs:
            cost += f" +{t.unknown_costs}?"
        ttft = f"{fmt.duration(t.ttft_p50_ms)} / {fmt.duration(t.ttft_p95_ms)}"
        total = f"{fmt.duration(t.total_p50_ms)} / {fmt.duration(t.total_p95_ms)}"
        out.write(
            f"{t.tier:<{width}}  {t.requests:>8}  {t.failures:>6}  {cost:>14}  {ttft:>21}  "
            f"{total:>17}  {t.models_text()}\n"
        )
    if any(t.unknown_costs for t in totals):
        out.write("(+N?: N answers of unknown cost, not counted)\n")
    out.flush()
