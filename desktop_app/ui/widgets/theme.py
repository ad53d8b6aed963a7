"""Light and dark appearance; 'system' follows the platform's colour scheme.

Nothing here touches `QStyle` or the `Qt` namespace on the way to the first frame: PySide6
builds each class's Python enums when the class is first used, about 10 ms for QStyle and
27 ms for the `Qt` namespace on the machines here. Fusion is chosen with Qt's `-style` option
when the application is created (`application_arguments`), the light palette is spelled out
below, and 'system' is first judged from the platform's palette (`first_guess_is_dark`); the
controller checks the real colour scheme once the window is up.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget

STYLE_NAME = "Fusion"  # the same look on every platform, and it honours our palettes

# Style sheets are kept to the message list (and the jump button): a widget under a style
# sheet is painted through Qt's style-sheet style, which made every frame of a streamed reply
# slower when the sheet was set on the whole application (the scroll bar alone ~1.3 ms).
CHAT_STYLE = """
QFrame#user_message {
    border: none; padding: 2px; border-radius: 8px; background: palette(alternate-base);
}
QFrame#assistant_message { border: 1px solid palette(midlight); padding: 1px; border-radius: 8px; }
QLabel#message_role { font-weight: bold; }
QLabel#turn_badge { padding-top: 2px; }
QFrame#user_message[focused="true"], QFrame#assistant_message[focused="true"] {
    border: 2px solid palette(highlight); padding: 0px;
}
"""
JUMP_BUTTON_STYLE = "QPushButton { border-radius: 10px; padding: 4px 10px; }"


class Tone(Enum):
    """A text colour with a meaning, one shade per appearance, each at least 4.5:1 (WCAG AA)
    against the window, base and alternate-base colours of its palette (tests/gui/
    test_accessibility.py measures them). Formatted (`f"{Tone.ERROR}"`), it is the shade of
    the appearance in use; `set_text_colour` keeps a label's shade in step when it changes."""

    ERROR = ("#c01c28", "#ff7b72")
    SUCCESS = ("#17703f", "#57e389")
    DEMO = ("#8a2be2", "#c397ff")  # the demo-mode line and badge mark: unmistakable in both
    WARNING = ("#9c4f00", "#ffa348")  # a reply stopped, cut off, or answered by the fallback

    def shade(self, dark: bool | None = None) -> str:
        light, dark_shade = self.value
        return dark_shade if (_dark if dark is None else dark) else light

    def __str__(self) -> str:
        return self.shade()

    def __format__(self, spec: str) -> str:
        return format(self.shade(), spec)


ERROR_COLOUR = Tone.ERROR
DEMO_COLOUR = Tone.DEMO
SUCCESS_COLOUR = Tone.SUCCESS
WARNING_COLOUR = Tone.WARNING
_dark = False  # the appearance in use (set by apply_theme)


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(43, 45, 48), QColor(223, 225, 229)
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor(50, 53, 58))
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, window)
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.ToolTipBase, base)
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    # A light highlight with dark text: the focus ring and selections stand out 3:1 from
    # every background and selected text reads 4.5:1 (white on a mid blue cannot do both).
    p.setColor(QPalette.ColorRole.Highlight, QColor(0x62, 0xA0, 0xEA))
    p.setColor(QPalette.ColorRole.Accent, QColor(0x62, 0xA0, 0xEA))
    p.setColor(QPalette.ColorRole.HighlightedText, base)
    p.setColor(QPalette.ColorRole.Link, QColor(138, 180, 248))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(0xA0, 0xA3, 0xAA))  # hints, badges
    p.setColor(QPalette.ColorRole.Mid, QColor(120, 123, 130))
    p.setColor(QPalette.ColorRole.Midlight, QColor(70, 73, 78))
    p.setColor(QPalette.ColorRole.Dark, QColor(160, 163, 170))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 123, 130))
    return p


# Fusion's own light palette (QStyle.standardPalette() under Fusion; a test keeps them equal
# but for `_LIGHT_CONTRAST`).
_LIGHT = {
    "Window": "#efefef", "WindowText": "#000000", "Base": "#ffffff", "AlternateBase": "#f7f7f7",
    "Text": "#000000", "BrightText": "#ffffff", "Button": "#efefef", "ButtonText": "#000000",
    "Light": "#ffffff", "Midlight": "#cacaca", "Mid": "#b8b8b8", "Dark": "#9f9f9f",
    "Shadow": "#767676", "Highlight": "#308cc6", "HighlightedText": "#ffffff",
    "Link": "#0000ff", "LinkVisited": "#ff00ff", "ToolTipBase": "#ffffdc",
    "ToolTipText": "#000000", "PlaceholderText": "#80000000", "Accent": "#308cc6",
}  # fmt: skip
_LIGHT_DISABLED = {
    "WindowText": "#bebebe", "Text": "#bebebe", "ButtonText": "#bebebe", "Base": "#efefef",
    "Dark": "#bebebe", "Shadow": "#b1b1b1", "Highlight": "#919191", "Accent": "#919191",
}  # fmt: skip


