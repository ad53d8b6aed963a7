"""Accessibility checks any view can run from its first test: names, contrast, Tab order,
clipped text, and a recorder of the events screen readers receive.

Each `check_*` returns a list of problems, one sentence each (empty: none), so a test reads

    assert check_names(view) == []
    assert check_contrast(view) == []
    assert check_tab_order(view) == []
    assert check_clipping(view) == []

and a failure lists every problem at once. `view` is any widget on screen (a window, a page,
a dialog); only what is visible is checked.

`check_names(view)`
    Every interactive widget (a button, field, list, tab bar, link label, or anything that
    takes Tab focus) has an accessible name as a screen reader gets it (through
    `QAccessibleInterface`, so a button's text or a field's buddy label counts); a button
    showing an icon only also has a tooltip; no decorative container (a plain QWidget,
    QFrame or scroll area, roles Client/Pane/Grouping...) takes Tab focus.

`check_contrast(view, minimum=4.5)`
    Every text on screen against what is painted behind it, by the WCAG 2.x ratio. The text
    colours are read from the widget's palette (the role it paints with, the placeholder of an
    empty field), the colours its rich text declares (`color:` in a label's HTML, each
    fragment's colour in a text view's document), and a table cell's or fragment's own
    background; the background is sampled from a grab of the window (the most common colour
    in the widget's rectangle), so style sheets and transparent views count as painted.
    Disabled widgets are exempt, as WCAG exempts inactive controls.

`check_palette_marks(palette, minimum=3.0)`
    The non-text marks that carry meaning (the focus ring and selection, drawn in the
    Highlight colour) at 3:1 against the window, base and alternate-base colours, and
    selected text at 4.5:1 on the highlight.

`check_tab_order(view, first=None, group_property="focus_group")`
    Presses Tab from `first` (default: the view's first stop in the focus chain) until the
    focus comes back, then checks: the view's stops come in one run (focus does not leave the
    view and come back), every focusable widget of the view is visited, no container is
    visited, and the order follows the screen: top to bottom, left to right within a row. A
    widget with the dynamic property `group_property` set (a message: its text and its
    buttons) counts as one unit: its stops go together, in any order inside it.

`check_clipping(view)`
    No text cut off: a label or button at least as large as its text needs (a word-wrapped
    label as tall as its height for its width), an elided label (`ElidedLabel`) ending in "…"
    and fitting its width, a text view that cannot scroll sideways no wider than its lines
    (a code block's long line).

`record_accessibility_events()`
    A context manager that switches Qt's accessibility on (as a screen reader does) and
    records every event Qt sends to assistive technology, through Qt's own test hook
    `QAccessible::installUpdateHandler` (which PySide6 does not bind: called through ctypes):

        with record_accessibility_events() as events:
            ...
        assert [a.message for a in events.announcements] == ["Reply from ..."]

    `events.all` holds every `Recorded(kind, object_name, message, assertive)`;
    `events.announcements` the `QAccessibleAnnouncementEvent`s; `events.of(kind)` those of one
    `QAccessible.Event`.

`contrast_ratio(a, b)` and `relative_luminance(colour)` are the WCAG formulas.
"""

from __future__ import annotations

import ctypes
import itertools
import os
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import shiboken6
from PySide6 import QtGui
from PySide6.QtCore import QLibraryInfo, QObject, QPoint, QRect, Qt
from PySide6.QtGui import (
    QAccessible,
    QAccessibleEvent,
    QColor,
    QImage,
    QPalette,
    QTextDocument,
    QTextFrame,
    QTextTable,
)
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFrame,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QScrollBar,
    QTabBar,
    QTextEdit,
    QWidget,
)

from tests.support import wcag
from tests.support.wcag import AA_MARKS, AA_TEXT

# --- WCAG formulas -----------------------------------------------------------------------------


def relative_luminance(colour: QColor | str) -> float:
    c = QColor(colour)
    return wcag.luminance((c.redF(), c.greenF(), c.blueF()))


def contrast_ratio(a: QColor | str, b: QColor | str) -> float:
    ca, cb = QColor(a), QColor(b)
    return wcag.ratio((ca.redF(), ca.greenF(), ca.blueF()), (cb.redF(), cb.greenF(), cb.blueF()))


