"""Enum properties set by their C++ names, for widgets built before the first frame.

PySide6 builds the Python enums of a class the first time the class is used. For the `Qt`
namespace that is 93 enums and about 1,200 members at once, ~27 ms on the machines here:
the largest single cost of start-up after importing Qt itself. Widgets on the first frame
set their `Qt.*` enum properties through Qt's meta-object system instead (`"AlignCenter"`,
`"TextSelectableByMouse|TextSelectableByKeyboard"`), and the namespace is built once the
window is up, by whatever needs it next. Elsewhere, plain `Qt.*` is the clearer choice.
"""

from __future__ import annotations

from PySide6.QtCore import QObject


def set_enum_property(obj: QObject, name: str, keys: str) -> None:
    """Set the Q_PROPERTY `name` of `obj` to the enum or flag keys `keys` ("A|B" for flags).

    A wrong property or key name raises, so a typo fails the tests instead of doing nothing.
    """
    if not obj.setProperty(name, keys):
        raise ValueError(f"{type(obj).__name__}.{name} cannot be set to {keys!r}")
