"""`routechat emulator`: the local Eden-compatible server, in the foreground."""

from __future__ import annotations

import argparse
from typing import Any, TextIO


def add_parser(sub: Any) -> None:
    emu = sub.add_parser("emulator", help="run the local Eden-compatible server (demo, tests)")
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--port", type=int, default=0, help="0 picks a free port")
    emu.add_argument("--key", help="accept only this bearer key (others get 401)")
    emu.add_argument("--routing-delay", type=float, default=0.25, metavar="SECONDS")
    emu.add_argument("--token-delay", type=float, default=0.02, metavar="SECONDS")
    emu.add_argument("--fault", action="append", default=[], metavar="SPEC", help="every request")
    emu.add_argument("--fault-rate", type=float, default=0.0, help="random transient faults")
    emu.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace, out: TextIO) -> int:
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
