"""What screen readers need that Qt does not do by itself: spoken announcements of what
happened out of sight (a reply finished, failed, is retried), and names for the buttons Qt
builds inside other widgets (a line edit's clear button, a dock's title bar buttons).

Announcements go through `QAccessibleAnnouncementEvent` (Qt 6.8; every PySide6 this project
allows has it). Assistive technology hears them: Orca through AT-SPI, NVDA and Narrator through
UI Automation, VoiceOver through NSAccessibility. Where the class is missing, `announce` says
nothing and returns False, and the same facts stay readable on the widgets themselves.
"""

from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import QObject
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QAbstractButton, QLineEdit, QToolButton, QWidget

_ANNOUNCEMENT = getattr(QtGui, "QAccessibleAnnouncementEvent", None)  # Qt >= 6.8


def can_announce() -> bool:
    """Whether this Qt can ask assistive technology to speak a sentence."""
    return _ANNOUNCEMENT is not None


def announce(source: QObject, message: str, *, assertive: bool = False) -> bool:
    """Ask a screen reader to say `message` (about `source`, a widget on screen).

    Polite by default: said once the reader is done with what it is saying; `assertive`
    (failures) interrupts it. Nothing is built or sent while no assistive technology listens
    (`QAccessible.isActive()`), so this costs nothing then. Returns whether it was sent.
    """
    if _ANNOUNCEMENT is None or not message or not QAccessible.isActive():
        return False
    event = _ANNOUNCEMENT(source, message)
    if assertive:
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
    QAccessible.updateAccessibility(event)
    return True


def name_clear_button(field: QLineEdit, name: str = "Clear") -> None:
    """The clear button Qt adds to a line edit (`setClearButtonEnabled`) has no name of its
    own: screen readers announce it as an unlabelled button."""
    for button in field.findChildren(QToolButton):
        button.setAccessibleName(name)
        button.setToolTip(name)


def describe_buttons(parent: QWidget, names: dict[str, str]) -> None:
    """Name and explain Qt's own buttons by their object names (e.g. a dock widget's
    `qt_dockwidget_closebutton`), which come with an icon and nothing to read."""
    for button in parent.findChildren(QAbstractButton):
        text = names.get(button.objectName())
        if text:
            button.setAccessibleName(text)
            button.setToolTip(text)
