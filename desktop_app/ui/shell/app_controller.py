"""The app's modes and lifetime: start-up (tabs or welcome, the key after the first frame, a
`--prompt` to send), chatting with a key or in demo mode, Preferences, and orderly shutdown.

Everything it works with is built by the composition root (`app.compose`) and passed in.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from desktop_app.routing.tiers import TierCatalogue
from desktop_app.secrets import KeyLookup, KeySource, env_key
from desktop_app.services.connection import Connection
from desktop_app.services.messages import MessageBridge
from desktop_app.services.pools import PoolService
from desktop_app.services.preferences import SettingsHolder
from desktop_app.services.session import KeySession
from desktop_app.services.tasks import TaskRunner
from desktop_app.store import HistoryStore, IntegrityCheckJob, IntegrityResult
from desktop_app.ui.settings.appearance import Appearance
from desktop_app.ui.shell.key_flow import KeyFlow
from desktop_app.ui.shell.main_window import MainWindow
from desktop_app.ui.shell.status import StatusPresenter
from desktop_app.ui.shell.tab_manager import TabManager

if TYPE_CHECKING:
    from desktop_app.ui.stats.stats_controller import StatsController

log = logging.getLogger(__name__)


class AppController(QObject):
    shutdown_finished = Signal()

    def __init__(
        self,
        window: MainWindow,
        *,
        session: KeySession,
        connection: Connection,
        tabs: TabManager,
        status: StatusPresenter,
        settings: SettingsHolder,
        messages: MessageBridge,
        runner: TaskRunner,
        appearance: Appearance,
        store: HistoryStore,
        tiers: TierCatalogue,
        pools: PoolService,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.session = session
        self.connection = connection
        self.tabs = tabs
        self.status = status
        self.settings = settings
        self.messages = messages
        self.runner = runner
        self.appearance = appearance
        self.store = store
        self.tiers = tiers
        self.pools = pools
        self.keys = KeyFlow(
            window,
            session,
            connection,
            runner,
            use_key=self.use_key,
            start_demo=self.start_demo,
            key_removed=self._key_removed,
        )
        self._pending_prompt: tuple[str, str | None] | None = None
        self._pending_compare: list[str] | None = None  # `routechat --compare T1,T2`
        self._integrity: tuple[IntegrityCheckJob, asyncio.Future[IntegrityResult]] | None = None
        self._shutdown: asyncio.Task[None] | None = None
        self._shutdown_done = asyncio.Event()
        self.stats: StatsController | None = None  # View → Statistics, built when first opened
        # Awaited at quit once the streams are stopped (the MCP servers, ...).
        self.closing: list[Callable[[], Awaitable[None]]] = []
        w = window
        w.new_tab.connect(lambda: self.tabs.new_conversation())
        w.new_comparison.connect(lambda: self.tabs.new_comparison())
        w.close_current_tab.connect(lambda: self.request_close(w.tabs.currentIndex()))
        w.tabs.tabCloseRequested.connect(self.request_close)
        w.quit_requested.connect(self.quit)
        w.toggle_demo.connect(self._toggle_demo)
        w.open_log_folder.connect(self._open_log_folder)
        w.preferences_requested.connect(self.show_preferences)
        w.statistics_requested.connect(self.show_statistics)
        w.pools_requested.connect(self.show_pools)
        w.after_first_frame(appearance.confirm_colour_scheme)
        w.after_first_frame(self._check_history)
        appearance.changed.connect(lambda: tabs.set_renderer_all(True))
        tabs.turn_finished.connect(status.spend_changed)
        tabs.reachable.connect(status.set_reachable)
        settings.subscribe(lambda _old, new: connection.apply(new))
        settings.subscribe(lambda _old, _new: status.update_mode())

    # --- start-up ------------------------------------------------------------------------------
    def start(
        self,
        demo: bool = False,
        prompt: str | None = None,
        tier: str | None = None,
        compare: list[str] | None = None,
    ) -> None:
        """Show the tabs or the welcome page at once; read the keyring after the first frame.

        The keyring costs 50-130 ms (and a locked one waits for the user), so the window does not
        wait for it: a returning user (saved open tabs) sees their tabs, a new one the welcome
        page, and the page changes only if the key says otherwise. `prompt` (from
        `routechat --prompt`) is sent in a conversation once chatting can start; with
        `compare` (`routechat --compare`) a comparison of those tiers opens then, and the
        prompt goes to it.
        """
        self._pending_prompt = (prompt, tier) if prompt else None
        self._pending_compare = compare or None
        if demo:
            self.start_demo()
        elif key := env_key():
            self.use_key(key, KeySource.ENVIRONMENT)
        else:
            self.session.begin_lookup()
            saved = self.tabs.saved_tabs() if self.settings.current.restore_tabs else None
            if saved is not None and saved.tabs:
                self.window.show_tabs()
                self.tabs.ensure_open(saved)
            else:
                self.window.show_welcome()
            self.window.after_first_frame(self._read_keyring)
            return
        # Not before the first frame: a turn would import the HTTP client and build the `Qt`
        # namespace (qasync's timer) on the way there.
        self.window.after_first_frame(self._send_pending_prompt)

    def _check_history(self) -> None:
        """The history file's full integrity check, when one is due (weekly, or after an
        unclean shutdown): on a worker thread once the window is up, never on the start path;
        damage it finds is reported and the file is moved aside at the next start."""
        job = self.store.deferred_integrity_check()
        if job is None or self._shutdown is not None:
            return
        future = asyncio.get_event_loop().run_in_executor(None, job.run)
        self._integrity = (job, future)

        def done(f: asyncio.Future[IntegrityResult]) -> None:
            if f.cancelled() or f.exception() is not None or self.store.closed:
                return
            notices = self.store.record_integrity_check(f.result())
            if notices:
                self.messages.error(" ".join(notices))

        future.add_done_callback(done)

    def _read_keyring(self) -> None:
        if self.session.pending and self._shutdown is None:
            self.key_lookup_finished(self.keys.read_keyring())

    def key_lookup_finished(self, lookup: KeyLookup) -> None:
        """The keyring answered: chat with its key, or ask for one (saying why if it failed)."""
        if not self.session.finish_lookup(lookup):
            return
        if self.session.can_chat:  # the keyring's key, or a key typed / demo chosen meanwhile
            self._show_chat()
        else:
            self.keys.show_problem(lookup.problem)
            self.window.show_welcome()
        self._send_pending_prompt()

    def _send_pending_prompt(self) -> None:
        compare, self._pending_compare = self._pending_compare, None
        if compare and self.session.can_chat:
            pending, self._pending_prompt = self._pending_prompt, None
            comparison = self.tabs.new_comparison(compare)
            if pending:
                comparison.send(pending[0])
            return
        pending, self._pending_prompt = self._pending_prompt, None
        if not pending or not self.session.can_chat:
            return
        prompt, tier = pending
        ctrl = self.tabs.empty_current()  # the new conversation the window opened with
        if ctrl is None:
            ctrl = self.tabs.new_conversation(tier)
        elif tier:
            ctrl.page.tier_selector.select(tier)
        ctrl.send(prompt)

    def _show_chat(self) -> None:
        self.window.show_tabs()
        self.tabs.ensure_open(restore=self.settings.current.restore_tabs)
        self.status.update()
        self.window.after_first_frame(self.refresh_catalogue)

    def refresh_catalogue(self, force: bool = False) -> None:
        """Fetch the server's model list in the background when the cached one is an hour old
        (prices for estimates, the model picker, tool support); offline, the cache serves."""
        if self._shutdown is not None or not (force or self.connection.catalogue.stale()):
            return

        async def refresh() -> None:
            outcome = await self.connection.refresh_catalogue(force=force)
            if outcome.problem:
                log.info("%s", outcome.problem)

        self.runner.start("catalogue", refresh(), replace=True)

    def use_key(self, key: str, source: KeySource) -> None:
        if self.session.demo:
            self.stop_demo()
        self.session.use(key, source)
        self._show_chat()

    def _key_removed(self) -> None:
        self.session.forget()
        if not self.session.can_chat:
            self.window.show_welcome()

    # --- demo mode -----------------------------------------------------------------------------
    def start_demo(self) -> None:
        if self.session.demo or not self.connection.can_demo:
            return
        self.connection.start_demo()
        self.session.start_demo()
        self.window.set_demo(True)
        self._show_chat()

    def stop_demo(self) -> None:
        if not self.session.demo:
            return
        self.connection.stop_demo()
        self.session.stop_demo()
        self.window.set_demo(False)
        if not self.session.can_chat:
            self.window.show_welcome()
        self.status.update()

    def _toggle_demo(self) -> None:
        if not self.session.demo:
            self.start_demo()
        elif self.tabs.any_streaming():
            self.window.demo_action.setChecked(True)
            self.messages.info("Stop the running replies first.")
        else:
            self.stop_demo()

    # --- tabs and preferences ------------------------------------------------------------------
    def request_close(self, index: int) -> None:
        self.tabs.request_close(index, self.ask)

    def ask(self, title: str, question: str, on_yes: Callable[[], None]) -> None:
        """A yes/no question that never runs a nested event loop (open(), not exec())."""
        from PySide6.QtWidgets import QMessageBox  # its enums: not before the first frame

        box = QMessageBox(
            QMessageBox.Icon.Question,
            title,
            question,
            QMessageBox.StandardButton.Close | QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setObjectName("confirm_close_streaming")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def answered(button: int) -> None:
            if button == QMessageBox.StandardButton.Close:
                on_yes()
            box.deleteLater()

        box.finished.connect(answered)
        box.open()

    def show_preferences(self) -> None:
        from desktop_app.ui.settings.preferences import PreferencesDialog

        stored = self.session.source in (KeySource.KEYRING, KeySource.ENVIRONMENT)
        dialog = PreferencesDialog(self.settings.current, list(self.tiers), stored, self.window)
        dialog.saved.connect(self.save_preferences)
        dialog.open()

    def show_pools(self, select: str | None = None) -> None:
        """Settings → Pools (also the tier selector's "New pool…")."""
        from desktop_app.ui.settings.pools_dialog import PoolsDialog

        catalogue = self.connection.catalogue
        dialog = PoolsDialog(
            self.pools,
            lambda: catalogue.snapshot().models,
            lambda: catalogue.snapshot().age(),
            self.window,
            select=select,
        )
        dialog.open()

    def pick_model(self, chosen: Callable[[str], None], *, tools_only: bool = False) -> None:
        """The model picker over the server's list; `chosen(model id)` when the user picks."""
        from desktop_app.ui.widgets.model_picker import ModelPicker

        snap = self.connection.catalogue.snapshot()
        picker = ModelPicker(snap.models, snap.age(), self.window, tools_only=tools_only)
        picker.chosen.connect(chosen)
        picker.open()

    def save_preferences(self, settings: object) -> None:
        from desktop_app.config.settings import Settings

        assert isinstance(settings, Settings)
        problem = self.settings.save(settings)
        if problem:
            self.messages.error(problem)

    def show_statistics(self) -> None:
        """View → Statistics. The first time, its Qt-free modules are imported in this
        event-loop turn, the window's in the next and the window is built in the one after:
        none keeps the loop for long."""
        if self.stats is not None:
            self.stats.show()
            return
        from PySide6.QtCore import QTimer

        import desktop_app.services.stats  # noqa: F401

        QTimer.singleShot(0, self, self._import_statistics_window)

    def _import_statistics_window(self) -> None:
        from PySide6.QtCore import QTimer

        import desktop_app.ui.stats.stats_controller  # noqa: F401

        QTimer.singleShot(0, self, self._open_statistics)

    def _open_statistics(self) -> None:
        if self._shutdown is not None:
            return
        if self.stats is None:
            from desktop_app.ui.stats.stats_controller import StatsController

            self.stats = StatsController(
                self.window,
                self.store,
                self.runner,
                self.tiers,
                lambda: self.connection.catalogue.snapshot().models,
                self.messages,
            )
            self.tabs.turn_finished.connect(self.stats.turn_finished)
        self.stats.show()

    def _open_log_folder(self) -> None:
        log_dir = self.settings.paths.log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_dir)))

    # --- shutdown ------------------------------------------------------------------------------
    def quit(self) -> None:
        if self._shutdown is None:
            self._shutdown = asyncio.get_event_loop().create_task(self._stop(), name="shutdown")

    async def wait_shutdown(self) -> None:
        await self._shutdown_done.wait()

    async def _stop(self) -> None:
        """Stop streams (their partial replies are saved), close HTTP, stop the demo server."""
        try:
            self.tabs.closing_all = True
            self.tabs.save_drafts()
            if self.stats is not None:
                self.stats.close()
            await self.runner.cancel_all()
            for close in self.closing:
                await close()
            self.tabs.save_tabs(final=True)
            if self._integrity is not None:  # stops at SQLite's next progress call
                job, future = self._integrity
                job.cancel()
                await asyncio.wait([future], timeout=5)
            await self.connection.aclose()
            await self.runner.cancel_all()  # anything the steps above started ends here too
        finally:
            self.window.allow_close()
            self.window.close()
            self.store.close()
            self.appearance.close()
            self._shutdown_done.set()
            self.shutdown_finished.emit()
