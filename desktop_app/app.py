"""Composition root: builds every object once, wires them, and owns start-up and shutdown order."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app import APP_NAME, __version__

if TYPE_CHECKING:
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from desktop_app.config.paths import AppPaths
    from desktop_app.config.settings import Settings
    from desktop_app.services.budget import SpendingGuard
    from desktop_app.services.chat import ChatService
    from desktop_app.services.connection import Connection
    from desktop_app.services.messages import MessageBridge
    from desktop_app.services.pools import PoolService
    from desktop_app.services.preferences import SettingsHolder
    from desktop_app.services.session import KeySession
    from desktop_app.services.tasks import TaskRunner
    from desktop_app.services.tools.service import ToolService
    from desktop_app.store import HistoryStore
    from desktop_app.ui.history.history_controller import HistoryController
    from desktop_app.ui.shell.app_controller import AppController
    from desktop_app.ui.shell.main_window import MainWindow
    from desktop_app.ui.shell.status import StatusPresenter
    from desktop_app.ui.shell.tab_manager import TabManager

DEMO_ROUTING_DELAY = 0.35  # seconds: inside the 100-500 ms the real router adds
DEMO_TOKEN_DELAY = 0.015


@dataclass
class Composition:
    """What compose() built; tests drive the window through it."""

    window: MainWindow
    controller: AppController
    tabs: TabManager
    history: HistoryController
    session: KeySession
    connection: Connection
    status: StatusPresenter
    messages: MessageBridge
    settings: SettingsHolder
    store: HistoryStore
    pools: PoolService
    tools: Callable[[], ToolService]  # built at first use


def open_history(paths: AppPaths) -> tuple[HistoryStore, list[str]]:
    """The history database, and sentences for the user about anything that happened to it.

    A damaged file is moved aside by the store (never deleted). If the database cannot be
    used at all (newer schema, unreadable folder), this session keeps history in a temporary
    database and says so; the real file is left untouched.
    """
    import tempfile

    from desktop_app.store import HistoryStore, StoreError

    try:
        store = HistoryStore.open(paths.database_file)
    except StoreError as exc:
        fallback = Path(tempfile.mkdtemp(prefix="routechat-")) / "session.sqlite3"
        return HistoryStore.open(fallback), [
            f"Your history could not be opened ({exc}). It was left untouched; this session "
            "is kept in a temporary history."
        ]
    return store, store.report.notices()


def compose(
    app: QApplication,
    paths: AppPaths,
    settings: Settings,
    base_url: str | None = None,
    settings_warnings: tuple[str, ...] = (),
) -> Composition:
    """Build every long-lived object once and wire them; tests call this with their own paths
    and URL. Objects that start-up must not pay for (the chat service and its HTTP client, the
    Markdown renderer) are made at first use by factories created here."""
    from desktop_app.routing.tiers import TierCatalogue
    from desktop_app.services.connection import Connection, demo_server_factory
    from desktop_app.services.messages import MessageBridge
    from desktop_app.services.pools import POOLS_FILE, PoolService
    from desktop_app.services.preferences import SettingsHolder
    from desktop_app.services.session import KeySession
    from desktop_app.services.tasks import TaskRunner
    from desktop_app.ui.chat.context import ChatContext
    from desktop_app.ui.history.history_controller import HistoryController
    from desktop_app.ui.settings.appearance import Appearance
    from desktop_app.ui.shell.app_controller import AppController
    from desktop_app.ui.shell.main_window import MainWindow
    from desktop_app.ui.shell.status import StatusPresenter
    from desktop_app.ui.shell.tab_manager import TabManager
    from desktop_app.ui.widgets.theme import apply_theme

    # The controller decides when the app ends (after streams are stopped and saved); Qt's
    # "quit on last window closed" would stop the qasync loop under the shutdown coroutine.
    app.setQuitOnLastWindowClosed(False)
    holder = SettingsHolder(paths, settings)
    messages = MessageBridge()
    for warning in settings_warnings:
        messages.warning(warning)
    appearance = Appearance(
        app, holder, apply_theme(app, settings.theme, first_frame=True), paths.cache_dir
    )
    store, notices = open_history(paths)
    for notice in notices:
        messages.warning(notice)
    window = MainWindow()
    appearance.setParent(window)
    tiers = TierCatalogue()
    session = KeySession()
    runner = TaskRunner(
        on_error=lambda name, exc: messages.error(f"Something went wrong ({name}): {exc}")
    )
    connection = Connection(
        settings,
        session.current_key,
        runner,
        cache_dir=paths.cache_dir,
        base_url_override=base_url,
        emulator_factory=demo_server_factory(
            routing_delay=DEMO_ROUTING_DELAY, token_delay=DEMO_TOKEN_DELAY
        ),
    )
    pools = PoolService(
        paths.config_dir / POOLS_FILE, tiers, lambda: connection.catalogue.snapshot().models
    )
    if problem := pools.load():
        messages.warning(problem)
    service: list[ChatService] = []

    def chat_service() -> ChatService:
        """Built at the first turn: a restored tab only shows its history."""
        if not service:
            from desktop_app.services.chat import ChatService
            from desktop_app.services.recorder import StoreRecorder

            service.append(
                ChatService(
                    connection.client,
                    StoreRecorder(store, on_error=messages.error),
                    policy=lambda: holder.current.retries,
                    credentials=session.ready,
                    tags=lambda: holder.current.send_tags,
                )
            )
        return service[0]

    guard: list[SpendingGuard] = []

    def spending() -> SpendingGuard:
        """Built at first use: the status bar needs it only when a limit is set."""
        if not guard:
            from desktop_app.services.budget import SpendingGuard

            guard.append(
                SpendingGuard(
                    store, lambda: holder.current, lambda: connection.catalogue.snapshot()
                )
            )
        return guard[0]

    tool_service: list[ToolService] = []

    def tools() -> ToolService:
        """Built at the first tool turn or the first look at Settings → Tools."""
        if not tool_service:
            from desktop_app.services.tools.service import TOOLS_FILE, ToolService

            made = ToolService(paths.config_dir / TOOLS_FILE, lambda: holder.current.tools)
            if problem := made.load():
                messages.warning(problem)
            tool_service.append(made)
        return tool_service[0]

    def supports_tools(model_id: str) -> bool:
        info = connection.catalogue.get(model_id)
        return info is not None and info.supports_tools

    ctx = ChatContext(
        store=store,
        tiers=tiers,
        service=chat_service,
        runner=runner,
        renderer=appearance.renderer,
        session=session,
        messages=messages,
        settings=holder,
        after_first_frame=lambda work: window.after_first_frame(work),
        spending=spending,
        pick_model=lambda chosen: controllers[0].pick_model(chosen),
        edit_pools=lambda: controllers[0].show_pools(),
        tools=tools,
        supports_tools=supports_tools,
        list_models=lambda: connection.client().list_models(),
    )
    controllers: list[AppController] = []  # the tabs reach the pickers through it
    tabs = TabManager(window, ctx, holder, messages)
    status = StatusPresenter(window, session, connection, store, messages, holder, spending)
    controller = AppController(
        window,
        session=session,
        connection=connection,
        tabs=tabs,
        status=status,
        settings=holder,
        messages=messages,
        runner=runner,
        appearance=appearance,
        store=store,
        tiers=tiers,
        pools=pools,
    )
    controllers.append(controller)
    history = HistoryController(window, tabs, store, messages)
    _wire_tools(window, controller, tools, tool_service, runner)
    status.update()
    return Composition(
        window,
        controller,
        tabs,
        history,
        session,
        connection,
        status,
        messages,
        holder,
        store,
        pools,
        tools,
    )


def _wire_tools(
    window: MainWindow,
    controller: AppController,
    tools: Callable[[], ToolService],
    built: list[ToolService],
    runner: TaskRunner,
) -> None:
    """Settings → Tools; MCP servers stopped at quit; the MCP SDK imported after the first
    frame when servers are configured (on the main thread, before any turn needs it)."""
    settings_page: list[object] = []

    def show_tools() -> None:
        from desktop_app.ui.settings.tools_page import ToolsSettings

        if not settings_page:
            settings_page.append(ToolsSettings(tools(), runner, window))
        page = settings_page[0]
        assert isinstance(page, ToolsSettings)
        page.show()

    async def close_tools() -> None:
        if built:
            await built[0].aclose()

    def preload_mcp() -> None:
        service = tools()
        if service.has_servers():
            from desktop_app.services.tools.mcp import preload

            preload()

    window.tools_requested.connect(show_tools)
    controller.closing.append(close_tools)
    window.first_painted.connect(lambda: _later(window, 1500, preload_mcp))


def _later(window: MainWindow, ms: int, work: Callable[[], None]) -> None:
    from PySide6.QtCore import QTimer

    QTimer.singleShot(ms, window, work)


def _app_icon() -> QIcon:
    """The installed theme icon when there is one, else the SVG shipped in the package."""
    from PySide6.QtGui import QIcon

    icon = QIcon.fromTheme("routechat")
    if icon.isNull():
        icon = QIcon(str(Path(__file__).parent / "resources" / "icons" / "routechat.svg"))
    return icon


def _preload_on_main_thread(window: MainWindow) -> None:
    """Modules the app would otherwise import in the middle of a reply (the price table) are
    imported once the window is up, on the main thread: PySide6's import hook is not safe on
    worker threads (a segfault was seen; DNS's IDNA codec comes with the client module for
    that reason). The enums of the `Qt` namespace, left out of the first frame (see
    ui/enum_props), are built right after it."""
    from PySide6.QtCore import QTimer

    def preload_prices() -> None:
        from desktop_app.api.cost import preload_price_table

        preload_price_table()  # ~200 ms: never before the window shows

    def warm_up_qt_enums() -> None:
        from PySide6.QtCore import Qt  # ~27 ms now rather than at the first key press

        del Qt

    window.after_first_frame(warm_up_qt_enums)
    window.first_painted.connect(lambda: QTimer.singleShot(500, preload_prices))


def _quit_on_signals(controller: AppController) -> None:
    """SIGTERM/SIGINT (logout, Ctrl+C in a terminal) go through the orderly shutdown."""
    import signal

    from PySide6.QtCore import QTimer

    def handler(_signum: int, _frame: object) -> None:
        controller.quit()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)
    # Python runs signal handlers between bytecodes; while Qt waits in C++ nothing runs, so a
    # light timer gives the interpreter a chance to notice the signal.
    wake = QTimer(controller)
    wake.setInterval(250)
    wake.timeout.connect(lambda: None)
    wake.start()


# Qt-free modules the first frame needs, imported before PySide6 (see _import_qt_free_core).
QT_FREE_CORE = (
    "concurrent.futures.thread",  # qasync's executor
    "gc",  # ui.gc_guard
    "desktop_app.api.config",
    "desktop_app.api.models",
    "desktop_app.config.settings",
    "desktop_app.logs",
    "desktop_app.routing.pools",
    "desktop_app.routing.tiers",
    "desktop_app.secrets",
    "desktop_app.store",
    "desktop_app.services.connection",
    "desktop_app.services.format",
    "desktop_app.services.messages",
    "desktop_app.services.pools",
    "desktop_app.services.preferences",
    "desktop_app.services.session",
    "desktop_app.services.tasks",
    # The window's packages (their __init__ modules are Qt-free docstrings).
    "desktop_app.ui.shell",
    "desktop_app.ui.widgets",
    "desktop_app.ui.chat",
    "desktop_app.ui.chat.context",
    "desktop_app.ui.history",
    "desktop_app.ui.settings",
)


def _import_qt_free_core() -> None:
    """PySide6 replaces `__import__` and reads the whole source of every module imported after
    it, looking for `from __feature__ import` (~13 ms of a cold start went there). Modules
    imported before PySide6 are never read. tests/e2e/test_first_frame.py keeps the list
    complete."""
    import importlib

    for name in QT_FREE_CORE:
        importlib.import_module(name)


def run_gui(
    demo: bool = False,
    prompt: str | None = None,
    tier: str | None = None,
    base_url: str | None = None,
    compare: list[str] | None = None,
) -> int:
    _import_qt_free_core()
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler, qVersion
    from PySide6.QtWidgets import QApplication

    from desktop_app import logs
    from desktop_app.config.paths import default_paths
    from desktop_app.config.settings import load_settings
    from desktop_app.ui.shell.crash_reporter import CrashReporter
    from desktop_app.ui.shell.event_loop import new_event_loop
    from desktop_app.ui.shell.gc_guard import MainThreadGarbageCollector
    from desktop_app.ui.widgets.theme import application_arguments

    app = QApplication.instance() or QApplication(application_arguments(sys.argv))
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("routechat")
    paths = default_paths().ensure()
    settings, warnings = load_settings(paths)
    log_problem = logs.setup_logging(paths.log_file, settings.log_level)
    if log_problem:
        warnings = (*warnings, log_problem)
    logging.getLogger("desktop_app").info("RouteChat %s starting (Qt %s)", __version__, qVersion())

    def qt_message(kind: QtMsgType, context: object, message: str) -> None:
        logs.qt_message_to_log(kind.name, message, getattr(context, "category", None))

    qInstallMessageHandler(qt_message)

    collector = MainThreadGarbageCollector(app)
    loop = new_event_loop(app)
    loop.set_exception_handler(logs.asyncio_exception_handler)

    parts = compose(app, paths, settings, base_url=base_url, settings_warnings=warnings)
    reporter = CrashReporter(parts.window)
    uninstall_hook = logs.install_excepthook(
        reporter.report.emit, app_version=__version__, extra={"Qt": qVersion()}
    )
    _quit_on_signals(parts.controller)
    parts.window.show()
    _preload_on_main_thread(parts.window)
    parts.controller.start(
        demo=demo or settings.demo_mode, prompt=prompt, tier=tier, compare=compare
    )
    # The icon loads Qt's SVG plugin (~10 ms): the window manager takes it after the first
    # frame, once the key is known.
    parts.window.after_first_frame(lambda: app.setWindowIcon(_app_icon()))
    # A plain future, not the `wait_shutdown()` coroutine: a task would run its first step at
    # the loop's first turn, before the first frame, and qasync's timer for it builds the
    # whole `Qt` namespace (~27 ms, see ui/enum_props) on the way.
    stopped: asyncio.Future[None] = loop.create_future()

    def finished() -> None:
        if not stopped.done():
            stopped.set_result(None)

    parts.controller.shutdown_finished.connect(finished)
    with loop:
        loop.run_until_complete(stopped)
        loop.run_until_complete(loop.shutdown_asyncgens())
    uninstall_hook()
    collector.stop()
    logging.getLogger("desktop_app").info("RouteChat stopped cleanly")
    logs.teardown_logging()
    return 0
