"""History behaviour: list, search, open, rename, pin, delete with undo, export and import."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from desktop_app.services.messages import Action, MessageBridge
from desktop_app.store import HistoryStore, StoreError
from desktop_app.ui.shell.main_window import MainWindow
from desktop_app.ui.shell.tab_manager import TabManager

if TYPE_CHECKING:
    from PySide6.QtWidgets import QFileDialog

    from desktop_app.ui.history.history_panel import HistoryPanel

UNDO_SECONDS = 10
LIST_LIMIT = 500  # the sidebar pages; older conversations are reached by search


class HistoryController(QObject):
    def __init__(
        self, window: MainWindow, tabs: TabManager, store: HistoryStore, messages: MessageBridge
    ) -> None:
        super().__init__(window)
        self.window = window
        self.tabs = tabs
        self.store = store
        self.messages = messages
        self._panel: HistoryPanel | None = None  # built when first shown (Ctrl+B, Ctrl+K)
        w = window
        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(150)
        self._refresh_timer.timeout.connect(self.refresh)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(120)
        self._search_timer.timeout.connect(self._run_search)
        self._dialog: QFileDialog | None = None
        w.toggle_history.connect(self.toggle)
        w.search_requested.connect(self.focus_search)
        w.export_requested.connect(self._export_current)
        w.import_requested.connect(self.import_json)
        tabs.history_changed.connect(self._refresh_timer.start)

    @property
    def panel(self) -> HistoryPanel:
        """The sidebar starts hidden, so it is built at first use, not before the first frame."""
        panel = self._panel
        if panel is None:
            from PySide6.QtCore import Qt  # not at import: see enum_props

            from desktop_app.ui.history.history_panel import HistoryPanel

            panel = self._panel = HistoryPanel(self.window)
            self.window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, panel)
            panel.hide()
            panel.open_requested.connect(self.tabs.open_conversation)
            panel.rename_requested.connect(self.rename)
            panel.pin_requested.connect(self.pin)
            panel.delete_requested.connect(self.delete)
            panel.export_requested.connect(self.export)
            panel.search_changed.connect(lambda _t: self._search_timer.start())
            panel.visibilityChanged.connect(self._visibility_changed)
        return panel

    def _shown(self) -> bool:
        return self._panel is not None and self._panel.isVisible()

    def _visibility_changed(self, visible: bool) -> None:
        if visible:
            self.refresh()

    def toggle(self) -> None:
        if self._shown():
            self.panel.hide()
        else:
            self.panel.show()
            self.refresh()

    def focus_search(self) -> None:
        self.panel.focus_search()
        self.refresh()

    def refresh(self) -> None:
        if not self._shown():
            return
        try:
            conversations = self.store.list_conversations(limit=LIST_LIMIT)
        except StoreError as exc:
            self.messages.error(f"Could not read your history: {exc}")
            return
        self.panel.show_conversations(conversations, date.today())
        if self.panel.search.text().strip():
            self._run_search()

    def _run_search(self) -> None:
        query = self.panel.search.text().strip()
        if not query:
            return
        try:
            hits = self.store.search(query, limit=50)
        except StoreError as exc:
            self.messages.error(f"Search failed: {exc}")
            return
        self.panel.show_hits(hits)

    def rename(self, conversation_id: int, title: str) -> None:
        try:
            self.store.rename_conversation(conversation_id, title)
        except StoreError as exc:
            self.messages.error(f"Could not rename: {exc}")
        self.tabs.retitle(conversation_id, title)
        self._refresh_timer.start()

    def pin(self, conversation_id: int, pinned: bool) -> None:
        try:
            self.store.set_pinned(conversation_id, pinned)
        except StoreError as exc:
            self.messages.error(f"Could not pin: {exc}")
        self.refresh()

    def delete(self, conversation_id: int) -> None:
        """Soft delete (to the trash), close its tab, and offer Undo for a few seconds."""
        self.tabs.close_conversation(conversation_id)
        try:
            title = self.store.get_conversation(conversation_id).display_title
            self.store.delete_conversation(conversation_id)
        except StoreError as exc:
            self.messages.error(f"Could not delete: {exc}")
            return
        self.refresh()
        self.messages.info(
            f"Deleted “{title}”.",
            Action("Undo", lambda: self.undo_delete(conversation_id), name="undo_delete"),
            seconds=UNDO_SECONDS,
        )

    def undo_delete(self, conversation_id: int) -> None:
        try:
            self.store.restore_conversation(conversation_id)
        except StoreError as exc:
            self.messages.error(f"Could not restore: {exc}")
            return
        self.messages.info("Restored.", seconds=3)
        self.refresh()

    # --- export / import -----------------------------------------------------------------------
    def _export_current(self, fmt: str) -> None:
        conversation_id = self.tabs.current_conversation_id()
        if conversation_id is None:
            self.messages.error("Nothing to export yet: send a message first.")
            return
        self.export(conversation_id, fmt)

    def export(self, conversation_id: int, fmt: str) -> None:
        try:
            conv = self.store.get_conversation(conversation_id)
        except StoreError as exc:
            self.messages.error(f"Could not export: {exc}")
            return
        suffix = ".md" if fmt == "markdown" else ".json"
        safe = "".join(c if c.isalnum() or c in " -_" else "_" for c in conv.display_title)
        from PySide6.QtWidgets import QFileDialog  # its enums: built when first needed

        dialog = QFileDialog(self.window, "Export conversation")
        dialog.setObjectName("export_dialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("Markdown (*.md)" if fmt == "markdown" else "JSON (*.json)")
        dialog.setDefaultSuffix(suffix.lstrip("."))
        dialog.selectFile(str(Path.home() / (safe.strip()[:60] + suffix)))
        dialog.fileSelected.connect(
            lambda path: self.write_export(conversation_id, fmt, Path(path))
        )
        self._dialog = dialog
        dialog.open()  # never exec() inside qasync

    def write_export(self, conversation_id: int, fmt: str, path: Path) -> bool:
        try:
            text = (
                self.store.export_markdown(conversation_id)
                if fmt == "markdown"
                else self.store.export_json_text(conversation_id)
            )
            tmp = path.with_name(path.name + ".part")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
        except (StoreError, OSError) as exc:
            self.messages.error(f"Could not export to {path}: {exc}")
            return False
        self.messages.info(f"Exported to {path}")
        return True

    def import_json(self) -> None:
        from PySide6.QtWidgets import QFileDialog  # its enums: built when first needed

        dialog = QFileDialog(self.window, "Import conversation")
        dialog.setObjectName("import_dialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter("RouteChat JSON export (*.json)")
        dialog.fileSelected.connect(lambda path: self.read_import(Path(path)))
        self._dialog = dialog
        dialog.open()

    def read_import(self, path: Path) -> int | None:
        try:
            data = path.read_bytes()
            conversation_id = self.store.import_json(data)
        except (StoreError, ValueError, OSError) as exc:
            self.messages.error(f"Could not import {path.name}: {exc}")
            return None
        self.tabs.open_conversation(conversation_id)
        self.refresh()
        return conversation_id
