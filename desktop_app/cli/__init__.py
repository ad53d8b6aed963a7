"""Command line: the window by default; `ask`, `compare`, `models`, `tiers` and `emulator` run
headless.

Each command lives in its own module (parser and run); exit codes are in `common`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from desktop_app import __version__
from desktop_app.cli.common import (
    BASE_URL_ENV,
    EXIT_AUTH,
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
    from desktop_app.cli import ask, catalogue, compare, emulator
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    ask.add_parser(sub)
    compare.add_parser(sub)
    catalogue.add_parsers(sub)
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
        if args.command == "emulator":
            from desktop_app.cli import emulator

            return emulator.run(args, out)
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
