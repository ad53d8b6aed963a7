"""Command line: the window by default; `ask`, `models` and `emulator` run headless.

Exit codes are part of the interface (scripts branch on them); see `EXIT_CODES`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from desktop_app import __version__
from desktop_app.api.errors import ApiError, ErrorKind

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_CREDITS = 4
EXIT_RATE_LIMITED = 5
EXIT_NETWORK = 6
EXIT_SERVER = 7
EXIT_INTERRUPTED = 8
EXIT_REJECTED = 9
EXIT_CANCELLED = 130

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_INTERNAL: "unexpected internal error",
    EXIT_USAGE: "usage error (bad arguments, unknown tier)",
    EXIT_AUTH: "authentication: no key, or the key was refused (401/403)",
    EXIT_CREDITS: "no credits left (402)",
    EXIT_RATE_LIMITED: "rate limited (429)",
    EXIT_NETWORK: "network failure or timeout",
    EXIT_SERVER: "server or router error (5xx)",
    EXIT_INTERRUPTED: "the stream broke midway (partial answer printed)",
    EXIT_REJECTED: "request rejected (400/422, region 451)",
    EXIT_CANCELLED: "cancelled with Ctrl+C",
}

_EXIT_FOR_KIND: dict[ErrorKind, int] = {
    ErrorKind.AUTH: EXIT_AUTH,
    ErrorKind.CREDITS: EXIT_CREDITS,
    ErrorKind.RATE_LIMITED: EXIT_RATE_LIMITED,
    ErrorKind.CONNECT: EXIT_NETWORK,
    ErrorKind.TIMEOUT: EXIT_NETWORK,
    ErrorKind.SERVER: EXIT_SERVER,
    ErrorKind.INTERRUPTED: EXIT_INTERRUPTED,
    ErrorKind.PROTOCOL: EXIT_INTERRUPTED,
    ErrorKind.BAD_REQUEST: EXIT_REJECTED,
    ErrorKind.REGION: EXIT_REJECTED,
    ErrorKind.CANCELLED: EXIT_CANCELLED,
}

BASE_URL_ENV = "EDENAI_BASE_URL"


def exit_code_for(error: ApiError | None) -> int:
    return EXIT_OK if error is None else _EXIT_FOR_KIND.get(error.kind, EXIT_INTERNAL)


def _epilog() -> str:
    codes = "\n".join(f"  {code:>3}  {text}" for code, text in EXIT_CODES.items())
    return (
        "The API key is read from EDENAI_API_KEY, else from the OS keyring (set it in the app).\n"
        f"The base URL from --base-url, else {BASE_URL_ENV}, else the saved setting.\n\n"
        f"Exit codes:\n{codes}"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="routechat",
        description="RouteChat: chat with Eden AI's smart router and see which model answered.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"RouteChat {__version__}")
    parser.add_argument(
        "--demo", action="store_true", help="open the window in demo mode (local server, no cost)"
    )
    parser.add_argument(
        "--prompt", metavar="TEXT", help="open the window and send TEXT in a new conversation"
    )
    parser.add_argument("--tier", dest="gui_tier", metavar="NAME", help="tier for --prompt")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ask = sub.add_parser(
        "ask",
        help="send one prompt and stream the answer",
        epilog=_epilog(),
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
    ask.add_argument("prompt", nargs="+", help="the prompt ('-' reads it from standard input)")

    models = sub.add_parser("models", help="list the models and their prices")
    models.add_argument("--base-url")
    models.add_argument("--json", action="store_true")

    sub.add_parser("tiers", help="list the tiers and use-case pools")

    emu = sub.add_parser("emulator", help="run the local Eden-compatible server (demo, tests)")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=0, help="0 picks a free port")
    emu.add_argument("--key", help="accept only this bearer key (others get 401)")
    emu.add_argument("--routing-delay", type=float, default=0.25, metavar="SECONDS")
    emu.add_argument("--token-delay", type=float, default=0.02, metavar="SECONDS")
    emu.add_argument("--fault", action="append", default=[], metavar="SPEC", help="every request")
    emu.add_argument("--fault-rate", type=float, default=0.0, help="random transient faults")
    emu.add_argument("--seed", type=int, default=0)
    return parser


def _resolve_base_url(flag: str | None) -> str:
    from desktop_app.api.config import DEFAULT_BASE_URL
    from desktop_app.config.paths import default_paths
    from desktop_app.config.settings import load_settings

    if flag:
        return flag
    if os.environ.get(BASE_URL_ENV):
        return os.environ[BASE_URL_ENV]
    settings, _warnings = load_settings(default_paths())
    return settings.base_url or DEFAULT_BASE_URL


def _fmt_cost(usd: float | None, source: str) -> str:
    if usd is None:
        return "cost unknown"
    return f"{'≈' if source == 'estimated' else ''}${usd:.6f} ({source})"


async def _ask(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from desktop_app.api.client import ClientConfig, EdenClient
    from desktop_app.api.events import Completed, RoutedModel, TextDelta
    from desktop_app.api.request import ChatRequest
    from desktop_app.routing.tiers import DEFAULT_TIER_ID, TierCatalogue
    from desktop_app.secrets import load_key

    catalogue = TierCatalogue()
    tier_id: str | None = None
    candidates: tuple[str, ...] | None = None
    model = "@edenai"
    if args.model:
        model = args.model
    elif args.candidates:
        candidates = tuple(c.strip() for c in args.candidates.split(",") if c.strip())
        if not candidates:
            err.write("routechat: --candidates needs at least one provider/model\n")
            return EXIT_USAGE
    else:
        tier_id = args.tier or DEFAULT_TIER_ID
        try:
            tier = catalogue.get(tier_id)
        except KeyError:
            err.write(f"routechat: unknown tier {tier_id!r}; known: {', '.join(catalogue.ids())}\n")
            return EXIT_USAGE
        model, candidates = tier.model, tier.candidates

    prompt = " ".join(args.prompt)
    if prompt == "-":
        prompt = sys.stdin.read()
    messages: list[dict[str, Any]] = []
    if args.system:
        messages.append({"role": "system", "content": args.system})
    messages.append({"role": "user", "content": prompt})

    lookup = load_key()
    if not lookup.key:
        error = ApiError(
            ErrorKind.AUTH,
            "No API key: set EDENAI_API_KEY or save a key in RouteChat (Settings → Account)."
            + (f" {lookup.problem}" if lookup.problem else ""),
        )
        return _finish(args, out, err, None, tier_id, candidates, error)

    request = ChatRequest(
        tuple(messages),
        model=model,
        candidates=candidates,
        max_tokens=args.max_tokens,
        temperature=args.temperature,
    )
    config = ClientConfig(base_url=_resolve_base_url(args.base_url))
    async with EdenClient(config, lookup.key) as client:
        result = None
        async for event in client.stream_chat(request):
            if isinstance(event, TextDelta) and not args.json:
                out.write(event.text)
                out.flush()
            elif isinstance(event, RoutedModel) and not args.json:
                err.write(f"[routed to {event.model}]\n")
                err.flush()
            elif isinstance(event, Completed):
                result = event.result
    assert result is not None
    if not args.json and result.text and not result.text.endswith("\n"):
        out.write("\n")
    return _finish(args, out, err, result, tier_id, candidates, result.error)


def _finish(
    args: argparse.Namespace,
    out: TextIO,
    err: TextIO,
    result: Any,
    tier_id: str | None,
    candidates: tuple[str, ...] | None,
    error: ApiError | None,
) -> int:
    usage = result.usage if result else None
    if error is not None and error.retry_after is not None:
        error = dataclasses.replace(
            error, message=f"{error.message.rstrip('.')}. Retry after {error.retry_after:g} s."
        )
    summary: dict[str, Any] = {
        "text": result.text if result else "",
        "model": result.model if result else None,
        "tier": tier_id,
        "candidates": list(candidates) if candidates else None,
        "cost_usd": result.cost_usd if result else None,
        "cost_source": result.cost_source.value if result else "unknown",
        "prompt_tokens": usage.prompt_tokens if usage else None,
        "completion_tokens": usage.completion_tokens if usage else None,
        "ttft_ms": result.ttft_ms if result else None,
        "total_ms": result.total_ms if result else 0.0,
        "finish_reason": result.finish_reason if result else None,
        "error": error.to_json() if error else None,
    }
    if args.json:
        out.write(json.dumps(summary, ensure_ascii=False) + "\n")
        out.flush()
    else:
        parts = [
            f"model {summary['model'] or 'unknown'}",
            _fmt_cost(summary["cost_usd"], summary["cost_source"]),
            f"tokens {summary['prompt_tokens'] or '?'} in"
            f" / {summary['completion_tokens'] or '?'} out",
        ]
        if summary["ttft_ms"] is not None:
            parts.append(f"first token {summary['ttft_ms']:.0f} ms")
        parts.append(f"total {summary['total_ms']:.0f} ms")
        err.write("— " + " · ".join(parts) + "\n")
    if error is not None:
        err.write(f"routechat: {error.message}\n")
    return exit_code_for(error)


async def _models(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from desktop_app.api.client import ClientConfig, EdenClient
    from desktop_app.secrets import load_key

    config = ClientConfig(base_url=_resolve_base_url(args.base_url))
    async with EdenClient(config, load_key().key) as client:
        try:
            models = await client.list_models()
        except ApiError as exc:
            err.write(f"routechat: {exc.message}\n")
            return exit_code_for(exc)
    if args.json:
        rows = [
            {
                "id": m.id,
                "input_per_million": _per_million(m.input_per_token),
                "output_per_million": _per_million(m.output_per_token),
                "context_length": m.context_length,
            }
            for m in models
        ]
        out.write(json.dumps(rows) + "\n")
        return EXIT_OK
    width = max((len(m.id) for m in models), default=10)
    out.write(f"{'model':<{width}}  {'input $/1M':>11}  {'output $/1M':>11}  {'context':>8}\n")
    for m in sorted(models, key=lambda m: m.id):
        out.write(
            f"{m.id:<{width}}  {_money(m.input_per_token):>11}  {_money(m.output_per_token):>11}"
            f"  {m.context_length or '':>8}\n"
        )
    return EXIT_OK


def _per_million(per_token: float | None) -> float | None:
    return None if per_token is None else round(per_token * 1_000_000, 6)


def _money(per_token: float | None) -> str:
    value = _per_million(per_token)
    return "—" if value is None else f"{value:.2f}"


def _tiers(out: TextIO) -> int:
    from desktop_app.routing.tiers import TierCatalogue

    for tier in TierCatalogue():
        out.write(f"{tier.id:<10} {tier.label:<18} {tier.routing_summary()}\n")
    out.write("Any fixed model: --model provider/model\n")
    return EXIT_OK


def _emulator(args: argparse.Namespace, out: TextIO) -> int:
    from desktop_app.emulator.server import EmulatorConfig, run_forever

    config = EmulatorConfig(
        api_key=args.key,
        routing_delay=args.routing_delay,
        token_delay=args.token_delay,
        seed=args.seed,
        fault_rate=args.fault_rate,
        default_faults=tuple(args.fault),
    )

    def announce(base_url: str) -> None:
        out.write(f"RouteChat emulator listening on {base_url}\n")
        out.write(f"Use it with: routechat ask --base-url {base_url} 'Hello'\n")
        out.flush()

    return run_forever(args.host, args.port, config, announce)


def main(argv: Sequence[str] | None = None) -> int:
    if sys.platform == "win32":  # a piped console is cp1252 there; model names and text are not
        for stream in (sys.stdout, sys.stderr):
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(encoding="utf-8", errors="backslashreplace")
    if not (sys.argv[1:] if argv is None else argv):
        return gui_main()  # what the desktop launcher runs: no parser to build (~4 ms of a start)
    parser = build_parser()
    args = parser.parse_args(argv)
    out, err = sys.stdout, sys.stderr
    try:
        if args.command == "ask":
            return asyncio.run(_ask(args, out, err))
        if args.command == "models":
            return asyncio.run(_models(args, out, err))
        if args.command == "tiers":
            return _tiers(out)
        if args.command == "emulator":
            return _emulator(args, out)
    except KeyboardInterrupt:
        err.write("\nroutechat: cancelled\n")
        return EXIT_CANCELLED
    return gui_main(demo=args.demo, prompt=args.prompt, tier=args.gui_tier)


def gui_main(demo: bool = False, prompt: str | None = None, tier: str | None = None) -> int:
    from desktop_app.app import run_gui

    return run_gui(
        demo=demo or os.environ.get("ROUTECHAT_DEMO") == "1",
        prompt=prompt,
        tier=tier,
        base_url=os.environ.get(BASE_URL_ENV) or None,
    )
