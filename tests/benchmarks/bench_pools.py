"""Benchmark of the model picker on a huge catalogue. Not collected by pytest.

    python tests/benchmarks/bench_pools.py [--models 5000] [--rounds 15]

Measures, in the same run (offscreen):
- opening the picker over N models until its first paint (target <= 100 ms), against a bare
  dialog with one table opened the same way (the baseline: what any dialog costs here);
- one keystroke of filtering (the text filter over all N rows) and a sort by price.
Prints medians and p95 with the ratio to the baseline and to the target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QDialog, QTableView, QVBoxLayout

from desktop_app.ui.widgets.model_picker import ModelPicker
from desktop_app.ui.widgets.theme import application_arguments
from tests.benchmarks.bench_gui import quiet_offscreen
from tests.gui.test_pools import huge_catalogue

TARGET_MS = 100.0


class Painted(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.at: float | None = None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint and self.at is None:
            self.at = time.perf_counter()
        return False


def until_painted(app: QApplication, make: object) -> float:
    started = time.perf_counter()
    dialog = make()  # type: ignore[operator]
    watch = Painted()
    dialog.installEventFilter(watch)
    dialog.show()
    while watch.at is None:
        app.processEvents()
    ms = (watch.at - started) * 1000
    dialog.close()
    dialog.deleteLater()
    app.processEvents()
    return ms


def bare() -> QDialog:
    dialog = QDialog()
    QVBoxLayout(dialog).addWidget(QTableView(dialog))
    dialog.resize(760, 520)
    return dialog


def summary(name: str, samples: list[float], baseline: float | None = None) -> str:
    med = statistics.median(samples)
    p95 = sorted(samples)[int(0.95 * (len(samples) - 1))]
    ratio = f"  {med / baseline:4.2f}× bare" if baseline else ""
    return f"  {name:<34} median {med:6.1f} ms  p95 {p95:6.1f} ms{ratio}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=15)
    opts = parser.parse_args()
    app = QApplication(application_arguments(sys.argv[:1]))
    quiet_offscreen()
    models = huge_catalogue(opts.models)
    for _ in range(2):  # warm up: first Qt class use, fonts
        until_painted(app, bare)
        until_painted(app, lambda: ModelPicker(models, "prices from just now"))
    base = [until_painted(app, bare) for _ in range(opts.rounds)]
    opened = [
        until_painted(app, lambda: ModelPicker(models, "prices from just now"))
        for _ in range(opts.rounds)
    ]
    picker = ModelPicker(models, "prices from just now")
    picker.show()
    app.processEvents()
    typing, sorting = [], []
    for i in range(opts.rounds):
        started = time.perf_counter()
        picker.search.setText(f"model-{i % 10}")
        app.processEvents()
        typing.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        picker.table.sortByColumn(1 + i % 2, Qt.SortOrder.DescendingOrder)
        app.processEvents()
        sorting.append((time.perf_counter() - started) * 1000)
    b = statistics.median(base)
    print(f"\nmodel picker, {opts.models:,} models, {opts.rounds} rounds (offscreen)")
    print(summary("bare dialog with a table", base))
    print(summary("picker opened to its first paint", opened, b))
    print(f"  {'':<34} target {TARGET_MS:.0f} ms: {statistics.median(opened) / TARGET_MS:4.2f}×")
    print(summary("one keystroke of filtering", typing))
    print(summary("sort by price", sorting))
    return 0


if __name__ == "__main__":
    sys.exit(main())