def over(fg: QColor, bg: QColor) -> QColor:
    """A translucent colour as painted over `bg`."""
    a = fg.alphaF()
    if a >= 1.0:
        return QColor(fg.red(), fg.green(), fg.blue())
    return QColor.fromRgbF(
        fg.redF() * a + bg.redF() * (1 - a),
        fg.greenF() * a + bg.greenF() * (1 - a),
        fg.blueF() * a + bg.blueF() * (1 - a),
    )


# --- what is on screen -------------------------------------------------------------------------


def _shown(w: QWidget) -> bool:
    return w.isVisible() and w.width() > 0 and w.height() > 0


def _widgets(view: QWidget) -> list[QWidget]:
    """The view and its visible descendants, minus the insides of composite widgets (a combo
    box's line edit, a spin box's field, scroll bars, a scroll area's viewport), which
    assistive technology reaches through their owner."""
    out: list[QWidget] = []

    def walk(w: QWidget) -> None:
        if not _shown(w):
            return
        out.append(w)
        if isinstance(w, (QComboBox, QAbstractSpinBox)):
            return
        viewport = w.viewport() if isinstance(w, QAbstractScrollArea) else None
        for child in w.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly):
            if child.isWindow() or isinstance(child, QScrollBar):
                continue
            if child is viewport and not isinstance(w, QScrollArea):
                continue  # a text view's or list's viewport: part of it
            walk(child)

    walk(view)
    return out


def _iface(w: QWidget) -> QtGui.QAccessibleInterface | None:
    return QAccessible.queryAccessibleInterface(w)


def accessible_name(w: QWidget) -> str:
    iface = _iface(w)
    return iface.text(QAccessible.Text.Name).strip() if iface is not None else ""


def accessible_description(w: QWidget) -> str:
    iface = _iface(w)
    return iface.text(QAccessible.Text.Description).strip() if iface is not None else ""


_CONTAINER_ROLES = {
    QAccessible.Role.Client,
    QAccessible.Role.Pane,
    QAccessible.Role.Grouping,
    QAccessible.Role.Border,
    QAccessible.Role.Window,
    QAccessible.Role.Whitespace,
    QAccessible.Role.Separator,
    QAccessible.Role.StatusBar,
    QAccessible.Role.ToolBar,
    QAccessible.Role.LayeredPane,
    QAccessible.Role.Section,
}


def is_container(w: QWidget) -> bool:
    """A widget that only holds others (or paints decoration): it should take no Tab focus."""
    if type(w) in (QWidget, QFrame, QScrollArea, QAbstractScrollArea):
        return True
    if isinstance(w, QScrollArea):
        return True
    iface = _iface(w)
    return iface is not None and iface.role() in _CONTAINER_ROLES


def takes_tab(w: QWidget) -> bool:
    return bool(w.focusPolicy() & Qt.FocusPolicy.TabFocus)


def is_interactive(w: QWidget) -> bool:
    if isinstance(w, QLabel):
        return bool(w.textInteractionFlags() & Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
    return isinstance(
        w,
        (QAbstractButton, QLineEdit, QAbstractSpinBox, QComboBox, QTextEdit, QPlainTextEdit,
         QAbstractItemView, QTabBar),
    ) or (takes_tab(w) and not is_container(w))  # fmt: skip


def _label(w: QWidget) -> str:
    name = w.objectName() or type(w).__name__
    parent = w.parentWidget()
    owner = parent.objectName() if parent is not None else ""
    return f"{type(w).__name__} '{name}'" + (f" in '{owner}'" if owner else "")


def check_names(view: QWidget) -> list[str]:
    problems: list[str] = []
    for w in _widgets(view):
        if is_container(w) and not isinstance(w, QTabBar):
            if takes_tab(w) and w.focusProxy() is None and w is not view:
                problems.append(f"{_label(w)} is a container but takes Tab focus")
            continue
        if not is_interactive(w):
            continue
        if not accessible_name(w):
            problems.append(f"{_label(w)} has no accessible name")
        if isinstance(w, QAbstractButton) and not w.text().strip() and not w.toolTip().strip():
            problems.append(f"{_label(w)} shows an icon only and has no tooltip")
    return problems


# --- contrast ----------------------------------------------------------------------------------

_COLOUR = re.compile(r"(?<![-\w])color\s*:\s*(#[0-9a-fA-F]{3,8}|[a-zA-Z]+)")


def _grab(view: QWidget) -> QImage:
    return view.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)


