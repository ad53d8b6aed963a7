"""The window's behaviour: key and demo mode, the client, tabs, totals, orderly shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from desktop_app.api.config import ClientConfig, Timeouts
from desktop_app.api.errors import ApiError
from desktop_app.config.paths import AppPaths
from desktop_app.config.settings import Settings, SettingsSaveError, save_settings
from desktop_app.logs import register_secret
from desktop_app.routing.tiers import TierCatalogue
from desktop_app.secrets import KeyLookup, KeySource, env_key, mask
from desktop_app.services import format as fmt
from desktop_app.services.tasks import TaskRunner
from desktop_app.store import HistoryStore, OpenTab, StoredMessage, StoreError, TabsState
from desktop_app.ui.shell.main_window import MainWindow
from desktop_app.ui.widgets.theme import ERROR_COLOUR, apply_theme, set_text_colour, system_is_dark

if TYPE_CHECKING:
    from desktop_app.api.client import EdenClient
    from desktop_app.render.cache import RenderCache
    from desktop_app.render.markdown import MarkdownRenderer
    from desktop_app.services.chat import ChatService
    from desktop_app.ui.chat.conversation_controller import ConversationController

log = logging.getLogger(__name__)

RENDER_CACHE_FILE = "rendered.sqlite3"
DEMO_COLOUR = "#8a2be2"  # the status bar's demo-mode line: unmistakable, in both appearances


class AppController(QObject):
    """Built once by the composition root; everything it needs comes in through here."""

    shutdown_finished = Signal()
    history_changed = Signal()  # a conversation was added, renamed or got a new turn

    def __init__(
        self,
        window: MainWindow,
        paths: AppPaths,
        tiers: TierCatalogue,
        store: HistoryStore,
        settings: Settings,
        dark: bool,
        emulator_factory: Callable[[], Any] | None = None,
        base_url_override: str | None = None,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.paths = paths
        self.tiers = tiers
        self.runner = TaskRunner(on_error=self._task_failed)
        self._dark = dark
        self._renderer: MarkdownRenderer | None = None  # built with the first tab
        self._render_cache: RenderCache | None = None
        self.settings = settings
        self._base_url_override = base_url_override
        self._client_config = self.config_for(None)
        self._client: EdenClient | None = None  # created at the first request
        self._key: str | None = None
        self._key_source = KeySource.NONE
        self._emulator_factory = emulator_factory
        self._emulator: Any = None
        self.demo = False
        self.store = store
        self._service: ChatService | None = None
        # Set while the key is read from the system keyring after the first frame; requests
        # wait for it. The prompt from `routechat --prompt` waits with it.
        self._key_lookup: asyncio.Event | None = None
        self._pending_prompt: tuple[str, str | None] | None = None
        self.controllers: list[ConversationController] = []
        self._closed_spend = 0.0
        self._save_tabs_timer = QTimer(self)
        self._save_tabs_timer.setSingleShot(True)
        self._save_tabs_timer.setInterval(250)
        self._save_tabs_timer.timeout.connect(self.save_tabs)
        self._shutting_down = False
        self.offline = False
        self._shutdown_done = asyncio.Event()
        w = window
        w.new_tab.connect(lambda: self.new_conversation())
        w.close_current_tab.connect(lambda: self.request_close(w.tabs.currentIndex()))
        w.tabs.tabCloseRequested.connect(self.request_close)
        w.tabs.renamed.connect(self._rename)
        w.tabs.currentChanged.connect(self._focus_current)
        w.tabs.currentChanged.connect(lambda _i: self._save_tabs_timer.start())
        w.tabs.tabBar().tabMoved.connect(lambda _a, _b: self._save_tabs_timer.start())
        w.quit_requested.connect(self.quit)
        w.toggle_demo.connect(self._toggle_demo)
        w.open_log_folder.connect(self._open_log_folder)
        w.account_requested.connect(self.show_account)
        w.preferences_requested.connect(self.show_preferences)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.styleHints().colorSchemeChanged.connect(self._system_scheme_changed)
        w.after_first_frame(self._confirm_colour_scheme)
        w.try_demo.connect(lambda: self.start_demo())
        w.save_key.connect(self._save_key)
        w.test_key.connect(self._test_key)

    # --- start-up ------------------------------------------------------------------------------
    def start(self, demo: bool = False, prompt: str | None = None, tier: str | None = None) -> None:
        """Show the tabs or the welcome page at once; read the keyring after the first frame.

        The keyring costs 50-130 ms (and a locked one waits for the user), so the window does not
        wait for it: a returning user (saved open tabs) sees their tabs, a new one the welcome
        page, and the page changes only if the key says otherwise. `prompt` (from
        `routechat --prompt`) is sent in a new conversation once chatting can start.
        """
        self._pending_prompt = (prompt, tier) if prompt else None
        if demo:
            self.start_demo()
        elif key := env_key():
            self._use_key(key, KeySource.ENVIRONMENT)
        else:
            self._key_lookup = asyncio.Event()
            saved = self._saved_tabs() if self.settings.restore_tabs else None
            if saved is not None and saved.tabs:
                self.window.show_tabs()
                self._ensure_tabs(saved)
            else:
                self.window.show_welcome()
            self._update_status()
            self.window.after_first_frame(self._read_keyring)
            return
        # Not before the first frame: a turn would import the HTTP client and build the `Qt`
        # namespace (qasync's timer) on the way there.
        self.window.after_first_frame(self._send_pending_prompt)

    def _saved_tabs(self) -> TabsState | None:
        try:
            return self.store.load_open_tabs()
        except StoreError as exc:
            self.show_problem(f"Could not restore your tabs: {exc}")
            return None

    def _read_keyring(self) -> None:
        if self._key_lookup is None or self._key_lookup.is_set() or self._shutting_down:
            return
        from desktop_app.secrets import keyring_available, load_key

        lookup = load_key()
        if not lookup.key:
            available, hint = keyring_available()
            lookup = KeyLookup(None, lookup.source, lookup.problem or (None if available else hint))
        self.key_lookup_finished(lookup)

    def key_lookup_finished(self, lookup: KeyLookup) -> None:
        """The keyring answered: chat with its key, or ask for one (saying why if it failed)."""
        if self._key_lookup is None or self._key_lookup.is_set():
            return
        self._key_lookup.set()
        if not (self.demo or self._key):  # else demo mode or a typed key won the race
            if lookup.key:
                self._use_key(lookup.key, lookup.source)
            else:
                self.window.welcome.set_keyring_problem(lookup.problem)
                self.window.show_welcome()
                self._update_status()
        self._send_pending_prompt()

    @property
    def key_pending(self) -> bool:
        return self._key_lookup is not None and not self._key_lookup.is_set()

    async def _credentials(self) -> None:
        if self._key_lookup is not None and not self._key:
            await self._key_lookup.wait()

    def _send_pending_prompt(self) -> None:
        pending, self._pending_prompt = self._pending_prompt, None
        if pending and (self.demo or self._key):
            self.new_conversation(pending[1]).send(pending[0])

    @property
    def renderer(self) -> MarkdownRenderer:
        if self._renderer is None:
            from desktop_app.render.markdown import MarkdownRenderer

            self._renderer = MarkdownRenderer(dark=self._dark, cache=self.render_cache)
        return self._renderer

    @property
    def render_cache(self) -> RenderCache:
        """HTML of messages from earlier sessions (see render_cache), opened with the first tab."""
        if self._render_cache is None:
            from desktop_app.render.cache import RenderCache

            self._render_cache = RenderCache.open(self.paths.cache_dir / RENDER_CACHE_FILE)
        return self._render_cache

    def _set_dark(self, dark: bool) -> None:
        """Markdown renders for the new appearance from now on; open tabs take its colours
        (the one on screen at once, the others when next shown)."""
        self._dark, self._renderer = dark, None
        for ctrl in self.controllers:
            ctrl.page.chat.restyle()
            ctrl.set_renderer(self.renderer)

    @property
    def service(self) -> ChatService:
        """Built at the first tab (the welcome page does not need the chat machinery)."""
        if self._service is None:
            from desktop_app.services.chat import ChatService
            from desktop_app.services.recorder import StoreRecorder
            from desktop_app.services.resilience import RetryPolicy

            self._service = ChatService(
                self.client,
                StoreRecorder(self.store, on_error=self.show_problem),
                policy=lambda: RetryPolicy.from_settings(self.settings.retries),
                credentials=self._credentials,
            )
        return self._service

    # --- the client ------------------------------------------------------------------------------
    def config_for(self, base_url: str | None) -> ClientConfig:
        """The client configuration from the settings (or the demo server's URL)."""
        t = self.settings.timeouts
        return ClientConfig(
            base_url=base_url or self._base_url_override or self.settings.base_url,
            timeouts=Timeouts(t.connect, t.first_byte, t.idle, t.total),
        )

    def apply_settings(self, settings: Settings) -> None:
        """Take new preferences into use: the next turn uses the new connection settings."""
        old, self.settings = self.settings, settings
        if not self.demo and (old.base_url, old.timeouts) != (settings.base_url, settings.timeouts):
            self._replace_client(self.config_for(None))
        for ctrl in self.controllers:
            ctrl.page.composer.input.set_enter_sends(settings.enter_sends)
            ctrl.max_tokens = settings.max_tokens
        self._update_status()

    def client(self) -> EdenClient:
        from desktop_app.api.client import EdenClient

        if self._client is None:
            self._client = EdenClient(self._client_config, lambda: self._key)
        return self._client

    def _replace_client(self, config: ClientConfig) -> None:
        old, self._client = self._client, None
        self._client_config = config
        if old is not None:
            self.runner.start(f"close-client:{id(old)}", old.aclose())

    def _use_key(self, key: str, source: KeySource) -> None:
        register_secret(key)  # every log line and crash report redacts it from now on
        self._key, self._key_source = key, source
        self.window.show_tabs()
        self._ensure_tabs()
        self._update_status()

    def _ensure_tabs(self, saved: TabsState | None = None) -> None:
        """The first time the tabs show: last session's tabs, or one new conversation."""
        if self.controllers:
            return
        if self.settings.restore_tabs:
            self.restore_open_tabs(saved)
        if not self.controllers:
            self.new_conversation()

    def _save_key(self, key: str, remember: bool) -> None:
        source = KeySource.SESSION
        if remember:
            from desktop_app.secrets import store_key

            try:
                store_key(key)
                source = KeySource.KEYRING
            except Exception as exc:  # KeyringUnavailable or a backend failure: say so, keep going
                self.window.welcome.show_result(False, str(exc))
                self.window.welcome.set_keyring_problem(str(exc))
                return
        if self.demo:
            self.stop_demo()
        self._use_key(key, source)

    def _test_key(self, key: str) -> None:
        register_secret(key)
        welcome = self.window.welcome
        welcome.show_result(None, "Testing the key with Eden AI…")

        async def test() -> None:
            from desktop_app.api.client import EdenClient

            async with EdenClient(self._client_config, key) as probe:
                try:
                    await probe.verify_key()
                except ApiError as exc:
                    welcome.show_result(False, fmt.error_sentence(exc))
                    return
            welcome.show_result(True, "The key works. Press “Start chatting” to save it.")

        self.runner.start("test-key", test(), replace=True)

    # --- demo mode -------------------------------------------------------------------------------
    def start_demo(self) -> None:
        if self.demo or self._emulator_factory is None:
            return
        self._emulator = self._emulator_factory()
        base_url = self._emulator.start()
        self.demo = True
        self._replace_client(self.config_for(base_url))
        self._demo_saved_key = (self._key, self._key_source)
        self._key, self._key_source = "demo-key", KeySource.SESSION
        self.window.set_demo(True)
        self.window.show_tabs()
        self._ensure_tabs()
        self._update_status()

    def stop_demo(self) -> None:
        if not self.demo:
            return
        self.demo = False
        emulator, self._emulator = self._emulator, None
        self._replace_client(self.config_for(None))
        self._key, self._key_source = getattr(self, "_demo_saved_key", (None, KeySource.NONE))
        if emulator is not None:
            emulator.stop()
        self.window.set_demo(False)
        if not self._key:
            self.window.show_welcome()
        self._update_status()

    def _toggle_demo(self) -> None:
        if self.demo:
            if any(c.streaming for c in self.controllers):
                self.window.demo_action.setChecked(True)
                self.window.statusBar().showMessage("Stop the running replies first.", 4000)
                return
            self.stop_demo()
        else:
            self.start_demo()

    # --- tabs ------------------------------------------------------------------------------------
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

        page = ConversationPage(self.tiers, self.window.tabs)
        ctrl = ConversationController(
            conversation_id,
            page,
            self.store,
            lambda: self.service,
            self.tiers,
            self.runner,
            self.renderer,
            lambda: self.demo,
            tier_id or self.settings.default_tier,
            self,
            after_first_frame=self.window.after_first_frame,
        )
        ctrl.max_tokens = self.settings.max_tokens
        self.controllers.append(ctrl)
        index = self.window.tabs.addTab(page, title or "New conversation")
        self.window.tabs.setTabToolTip(index, title or "New conversation")
        if focus:
            self.window.tabs.setCurrentIndex(index)
        ctrl.streaming_changed.connect(lambda _s, c=ctrl: self._update_tab(c))
        ctrl.totals_changed.connect(self._update_status)
        ctrl.totals_changed.connect(self._save_tabs_timer.start)
        ctrl.totals_changed.connect(self.history_changed.emit)
        ctrl.title_changed.connect(lambda text, c=ctrl: self._set_title(c, text))
        ctrl.problem.connect(self.show_problem)
        ctrl.reachable.connect(self._set_reachable)
        self._save_tabs_timer.start()
        page.composer.input.set_enter_sends(self.settings.enter_sends)
        if focus:
            page.composer.input.setFocus()
        return ctrl

    def controller_at(self, index: int) -> ConversationController | None:
        page = self.window.tabs.widget(index)
        return next((c for c in self.controllers if c.page is page), None)

    def current(self) -> ConversationController | None:
        return self.controller_at(self.window.tabs.currentIndex())

    def request_close(self, index: int) -> None:
        ctrl = self.controller_at(index)
        if ctrl is None:
            return
        if not ctrl.streaming:
            self.close_conversation(ctrl)
            return
        from PySide6.QtWidgets import QMessageBox  # its enums: not before the first frame

        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Close conversation?",
            "A reply is still arriving in this conversation. Stop it and close the tab? "
            "What has arrived so far is kept in your history.",
            QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setObjectName("confirm_close_streaming")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(button: int) -> None:
            if button == QMessageBox.StandardButton.Close and ctrl in self.controllers:
                self.close_conversation(ctrl)
            box.deleteLater()

        box.finished.connect(answered)
        box.open()  # never exec(): no nested event loop inside qasync

    def close_conversation(self, ctrl: ConversationController) -> None:
        ctrl.stop()
        self._closed_spend += ctrl.total_cost()
        index = self.window.tabs.indexOf(ctrl.page)
        self.controllers.remove(ctrl)
        if index >= 0:
            self.window.tabs.removeTab(index)
        ctrl.page.deleteLater()
        if not self.controllers and not self._shutting_down:
            self.new_conversation()
        self._save_tabs_timer.start()
        self._update_status()

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
            conv = self.store.get_conversation(conversation_id)
            totals = self.store.totals(conversation_id) if lazy else None
            messages = None if lazy else self.store.load_messages(conversation_id)
        except StoreError as exc:
            self.show_problem(f"Could not open the conversation: {exc}")
            return None
        ctrl = self.new_conversation(
            conv.tier_id or self.settings.default_tier,
            conversation_id,
            conv.display_title,
            focus=not lazy,
        )
        if totals is not None:
            ctrl.load_later(
                lambda: self._load_messages(conversation_id), totals.cost_usd, totals.turns
            )
        elif messages is not None:
            ctrl.load(messages)
        if conv.draft:
            ctrl.page.composer.input.setPlainText(conv.draft)
        return ctrl

    def _load_messages(self, conversation_id: int) -> list[StoredMessage] | None:
        try:
            return self.store.load_messages(conversation_id)
        except StoreError as exc:
            self.show_problem(f"Could not load the conversation: {exc}")
            return None

    def restore_open_tabs(self, state: TabsState | None = None) -> None:
        """Reopen last session's tabs (`state`: already read from the store, else read now)."""
        state = state or self._saved_tabs()
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

    def save_tabs(self) -> None:
        tabs = []
        for i in range(self.window.tabs.count()):
            ctrl = self.controller_at(i)
            if ctrl is not None:
                tabs.append(OpenTab(ctrl.conversation_id, ctrl.tier_id))
        try:
            self.store.save_open_tabs(tabs, self.window.tabs.currentIndex() if tabs else None)
        except StoreError as exc:
            self.show_problem(f"Could not save your open tabs: {exc}")

    def _rename(self, index: int, title: str) -> None:
        ctrl = self.controller_at(index)
        if ctrl is None:
            return
        if ctrl.conversation_id is None:
            ctrl.pending_title = title  # the conversation is created with it at the first send
        else:
            try:
                self.store.rename_conversation(ctrl.conversation_id, title)
            except StoreError as exc:
                self.show_problem(f"Could not rename: {exc}")
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
            streaming = "● " if ctrl.streaming else ""
            self.window.tabs.setTabText(index, streaming + title)
            self.window.tabs.setTabToolTip(index, title)

    def _update_tab(self, ctrl: ConversationController) -> None:
        index = self.window.tabs.indexOf(ctrl.page)
        if index < 0:
            return
        text = self.window.tabs.tabText(index).removeprefix("● ")
        self.window.tabs.setTabText(index, ("● " if ctrl.streaming else "") + text)

    def _focus_current(self, _index: int) -> None:
        # Hidden pages skip update bookkeeping: switching then costs what the shown page costs.
        current = self.window.tabs.currentWidget()
        for c in self.controllers:
            c.page.setUpdatesEnabled(c.page is current)
        ctrl = self.current()
        if ctrl is not None:
            ctrl.ensure_loaded()
            ctrl.page.composer.input.setFocus()

    # --- status ----------------------------------------------------------------------------------
    def session_total(self) -> float:
        return self._closed_spend + sum(c.total_cost() for c in self.controllers)

    def _set_reachable(self, reachable: bool) -> None:
        if self.offline != (not reachable):
            self.offline = not reachable
            self._update_status()

    def _update_status(self) -> None:
        w = self.window
        colour = None
        if self.demo:
            mode = "DEMO MODE — a local server answers; nothing is sent to Eden AI, no cost"
            colour = DEMO_COLOUR
        elif self.offline:
            host = self._client_config.base_url.split("//", 1)[-1].split("/", 1)[0]
            mode = (
                f"Offline: cannot reach {host}. Check your network; a message sent now fails "
                "at once with a Retry button."
            )
            colour = ERROR_COLOUR
        elif self.key_pending:
            mode = "Reading the API key from the system keyring…"
        elif self._key:
            where = {
                KeySource.ENVIRONMENT: "from EDENAI_API_KEY (this run only)",
                KeySource.KEYRING: "from the system keyring",
                KeySource.SESSION: "for this session only",
            }.get(self._key_source, "")
            mode = f"Eden AI · {self._client_config.base_url} · key {mask(self._key)} {where}"
        else:
            mode = "No API key yet"
        w.mode_label.setText(mode)
        w.mode_label.setToolTip(mode)
        set_text_colour(w.mode_label, colour, bold=colour is not None)
        total = self.session_total()
        label = "Session total (demo, not billed)" if self.demo else "Session total"
        w.session_label.setText(f"{label}: {fmt.money(total)}")

    def show_account(self) -> None:
        from desktop_app.ui.settings.account_dialog import AccountDialog

        dialog = AccountDialog(self._key_source, self._key, self.window)
        dialog.key_saved.connect(lambda key, remember: self._save_key(key, remember))
        dialog.key_removed.connect(self._key_removed)
        dialog.open()

    def show_preferences(self) -> None:
        from desktop_app.ui.settings.preferences import PreferencesDialog

        stored = self._key_source in (KeySource.KEYRING, KeySource.ENVIRONMENT)
        dialog = PreferencesDialog(self.settings, list(self.tiers), stored, self.window)
        dialog.saved.connect(self.save_preferences)
        dialog.open()

    def save_preferences(self, settings: Settings) -> None:
        try:
            save_settings(self.paths, settings)
        except SettingsSaveError as exc:
            self.show_problem(f"{exc} Your preferences apply to this session only.")
        if settings.theme != self.settings.theme:
            app = QApplication.instance()
            if isinstance(app, QApplication):
                self._set_dark(apply_theme(app, settings.theme))
        self.apply_settings(settings)

    def _confirm_colour_scheme(self) -> None:
        """Start-up judged 'system' by the platform's palette (see `theme`); once the window is
        up, the colour scheme itself decides."""
        app = QApplication.instance()
        if (
            self.settings.theme == "system"
            and isinstance(app, QApplication)
            and system_is_dark(app) != self._dark
        ):
            self._system_scheme_changed()

    def _system_scheme_changed(self) -> None:
        app = QApplication.instance()
        if self.settings.theme == "system" and isinstance(app, QApplication):
            self._set_dark(apply_theme(app, "system"))

    def _key_removed(self) -> None:
        if self._key_source is not KeySource.ENVIRONMENT:
            self._key, self._key_source = None, KeySource.NONE
        if not self.demo and not self._key:
            self.window.show_welcome()
        self._update_status()

    def _open_log_folder(self) -> None:
        self.paths.log_dir.mkdir(parents=True, exist_ok=True)
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.paths.log_dir)))

    def _task_failed(self, name: str, exc: BaseException) -> None:
        self.show_problem(f"Something went wrong ({name}): {exc}")

    def show_problem(self, sentence: str) -> None:
        log.warning("%s", sentence)
        self.window.statusBar().showMessage(sentence, 15000)

    # --- shutdown --------------------------------------------------------------------------------
    def quit(self) -> None:
        if self._shutting_down:
            return
        self._shutting_down = True
        asyncio.get_event_loop().create_task(self._shutdown(), name="shutdown")

    async def wait_shutdown(self) -> None:
        await self._shutdown_done.wait()

    async def _shutdown(self) -> None:
        """Stop streams (their partial replies are saved), close HTTP, stop the demo server."""
        try:
            await self.runner.cancel_all()
            self.save_tabs()
            if self._client is not None:
                await self._client.aclose()
                self._client = None
            if self._emulator is not None:
                self._emulator.stop()
                self._emulator = None
        finally:
            self.window.allow_close()
            self.window.close()
            self.store.close()
            if self._render_cache is not None:
                self._render_cache.prune()
                self._render_cache.close()
            self._shutdown_done.set()
            self.shutdown_finished.emit()
