"""The conversation tabs: open, restore, close, rename, reorder, and which one is on screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.services.messages import MessageBridge
from desktop_app.services.preferences import SettingsHolder
from desktop_app.store import HistoryStore, OpenTab, StoredMessage, StoreError, TabsState
from desktop_app.ui.chat.context import ChatContext
from desktop_app.ui.shell.main_window import MainWindow

if TYPE_CHECKING:  # the chat widgets load with the first tab: not for the welcome page
    from desktop_app.ui.chat.conversation_controller import ConversationController

STREAMING_MARK = "● "
NEW_TITLE = "New conversation"


class TabManager(QObject):
    history_changed = Signal()  # a conversation was added, renamed or got a new turn
    turn_finished = Signal()  # a reply ended somewhere: totals changed
    reachable = Signal(bool)  # whether the last turn reached the server

    def __init__(
        self,
        window: MainWindow,
        ctx: ChatContext,
        settings: SettingsHolder,
        messages: MessageBridge,
    ) -> None:
        super().__init__(window)
        self.window = window
        self._ctx = ctx
        self._store: HistoryStore = ctx.store
        self._settings = settings
        self._messages = messages
        self.controllers: list[ConversationController] = []
        self.closing_all = False  # at shutdown: closing the last tab opens no new one
        self._saved_for_good = False
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(250)
        self._save_timer.timeout.connect(self.save_tabs)
        tabs = window.tabs
        tabs.renamed.connect(self._rename)
        tabs.currentChanged.connect(self._focus_current)
        tabs.currentChanged.connect(lambda _i: self._save_timer.start())
        tabs.tabBar().tabMoved.connect(lambda _a, _b: self._save_timer.start())
        settings.subscribe(lambda _old, new: self._apply(new.enter_sends))
        ctx.tiers.subscribe(self._tiers_changed)

    def _tiers_changed(self) -> None:
        for ctrl in self.controllers:
            ctrl.tiers_changed()

    def _apply(self, enter_sends: bool) -> None:
        for ctrl in self.controllers:
            ctrl.page.composer.input.set_enter_sends(enter_sends)

    # --- opening -------------------------------------------------------------------------------
    def new_conversation(
        self,
        tier_id: str | None = None,
        conversation_id: int | None = None,
        title: str = "",
        focus: bool = True,
    ) -> ConversationController:
        """A new tab (`focus`: and switch to it; restored tabs are switched to once, at the end)."""
        from desktop_app.ui.chat.conversation_controller import ConversationController
        from desktop_app.ui.chat.conversation_page import ConversationPage

        page = ConversationPage(self._ctx.tiers, self.window.tabs)
        ctrl = ConversationController(
            conversation_id,
            page,
            self._ctx,
            tier_id or self._settings.current.default_tier,
            self,
        )
        self.controllers.append(ctrl)
        index = self.window.tabs.addTab(page, title or NEW_TITLE)
        self.window.tabs.setTabToolTip(index, title or NEW_TITLE)
        if focus:
            self.window.tabs.setCurrentIndex(index)
        ctrl.streaming_changed.connect(lambda on, c=ctrl: self._mark_streaming(c, on))
        ctrl.turn_finished.connect(self.turn_finished.emit)
        ctrl.turn_finished.connect(self.history_changed.emit)
        ctrl.turn_finished.connect(self._save_timer.start)
        ctrl.tier_changed.connect(lambda _t: self._save_timer.start())
        ctrl.title_changed.connect(lambda text, c=ctrl: self._set_title(c, text))
        ctrl.title_changed.connect(lambda _t: self.history_changed.emit())
        ctrl.reachable.connect(self.reachable.emit)
        self._save_timer.start()
        page.composer.input.set_enter_sends(self._settings.current.enter_sends)
        if focus:
            page.composer.input.setFocus()
        return ctrl

    def empty_current(self) -> ConversationController | None:
        """The tab on screen when it is a new conversation nothing was typed or sent in."""
        ctrl = self.current()
        if ctrl is None or ctrl.conversation_id is not None or ctrl.entries or ctrl.streaming:
            return None
        return None if ctrl.page.composer.input.toPlainText().strip() else ctrl

    def open_conversation(
        self, conversation_id: int, lazy: bool = False
    ) -> ConversationController | None:
        """Focus its tab if open, else open it from history in a new tab.

        `lazy` (restored tabs not on screen): the messages load when the tab is first shown.
        """
        for ctrl in self.controllers:
            if ctrl.conversation_id == conversation_id:
                self.window.tabs.setCurrentWidget(ctrl.page)
                return ctrl
        try:
            conv = self._store.get_conversation(conversation_id)
            messages = None if lazy else self._store.load_messages(conversation_id)
        except StoreError as exc:
            self._messages.error(f"Could not open the conversation: {exc}")
            return None
        ctrl = self.new_conversation(
            conv.tier_id or self._settings.current.default_tier,
            conversation_id,
            conv.display_title,
            focus=not lazy,
        )
        if messages is not None:
            ctrl.load(messages)
        else:
            ctrl.load_later(lambda: self._load_messages(conversation_id))
        if conv.draft:
            ctrl.page.composer.input.setPlainText(conv.draft)
        return ctrl

    def _load_messages(self, conversation_id: int) -> list[StoredMessage] | None:
        try:
            return self._store.load_messages(conversation_id)
        except StoreError as exc:
            self._messages.error(f"Could not load the conversation: {exc}")
            return None

    def saved_tabs(self) -> TabsState | None:
        try:
            return self._store.load_open_tabs()
        except StoreError as exc:
            self._messages.error(f"Could not restore your tabs: {exc}")
            return None

    def restore(self, state: TabsState | None = None) -> None:
        """Reopen last session's tabs (`state`: already read from the store, else read now)."""
        state = state or self.saved_tabs()
        if state is None:
            return
        for tab in state.tabs:
            if tab.conversation_id is None:
                self.new_conversation(tab.tier_id, focus=False)
            else:
                ctrl = self.open_conversation(tab.conversation_id, lazy=True)
                if ctrl is not None and tab.tier_id:
                    ctrl.page.tier_selector.select(tab.tier_id)
        if state.selected is not None and 0 <= state.selected < self.window.tabs.count():
            self.window.tabs.setCurrentIndex(state.selected)
        # The tab on screen loads now (the others when first shown), and takes the focus.
        self._focus_current(self.window.tabs.currentIndex())

    def ensure_open(self, saved: TabsState | None = None, restore: bool = True) -> None:
        """The first time the tabs show: last session's tabs, or one new conversation."""
        if self.controllers:
            return
        if restore:
            self.restore(saved)
        if not self.controllers:
            self.new_conversation()

    # --- which tab -----------------------------------------------------------------------------
    def controller_at(self, index: int) -> ConversationController | None:
        page = self.window.tabs.widget(index)
        return next((c for c in self.controllers if c.page is page), None)

    def current(self) -> ConversationController | None:
        return self.controller_at(self.window.tabs.currentIndex())

    def any_streaming(self) -> bool:
        return any(c.streaming for c in self.controllers)

    def _focus_current(self, _index: int) -> None:
        # Hidden pages skip update bookkeeping: switching then costs what the shown page costs.
        current = self.window.tabs.currentWidget()
        for c in self.controllers:
            c.page.setUpdatesEnabled(c.page is current)
        ctrl = self.current()
        if ctrl is not None:
            ctrl.ensure_loaded()
            ctrl.page.composer.input.setFocus()

    # --- closing -------------------------------------------------------------------------------
    def request_close(
        self, index: int, ask: Callable[[str, str, Callable[[], None]], None]
    ) -> None:
        """Close the tab at `index`; `ask(title, question, on_yes)` confirms a live reply's."""
        ctrl = self.controller_at(index)
        if ctrl is None:
            return
        if not ctrl.streaming or not self._settings.current.confirm_close_streaming:
            self.close(ctrl)
            return
        ask(
            "Close conversation?",
            "A reply is still arriving in this conversation. Stop it and close the tab? "
            "What has arrived so far is kept in your history.",
            lambda: self.close(ctrl) if ctrl in self.controllers else None,
        )

    def close(self, ctrl: ConversationController) -> None:
        ctrl.close()
        index = self.window.tabs.indexOf(ctrl.page)
        self.controllers.remove(ctrl)
        if index >= 0:
            self.window.tabs.removeTab(index)
        ctrl.page.deleteLater()
        if not self.controllers and not self.closing_all:
            self.new_conversation()
        self._save_timer.start()

    def close_conversation(self, conversation_id: int) -> None:
        for ctrl in list(self.controllers):
            if ctrl.conversation_id == conversation_id:
                self.close(ctrl)

    def save_tabs(self, final: bool = False) -> None:
        """Remember the open tabs for the next start (`final`: at shutdown, the last time)."""
        if self._saved_for_good:
            return
        if final:
            self._saved_for_good = True
            self._save_timer.stop()
        tabs = []
        for i in range(self.window.tabs.count()):
            ctrl = self.controller_at(i)
            if ctrl is not None:
                tabs.append(OpenTab(ctrl.conversation_id, ctrl.tier_id))
        try:
            self._store.save_open_tabs(tabs, self.window.tabs.currentIndex() if tabs else None)
        except StoreError as exc:
            self._messages.error(f"Could not save your open tabs: {exc}")

    def save_drafts(self) -> None:
        for ctrl in self.controllers:
            ctrl.save_draft()

    # --- titles --------------------------------------------------------------------------------
    def _rename(self, index: int, title: str) -> None:
        ctrl = self.controller_at(index)
        if ctrl is None:
            return
        if ctrl.conversation_id is None:
            ctrl.pending_title = title  # the conversation is created with it at the first send
        else:
            try:
                self._store.rename_conversation(ctrl.conversation_id, title)
            except StoreError as exc:
                self._messages.error(f"Could not rename: {exc}")
                return
        self._set_title(ctrl, title)  # keeps the streaming mark
        self.history_changed.emit()

    def retitle(self, conversation_id: int, title: str) -> None:
        for ctrl in self.controllers:
            if ctrl.conversation_id == conversation_id:
                self._set_title(ctrl, title)

    def _set_title(self, ctrl: ConversationController, title: str) -> None:
        index = self.window.tabs.indexOf(ctrl.page)
        if index >= 0:
            mark = STREAMING_MARK if ctrl.streaming else ""
            self.window.tabs.setTabText(index, mark + title)
            self.window.tabs.setTabToolTip(index, title)

    def _mark_streaming(self, ctrl: ConversationController, streaming: bool) -> None:
        index = self.window.tabs.indexOf(ctrl.page)
        if index < 0:
            return
        text = self.window.tabs.tabText(index).removeprefix(STREAMING_MARK)
        self.window.tabs.setTabText(index, (STREAMING_MARK if streaming else "") + text)

    def set_renderer_all(self, renderer_changed: bool) -> None:
        """The appearance changed: every tab restyles; messages re-render when next shown."""
        renderer = self._ctx.renderer()
        for ctrl in self.controllers:
            ctrl.page.chat.restyle()
            if renderer_changed:
                ctrl.set_renderer(renderer)
