"""One conversation tab's behaviour: send, stream, stop, regenerate, edit, retry.

Turns widget signals into ChatService turns run as owned tasks, and forwards the typed stream
events back to the widgets. Holds the conversation's messages as sent on the wire.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal
from shiboken6 import isValid

from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.api.events import (
    Completed,
    CostReport,
    CostSource,
    RoutedModel,
    StreamEvent,
    TextDelta,
    TurnResult,
    TurnStatus,
    Usage,
    UsageReport,
)
from desktop_app.render.markdown import MarkdownRenderer
from desktop_app.routing.plan import TurnPlan, plan_for
from desktop_app.routing.tiers import Tier, TierCatalogue
from desktop_app.services import format as fmt
from desktop_app.services.tasks import TaskRunner
from desktop_app.store import HistoryStore, StoredMessage, StoreError
from desktop_app.ui.chat.chat_widgets import BadgeState, MessageWidget
from desktop_app.ui.chat.conversation_page import ConversationPage

if TYPE_CHECKING:
    from desktop_app.services.chat import ChatService
    from desktop_app.services.resilience import RetryNotice


@dataclass
class Entry:
    """A message as shown and as sent: what the next request's history is built from."""

    role: str
    content: str
    widget: MessageWidget | None  # None: not built yet (an earlier message of a long history)
    db_id: int | None = None
    plan: TurnPlan | None = None
    status: TurnStatus | None = None
    result: TurnResult | None = None
    badge: BadgeState = field(default_factory=BadgeState)

    @property
    def ui(self) -> MessageWidget:
        """The widget of a message that has one (live turns, the last messages)."""
        assert self.widget is not None, "this message's widget was never built"
        return self.widget


PAGE = 40  # messages built when a stored conversation opens, and per "Show earlier"
FIRST_SCREEN = 6  # at most, of those, built before the tab is shown (those that fill the view)
CHUNK = 2  # messages built per event-loop turn after it (a turn stays short)


