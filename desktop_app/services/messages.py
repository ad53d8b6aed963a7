"""One way for any layer to tell the user something: a sentence, its level, and maybe an action.

Qt-free. The store recorder, the services and the window's controllers all report through the
`MessageBridge` the composition root builds; the window shows each message in its status bar
(with the action as a button) and logs it. Messages sent before anyone listens (start-up
notices about the history file or the settings) are kept and handed to the first listener.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum

log = logging.getLogger(__name__)


class Level(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class Action:
    """A button beside the message ("Undo", "Retry", "Open Preferences")."""

    __slots__ = ("label", "name", "run")

    def __init__(self, label: str, run: Callable[[], None], name: str = "message_action") -> None:
        self.label = label
        self.run = run
        self.name = name  # the button's object name (automated checks find it by it)


class Message:
    """A sentence for the user; `seconds` is how long it stays (errors stay longer)."""

    __slots__ = ("action", "level", "seconds", "text")

    def __init__(
        self, level: Level, text: str, action: Action | None = None, seconds: float | None = None
    ) -> None:
        self.level = level
        self.text = text
        self.action = action
        self.seconds = seconds if seconds is not None else _SECONDS[level]

    def __repr__(self) -> str:
        return f"Message({self.level.value}, {self.text!r})"


_SECONDS = {Level.INFO: 6.0, Level.WARNING: 12.0, Level.ERROR: 15.0}
_LOG_LEVELS = {Level.INFO: logging.INFO, Level.WARNING: logging.WARNING, Level.ERROR: logging.ERROR}

Listener = Callable[[Message], None]


class MessageBridge:
    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._backlog: list[Message] = []

    def connect(self, listener: Listener) -> None:
        """Send every later message to `listener`; the first one also gets the backlog."""
        self._listeners.append(listener)
        backlog, self._backlog = self._backlog, []
        for message in backlog:
            listener(message)

    def show(self, message: Message) -> None:
        log.log(_LOG_LEVELS[message.level], "%s", message.text)
        if not self._listeners:
            self._backlog.append(message)
        for listener in list(self._listeners):
            listener(message)

    def info(self, text: str, action: Action | None = None, seconds: float | None = None) -> None:
        self.show(Message(Level.INFO, text, action, seconds))

    def warning(self, text: str, action: Action | None = None) -> None:
        self.show(Message(Level.WARNING, text, action))

    def error(self, text: str, action: Action | None = None) -> None:
        self.show(Message(Level.ERROR, text, action))