def _background(image: QImage, view: QWidget, w: QWidget, area: QRect) -> QColor:
    """The most common colour painted in `area` of `w` (in `view`'s grab), its outer 3 px
    (a frame, a default button's outline) left out."""
    if area.width() > 12 and area.height() > 12:
        area = area.adjusted(3, 3, -3, -3)
    top_left = w.mapTo(view, area.topLeft()) if w is not view else area.topLeft()
    dpr = image.devicePixelRatio()
    x0, y0 = int(top_left.x() * dpr), int(top_left.y() * dpr)
    x1 = min(image.width(), int((top_left.x() + area.width()) * dpr))
    y1 = min(image.height(), int((top_left.y() + area.height()) * dpr))
    counts: Counter[int] = Counter()
    step = 2
    for y in range(max(0, y0), y1, step):
        for x in range(max(0, x0), x1, step):
            counts[image.pixel(x, y)] += 1
    if not counts:
        return QColor(w.palette().color(w.backgroundRole()))
    return QColor.fromRgb(counts.most_common(1)[0][0])


def _document_colours(
    doc: QTextDocument, default_fg: QColor, link: QColor
) -> Iterator[tuple[QColor, QColor | None, str]]:
    """(text colour, its own background or None, a sample of the text) of each fragment."""

    def frame_background(frame: QTextFrame | None) -> QColor | None:
        while frame is not None:
            brush = frame.frameFormat().background()
            if brush.style() != Qt.BrushStyle.NoBrush:
                return QColor(brush.color())
            frame = frame.parentFrame()
        return None

    block = doc.begin()
    while block.isValid():
        cursor_frame = doc.rootFrame()
        cell_bg: QColor | None = None
        pos = block.position()
        for frame in _frames(doc.rootFrame()):
            if frame.firstPosition() <= pos <= frame.lastPosition():
                cursor_frame = frame
        if isinstance(cursor_frame, QTextTable):
            cell = cursor_frame.cellAt(pos)
            brush = cell.format().background()
            if cell.isValid() and brush.style() != Qt.BrushStyle.NoBrush:
                cell_bg = QColor(brush.color())
        frame_bg = cell_bg or frame_background(cursor_frame)
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            if frag.isValid() and frag.text().strip():
                fmt = frag.charFormat()
                brush = fmt.foreground()
                if brush.style() != Qt.BrushStyle.NoBrush:
                    fg = QColor(brush.color())
                elif fmt.isAnchor():
                    fg = link
                else:
                    fg = default_fg
                own = fmt.background()
                bg = QColor(own.color()) if own.style() != Qt.BrushStyle.NoBrush else frame_bg
                yield fg, bg, frag.text().strip()[:30]
            it += 1
        block = block.next()


def _frames(frame: QTextFrame) -> Iterator[QTextFrame]:
    for child in frame.childFrames():
        yield child
        yield from _frames(child)


def _text_colours(w: QWidget) -> list[tuple[QColor, QColor | None, str]]:
    """(colour, its own background if it has one, what it is) of each text `w` shows."""
    pal = w.palette()
    out: list[tuple[QColor, QColor | None, str]] = []
    if isinstance(w, QLabel):
        text = w.text()
        if not text.strip() or (w.pixmap() is not None and not w.pixmap().isNull()):
            return out
        out.append((pal.color(w.foregroundRole()), None, "text"))
        if "<" in text or w.textFormat() == Qt.TextFormat.RichText:
            for m in _COLOUR.finditer(text):
                out.append((QColor(m.group(1)), None, f"rich text {m.group(1)}"))
            if "<a " in text:
                out.append((pal.color(QPalette.ColorRole.Link), None, "link"))
    elif isinstance(w, (QTextEdit, QPlainTextEdit)):
        doc = w.document()
        if doc.isEmpty() and w.placeholderText():
            out.append((pal.color(QPalette.ColorRole.PlaceholderText), None, "placeholder"))
        else:
            text_colour = pal.color(QPalette.ColorRole.Text)
            link = pal.color(QPalette.ColorRole.Link)
            out.extend(_document_colours(doc, text_colour, link))
    elif isinstance(w, QLineEdit):
        if w.text():
            out.append((pal.color(QPalette.ColorRole.Text), None, "text"))
        elif w.placeholderText():
            out.append((pal.color(QPalette.ColorRole.PlaceholderText), None, "placeholder"))
    elif isinstance(w, (QComboBox, QAbstractSpinBox)):
        role = QPalette.ColorRole.Text if isinstance(w, QAbstractSpinBox) or (
            isinstance(w, QComboBox) and w.isEditable()
        ) else QPalette.ColorRole.ButtonText  # fmt: skip
        out.append((pal.color(role), None, "text"))
    elif isinstance(w, QTabBar):
        for i in range(w.count()):
            if w.isTabVisible(i) and w.tabText(i):
                colour = w.tabTextColor(i)
                colour = colour if colour.isValid() else pal.color(QPalette.ColorRole.WindowText)
                out.append((colour, None, f"tab {w.tabText(i)!r}"))
    elif isinstance(w, QAbstractButton) and w.text():
        out.append((pal.color(w.foregroundRole()), None, "text"))
    return out


