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
    from desktop_app.services.budget import SpendingGuard
    from desktop_app.services.chat import ChatService
    from desktop_app.services.messages import MessageBridge
    from desktop_app.services.preferences import SettingsHolder
    from desktop_app.services.session import KeySession
    from desktop_app.services.tasks import TaskRunner
    from desktop_app.services.tools.service import ToolService
    from desktop_app.store import HistoryStore


class ChatContext:
    """What every conversation tab works with, built once by the composition root.

    `service`, `renderer` and `list_models` are factories: a restored tab shows its history
    without the chat machinery, and the renderer follows the appearance.
    """

    __slots__ = (
        "after_first_frame",
        "edit_pools",
        "list_models",
        "messages",
        "pick_model",
        "renderer",
        "runner",
        "service",
        "session",
        "settings",
        "spending",
        "store",
        "supports_tools",
        "tiers",
        "tools",
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
        spending: Callable[[], SpendingGuard] | None = None,
        pick_model: Callable[[Callable[[str], None]], None] = lambda _chosen: None,
        edit_pools: Callable[[], None] = lambda: None,
        tools: Callable[[], ToolService] | None = None,
        supports_tools: Callable[[str], bool] = lambda _model: True,
        list_models: Callable[[], Awaitable[list[ModelInfo]]] | None = None,
    ) -> None:
        """`pick_model(chosen)` opens the model picker and calls `chosen(model id)`;
        `edit_pools()` opens Settings → Pools; `tools` builds the tool service at first use
        (None: no tools in this window); `supports_tools` says whether the model list marks a
        model as able to call tools."""
        self.store = store
        self.tiers = tiers
        self.service = service
        self.runner = runner
        self.renderer = renderer
        self.session = session
        self.messages = messages
        self.settings = settings
        self.after_first_frame = after_first_frame
        self.spending = spending  # the spending limits and estimates (built at first use)
        self.pick_model = pick_model
        self.edit_pools = edit_pools
        self.tools = tools
        self.supports_tools = supports_tools
        self.list_models = list_models  # the server's models and list prices (workload estimates)

    def tier_label(self, tier_id: str | None) -> str:
        try:
            return self.tiers.get(tier_id).label if tier_id else "custom"
        except KeyError:
            return tier_id or "custom"
