"""A tool button whose menu opens from the keyboard too."""

from __future__ import annotations

from PySide6.QtGui import QContextMenuEvent, QKeyEvent
from PySide6.QtWidgets import QToolButton

MENU_KEYS_HINT = "Alt+Down, Shift+F10 or the Menu key opens its menu"


class MenuToolButton(QToolButton):
    """Space or Enter does the button's own action; Alt+Down, F4, Shift+F10 or the Menu key
    opens its menu (Qt's split button opens it by mouse only).

    The menu pops up without a nested event loop (`popup`, not `showMenu`, which runs one),
    with its first entry selected so the arrow keys and Enter work at once.
    """

    def keyPressEvent(self, event: QKeyEvent) -> None:
        from PySide6.QtCore import Qt  # not at import: see enum_props

        key, mods = event.key(), event.modifiers()
        alt = bool(mods & Qt.KeyboardModifier.AltModifier)
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if (
            key in (Qt.Key.Key_Menu, Qt.Key.Key_F4)
            or (key == Qt.Key.Key_Down and alt)
            or (key == Qt.Key.Key_F10 and shift)
        ) and self.open_menu():
            event.accept()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if not self.open_menu():
            super().contextMenuEvent(event)

    def open_menu(self) -> bool:
        menu = self.menu()
        if menu is None or menu.isEmpty():
            return False
        actions = menu.actions()
        menu.popup(self.mapToGlobal(self.rect().bottomLeft()))
        menu.setActiveAction(actions[0])
        return True
