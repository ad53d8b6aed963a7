"""A conversation tab: tier selector and totals on top, the chat, the composer below."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeyEvent, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop_app.routing.tiers import Tier
from desktop_app.ui.chat.chat_widgets import ChatView, Composer
from desktop_app.ui.widgets.elided_label import ElidedLabel
from desktop_app.ui.widgets.theme import set_text_colour

SEED_MODELS = (
    "openai/gpt-4o",
    "openai/gpt-4o-mini",
    "anthropic/claude-sonnet-4-5",
    "anthropic/claude-opus-4-5",
    "anthropic/claude-haiku-4-5",
    "google/gemini-2.0-flash",
    "google/gemini-2.5-pro",
)


class TierSelector(QComboBox):
    """Presets, 'auto', use-case pools and fixed models; item data is the tier id."""

    def __init__(self, tiers: Iterable[Tier], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tier_selector")
        self.setAccessibleName("Tier")
        self.setToolTip("Which models the router may pick from; applies from the next message")
        self.setMinimumContentsLength(18)
        self._tiers = list(tiers)
        self.set_fixed_models(SEED_MODELS)

    def set_fixed_models(self, models: Iterable[str]) -> None:
        current = self.current_tier_id()
        self.blockSignals(True)
        self.clear()
        last_kind = None
        for tier in self._tiers:
            if last_kind is not None and tier.kind != last_kind:
                self.insertSeparator(self.count())
            last_kind = tier.kind
            prefix = "Use case: " if tier.kind == "use_case" else ""
            self.addItem(prefix + tier.label, tier.id)
            self.setItemData(self.count() - 1, tier.routing_summary(), role=3)  # ToolTipRole
        self.insertSeparator(self.count())
        for model in models:
            self.addItem(f"Fixed: {model}", f"model:{model}")
            self.setItemData(self.count() - 1, f"Always {model}, no routing", role=3)
        self.blockSignals(False)
        if current:
            self.select(current)

    def current_tier_id(self) -> str | None:
        data = self.currentData()
        return str(data) if data else None

    def select(self, tier_id: str) -> None:
        index = self.findData(tier_id)
        if index < 0 and tier_id.startswith("model:"):
            self.addItem(f"Fixed: {tier_id.removeprefix('model:')}", tier_id)
            index = self.count() - 1
        if index >= 0:
            self.setCurrentIndex(index)


class ConversationPage(QWidget):
    tier_changed = Signal(str)
    shown = Signal()  # each time the page comes on screen (a tab switch, the welcome page gone)

    def __init__(self, tiers: Iterable[Tier], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversation_page")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        top = QHBoxLayout()
        top.setContentsMargins(12, 8, 12, 4)
        label = QLabel("&Tier:")
        self.tier_selector = TierSelector(tiers, self)
        label.setBuddy(self.tier_selector)
        top.addWidget(label)
        top.addWidget(self.tier_selector)
        # A long candidate list must not set the window's minimum width: the hint ends in
        # "…" instead, and its tooltip and accessible name have all of it.
        self.tier_hint = ElidedLabel(self)
        self.tier_hint.setObjectName("tier_hint")
        set_text_colour(self.tier_hint, role=QPalette.ColorRole.PlaceholderText)
        top.addWidget(self.tier_hint, 1)
        self.total_label = QLabel(self)
        self.total_label.setObjectName("conversation_total")
        self.total_label.setAccessibleName("Conversation total")
        top.addWidget(self.total_label)
        layout.addLayout(top)
        self.chat = ChatView(self)
        layout.addWidget(self.chat, 1)
        self.composer = Composer(self)
        layout.addWidget(self.composer)
        self.tier_selector.currentIndexChanged.connect(self._emit_tier)

    def _emit_tier(self) -> None:
        tier_id = self.tier_selector.current_tier_id()
        if tier_id:
            self.tier_changed.emit(tier_id)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shown.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc stops the reply wherever the focus is in the tab (the keys no widget here
        uses come up to the page)."""
        from PySide6.QtCore import Qt  # not at import: see enum_props

        if event.key() == Qt.Key.Key_Escape and self.composer.stop_button.isEnabled():
            self.composer.stop.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def set_tier_hint(self, text: str) -> None:
        self.tier_hint.setText(text)
        self.tier_hint.setToolTip(text)
