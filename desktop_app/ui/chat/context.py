"""What every conversation tab works with, built once by the composition root.

Kept apart from the controller: the composition root builds it before the first frame, and a
first run (the welcome page) must not import the chat widgets to do so.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop_app.api.models import ModelInfo
    from desktop_app.render.markdown import MarkdownRenderer
    from desktop_app.routing.tiers import TierCatalogue
    from desktop_app.services.chat import ChatService
    from desktop_app.services.messages import MessageBridge
    from desktop_app.services.preferences import SettingsHolder
    from desktop_app.services.session import KeySession
    from desktop_app.services.tasks import TaskRunner
    from desktop_app.store import HistoryStore


class ChatContext:
    """What every conversation tab works with, built once by the composition root.

    `service`, `renderer` and `list_models` are factories: a restored tab shows its history
    without the chat machinery, and the renderer follows the appearance.
    """

    __slots__ = (
        "after_first_frame",
        "list_models",
        "messages",
        "renderer",
        "runner",
        "service",
        "session",
        "settings",
        "store",
        "tiers",
    )

    def __init__(
        self,
        *,
        store: HistoryStore,
        tiers: TierCatalogue,
        service: Callable[[], ChatService],
        runner: TaskRunner,
        renderer: Callable[[], MarkdownRenderer],
        session: KeySession,
        messages: MessageBridge,
        settings: SettingsHolder,
        after_first_frame: Callable[[Callable[[], None]], None],
        list_models: Callable[[], Awaitable[list[ModelInfo]]] | None = None,
    ) -> None:
        self.store = store
        self.tiers = tiers
        self.service = service
        self.runner = runner
        self.renderer = renderer
        self.session = session
        self.messages = messages
        self.settings = settings
        self.after_first_frame = after_first_frame
        self.list_models = list_models  # the server's models and list prices (workload estimates)

    def tier_label(self, tier_id: str | None) -> str:
        try:
            return self.tiers.get(tier_id).label if tier_id else "custom"
        except KeyError:
            return tier_id or "custom"
