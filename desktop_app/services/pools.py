"""The user's pools, kept: create, edit, duplicate, delete, reorder, export and import. Qt-free.

Every change is checked (names, the API's limits, tool support) and saved atomically to
pools.json before the tier catalogue shows it; the window's pool editor and `routechat pools`
both go through here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from desktop_app.api.models import ModelInfo
from desktop_app.routing.pools import (
    Check,
    Pool,
    PoolError,
    PoolsFile,
    check_name,
    check_pool,
    export_json,
    facts_from,
    load_pools,
    merge_imported,
    parse_pools,
    pool_id,
    refused,
    save_pools,
)
from desktop_app.routing.tiers import Tier, TierCatalogue

POOLS_FILE = "pools.json"


class PoolService:
    def __init__(
        self,
        path: Path,
        tiers: TierCatalogue,
        models: Callable[[], tuple[ModelInfo, ...]] = lambda: (),
    ) -> None:
        """`models`: the catalogue's models now (the checks' facts: prices, tool support)."""
        self._path = path
        self._tiers = tiers
        self._models = models
        self._file = PoolsFile()

    def load(self) -> str | None:
        """Read pools.json into the tier catalogue; a sentence when it could not be read."""
        self._file, problem = load_pools(self._path)
        self._publish()
        return problem

    @property
    def pools(self) -> list[Pool]:
        return list(self._file.pools)

    def all_pools(self) -> list[Pool]:
        """Presets first (read-only, `preset=True`), then the user's pools in their order."""
        presets = [
            Pool(
                t.id,
                t.label,
                t.candidates or (),
                t.description,
                t.quality_cost,
                t.fallback_model,
                t.requires_tools,
                preset=True,
            )
            for t in self._tiers.presets()
            if t.kind != "fixed"
        ]
        return [*presets, *self._file.pools]

    def _preset_names(self) -> list[tuple[str, str]]:
        return [(t.id, t.label) for t in self._tiers.presets()]

    def checks(
        self, candidates: list[str], *, requires_tools: bool = False, fallback: str | None = None
    ) -> list[Check]:
        models = {m.id: m for m in self._models()}
        return check_pool(
            candidates,
            facts_from(models),
            models,
            requires_tools=requires_tools,
            fallback=fallback,
        )

    def _validated(self, pool: Pool, keep: str | None = None) -> Pool:
        problem = check_name(pool.name, self._file.pools, self._preset_names(), keep=keep)
        if problem:
            raise PoolError(problem)
        if pool.quality_cost is not None and not 0 <= pool.quality_cost <= 10:
            raise PoolError("The quality/cost setting is a whole number from 0 to 10.")
        reasons = refused(
            self.checks(
                list(pool.candidates), requires_tools=pool.requires_tools, fallback=pool.fallback
            )
        )
        if reasons:
            raise PoolError(" ".join(reasons))
        return replace(pool, id=pool_id(pool.name), name=pool.name.strip(), preset=False)

    def add(
        self,
        name: str,
        candidates: list[str] | tuple[str, ...],
        *,
        description: str = "",
        quality_cost: int | None = None,
        fallback: str | None = None,
        requires_tools: bool = False,
    ) -> Pool:
        """A new pool, at the end; PoolError says why it cannot be (nothing is saved then)."""
        pool = self._validated(
            Pool(
                pool_id(name),
                name,
                tuple(c.strip() for c in candidates if c.strip()),
                description,
                quality_cost,
                fallback or None,
                requires_tools,
            )
        )
        self._commit([*self._file.pools, pool])
        return pool

    def update(self, pool_id_: str, **changes: Any) -> Pool:
        """Change a pool (a rename changes its id; tabs using the old id are told)."""
        index = self._index(pool_id_)
        pool = self._validated(replace(self._file.pools[index], **changes), keep=pool_id_)
        pools = list(self._file.pools)
        pools[index] = pool
        self._commit(pools)
        return pool

    def duplicate(self, source_id: str) -> Pool:
        """An editable copy of a pool or a preset, named "Copy of …" (2, 3… when taken)."""
        source = next((p for p in self.all_pools() if p.id == source_id), None)
        if source is None:
            raise PoolError(f"There is no pool or tier “{source_id}”.")
        base = f"Copy of {source.name}"[:40]
        name, n = base, 2
        while check_name(name, self._file.pools, self._preset_names()):
            name = f"{base[:36]} {n}"
            n += 1
        return self.add(
            name,
            list(source.candidates),
            description=source.description,
            quality_cost=source.quality_cost,
            fallback=source.fallback,
            requires_tools=source.requires_tools,
        )

    def remove(self, pool_id_: str) -> Pool:
        index = self._index(pool_id_)
        pools = list(self._file.pools)
        removed = pools.pop(index)
        self._commit(pools)
        return removed

    def move(self, pool_id_: str, to: int) -> None:
        pools = list(self._file.pools)
        pool = pools.pop(self._index(pool_id_))
        pools.insert(max(0, min(to, len(pools))), pool)
        self._commit(pools)

    def set_preset_quality_cost(self, preset_id: str, value: int | None) -> None:
        """A preset's quality/cost setting (presets stay read-only otherwise)."""
        if preset_id not in {t.id for t in self._tiers.presets()}:
            raise PoolError(f"There is no built-in tier “{preset_id}”.")
        if value is not None and not 0 <= value <= 10:
            raise PoolError("The quality/cost setting is a whole number from 0 to 10.")
        knobs = dict(self._file.preset_quality_cost)
        if value is None:
            knobs.pop(preset_id, None)
        else:
            knobs[preset_id] = value
        self._save(PoolsFile(list(self._file.pools), knobs))

    def find(self, name_or_id: str) -> Tier | None:
        """A tier by id, or a pool by its name ignoring case (`--tier "My pool"`)."""
        try:
            return self._tiers.get(name_or_id)
        except KeyError:
            pass
        wanted = name_or_id.strip().lower()
        for pool in self._file.pools:
            if pool.name.lower() == wanted or pool.id == pool_id(wanted):
                return self._tiers.get(pool.id)
        return None

    # --- files -------------------------------------------------------------------------------
    def export_text(self) -> str:
        return json.dumps(export_json(self._file.pools), indent=2, ensure_ascii=False) + "\n"

    def import_text(self, text: str, where: str = "The file") -> list[Pool]:
        """Add the pools of an export; PoolError (line and field) and nothing imported when
        any of it is wrong or clashes."""
        imported = parse_pools(text, where=where).pools
        for pool in imported:
            reasons = refused(
                self.checks(
                    list(pool.candidates),
                    requires_tools=pool.requires_tools,
                    fallback=pool.fallback,
                )
            )
            if reasons:
                raise PoolError(f"Nothing was imported: “{pool.name}”: {' '.join(reasons)}")
        self._commit(merge_imported(self._file.pools, imported, self._preset_names()))
        return imported

    # --- inside ------------------------------------------------------------------------------
    def _index(self, pool_id_: str) -> int:
        for i, p in enumerate(self._file.pools):
            if p.id == pool_id_:
                return i
        raise PoolError(f"There is no pool “{pool_id_}”.")

    def _commit(self, pools: list[Pool]) -> None:
        self._save(PoolsFile(pools, dict(self._file.preset_quality_cost)))

    def _save(self, new: PoolsFile) -> None:
        try:
            save_pools(self._path, new)
        except OSError as exc:
            raise PoolError(
                f"Your pools could not be saved ({exc.strerror or exc}); nothing was changed."
            ) from exc
        self._file = new
        self._publish()

    def _publish(self) -> None:
        self._tiers.set_pools(self._file.pools, self._file.preset_quality_cost)
