"""View → Statistics: the window's filters become a `StatsJob` run on a worker thread (its own
read-only SQLite connection, opened and closed there), and its figures are shown when they
arrive; the event loop never waits for SQL. A newer filter, closing the window or quitting
interrupts the running query. CSV exports go through a file dialog opened with open().
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.services import format as fmt
from desktop_app.services import stats
from desktop_app.services.stats import Figures, StatsJob
from desktop_app.store import StoreError
from desktop_app.store.stats import StatsFilter
from desktop_app.ui.stats.charts import Bar
from desktop_app.ui.stats.stats_window import StatsWindow

if TYPE_CHECKING:
    from PySide6.QtWidgets import QFileDialog, QWidget

    from desktop_app.routing.tiers import TierCatalogue
    from desktop_app.services.messages import MessageBridge
    from desktop_app.services.tasks import TaskRunner
    from desktop_app.store import HistoryStore

log = logging.getLogger(__name__)

TASK = "statistics"
REFRESH_MS = 1500  # after a reply ends, the open window catches up this long after


class StatsController(QObject):
    figures_shown = Signal()  # the window shows the figures of its current filter

    def __init__(
        self,
        parent: QWidget,
        store: HistoryStore,
        runner: TaskRunner,
        tiers: TierCatalogue,
        models: Callable[[], tuple[object, ...]],
        messages: MessageBridge,
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._store = store
        self._runner = runner
        self._tiers = tiers
        self._models = models  # the catalogue's models: which are premium (by list price)
        self._messages = messages
        self.window: StatsWindow | None = None
        self.figures: Figures | None = None
        self._job: StatsJob | None = None
        self._dialog: QFileDialog | None = None
        self._refresh = QTimer(self)
        self._refresh.setSingleShot(True)
        self._refresh.setInterval(REFRESH_MS)
        self._refresh.timeout.connect(self.refresh)

    # --- the window ---------------------------------------------------------------------------

    def show(self) -> None:
        """Open (or bring back) the window; its figures follow as soon as they are computed."""
        if self.window is None:
            window = StatsWindow(list(stats.PERIODS.items()), stats.DEFAULT_PERIOD, self._parent)
            window.filters_changed.connect(self.refresh)
            window.export_requested.connect(self.export)
            window.closed.connect(self._closed)
            self.window = window
            QTimer.singleShot(0, self, self._first_show)  # built now, laid out and shown next
            return
        if self.window.isVisible():
            self.window.activateWindow()  # already open: to the front
        else:
            self.window.show()
        self.refresh()

    def _first_show(self) -> None:
        if self.window is not None:
            self.refresh()
            self.window.show()

    def turn_finished(self) -> None:
        """A reply ended somewhere: an open window catches up shortly."""
        if self.window is not None and self.window.isVisible():
            self._refresh.start()

    def close(self) -> None:
        self._cancel()
        if self.window is not None:
            self.window.close()

    def _closed(self) -> None:
        self._refresh.stop()
        self._cancel()

    def _cancel(self) -> None:
        if self._job is not None:
            self._job.cancel()
            self._job = None
        self._runner.cancel(TASK)

    def current_filter(self) -> StatsFilter:
        w = self.window
        assert w is not None
        first, last = w.custom_days()
        return stats.period_filter(
            w.period_key(),
            date.today(),
            first=first,
            last=last,
            tier=w.tier_key(),
            kind=w.kind_key(),
        )

    def refresh(self) -> None:
        """Compute the figures of the window's filter on a worker thread."""
        if self.window is None:
            return
        self._refresh.stop()
        if self._job is not None:
            self._job.cancel()
        premium = stats.premium_models(self._models())
        job = StatsJob(self._store.path, self.current_filter(), premium)
        self._job = job
        self.window.set_busy("Computing…")
        self._runner.start(TASK, self._run(job), replace=True)

    async def _run(self, job: StatsJob) -> None:
        loop = asyncio.get_running_loop()
        try:
            figures = await loop.run_in_executor(None, job.run)
        except asyncio.CancelledError:
            job.cancel()
            raise
        except StoreError as exc:
            if job is self._job and self.window is not None:
                log.warning("statistics could not be computed: %s", exc)
                self.window.set_busy(f"Could not read your history: {exc}", error=True)
            return
        if job is not self._job or self.window is None:
            return  # a newer filter or a closed window
        self._job = None
        self.figures = figures
        self._show(figures)
        # The charts, then the tables and the filter's list, each in a turn of its own: each
        # relayout of the window stays short.
        QTimer.singleShot(0, self, lambda: self._show_charts(figures))

    def _show_tables(self, figures: Figures) -> None:
        w = self.window
        if w is None or figures is not self.figures:
            return
        w.set_tiers([(key, self.tier_label(key)) for key in figures.tiers])
        w.fill(w.tiers_table, TIER_HEADERS, [tier_row(self.tier_label(t.tier), t)
                                               for t in figures.by_tier.values()])  # fmt: skip
        self._show_votes(figures)
        w.set_busy("")
        self.figures_shown.emit()

    # --- the figures in words and pictures ------------------------------------------------------

    def tier_label(self, key: str) -> str:
        if key.startswith("model:"):
            return f"Fixed: {key.removeprefix('model:')}"
        if key == "custom":
            return "Custom pool (command line)"
        if key == "unknown":
            return "Unknown tier"
        try:
            label = self._tiers.get(key).label
        except KeyError:
            return key
        return label if label.lower() == key.lower() else f"{label} ({key})"

    def _show(self, f: Figures) -> None:
        w = self.window
        assert w is not None
        w.set_summary(summary_html(f))

    def _show_charts(self, f: Figures) -> None:
        w = self.window
        if w is None or f is not self.figures:
            return
        QTimer.singleShot(0, self, lambda: self._show_tables(f))
        w.set_diagnoses(diagnoses_html(f))
        per_tier = [
            Bar(self.tier_label(t.tier), t.cost_usd, spend_text(t.cost_usd, t.unknown_cost))
            for t in sorted(f.by_tier.values(), key=lambda t: -t.cost_usd)
        ]
        per_model = [
            Bar(model, m.cost_usd, fmt.money(m.cost_usd)) for model, m in f.by_model.items()
        ]
        distribution = []
        for t in f.by_tier.values():
            answered = sum(m.requests for m in t.models.values()) or 1
            for model, m in t.models.items():
                share = m.requests / answered * 100
                text = f"{m.requests:,} · {share:.0f} %"
                distribution.append(Bar(model, m.requests, text, self.tier_label(t.tier)))
        w.set_charts(list(f.by_day.items()), per_tier, per_model, distribution, fmt.money)

    def _show_votes(self, f: Figures) -> None:
        w = self.window
        assert w is not None
        if f.win_rates:
            w.votes_note.setText("How often each tier's answer won the blind vote it was in.")
            rows = [
                [
                    self.tier_label(v.tier),
                    f"{v.votes:,}",
                    f"{v.wins:,}",
                    f"{v.ties:,}",
                    f"{v.rate * 100:.0f} %" if v.rate is not None else "—",
                ]
                for v in f.win_rates
            ]
            w.fill(w.votes_table, ("Tier", "Votes", "Wins", "Ties", "Win rate"), rows)
            w.votes_table.setVisible(True)
        else:
            w.votes_note.setText(
                "No blind-comparison votes in this period: vote in a comparison to see which "
                "tier's answers you prefer."
            )
            w.votes_table.setVisible(False)

    # --- export ----------------------------------------------------------------------------------

    def export(self, what: str) -> None:
        """Ask where, then write the figures (at once) or the turns (on a worker thread)."""
        from PySide6.QtWidgets import QFileDialog  # its enums: built when first needed

        if self.window is None:
            return
        name = f"routechat-{'statistics' if what == 'figures' else 'turns'}-{date.today()}.csv"
        dialog = QFileDialog(self.window, "Export statistics")
        dialog.setObjectName("stats_export_dialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("CSV (*.csv)")
        dialog.setDefaultSuffix("csv")
        dialog.selectFile(str(Path.home() / name))
        dialog.fileSelected.connect(lambda path: self.write_export(what, Path(path)))
        self._dialog = dialog
        dialog.open()  # never exec() inside qasync

    def write_export(self, what: str, path: Path) -> None:
        if what == "figures":
            if self.figures is None:
                return
            try:
                path.write_text(stats.figures_csv(self.figures), encoding="utf-8")
            except OSError as exc:
                self._messages.error(f"Could not export to {path}: {exc.strerror or exc}")
                return
            self._messages.info(f"Exported the figures to {path}.")
            return
        job = StatsJob(self._store.path, self.current_filter())
        self._runner.start(f"{TASK}:export", self._write_turns(job, path), replace=True)

    async def _write_turns(self, job: StatsJob, path: Path) -> None:
        loop = asyncio.get_running_loop()
        try:
            count = await loop.run_in_executor(None, job.write_turns, path)
        except asyncio.CancelledError:
            job.cancel()
            raise
        except (StoreError, OSError) as exc:
            self._messages.error(f"Could not export the turns to {path}: {exc}")
            return
        self._messages.info(f"Exported {count:,} turns to {path}.")


# --- the figures as text (Qt-free helpers) ---------------------------------------------------

TIER_HEADERS = (
    "Tier",
    "Requests",
    "Spend",
    "First token p50",
    "p95",
    "Total p50",
    "p95",
    "Ranked",
    "Single",
    "Default",
    "Retries",
    "Fallbacks",
    "Failures",
)


def spend_text(usd: float, unknown: int) -> str:
    text = fmt.money(usd)
    return f"{text} + {unknown:,} unknown" if unknown else text


def _share(n: int, total: int) -> str:
    return f"{n / total * 100:.0f} %" if total else "—"


def tier_row(label: str, t: stats.TierFigures) -> list[str]:
    told = t.requests
    failures = ", ".join(f"{k} {n}" for k, n in t.failures.items()) or "—"
    return [
        label,
        f"{t.requests:,}",
        spend_text(t.cost_usd, t.unknown_cost),
        fmt.duration(t.ttft_p50),
        fmt.duration(t.ttft_p95),
        fmt.duration(t.total_p50),
        fmt.duration(t.total_p95),
        _share(t.selection["ranked"], told),
        _share(t.selection["single"], told),
        _share(t.selection["default"], told),
        f"{t.retries:,}",
        f"{t.fallbacks:,}",
        failures,
    ]


def summary_html(f: Figures) -> str:
    if not f.requests:
        return (
            "<p><b>No billed replies in this period.</b> Demo replies never count; replies "
            "sent from the command line do.</p>"
        )
    selection = f.selection
    routed = selection["ranked"] + selection["single"] + selection["default"]
    failures = ", ".join(f"{k} {n:,}" for k, n in f.failures.items()) or "none"
    rows = [
        ("Requests", f"{f.requests:,}"),
        ("Spend", escape(f.spend_line())),
        ("Tokens", f"{f.prompt_tokens:,} in · {f.completion_tokens:,} out"),
        (
            "How the router chose",
            f"ranked {_share(selection['ranked'], routed)} · single "
            f"{_share(selection['single'], routed)} · default "
            f"{_share(selection['default'], routed)} of {routed:,} routed requests",
        ),
        ("Retries and fallbacks", f"{f.retries:,} retries · {f.fallbacks:,} fallbacks"),
        ("Failures", escape(failures)),
    ]
    cells = "".join(
        f"<tr><td style='padding-right:14px'><b>{k}</b></td><td>{v}</td></tr>" for k, v in rows
    )
    return f"<table>{cells}</table>"


def diagnoses_html(f: Figures) -> str | None:
    if not f.diagnoses:
        return None
    items = "".join(
        f"<p><b>⚠ {escape(d.title)}</b><br>{escape(' '.join(d.findings))}<br>"
        f"{escape(d.causes)} <i>{escape(d.advice)}</i></p>"
        for d in f.diagnoses
    )
    return items
