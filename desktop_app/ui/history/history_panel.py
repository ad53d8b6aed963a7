"""The history sidebar: conversations by day, full-text search with highlighted hits."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import date, timedelta

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.store import Conversation, SearchHit, split_snippet
from desktop_app.ui.widgets.a11y import describe_buttons, name_clear_button

ID_ROLE = Qt.ItemDataRole.UserRole


def day_label(day: date, today: date) -> str:
    if day == today:
        return "Today"
    if day == today - timedelta(days=1):
        return "Yesterday"
    if today - day < timedelta(days=7):
        return day.strftime("%A")
    return day.strftime("%d %B %Y").lstrip("0")


def snippet_html(snippet: str) -> str:
    return "".join(
        f"<b style='background:#ffe38a; color:#000'>{html.escape(t)}</b>" if hit else html.escape(t)
        for t, hit in split_snippet(snippet)
    )


class HistoryPanel(QDockWidget):
    open_requested = Signal(int)
    rename_requested = Signal(int, str)
    pin_requested = Signal(int, bool)
    delete_requested = Signal(int)
    export_requested = Signal(int, str)
    search_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("History", parent)
        self.setObjectName("history_panel")
        self.setAllowedAreas(
            Qt.DockWidgetArea.LeftDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea
        )
        body = QWidget(self)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(6, 6, 6, 6)
        self.search = QLineEdit(body)
        self.search.setObjectName("history_search")
        self.search.setPlaceholderText("Search all messages (Ctrl+K)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search history")
        name_clear_button(self.search, "Clear the search")
        lay.addWidget(self.search)
        self.stack = QStackedWidget(body)
        self.tree = QTreeWidget(body)
        self.tree.setObjectName("history_list")
        self.tree.setHeaderHidden(True)
        self.tree.setAccessibleName("Conversations")
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.setEditTriggers(QTreeWidget.EditTrigger.EditKeyPressed)
        self.tree.setAccessibleDescription(
            "Enter opens a conversation, F2 renames it, the Menu key or Shift+F10 shows "
            "its other actions"
        )
        self.tree.installEventFilter(self)
        self.results = QListWidget(body)
        self.results.setObjectName("search_results")
        self.results.setAccessibleName("Search results")
        self.empty = QLabel("No matches.", body)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.tree)
        self.stack.addWidget(self.results)
        self.stack.addWidget(self.empty)
        lay.addWidget(self.stack, 1)
        self.setWidget(body)
        self.search.textChanged.connect(self._on_search)
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemDoubleClicked.connect(self._activated)
        self.tree.itemChanged.connect(self._renamed)
        self.tree.customContextMenuRequested.connect(self._menu)
        self.results.itemActivated.connect(self._result_activated)
        self.results.itemClicked.connect(self._result_activated)
        self._filling = False
        describe_buttons(
            self,
            {
                "qt_dockwidget_closebutton": "Close the history sidebar (Ctrl+B)",
                "qt_dockwidget_floatbutton": "Detach the history sidebar",
            },
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The Menu key and Shift+F10 show the conversation's actions, as a right-click does."""
        if watched is self.tree and isinstance(event, QKeyEvent):
            if event.type() != QEvent.Type.KeyPress:
                return False
            shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
            if event.key() == Qt.Key.Key_Menu or (event.key() == Qt.Key.Key_F10 and shift):
                item = self.tree.currentItem()
                if item is not None:
                    self._menu(self.tree.visualItemRect(item).center())
                return True
        return False

    # --- content -----------------------------------------------------------------------------
    def show_conversations(self, conversations: Sequence[Conversation], today: date) -> None:
        self._filling = True
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for conv in conversations:
            label = "Pinned" if conv.pinned else day_label(conv.day, today)
            group = groups.get(label)
            if group is None:
                group = QTreeWidgetItem(self.tree, [label])
                group.setFlags(Qt.ItemFlag.ItemIsEnabled)
                font = group.font(0)
                font.setBold(True)
                group.setFont(0, font)
                group.setExpanded(True)
                groups[label] = group
            item = QTreeWidgetItem(group, [("📌 " if conv.pinned else "") + conv.display_title])
            item.setData(0, ID_ROLE, conv.id)
            item.setData(0, Qt.ItemDataRole.UserRole + 1, conv.pinned)
            item.setToolTip(0, conv.display_title)
            if conv.kind in ("comparison", "workload"):  # a mark of its own; opens its own tab
                from desktop_app.ui.compare.icons import KIND_NAMES, kind_icon

                described = f"{KIND_NAMES[conv.kind]}: {conv.display_title}"
                item.setIcon(0, kind_icon(conv.kind))
                item.setToolTip(0, described)
                item.setData(0, Qt.ItemDataRole.AccessibleTextRole, described)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
        self.tree.expandAll()
        self._filling = False
        if not self.search.text().strip():
            self.stack.setCurrentWidget(self.tree)

    def show_hits(self, hits: Sequence[SearchHit]) -> None:
        self.results.clear()
        if not hits:
            self.stack.setCurrentWidget(self.empty)
            return
        for hit in hits:
            item = QListWidgetItem(self.results)
            item.setData(ID_ROLE, hit.conversation_id)
            label = QLabel(
                f"<b>{html.escape(hit.conversation_title or 'New conversation')}</b><br>"
                f"<span>{snippet_html(hit.snippet)}</span>"
            )
            label.setWordWrap(True)
            label.setObjectName("search_hit")
            label.setContentsMargins(4, 3, 4, 3)
            item.setSizeHint(label.sizeHint())
            self.results.setItemWidget(item, label)
        self.stack.setCurrentWidget(self.results)

    def focus_search(self) -> None:
        self.show()
        self.raise_()
        self.search.setFocus()
        self.search.selectAll()

    # --- signals -----------------------------------------------------------------------------
    def _on_search(self, text: str) -> None:
        if not text.strip():
            self.stack.setCurrentWidget(self.tree)
        self.search_changed.emit(text.strip())

    def _activated(self, item: QTreeWidgetItem) -> None:
        cid = item.data(0, ID_ROLE)
        if cid is not None:
            self.open_requested.emit(int(cid))

    def _result_activated(self, item: QListWidgetItem) -> None:
        cid = item.data(ID_ROLE)
        if cid is not None:
            self.open_requested.emit(int(cid))

    def _renamed(self, item: QTreeWidgetItem) -> None:
        cid = item.data(0, ID_ROLE)
        if self._filling or cid is None:
            return
        title = item.text(0).removeprefix("📌 ").strip()
        if title:
            self.rename_requested.emit(int(cid), title)

    def _menu(self, pos: QPoint) -> None:
        item = self.tree.itemAt(pos)
        if item is None or item.data(0, ID_ROLE) is None:
            return
        cid = int(item.data(0, ID_ROLE))
        pinned = bool(item.data(0, Qt.ItemDataRole.UserRole + 1))
        menu = QMenu(self)
        menu.addAction("Open", lambda: self.open_requested.emit(cid))
        menu.addAction("Rename", lambda: self.tree.editItem(item, 0))
        menu.addAction(
            "Unpin" if pinned else "Pin", lambda: self.pin_requested.emit(cid, not pinned)
        )
        menu.addSeparator()
        menu.addAction("Export as Markdown…", lambda: self.export_requested.emit(cid, "markdown"))
        menu.addAction("Export as JSON…", lambda: self.export_requested.emit(cid, "json"))
        menu.addSeparator()
        menu.addAction("Delete", lambda: self.delete_requested.emit(cid))
        menu.setObjectName("history_menu")
        menu.popup(self.tree.viewport().mapToGlobal(pos))
        menu.setActiveAction(menu.actions()[0])  # arrows and Enter work at once