def check_contrast(view: QWidget, minimum: float = AA_TEXT) -> list[str]:
    """(See the module's docstring.) A view on screen is checked as it shows: what its
    scroll areas hide is left out. A view scrolled out of sight (a message above the fold)
    is grabbed and checked whole."""
    problems: list[str] = []
    image = _grab(view)
    as_shown = not view.visibleRegion().isEmpty()
    for w in _widgets(view):
        if not w.isEnabled():
            continue  # inactive controls are exempt (WCAG 1.4.3)
        colours = _text_colours(w)
        if not colours:
            continue
        area = w.visibleRegion().boundingRect() if as_shown else w.rect()
        if area.isEmpty():
            continue  # scrolled out of sight
        painted = _background(image, view, w, area)
        for fg, own_bg, what in colours:
            bg = own_bg if own_bg is not None else painted
            ratio = contrast_ratio(over(fg, bg), bg)
            if ratio < minimum - 0.005:
                problems.append(
                    f"{_label(w)}: {what} {over(fg, bg).name()} on {bg.name()} is"
                    f" {ratio:.2f}:1 (needs {minimum}:1)"
                )
    if problems and (folder := os.environ.get("A11Y_GRABS")):
        image.save(str(Path(folder) / f"contrast-{view.objectName() or type(view).__name__}.png"))
    return problems


def check_palette_marks(palette: QPalette, minimum: float = AA_MARKS) -> list[str]:
    problems: list[str] = []
    highlight = palette.color(QPalette.ColorRole.Highlight)
    for role in (
        QPalette.ColorRole.Window,
        QPalette.ColorRole.Base,
        QPalette.ColorRole.AlternateBase,
    ):
        ratio = contrast_ratio(highlight, palette.color(role))
        if ratio < minimum:
            problems.append(f"the highlight on {role.name} is {ratio:.2f}:1 (needs {minimum}:1)")
    selected = contrast_ratio(palette.color(QPalette.ColorRole.HighlightedText), highlight)
    if selected < AA_TEXT:
        problems.append(f"selected text on the highlight is {selected:.2f}:1 (needs {AA_TEXT}:1)")
    return problems


# --- Tab order ---------------------------------------------------------------------------------


def _inside(w: QWidget | None, view: QWidget) -> bool:
    while w is not None:
        if w is view:
            return True
        w = w.parentWidget()
    return False


def _unit(w: QWidget, view: QWidget, group_property: str) -> QWidget:
    """The widget itself, or its outermost ancestor (inside the view) marked as a group."""
    unit, p = w, w.parentWidget()
    while p is not None and p is not view:
        if p.property(group_property):
            unit = p
        p = p.parentWidget()
    return unit


def _reading_rect(w: QWidget) -> QRect:
    """Where `w` is in the window as if its scroll area showed all of its content: a message
    scrolled above the view still comes below the widgets above the view."""
    window, node = w.window(), w
    while node is not None and node is not window:
        parent = node.parentWidget()
        area = parent.parentWidget() if parent is not None else None
        if isinstance(area, QScrollArea) and parent is area.viewport() and node is area.widget():
            origin = parent.mapTo(window, QPoint(0, 0))
            inside = w.mapTo(node, QPoint(0, 0)) if w is not node else QPoint(0, 0)
            return QRect(origin + inside, w.size())
        node = parent
    return QRect(w.mapTo(window, QPoint(0, 0)), w.size())


def _scroll_area_of(w: QWidget) -> QScrollArea | None:
    """The scroll area whose content holds `w` (the innermost), if any."""
    node = w
    while node is not None:
        parent = node.parentWidget()
        area = parent.parentWidget() if parent is not None else None
        if isinstance(area, QScrollArea) and parent is area.viewport() and node is area.widget():
            return area
        node = parent
    return None