class ConversationController(QObject):
    streaming_changed = Signal(bool)
    totals_changed = Signal()
    title_changed = Signal(str)
    problem = Signal(str)  # a sentence for the status bar (e.g. the history could not be saved)
    reachable = Signal(bool)  # whether the last turn reached the server

    def __init__(
        self,
        conversation_id: int | None,
        page: ConversationPage,
        store: HistoryStore,
        service: Callable[[], ChatService],
        tiers: TierCatalogue,
        runner: TaskRunner,
        renderer: MarkdownRenderer,
        is_demo: Callable[[], bool],
        tier_id: str,
        parent: QObject | None = None,
        *,
        after_first_frame: Callable[[Callable[[], None]], None],
    ) -> None:
        super().__init__(parent)
        self._after_first_frame = after_first_frame  # MainWindow's: work for after start-up
        self.conversation_id = conversation_id
        self._store = store
        self._tab_key = conversation_id if conversation_id is not None else id(self)
        self.page = page
        self._get_service = service  # built at the first turn: a restored tab only shows
        self._tiers = tiers
        self._runner = runner
        self._renderer = renderer
        self._appearance_stale = False  # messages were rendered for the previous appearance
        self.pending_title = ""  # a name given before the first message created the conversation
        page.shown.connect(self.refresh_appearance)
        self._is_demo = is_demo
        self.entries: list[Entry] = []
        self.tier_id = tier_id
        self._task: asyncio.Task[Any] | None = None
        self._started = 0.0
        self.max_tokens: int | None = None
        self._with_actions: list[Entry] = []
        self._loader: Callable[[], list[StoredMessage] | None] | None = None
        self._unloaded_totals: tuple[float, int] = (0.0, 0)
        page.tier_selector.select(tier_id)
        self._show_tier_hint()
        page.tier_changed.connect(self._on_tier_changed)
        page.composer.send.connect(self.send)
        page.composer.stop.connect(self.stop)
        page.chat.earlier_requested.connect(self.show_earlier)
        self._update_total()

    # --- state -------------------------------------------------------------------------------
    @property
    def task_name(self) -> str:
        return f"turn:{self._tab_key}"

    @property
    def streaming(self) -> bool:
        return self._task is not None and not self._task.done()

    def tier(self) -> Tier:
        try:
            return self._tiers.get(self.tier_id)
        except KeyError:
            return self._tiers.get("balanced")

    def total_cost(self) -> float:
        if self._loader is not None:
            return self._unloaded_totals[0]
        return sum(e.badge.cost_usd or 0.0 for e in self.entries if e.role == "assistant")

    def turn_count(self) -> int:
        if self._loader is not None:
            return self._unloaded_totals[1]
        return sum(1 for e in self.entries if e.role == "assistant" and e.badge.model)

    def load_later(
        self, loader: Callable[[], list[StoredMessage] | None], cost_usd: float, turns: int
    ) -> None:
        """A restored tab that is not on screen: its messages load when it is first shown.

        Building every restored tab's widgets and Markdown made a returning user wait about a
        second for the window; until then the tab's total comes from the store.
        """
        self._loader = loader
        self._unloaded_totals = (cost_usd, turns)
        self._update_total()

    @property
    def loaded(self) -> bool:
        return self._loader is None

    def ensure_loaded(self) -> None:
        if self._loader is None:
            return
        loader, self._loader = self._loader, None
        messages = loader()
        if messages is not None:
            self.load(messages)

    def history(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for e in self.entries:
            if e.role == "user" or (e.content and e.status is not TurnStatus.FAILED):
                out.append({"role": e.role, "content": e.content})
        return out

    def _on_tier_changed(self, tier_id: str) -> None:
        self.tier_id = tier_id
        if self.conversation_id is not None:
            try:
                self._store.set_conversation_tier(self.conversation_id, tier_id)
            except StoreError as exc:
                self.problem.emit(f"Could not save the tier: {exc}")
        self._show_tier_hint()
        self.totals_changed.emit()

    def _show_tier_hint(self) -> None:
        self.page.set_tier_hint(self.tier().routing_summary())

    def _update_total(self) -> None:
        turns = self.turn_count()
        replies = "1 reply" if turns == 1 else f"{turns} replies"
        self.page.total_label.setText(
            f"This conversation: {fmt.money(self.total_cost())} · {replies}"
        )
        self.totals_changed.emit()

    # --- building the view -------------------------------------------------------------------
    def _build_widget(self, entry: Entry, fill: bool = True) -> MessageWidget:
        """`fill=False`: the caller sets the text once the widget has its width."""
        w = MessageWidget(entry.role, self._renderer, self.page.chat)
        w.view.assume_width(self._text_width(entry.role))
        if entry.role == "user":
            if fill:
                w.view.set_plain(entry.content)
            w.edit_requested.connect(lambda: self.edit_last_prompt(entry))
        else:
            w.regenerate_requested.connect(lambda: self.regenerate(entry))
            w.regenerate_with.connect(lambda tier_id: self.regenerate(entry, tier_id))
            w.retry_requested.connect(lambda: self.regenerate(entry))
        entry.widget = w
        return w

    def _text_width(self, role: str) -> float:
        """The text width of this tab's other messages of `role` (built ones are a suffix)."""
        for e in reversed(self.entries):
            if e.widget is None:
                break
            if e.role == role and (width := e.widget.view.document().textWidth()) > 0:
                return width
        return -1.0

    def add_user_entry(self, text: str, db_id: int | None = None) -> Entry:
        entry = Entry("user", text, None, db_id)
        self.page.chat.add(self._build_widget(entry))
        self.entries.append(entry)
        return entry

    def _reply_entry(self, plan: TurnPlan, db_id: int | None) -> Entry:
        entry = Entry("assistant", "", None, db_id, plan)
        entry.badge = BadgeState(
            tier_label=plan.tier_label,
            candidates=plan.candidates,
            requested_model=plan.model,
            demo=self._is_demo(),
        )
        return entry

    def add_reply_entry(self, plan: TurnPlan, db_id: int | None = None) -> Entry:
        entry = self._reply_entry(plan, db_id)
        self.page.chat.add(self._build_widget(entry))
        self.entries.append(entry)
        return entry

    def show_finished_reply(self, entry: Entry, result: TurnResult, refresh: bool = True) -> None:
        """Fill a reply from a result (live or restored from history).

        `refresh=False` while loading a whole conversation: actions and totals are refreshed
        once at the end, not once per reply (which made restoring quadratic).
        """
        entry.content = result.text
        entry.status = result.status
        entry.result = result
        b = entry.badge
        b.streaming = False
        b.model = result.model or b.model
        b.cost_usd, b.cost_source = result.cost_usd, result.cost_source
        if result.usage:
            b.prompt_tokens = result.usage.prompt_tokens
            b.completion_tokens = result.usage.completion_tokens
        b.ttft_ms, b.total_ms = result.ttft_ms, result.total_ms
        b.status = result.status
        if entry.widget is not None:
            self._render_reply(entry)
        if refresh:
            self._refresh_actions()
            self._update_total()

    def _render_reply(self, entry: Entry) -> None:
        result, w = entry.result, entry.widget
        assert result is not None and w is not None
        if w.view.text != result.text or not result.text:
            w.view.set_markdown(result.text)
        else:
            w.view.end_stream()
        w.view.setVisible(bool(result.text))
        assert w.badge is not None
        w.badge.show_state(entry.badge)
        error = result.error if result.status is not TurnStatus.COMPLETE else None
        if error is not None and result.status is TurnStatus.STOPPED:
            w.show_error(None)
        else:
            w.show_error(fmt.error_sentence(error, bool(result.text)) if error else None)

    def set_renderer(self, renderer: MarkdownRenderer) -> None:
        """The appearance changed. Messages on screen take its code colours now; a page not on
        screen (another tab, or the welcome page up) re-renders when it is next shown."""
        self._renderer = renderer
        self._appearance_stale = True
        if self.page.isVisible():
            self.refresh_appearance()

    def refresh_appearance(self) -> None:
        if not self._appearance_stale:
            return
        self._appearance_stale = False
        for entry in self.entries:
            if entry.widget is not None and entry.role == "assistant":
                entry.widget.view.set_renderer(self._renderer)

    def show_earlier(self, count: int = PAGE, fill: int = 0) -> int:
        """Build the widgets of up to `count` earlier messages, latest first (a long history
        opens fast); `fill`: stop once they are that many pixels tall and the last prompt and
        reply (which carry the actions) are built. Returns how many.

        Each message gets its width before its text (the first of its role here is laid out
        for it), so its text is laid out once.
        """
        unbuilt = [e for e in self.entries if e.widget is None]  # always a prefix
        built = height = 0
        for entry in reversed(unbuilt[-count:]):
            known = self._text_width(entry.role) > 0  # from the messages below it
            w = self._build_widget(entry, fill=False)
            self.page.chat.insert(0, w)
            if not known:
                self.page.chat.lay_out_now(w)
            if entry.role == "user":
                w.view.set_plain(entry.content)
            elif entry.result is not None:
                self._render_reply(entry)
            built += 1
            height += w.sizeHint().height()
            if fill and height >= fill and self._last_turn_built():
                break
        self.page.chat.set_earlier(len(unbuilt) - built)
        if built:
            self.page.chat.settle()
            self._refresh_actions()  # the last prompt or reply may be among them
        return built

    def _last_turn_built(self) -> bool:
        for role in ("user", "assistant"):
            last = next((e for e in reversed(self.entries) if e.role == role), None)
            if last is not None and last.widget is None:
                return False
        return True

    def load(self, messages: list[StoredMessage]) -> None:
        """Show a stored conversation (restored tab or opened from history).

        Every message joins the history sent with the next turn; widgets are built for the
        last `PAGE` only, and "Show earlier messages" builds more on request.
        """
        for m in messages:
            if m.role == "user":
                self.entries.append(Entry("user", m.content, None, m.id))
            elif m.role == "assistant" and m.reply is not None:
                info = m.reply
                plan = TurnPlan(
                    info.requested_tier_id or "custom",
                    self._tier_label(info.requested_tier_id),
                    info.requested_model or "@edenai",
                    info.candidates,
                )  # the fallback does not matter for a finished reply
                entry = self._reply_entry(plan, m.id)
                entry.badge.retries = info.retry_count
                entry.badge.fallback = info.fallback_used
                self.entries.append(entry)
                self.show_finished_reply(entry, result_from_reply(m), refresh=False)
        built = self.show_earlier(FIRST_SCREEN, fill=self.page.chat.visible_height())
        self._build_in_background(PAGE - built)
        self._update_total()

    def _build_in_background(self, remaining: int, first: bool = True) -> None:
        """Build the rest of the opening page a few messages per event-loop turn.

        Markdown, code colouring and widget layout cost ~5-15 ms a message; a whole page at
        once kept the window from showing (or answering) for a quarter of a second.
        """
        if remaining <= 0 or all(e.widget is not None for e in self.entries):
            return

        def step() -> None:
            if not self.page.window().isVisible():  # the app is quitting: nothing to show
                return
            count = min(CHUNK, remaining)
            self.show_earlier(count)
            self._build_in_background(remaining - count, first=False)

        if first:  # a restored tab's: messages above the first screen wait for the first frame
            page = self.page

            def start() -> None:
                if isValid(page):  # the tab may have been closed meanwhile
                    QTimer.singleShot(0, page, step)

            self._after_first_frame(start)
        else:
            QTimer.singleShot(0, self.page, step)  # the page as context: a closed tab stops it

    def _tier_label(self, tier_id: str | None) -> str:
        try:
            return self._tiers.get(tier_id).label if tier_id else "custom"
        except KeyError:
            return tier_id or "custom"

    def _refresh_actions(self) -> None:
        """Show the actions that belong to the last prompt and reply only.

        Only the entries that had them and the new last ones are touched, so the cost does
        not grow with the conversation; the Regenerate menu lives on the last reply alone.
        """
        last_reply = next((e for e in reversed(self.entries) if e.role == "assistant"), None)
        last_user = next((e for e in reversed(self.entries) if e.role == "user"), None)
        busy = self.streaming
        for e in self._with_actions:
            if e is not last_reply and e is not last_user and e.widget is not None:
                e.widget.hide_actions()
        # Not built yet (only just above what is built): its actions come when it is.
        if last_reply is not None and last_reply.widget is None:
            last_reply = None
        if last_user is not None and last_user.widget is None:
            last_user = None
        if last_reply is not None:
            w = last_reply.ui
            if w.regen_button.menu() is None:
                w.set_regenerate_tiers([(t.id, t.label) for t in self._tiers])
            w.regen_button.setVisible(not busy and last_reply.status is not TurnStatus.FAILED)
            w.retry_button.setVisible(
                not busy and last_reply.status in (TurnStatus.FAILED, TurnStatus.INTERRUPTED)
            )
        if last_user is not None:
            last_user.ui.edit_button.setVisible(not busy)
        self._with_actions = [e for e in (last_reply, last_user) if e is not None]

    # --- actions -----------------------------------------------------------------------------
    def send(self, prompt: str) -> None:
        if self.streaming or not prompt.strip():
            return
        plan = plan_for(self.tier())
        first = not any(e.role == "user" for e in self.entries)
        try:
            if self.conversation_id is None:
                self.conversation_id = self._store.create_conversation(
                    self.pending_title, tier_id=self.tier_id
                )
            turn = self._service.start_turn(self.conversation_id, prompt, plan)
        except StoreError as exc:
            # Nothing goes out unsaved; the prompt stays in the composer.
            self.problem.emit(f"Not sent: your message could not be saved ({exc}).")
            return
        self.page.composer.input.clear()
        self.add_user_entry(prompt, turn.user_message_id)
        if first:
            self.title_changed.emit(
                self._store.get_conversation(self.conversation_id).display_title
            )
        reply = self.add_reply_entry(plan, turn.reply_id)
        self._launch(reply, turn)

    def regenerate(self, reply: Entry, tier_id: str | None = None) -> None:
        """Answer the last prompt again (with this tab's current tier unless given)."""
        if self.streaming or reply not in self.entries:
            return
        idx = self.entries.index(reply)
        user = next((e for e in reversed(self.entries[:idx]) if e.role == "user"), None)
        if user is None or user.db_id is None or self.conversation_id is None:
            return
        self.entries.remove(reply)
        if reply.widget is not None:
            self.page.chat.remove(reply.widget)
        tier = self._tiers.get(tier_id) if tier_id else self.tier()
        plan = plan_for(tier)
        try:
            turn = self._service.start_turn(self.conversation_id, None, plan, parent_id=user.db_id)
        except StoreError as exc:
            self.problem.emit(f"Could not start the reply: {exc}")
            return
        new = self.add_reply_entry(plan, turn.reply_id)
        self._launch(new, turn)

    def edit_last_prompt(self, user: Entry) -> None:
        """Put the last prompt back in the composer and take the turn off the conversation."""
        if self.streaming or user not in self.entries:
            return
        idx = self.entries.index(user)
        for e in self.entries[idx:]:
            if e.widget is not None:
                self.page.chat.remove(e.widget)
        removed = self.entries[idx:]
        del self.entries[idx:]
        self._service.recorder.remove_messages([e.db_id for e in removed if e.db_id is not None])
        self.page.composer.input.setPlainText(user.content)
        self.page.composer.input.setFocus()
        self._refresh_actions()
        self._update_total()

    def stop(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def _launch(self, reply: Entry, turn: Any) -> None:
        reply.badge.streaming = True
        assert reply.ui.badge is not None
        reply.ui.badge.show_state(reply.badge)
        reply.ui.view.begin_stream()
        reply.ui.view.setVisible(True)
        self._started = time.perf_counter()
        self.page.composer.set_streaming(True)
        self._task = self._runner.start(self.task_name, self._run(reply, turn), replace=True)
        self.streaming_changed.emit(True)
        self._refresh_actions()
        self.page.chat.scroll_to_end()

    @property
    def _service(self) -> ChatService:
        return self._get_service()

    async def _run(self, reply: Entry, turn: Any) -> None:
        history = self.history()
        result: TurnResult | None = None
        try:
            outcome = await self._service.run(
                turn,
                history,
                lambda ev: self._on_event(reply, ev),
                max_tokens=self.max_tokens,
                on_retry=lambda notice: self._on_retry(reply, notice),
            )
            result = outcome.result
            connect_failed = result.error is not None and result.error.kind is ErrorKind.CONNECT
            self.reachable.emit(not connect_failed)
            reply.badge.retries = outcome.retries
            reply.badge.fallback = outcome.fallback_used
        except asyncio.CancelledError:
            reply.ui.view.flush_now()
            result = TurnResult(
                text=turn.text,
                model=turn.model,
                status=TurnStatus.STOPPED,
                ttft_ms=reply.badge.ttft_ms,
                total_ms=(time.perf_counter() - self._started) * 1000,
            )
            raise
        finally:
            self._task = None
            if result is not None:
                self.show_finished_reply(reply, result)
            self.page.composer.set_streaming(False)
            self.streaming_changed.emit(False)
            self._refresh_actions()

    def _on_retry(self, reply: Entry, notice: RetryNotice) -> None:
        """Say what is happening while RouteChat waits to resend ("retrying in 7 s")."""
        reply.badge.retries = notice.attempt
        if notice.fallback_model:
            reply.badge.fallback = True
        reply.badge.model = None
        assert reply.ui.badge is not None
        reply.ui.badge.show_state(reply.badge)
        reply.ui.show_error(None)
        reply.ui.status_note(notice.describe() + "…")

    def _on_event(self, reply: Entry, event: StreamEvent) -> None:
        b = reply.badge
        badge = reply.ui.badge
        assert badge is not None
        if isinstance(event, TextDelta):
            if b.ttft_ms is None:  # shown live; the client's own measure replaces it at the end
                b.ttft_ms = (time.perf_counter() - self._started) * 1000
                badge.show_state(b)
            reply.ui.view.append_stream(event.text)
        elif isinstance(event, RoutedModel):
            b.model = event.model
            badge.show_state(b)
        elif isinstance(event, UsageReport):
            b.prompt_tokens = event.usage.prompt_tokens
            b.completion_tokens = event.usage.completion_tokens
        elif isinstance(event, CostReport):
            b.cost_usd, b.cost_source = event.usd, event.source
        elif isinstance(event, Completed):
            pass  # handled when run() returns

    async def wait_idle(self) -> None:
        task = self._task
        if task is not None:
            await asyncio.wait([task])


_INTERRUPTED_NOTE = "RouteChat closed while this reply was arriving"


def result_from_reply(message: StoredMessage) -> TurnResult:
    """A stored reply as the TurnResult the badge and error line understand."""
    info = message.reply
    assert info is not None
    status = info.status.value
    error: ApiError | None = None
    if status == "streaming":  # recovery had not run: treat as interrupted
        status = TurnStatus.INTERRUPTED.value
    if info.error_kind:
        try:
            kind = ErrorKind(info.error_kind)
        except ValueError:
            kind = ErrorKind.PROTOCOL
        error = ApiError(kind, info.error_message or "The turn failed.", info.error_status)
    elif status == TurnStatus.INTERRUPTED.value:
        error = ApiError(ErrorKind.INTERRUPTED, _INTERRUPTED_NOTE)
    return TurnResult(
        text=message.content,
        model=info.routed_model,
        usage=Usage(
            info.prompt_tokens, info.completion_tokens, info.total_tokens, info.cached_tokens
        ),
        cost_usd=info.cost_usd,
        cost_source=CostSource(info.cost_source),
        finish_reason=info.finish_reason,
        error=error,
        ttft_ms=info.ttft_ms,
        total_ms=info.total_ms or 0.0,
        status=TurnStatus(status),
    )
