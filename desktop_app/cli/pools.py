"""`routechat pools`: the user's candidate pools, as Settings → Pools shows them."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from desktop_app.cli.common import EXIT_OK, EXIT_USAGE, say

if TYPE_CHECKING:
    from desktop_app.services.pools import PoolService


def add_parser(sub: Any) -> None:
    pools = sub.add_parser("pools", help="your own candidate pools (list, add, remove, …)")
    verbs = pools.add_subparsers(dest="pools_command", metavar="ACTION", required=True)
    show = verbs.add_parser("list", help="the presets and your pools")
    show.add_argument("--json", action="store_true", help="print one JSON object last")
    add = verbs.add_parser("add", help="a new pool")
    add.add_argument("name", help="1-40 letters, digits, spaces, '-' or '_'")
    add.add_argument("--candidates", required=True, help="provider/model ids, in preference order")
    add.add_argument("--quality-cost", type=int, metavar="N", help="0 best model … 10 cheapest")
    add.add_argument("--fallback", metavar="MODEL", help="RouteChat's retry after a failed turn")
    add.add_argument("--tools", action="store_true", help="requires tool support")
    add.add_argument("--description", default="")
    remove = verbs.add_parser("remove", help="delete a pool")
    remove.add_argument("name", help="the pool's name or id")
    export = verbs.add_parser("export", help="write your pools to a JSON file")
    export.add_argument("file", type=Path)
    imp = verbs.add_parser("import", help="add the pools of a JSON file")
    imp.add_argument("file", type=Path)


def service(base_url: str | None = None) -> PoolService:
    """The pools of this user, with the cached model list (no network) for the checks."""
    from desktop_app.cli.common import resolve_base_url
    from desktop_app.config.paths import default_paths
    from desktop_app.routing.tiers import TierCatalogue
    from desktop_app.services.catalogue import ModelCatalogue, cache_file
    from desktop_app.services.pools import POOLS_FILE, PoolService

    paths = default_paths()
    catalogue = ModelCatalogue(cache_file(paths.cache_dir, base_url or resolve_base_url(None)))
    pools = PoolService(
        paths.config_dir / POOLS_FILE, TierCatalogue(), lambda: catalogue.snapshot().models
    )
    return pools


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from desktop_app.routing.pools import PoolError

    pools = service()
    problem = pools.load()
    if problem:
        say(err, problem)
    try:
        if args.pools_command == "list":
            return _list(pools, args.json, out)
        if args.pools_command == "add":
            candidates = [c.strip() for c in args.candidates.split(",") if c.strip()]
            checks = pools.checks(candidates, requires_tools=args.tools, fallback=args.fallback)
            pool = pools.add(
                args.name,
                candidates,
                description=args.description,
                quality_cost=args.quality_cost,
                fallback=args.fallback,
                requires_tools=args.tools,
            )
            for check in checks:
                if check.level in ("warning", "advice"):
                    say(err, f"{check.level}: {check.message}")
            out.write(f"Added pool “{pool.name}” (id {pool.id}).\n")
            return EXIT_OK
        if args.pools_command == "remove":
            tier = pools.find(args.name)
            if tier is None or tier.kind != "pool":
                raise PoolError(f"There is no pool “{args.name}” (built-in tiers stay).")
            removed = pools.remove(tier.id)
            out.write(f"Removed pool “{removed.name}”.\n")
            return EXIT_OK
        if args.pools_command == "export":
            args.file.write_text(pools.export_text(), encoding="utf-8")
            out.write(f"Exported {len(pools.pools)} pools to {args.file}.\n")
            return EXIT_OK
        if args.pools_command == "import":
            try:
                text = args.file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise PoolError(f"{args.file} could not be read ({exc}).") from None
            added = pools.import_text(text, where=args.file.name)
            out.write(f"Imported {len(added)} pools from {args.file}.\n")
            return EXIT_OK
    except PoolError as exc:
        say(err, str(exc))
        return EXIT_USAGE
    return EXIT_USAGE


def _list(pools: PoolService, as_json: bool, out: TextIO) -> int:
    every = pools.all_pools()
    if as_json:
        out.write(json.dumps({"pools": [p.to_json() for p in every]}, ensure_ascii=False) + "\n")
        return EXIT_OK
    for p in every:
        kind = "preset" if p.preset else "pool"
        knob = "" if p.quality_cost is None else f" · quality/cost {p.quality_cost}"
        pool = ", ".join(p.candidates) or "the router's whole pool"
        out.write(f"{p.id:<18} {kind:<6} {p.name:<20} {pool}{knob}\n")
    return EXIT_OK
