"""Command line: the window by default; `ask`, `compare`, `models`, `tiers`, `pools`, `stats`
and `emulator` run headless.

Each command lives in its own module (parser and run); exit codes are in `common`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from desktop_app import __version__
from desktop_app.cli.common import (
    BASE_URL_ENV,
    EXIT_AUTH,
    EXIT_BUDGET,
    EXIT_CANCELLED,
    EXIT_CODES,
    EXIT_CREDITS,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_RATE_LIMITED,
    EXIT_REJECTED,
    EXIT_SERVER,
    EXIT_USAGE,
    exit_code_for,
)

__all__ = [
    "BASE_URL_ENV",
    "EXIT_AUTH",
    "EXIT_BUDGET",
    "EXIT_CANCELLED",
    "EXIT_CODES",
    "EXIT_CREDITS",
    "EXIT_INTERNAL",
    "EXIT_INTERRUPTED",
    "EXIT_NETWORK",
    "EXIT_OK",
    "EXIT_RATE_LIMITED",
    "EXIT_REJECTED",
    "EXIT_SERVER",
    "EXIT_USAGE",
    "build_parser",
    "exit_code_for",
    "gui_main",
    "main",
]


def build_parser() -> argparse.ArgumentParser:
    from desktop_app.cli import ask, catalogue, compare, emulator, pools, stats
    from desktop_app.cli.common import epilog

    parser = argparse.ArgumentParser(
        prog="routechat",
        description="RouteChat: chat with Eden AI's smart router and see which model answered.",
        epilog=epilog(),
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
    parser.add_argument(
        "--compare",
        dest="gui_compare",
        metavar="T1,T2[,T3,T4]",
        help="open the window on a comparison of these tiers (--prompt is sent to it)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    ask.add_parser(sub)
    compare.add_parser(sub)
    catalogue.add_parsers(sub)
    pools.add_parser(sub)
    stats.add_parser(sub)
    emulator.add_parser(sub)
    return parser


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
            from desktop_app.cli import ask

            return asyncio.run(ask.run(args, out, err))
        if args.command == "compare":
            from desktop_app.cli import compare

            return asyncio.run(compare.run(args, out, err))
        if args.command == "models":
            from desktop_app.cli import catalogue

            return asyncio.run(catalogue.run_models(args, out, err))
        if args.command == "tiers":
            from desktop_app.cli import catalogue

            return catalogue.run_tiers(out)
        if args.command == "pools":
            from desktop_app.cli import pools

            return pools.run(args, out, err)
        if args.command == "stats":
            from desktop_app.cli import stats

            return stats.run(args, out, err)
        if args.command == "emulator":
            from desktop_app.cli import emulator

            return emulator.run(args, out)
    except KeyboardInterrupt:
        err.write("\nroutechat: cancelled\n")
        return EXIT_CANCELLED
    window = {"demo": args.demo, "prompt": args.prompt, "tier": args.gui_tier}
    if args.gui_compare is not None:
        tiers = _compare_tiers(args.gui_compare, err)
        if tiers is None:
            return EXIT_USAGE
        window["compare"] = tiers
    return gui_main(**window)


def _compare_tiers(text: str, err: TextIO) -> list[str] | None:
    """`--compare`'s tiers, checked before the window opens (None: said why on stderr)."""
    from desktop_app.cli.common import say
    from desktop_app.routing.tiers import TierCatalogue
    from desktop_app.services.compare import MAX_COLUMNS, MIN_COLUMNS

    catalogue = TierCatalogue()
    tiers = [t.strip() for t in text.split(",") if t.strip()]
    for tier_id in tiers:
        try:
            catalogue.get(tier_id)
        except KeyError:
            say(err, f"unknown tier {tier_id!r}; known: {', '.join(catalogue.ids())}")
            return None
    if not MIN_COLUMNS <= len(tiers) <= MAX_COLUMNS:
        say(err, f"--compare needs {MIN_COLUMNS} to {MAX_COLUMNS} tiers; {len(tiers)} given")
        return None
    return tiers


def gui_main(
    demo: bool = False,
    prompt: str | None = None,
    tier: str | None = None,
    compare: list[str] | None = None,
) -> int:
    from desktop_app.app import run_gui

    return run_gui(
        demo=demo or os.environ.get("ROUTECHAT_DEMO") == "1",
        prompt=prompt,
        tier=tier,
        base_url=os.environ.get(BASE_URL_ENV) or None,
        compare=compare,
    )
