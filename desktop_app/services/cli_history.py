"""The command line's turns in the user's history: one "Command line" conversation per day
(kind `cli`), so that statistics and spending limits see what `routechat ask` (and
`routechat compare`) spent. Qt-free.

Each command-line turn is sent on its own: the day's conversation is a record, not a context,
so the recorder gives the model only the optional system message and the turn's own prompt.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from desktop_app.services.budget import day_start
from desktop_app.services.recorder import StoreRecorder
from desktop_app.store import HistoryStore

KIND = "cli"
TITLE = "Command line"


def conversation_for_today(store: HistoryStore, today: date | None = None) -> int:
    """The id of today's "Command line" conversation, created at the day's first turn."""
    day = today or date.today()
    start, end = day_start(day), day_start(day + timedelta(days=1))
    found = store.find_conversation(KIND, created_from=start, created_before=end)
    if found is not None:
        return found
    return store.create_conversation(f"{TITLE} {day.isoformat()}", kind=KIND)


class CommandLineRecorder(StoreRecorder):
    """Records a command-line turn in the history; the request carries only the system
    message (when given) and this turn's prompt."""

    def __init__(
        self,
        store: HistoryStore,
        system: str | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__(store, on_error=on_error)
        self._system = system

    def record_user_message(self, conversation_id: int, content: str) -> int:
        if self._system:  # kept in the record, before the prompt it was sent with
            self.store.add_message(conversation_id, "system", self._system)
        return super().record_user_message(conversation_id, content)

    def history(
        self, conversation_id: int, upto_message_id: int, column: int | None = None
    ) -> list[dict[str, Any]]:
        prompt = self.store.get_message(upto_message_id)
        system = [{"role": "system", "content": self._system}] if self._system else []
        return [*system, prompt.to_api()]


def command_line_recorder(
    store: HistoryStore,
    system: str | None = None,
    on_error: Callable[[str], None] | None = None,
) -> CommandLineRecorder:
    """The recorder `routechat ask` and `routechat compare` run their turns with: pass it to
    `ChatService` and start turns in `conversation_for_today(store)`."""
    return CommandLineRecorder(store, system, on_error)