def _reading_rects(a: QWidget, b: QWidget) -> tuple[QRect, QRect]:
    """Where two Tab stops are read, to compare them: inside one scroll area, as if it showed
    all of its content; otherwise a stop inside a scroll area is read where the area is."""
    area_a, area_b = _scroll_area_of(a), _scroll_area_of(b)
    if area_a is area_b:
        return _reading_rect(a), _reading_rect(b)

    def where(w: QWidget, area: QScrollArea | None) -> QRect:
        if area is None:
            return _reading_rect(w)
        return QRect(area.mapTo(area.window(), QPoint(0, 0)), area.size())

    return where(a, area_a), where(b, area_b)


def focus_stops(view: QWidget) -> list[QWidget]:
    """Widgets of the view that Tab can reach (visible, enabled, with Tab focus)."""
    return [
        w
        for w in _widgets(view)
        if w is not view and takes_tab(w) and w.isEnabled() and w.focusProxy() is None
    ]


def press_tab(backward: bool = False) -> QWidget | None:
    """Press Tab (or Shift+Tab) where the focus is, as a user does; returns the new focus."""
    focus = QApplication.focusWidget()
    assert focus is not None, "nothing has the focus"
    key = Qt.Key.Key_Backtab if backward else Qt.Key.Key_Tab
    mods = Qt.KeyboardModifier.ShiftModifier if backward else Qt.KeyboardModifier.NoModifier
    QTest.keyClick(focus, key, mods)
    return QApplication.focusWidget()