# Where Fusion's light colours fall short of WCAG AA: placeholder and hint text (50 % black,
# 3.9:1 on the window) and the highlight (white on it 3.7:1) are darkened.
_LIGHT_CONTRAST = {"PlaceholderText": "#646464", "Highlight": "#2a7ab0", "Accent": "#2a7ab0"}


def _light_palette() -> QPalette:
    p = QPalette()
    for name, colour in (_LIGHT | _LIGHT_CONTRAST).items():
        p.setColor(getattr(QPalette.ColorRole, name), QColor(colour))
    for name, colour in _LIGHT_DISABLED.items():
        p.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, name), QColor(colour))
    return p


def application_arguments(argv: Sequence[str]) -> list[str]:
    """The command line for QApplication, with Fusion chosen by Qt's `-style` option.

    Set this way the style exists before the first widget, and no Python wrapper for the
    QStyle object is built (`app.setStyle` returns one); a `-style` given by the user wins.
    """
    return [*argv[:1], "-style", STYLE_NAME, *argv[1:]]


def system_is_dark(app: QApplication) -> bool:
    """The platform's colour scheme, or its palette where it reports none (some Linux
    desktops). Touches the `Qt` namespace: not before the first frame."""
    from PySide6.QtCore import Qt

    scheme = app.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Unknown:
        return first_guess_is_dark(app)
    return scheme == Qt.ColorScheme.Dark


_platform_window_colour: QColor | None = None


def first_guess_is_dark(app: QApplication) -> bool:
    """Whether the platform's own palette is dark (platforms that report a dark scheme give
    dark palettes). Read once, before any palette of ours replaces it."""
    global _platform_window_colour
    if _platform_window_colour is None:
        _platform_window_colour = app.palette().color(QPalette.ColorRole.Window)
    return _platform_window_colour.lightness() < 128


def apply_theme(app: QApplication, theme: str, *, first_frame: bool = False) -> bool:
    """Apply 'light', 'dark' or 'system'; returns whether the result is dark. The style itself
    was chosen with the application (`application_arguments`).

    first_frame: at start-up, 'system' follows `first_guess_is_dark`; the caller confirms it
    with `system_is_dark` after the first frame.
    """
    global _dark
    if theme == "system":
        dark = first_guess_is_dark(app) if first_frame else system_is_dark(app)
    else:
        first_guess_is_dark(app)  # remember the platform's palette while it is still there
        dark = theme == "dark"
    changed, _dark = dark != _dark, dark
    app.setPalette(_dark_palette() if dark else _light_palette())
    if changed:
        for widget in app.allWidgets():  # labels in a `Tone` take the new appearance's shade
            tone = widget.property(_TONE)
            if tone:
                _set_foreground(widget, Tone[tone].shade())
    return dark


_TONE = "tone"  # the dynamic property that names a widget's `Tone`


def _set_foreground(widget: QWidget, colour: str | None) -> None:
    palette = QPalette()  # nothing resolved: everything else follows the window's palette
    if colour is not None:
        palette.setColor(QPalette.ColorRole.WindowText, QColor(colour))
    widget.setPalette(palette)


def set_text_colour(
    widget: QWidget,
    colour: Tone | str | None = None,
    *,
    role: QPalette.ColorRole | None = None,
    bold: bool = False,
) -> None:
    """A label's text colour (a `Tone`, which follows the appearance; a fixed `colour`; a
    palette `role`; or the default) and weight.

    Through the palette rather than a style sheet: a sheet moves the widget's painting to the
    slower style-sheet style and is parsed each time it is set.
    """
    if isinstance(colour, Tone):
        widget.setProperty(_TONE, colour.name)
        colour = colour.shade()
    elif widget.property(_TONE):
        widget.setProperty(_TONE, None)
    _set_foreground(widget, colour)
    widget.setForegroundRole(QPalette.ColorRole.NoRole if role is None else role)
    if widget.font().bold() != bold:
        font = widget.font()
        font.setBold(bold)
        widget.setFont(font)
