"""The tabs: conversations, comparisons and workload runs; open, restore, close, rename,
reorder, and which one is on screen."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.services.messages import MessageBridge
from desktop_app.services.preferences import SettingsHolder
from desktop_app.store import (
    Conversation,
    HistoryStore,
    OpenTab,
    StoredMessage,
    StoreError,
    TabsState,
)
from desktop_app.ui.chat.context import ChatContext
from desktop_app.ui.shell.main_window import MainWindow

if TYPE_CHECKING:  # the chat widgets load with the first tab: not for the welcome page
    from desktop_app.services.budget import CostEstimate
    from desktop_app.services.compare import ColumnSpec
    from desktop_app.ui.chat.conversation_controller import ConversationController
    from desktop_app.ui.chat.spending_gate import SpendingGate
    from desktop_app.ui.compare.compare_controller import CompareController
    from desktop_app.ui.compare.workload_controller import WorkloadController

    Comparison = CompareController | WorkloadController
    Tab = ConversationController | CompareController | WorkloadController

STREAMING_MARK = "● "
NEW_TITLE = "New conversation"
NEW_COMPARISON = "New comparison"


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
        self.comparisons: list[Comparison] = []  # comparison and workload tabs
        self.closing_all = False  # at shutdown: closing the last tab opens no new one
        self._saved_for_good = False
        self._workload_gate: SpendingGate | None = None  # a workload's spending question
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
        for tab in self.tabs():
            tiers_changed = getattr(tab, "tiers_changed", None)
            if tiers_changed is not None:  # conversations and comparisons; workloads keep theirs
                tiers_changed()

    def _apply(self, enter_sends: bool) -> None:
        for ctrl in self.controllers:
            ctrl.page.composer.input.set_enter_sends(enter_sends)
        for other in self.comparisons:
            composer = getattr(other.page, "composer", None)
            if composer is not None:
                composer.input.set_enter_sends(enter_sends)

    def tabs(self) -> list[Tab]:
        """Every tab's controller: conversations first, then comparisons and workloads."""
        return [*self.controllers, *self.comparisons]

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
        ctrl.compare_requested.connect(
            lambda prompt, tier_id: self.new_comparison(first_tier=tier_id, prompt=prompt)
        )
        self._save_timer.start()
        page.composer.input.set_enter_sends(self._settings.current.enter_sends)
        if focus:
            page.composer.input.setFocus()
        return ctrl

    def _add_tab(self, ctrl: Comparison, title: str, focus: bool) -> None:
        """A comparison or workload tab: shown like a conversation's, restored like one."""
        from desktop_app.ui.compare.icons import kind_icon

        self.comparisons.append(ctrl)
        index = self.window.tabs.addTab(ctrl.page, kind_icon(ctrl.kind), title)
        self.window.tabs.setTabToolTip(index, title)
        if focus:
            self.window.tabs.setCurrentIndex(index)
        ctrl.streaming_changed.connect(lambda on, c=ctrl: self._mark_streaming(c, on))
        ctrl.turn_finished.connect(self.turn_finished.emit)
        ctrl.turn_finished.connect(self.history_changed.emit)
        ctrl.turn_finished.connect(self._save_timer.start)
        ctrl.title_changed.connect(lambda text, c=ctrl: self._set_title(c, text))
        ctrl.title_changed.connect(lambda _t: self.history_changed.emit())
        ctrl.reachable.connect(self.reachable.emit)
        self._save_timer.start()

    def new_comparison(
        self,
        tiers: Sequence[str] | None = None,
        *,
        first_tier: str | None = None,
        prompt: str = "",
        conversation_id: int | None = None,
        view: dict[str, Any] | None = None,
        title: str = "",
        focus: bool = True,
    ) -> CompareController:
        """A comparison tab: `tiers` (default: the last comparison's, else Budget · Balanced ·
        Premium), or `first_tier` and two others; `prompt` waits in the composer."""
        from desktop_app.services.compare import DEFAULT_TIERS, MAX_COLUMNS, PRESETS, ComparisonView
        from desktop_app.ui.compare.compare_controller import COLUMNS_KEY, CompareController
        from desktop_app.ui.compare.compare_page import ComparePage

        if view is None:
            chosen = list(tiers or [])
            if not chosen:
                try:
                    remembered = self._store.get_state(COLUMNS_KEY)
                except StoreError:
                    remembered = None
                if isinstance(remembered, list) and all(isinstance(t, str) for t in remembered):
                    chosen = list(remembered)
            if first_tier:
                others = [t for t in (chosen or DEFAULT_TIERS) if t != first_tier]
                chosen = [first_tier, *others][: max(3, min(len(chosen), MAX_COLUMNS))]
            data: dict[str, Any] = {
                "columns": [{"column": i, "tier_id": t} for i, t in enumerate(chosen)]
            }
        else:
            data = view
        page = ComparePage([p.name for p in PRESETS], self.window.tabs)
        ctrl = CompareController(
            conversation_id, page, self._ctx, ComparisonView.from_json(data), self
        )
        self._add_tab(ctrl, title or NEW_COMPARISON, focus)
        ctrl.continued.connect(self.open_conversation)
        ctrl.workload_requested.connect(self.request_workload)
        ctrl.view_changed.connect(self._save_timer.start)
        page.composer.input.set_enter_sends(self._settings.current.enter_sends)
        if prompt:
            page.composer.input.setPlainText(prompt)
        if focus:
            page.composer.input.setFocus()
        return ctrl

    def request_workload(self, columns: list[ColumnSpec]) -> None:
        """ "Run a workload…": the dialog, then (once confirmed) a workload tab that runs it."""
        from desktop_app.ui.compare.workload_dialog import WorkloadDialog

        dialog = WorkloadDialog(
            self._ctx, columns, self._settings.current.workload_concurrency, self.window
        )
        dialog.confirmed.connect(
            lambda prompts, concurrency: self._check_workload(columns, prompts, concurrency)
        )
        dialog.open()

    def _check_workload(
        self, columns: list[ColumnSpec], prompts: list[str], concurrency: int
    ) -> None:
        """A confirmed workload, once the spending limits allow all of its requests (checked
        as one send: a run is not sent in part)."""
        from desktop_app.routing.plan import plan_for
        from desktop_app.services.compare import tier_of
        from desktop_app.ui.chat.spending_gate import SpendingGate

        ctx = self._ctx
        plans = [plan_for(tier_of(ctx.tiers, c.tier_id), demo=ctx.session.demo) for c in columns]

        def estimates() -> list[CostEstimate | None]:
            assert ctx.spending is not None
            guard = ctx.spending()
            return [guard.estimate(plan, [], p) for p in prompts for plan in plans]

        self._workload_gate = SpendingGate(None, ctx, lambda: [], self.window)

        def go() -> None:
            self.open_workload(columns, prompts, concurrency)

        self._workload_gate.check_round(plans, estimates, go)

    def open_workload(
        self, columns: Sequence[ColumnSpec], prompts: list[str], concurrency: int
    ) -> WorkloadController | None:
        """Run `prompts` through `columns` in a new workload tab (stored as it goes)."""
        from desktop_app.ui.compare.workload_controller import WorkloadController

        ctrl = WorkloadController.start(self._ctx, list(columns), prompts, concurrency, self)
        if ctrl is None:
            return None
        self._add_tab(ctrl, ctrl.title, True)
        ctrl.begin()
        self.history_changed.emit()
        return ctrl

    def _open_comparison(self, conv: Conversation, lazy: bool) -> Comparison | None:
        if conv.kind == "workload":
            from desktop_app.ui.compare.workload_controller import WorkloadController

            workload = WorkloadController.load(self._ctx, conv, self)
            if workload is None:
                return None
            self._add_tab(workload, conv.display_title, not lazy)
            return workload
        ctrl = self.new_comparison(
            conversation_id=conv.id,
            view=conv.view or {},
            title=conv.display_title,
            focus=not lazy,
        )
        if lazy:
            ctrl.load_later(lambda: self._load_messages(conv.id))
        else:
            messages = self._load_messages(conv.id)
            if messages is not None:
                ctrl.load(messages)
        if conv.draft:
            ctrl.page.composer.input.setPlainText(conv.draft)
        return ctrl

    def empty_current(self) -> ConversationController | None:
        """The tab on screen when it is a new conversation nothing was typed or sent in."""
        ctrl = self.current()
        if ctrl is None or ctrl.conversation_id is not None or ctrl.entries or ctrl.streaming:
            return None
        return None if ctrl.page.composer.input.toPlainText().strip() else ctrl

    def open_conversation(self, conversation_id: int, lazy: bool = False) -> Tab | None:
        """Focus its tab if open, else open it from history in a new tab (a comparison or a
        workload run in theirs).

        `lazy` (restored tabs not on screen): the messages load when the tab is first shown.
        """
        for tab in self.tabs():
            if tab.conversation_id == conversation_id:
                self.window.tabs.setCurrentWidget(tab.page)
                return tab
        try:
            conv = self._store.get_conversation(conversation_id)
            if conv.kind in ("comparison", "workload"):
                return self._open_comparison(conv, lazy)
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
        from desktop_app.ui.chat.conversation_controller import ConversationController

        for tab in state.tabs:
            if tab.conversation_id is None and tab.kind == "comparison":
                self.new_comparison(view=tab.view, focus=False)
            elif tab.conversation_id is None:
                self.new_conversation(tab.tier_id, focus=False)
            else:
                ctrl = self.open_conversation(tab.conversation_id, lazy=True)
                if isinstance(ctrl, ConversationController) and tab.tier_id:
                    ctrl.page.tier_selector.select(tab.tier_id)
        if state.selected is not None and 0 <= state.selected < self.window.tabs.count():
            self.window.tabs.setCurrentIndex(state.selected)
        # The tab on screen loads now (the others when first shown), and takes the focus.
        self._focus_current(self.window.tabs.currentIndex())

    def ensure_open(self, saved: TabsState | None = None, restore: bool = True) -> None:
        """The first time the tabs show: last session's tabs, or one new conversation."""
        if self.tabs():
            return
        if restore:
            self.restore(saved)
        if not self.tabs():
            self.new_conversation()

    # --- which tab -----------------------------------------------------------------------------
    def controller_at(self, index: int) -> ConversationController | None:
        """The conversation at `index` (None for a comparison, a workload or no tab)."""
        page = self.window.tabs.widget(index)
        return next((c for c in self.controllers if c.page is page), None)

    def tab_at(self, index: int) -> Tab | None:
        """Whatever tab is at `index`."""
        page = self.window.tabs.widget(index)
        return next((c for c in self.tabs() if c.page is page), None)

    def current(self) -> ConversationController | None:
        return self.controller_at(self.window.tabs.currentIndex())

    def current_tab(self) -> Tab | None:
        return self.tab_at(self.window.tabs.currentIndex())

    def current_conversation_id(self) -> int | None:
        """The stored conversation (or comparison, or workload run) on screen, if any."""
        tab = self.current_tab()
        return tab.conversation_id if tab is not None else None

    def any_streaming(self) -> bool:
        return any(c.streaming for c in self.tabs())

    def _focus_current(self, _index: int) -> None:
        # Hidden pages skip update bookkeeping: switching then costs what the shown page costs.
        current = self.window.tabs.currentWidget()
        for c in self.tabs():
            c.page.setUpdatesEnabled(c.page is current)
        tab = self.current_tab()
        if tab is not None:
            tab.ensure_loaded()
            composer = getattr(tab.page, "composer", None)
            if composer is not None:
                composer.input.setFocus()

    # --- closing -------------------------------------------------------------------------------
    def request_close(
        self, index: int, ask: Callable[[str, str, Callable[[], None]], None]
    ) -> None:
        """Close the tab at `index`; `ask(title, question, on_yes)` confirms a live reply's."""
        ctrl = self.tab_at(index)
        if ctrl is None:
            return
        if not ctrl.streaming or not self._settings.current.confirm_close_streaming:
            self.close(ctrl)
            return
        from desktop_app.ui.compare.workload_controller import WorkloadController

        if isinstance(ctrl, WorkloadController):
            title, question = (
                "Stop the workload run?",
                "This workload run is still sending prompts. Stop it and close the tab? The "
                "answers that finished are kept, and the run can be reopened from history.",
            )
        else:
            title, question = (
                "Close conversation?",
                "A reply is still arriving in this tab. Stop it and close the tab? "
                "What has arrived so far is kept in your history.",
            )
        ask(title, question, lambda: self.close(ctrl) if ctrl in self.tabs() else None)

    def close(self, ctrl: Tab) -> None:
        ctrl.close()
        index = self.window.tabs.indexOf(ctrl.page)
        self.controllers = [c for c in self.controllers if c is not ctrl]
        self.comparisons = [c for c in self.comparisons if c is not ctrl]
        if index >= 0:
            self.window.tabs.removeTab(index)
        ctrl.page.deleteLater()
        if not self.tabs() and not self.closing_all:
            self.new_conversation()
        self._save_timer.start()

    def close_conversation(self, conversation_id: int) -> None:
        for ctrl in self.tabs():
            if ctrl.conversation_id == conversation_id:
                self.close(ctrl)

    def save_tabs(self, final: bool = False) -> None:
        """Remember the open tabs for the next start (`final`: at shutdown, the last time)."""
        if self._saved_for_good:
            return
        if final:
            self._saved_for_good = True
            self._save_timer.stop()
        from desktop_app.ui.chat.conversation_controller import ConversationController
        from desktop_app.ui.compare.compare_controller import CompareController

        tabs = []
        for i in range(self.window.tabs.count()):
            ctrl = self.tab_at(i)
            if isinstance(ctrl, ConversationController):
                tabs.append(OpenTab(ctrl.conversation_id, ctrl.tier_id))
            elif isinstance(ctrl, CompareController):
                view = ctrl.view_json() if ctrl.conversation_id is None else None
                tabs.append(OpenTab(ctrl.conversation_id, None, "comparison", view))
            elif ctrl is not None and ctrl.conversation_id is not None:
                tabs.append(OpenTab(ctrl.conversation_id))
        try:
            self._store.save_open_tabs(tabs, self.window.tabs.currentIndex() if tabs else None)
        except StoreError as exc:
            self._messages.error(f"Could not save your open tabs: {exc}")

    def save_drafts(self) -> None:
        for ctrl in self.tabs():
            ctrl.save_draft()

    # --- titles --------------------------------------------------------------------------------
    def _rename(self, index: int, title: str) -> None:
        ctrl = self.tab_at(index)
        if ctrl is None:
            return
        if ctrl.conversation_id is None:
            if hasattr(ctrl, "pending_title"):  # created with it at the first send
                ctrl.pending_title = title
        else:
            try:
                self._store.rename_conversation(ctrl.conversation_id, title)
            except StoreError as exc:
                self._messages.error(f"Could not rename: {exc}")
                return
        self._set_title(ctrl, title)  # keeps the streaming mark
        self.history_changed.emit()

    def retitle(self, conversation_id: int, title: str) -> None:
        for ctrl in self.tabs():
            if ctrl.conversation_id == conversation_id:
                self._set_title(ctrl, title)

    def _set_title(self, ctrl: Tab, title: str) -> None:
        index = self.window.tabs.indexOf(ctrl.page)
        if index >= 0:
            mark = STREAMING_MARK if ctrl.streaming else ""
            self.window.tabs.setTabText(index, mark + title)
            self.window.tabs.setTabToolTip(index, title)

    def _mark_streaming(self, ctrl: Tab, streaming: bool) -> None:
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
        for other in self.comparisons:
            other.restyle()
            if renderer_changed:
                other.set_renderer(renderer)