def tab_cycle(start: QWidget, limit: int = 400) -> list[QWidget]:
    """The widgets Tab visits from `start` until the focus comes back to it (or `limit`),
    consecutive repeats (links inside one text view) merged."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    assert QApplication.focusWidget() is start, f"{_label(start)} does not take the focus"
    visited = [start]
    for _ in range(limit):
        now = press_tab()
        if now is None:
            break
        if now is start and len(visited) > 1:
            return visited
        if now is not visited[-1]:
            visited.append(now)
    return visited


def check_tab_order(
    view: QWidget, first: QWidget | None = None, group_property: str = "focus_group"
) -> list[str]:
    stops = focus_stops(view)
    if not stops:
        return []
    if first is None:
        first = stops[0]
        w = first.window().nextInFocusChain()
        while w is not first.window():  # the view's first stop in the window's focus chain
            if w in stops:
                first = w
                break
            w = w.nextInFocusChain()
    cycle = tab_cycle(first)
    problems: list[str] = []
    inside = [_inside(w, view) for w in cycle]
    runs = sum(1 for i, now in enumerate(inside) if now and (i == 0 or not inside[i - 1]))
    if runs > 1:
        order = " → ".join(
            _label(w) + ("" if i else " [outside]") for w, i in zip(cycle, inside, strict=True)
        )
        problems.append(f"Tab leaves the view and comes back: {order}")
    ours = [w for w, i in zip(cycle, inside, strict=True) if i]
    for w in ours:
        if is_container(w):
            problems.append(f"Tab visits {_label(w)}, a container")
    for w in stops:
        if w not in ours and not is_container(w):
            problems.append(f"Tab never reaches {_label(w)}")
    units: list[QWidget] = []
    for w in ours:
        unit = _unit(w, view, group_property)
        if units and units[-1] is unit:
            continue
        if unit in units:
            problems.append(f"Tab leaves {_label(unit)} and comes back to it at {_label(w)}")
            continue
        units.append(unit)
    for a, b in itertools.pairwise(units):
        ra, rb = _reading_rects(a, b)
        same_row = rb.top() < ra.bottom() and ra.top() < rb.bottom()
        if (same_row and rb.left() < ra.left()) or (not same_row and rb.top() < ra.top()):
            problems.append(
                f"Tab goes from {_label(a)} at ({ra.left()}, {ra.top()}) back to {_label(b)}"
                f" at ({rb.left()}, {rb.top()}): not the reading order"
            )
    return problems


# --- clipped text ------------------------------------------------------------------------------


def check_clipping(view: QWidget) -> list[str]:
    from desktop_app.ui.widgets.elided_label import ELLIPSIS, ElidedLabel

    problems: list[str] = []
    for w in _widgets(view):
        if isinstance(w, ElidedLabel):
            shown = w.text()
            room = w.contentsRect().width()
            if w.fontMetrics().horizontalAdvance(shown) > room + 1:
                problems.append(f"{_label(w)}: {shown!r} is wider than its {room} px")
            if shown != w.full_text() and not shown.endswith(ELLIPSIS):
                problems.append(f"{_label(w)}: {shown!r} is cut without an ellipsis")
            continue
        if isinstance(w, QTextEdit) and w.horizontalScrollBarPolicy() == (
            Qt.ScrollBarPolicy.ScrollBarAlwaysOff
        ):
            need, room = w.document().idealWidth(), w.viewport().width()
            if need > room + 1:
                problems.append(
                    f"{_label(w)}: a line needs {need:.0f} px, the view shows {room}"
                    " and cannot scroll sideways"
                )
            continue
        if isinstance(w, QLabel) and w.text().strip():
            rect = w.contentsRect()
            if w.wordWrap():
                need = w.heightForWidth(w.width())
                if need > w.height() + 1:
                    problems.append(f"{_label(w)}: needs {need} px of height, has {w.height()}")
                continue
            hint = w.sizeHint()
            if hint.width() > w.width() + 1 or hint.height() > w.height() + 1:
                problems.append(
                    f"{_label(w)}: {re.sub('<[^>]+>', ' ', w.text())[:60]!r} needs"
                    f" {hint.width()}x{hint.height()} px, has {w.width()}x{w.height()}"
                    f" (contents {rect.width()}x{rect.height()})"
                )
        elif isinstance(w, QAbstractButton) and w.text().strip():
            hint = w.minimumSizeHint()
            if hint.width() > w.width() + 1 or hint.height() > w.height() + 1:
                problems.append(
                    f"{_label(w)}: {w.text()!r} needs {hint.width()}x{hint.height()} px,"
                    f" has {w.width()}x{w.height()}"
                )
        elif isinstance(w, (QComboBox, QLineEdit, QAbstractSpinBox)):
            hint = w.minimumSizeHint()
            if hint.width() > w.width() + 1 or hint.height() > w.height() + 1:
                problems.append(
                    f"{_label(w)} needs {hint.width()}x{hint.height()} px,"
                    f" has {w.width()}x{w.height()}"
                )
    return problems


# --- accessibility events ----------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    kind: QAccessible.Event
    object_name: str
    message: str = ""  # an announcement's sentence
    assertive: bool = False


@dataclass
class Recorder:
    all: list[Recorded] = field(default_factory=list)

    @property
    def announcements(self) -> list[Recorded]:
        return self.of(QAccessible.Event.Announcement)

    def of(self, kind: QAccessible.Event) -> list[Recorded]:
        return [e for e in self.all if e.kind == kind]

    def clear(self) -> None:
        self.all.clear()


_HANDLER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)


def _qt_gui() -> ctypes.CDLL:
    lib = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.LibrariesPath))
    for name in ("libQt6Gui.so.6", "QtGui.framework/QtGui", "Qt6Gui.dll"):
        if (lib / name).exists():
            return ctypes.CDLL(str(lib / name))
    return ctypes.CDLL("libQt6Gui.so.6")


@contextmanager
def record_accessibility_events() -> Iterator[Recorder]:
    """Record what Qt sends to assistive technology (see the module's docstring)."""
    gui = _qt_gui()
    install = gui["_ZN11QAccessible20installUpdateHandlerEPFvP16QAccessibleEventE"]
    install.restype = ctypes.c_void_p
    install.argtypes = [ctypes.c_void_p]
    recorder = Recorder()
    announcement = getattr(QtGui, "QAccessibleAnnouncementEvent", None)

    def handler(address: int | None) -> None:
        if not address:
            return
        event = shiboken6.wrapInstance(address, QAccessibleEvent)
        ours = shiboken6.createdByPython(event)  # an event made in Python keeps its wrapper
        try:
            kind = event.type()
            obj: QObject | None = event.object()
            name = obj.objectName() if obj is not None else ""
            message, assertive = "", False
            if kind == QAccessible.Event.Announcement and announcement is not None:
                full = event if ours else shiboken6.wrapInstance(address, announcement)
                message = full.message()
                assertive = full.politeness() == QAccessible.AnnouncementPoliteness.Assertive
                if full is not event and not ours:
                    shiboken6.invalidate(full)
            recorder.all.append(Recorded(kind, name, message, assertive))
        finally:
            if not ours:
                shiboken6.invalidate(event)  # Qt's event lives on its stack: drop the wrapper

    callback = _HANDLER(handler)
    was_active = QAccessible.isActive()
    previous = install(ctypes.cast(callback, ctypes.c_void_p))
    QAccessible.setActive(True)
    try:
        yield recorder
    finally:
        QAccessible.setActive(was_active)
        install(previous)
