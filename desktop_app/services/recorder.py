"""The chat service's durable record, kept in the SQLite history store.

A failing disk must not break a reply on screen: store errors are reported once per problem
through `on_error` (the window shows them) and the turn goes on; what was saved stays saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from desktop_app.api.events import TurnResult
from desktop_app.routing.plan import BUDGET_KNOB, TurnPlan
from desktop_app.services.history import history_from_store
from desktop_app.store import HistoryStore, StoreError

log = logging.getLogger(__name__)


class StoreRecorder:
    def __init__(self, store: HistoryStore, on_error: Callable[[str], None] | None = None) -> None:
        self.store = store
        self._on_error = on_error
        self._last_error: str | None = None

    def _failed(self, what: str, exc: StoreError) -> None:
        message = f"Could not save {what} to your history: {exc}"
        log.error("%s", message)
        if message != self._last_error and self._on_error is not None:
            self._on_error(message)
        self._last_error = message

    def record_user_message(self, conversation_id: int, content: str) -> int:
        # Not caught: if the prompt cannot be saved the turn must not go out (nothing is lost:
        # the text stays in the composer and the error is shown).
        return self.store.add_user_message(conversation_id, content)

    def begin_reply(
        self, conversation_id: int, parent_id: int, plan: TurnPlan, column: int | None = None
    ) -> int:
        return self.store.begin_reply(
            conversation_id,
            parent_id=parent_id,
            requested_tier_id=plan.tier_id,
            candidates=plan.candidates,
            requested_model=plan.model,
            column=column,
            demo=plan.demo,
            quality_cost=plan.quality_cost,
            meta={BUDGET_KNOB: plan.quality_cost} if plan.budget_knob else None,
        )

    def update_reply(self, reply_id: int, text: str, model: str | None) -> None:
        try:
            self.store.update_reply_text(reply_id, text, routed_model=model)
        except StoreError as exc:
            self._failed("the reply so far", exc)

    def finish_reply(
        self,
        reply_id: int,
        result: TurnResult,
        retries: int = 0,
        fallback: bool = False,
        requests: int = 1,
    ) -> None:
        try:
            self.store.finish_reply(
                reply_id,
                result,
                retry_count=retries,
                fallback_used=fallback,
                routing=result.routing.raw if result.routing is not None else None,
                requests=requests,
                meta={"cost_basis": result.cost_basis} if result.cost_basis else None,
            )
            self._last_error = None
        except StoreError as exc:
            self._failed("the reply", exc)

    def record_tool_round(
        self,
        reply_id: int,
        text: str,
        tool_calls: Sequence[dict[str, Any]],
        results: Sequence[tuple[str, str, dict[str, Any] | None]],
    ) -> None:
        """One round of the reply's tool loop: the calls and their results, kept so that the
        conversation restores, searches and exports with them and later turns send them."""
        try:
            self.store.add_tool_round(reply_id, text, tool_calls, results)
        except StoreError as exc:
            self._failed("the tool results", exc)

    def history(
        self, conversation_id: int, upto_message_id: int, column: int | None = None
    ) -> list[dict[str, Any]]:
        """What the model is sent: the stored conversation up to this prompt, a comparison
        column's own thread (raises StoreError, which fails the turn before anything goes
        out)."""
        messages = self.store.load_messages(conversation_id)
        return history_from_store(messages, upto_message_id, column)

    def remove_messages(self, message_ids: Sequence[int]) -> None:
        try:
            for mid in message_ids:
                self.store.delete_message(mid)
        except StoreError as exc:
            self._failed("the edit", exc)
