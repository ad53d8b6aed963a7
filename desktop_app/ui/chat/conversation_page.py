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
from desktop_app.ui.chat.tool_block import ToolsToggle
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


PICK_MODEL = "__pick_model__"  # "Choose another model…": the model picker
NEW_POOL = "__new_pool__"  # "New pool…": Settings → Pools


class TierSelector(QComboBox):
    """Presets, 'auto', use-case pools, the user's pools and fixed models; item data is the
    tier id. The last entries open the model picker and the pool editor."""

    pick_model_requested = Signal()
    new_pool_requested = Signal()

    def __init__(self, tiers: Iterable[Tier], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tier_selector")
        self.setAccessibleName("Tier")
        self.setToolTip("Which models the router may pick from; applies from the next message")
        self.setMinimumContentsLength(18)
        self._tiers = list(tiers)
        self._models: list[str] = list(SEED_MODELS)
        self._previous: str | None = None
        self.missing: str | None = None  # a tier id no longer there (a deleted pool)
        self._rebuild()
        self.activated.connect(self._activated)

    def set_tiers(self, tiers: Iterable[Tier]) -> None:
        """The tiers changed (a pool added, renamed or deleted): list them again."""
        self._tiers = list(tiers)
        self._rebuild()

    def set_fixed_models(self, models: Iterable[str]) -> None:
        self._models = list(models)
        self._rebuild()

    def _rebuild(self) -> None:
        current = self.current_tier_id() or self.missing
        self.blockSignals(True)
        self.clear()
        last_kind = None
        for tier in self._tiers:
            if last_kind is not None and tier.kind != last_kind:
                self.insertSeparator(self.count())
            last_kind = tier.kind
            prefix = {"use_case": "Use case: ", "pool": "Pool: "}.get(tier.kind, "")
            self.addItem(prefix + tier.label, tier.id)
            self.setItemData(self.count() - 1, tier.routing_summary(), role=3)  # ToolTipRole
        self.insertSeparator(self.count())
        for model in self._models:
            self.addItem(f"Fixed: {model}", f"model:{model}")
            self.setItemData(self.count() - 1, f"Always {model}, no routing", role=3)
        self.insertSeparator(self.count())
        self.addItem("Choose another model…", PICK_MODEL)
        self.addItem("New pool…", NEW_POOL)
        self.missing = None
        if current:
            self.select(current)
        self.blockSignals(False)

    def current_tier_id(self) -> str | None:
        data = self.currentData()
        if not data or data in (PICK_MODEL, NEW_POOL) or data == self.missing:
            return None
        return str(data)

    def select(self, tier_id: str) -> None:
        index = self.findData(tier_id)
        if index < 0 and tier_id.startswith("model:"):
            self.insertItem(self._fixed_end(), f"Fixed: {tier_id.removeprefix('model:')}", tier_id)
            index = self.findData(tier_id)
        if index < 0:  # a pool that was deleted: say so, never switch silently
            self.insertItem(0, f"⚠ Deleted pool “{tier_id}”: choose another", tier_id)
            self.setItemData(0, "This tab's pool was deleted; choose what to use", role=3)
            self.missing = tier_id
            index = 0
        self.setCurrentIndex(index)
        self._previous = tier_id

    def _fixed_end(self) -> int:
        return self.findData(PICK_MODEL) - 1  # before the separator above the actions

    def _activated(self, index: int) -> None:
        data = self.itemData(index)
        if data in (PICK_MODEL, NEW_POOL):
            if self._previous is not None:  # the action is not a tier: go back
                self.blockSignals(True)
                self.setCurrentIndex(max(0, self.findData(self._previous)))
                self.blockSignals(False)
            (self.pick_model_requested if data == PICK_MODEL else self.new_pool_requested).emit()
            return
        self._previous = str(data) if data else None
        if data != self.missing and self.missing is not None:
            missing_index = self.findData(self.missing)
            self.missing = None
            if missing_index >= 0:
                self.removeItem(missing_index)


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
        self.tools_toggle = ToolsToggle(self)
        top.addWidget(self.tools_toggle)
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
