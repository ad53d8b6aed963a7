"""Getting a key into the app: the welcome page (test, save, demo), the keyring read after the
first frame, and Settings → Account (replace or remove the stored key)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from desktop_app.api.config import ClientConfig
from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.logs import register_secret
from desktop_app.secrets import KeyLookup, KeySource
from desktop_app.services import format as fmt
from desktop_app.services.connection import Connection
from desktop_app.services.session import KeySession
from desktop_app.services.tasks import TaskRunner
from desktop_app.ui.shell.main_window import MainWindow


class KeyFlow(QObject):
    def __init__(
        self,
        window: MainWindow,
        session: KeySession,
        connection: Connection,
        runner: TaskRunner,
        *,
        use_key: Callable[[str, KeySource], None],
        start_demo: Callable[[], None],
        key_removed: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._session = session
        self._connection = connection
        self._runner = runner
        self._use_key = use_key
        self._key_removed = key_removed
        window.try_demo.connect(start_demo)
        window.save_key.connect(self.save_key)
        window.test_key.connect(self.test_key)
        window.account_requested.connect(self.show_account)

    def read_keyring(self) -> KeyLookup:
        """The stored key, or why there is none (no keyring service, a locked one)."""
        from desktop_app.secrets import keyring_available, load_key

        lookup = load_key()
        if not lookup.key:
            available, hint = keyring_available()
            lookup = KeyLookup(None, lookup.source, lookup.problem or (None if available else hint))
        return lookup

    def show_problem(self, problem: str | None) -> None:
        """On the welcome page: why the key could not be kept in a keyring, if it could not."""
        self._window.welcome.set_keyring_problem(problem)

    def save_key(self, key: str, remember: bool) -> None:
        source = KeySource.SESSION
        if remember:
            from desktop_app.secrets import store_key

            try:
                store_key(key)
                source = KeySource.KEYRING
            except Exception as exc:  # KeyringUnavailable or a backend failure: say so, keep going
                self._window.welcome.show_result(False, str(exc))
                self._window.welcome.set_keyring_problem(str(exc))
                return
        self._use_key(key, source)

    def test_key(self, key: str) -> None:
        register_secret(key)
        welcome = self._window.welcome
        welcome.show_result(None, "Testing the key with Eden AI…")
        welcome.set_key_refused(False)
        config: ClientConfig = self._connection.config

        async def test() -> None:
            from desktop_app.api.client import EdenClient

            async with EdenClient(config, key) as probe:
                try:
                    await probe.verify_key()
                except ApiError as exc:
                    refused = exc.kind is ErrorKind.AUTH
                    welcome.show_result(False, fmt.key_test_sentence(exc, self._connection.host))
                    welcome.set_key_refused(refused)
                    return
            welcome.show_result(True, "The key works. Press “Start chatting” to save it.")

        self._runner.start("test-key", test(), replace=True)

    def show_account(self) -> None:
        from desktop_app.ui.settings.account_dialog import AccountDialog

        s = self._session
        dialog = AccountDialog(s.source, s.key, self._window)
        dialog.key_saved.connect(self.save_key)
        dialog.key_removed.connect(self._key_removed)
        dialog.open()
