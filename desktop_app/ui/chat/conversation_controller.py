"""One conversation tab's behaviour: send, stop, regenerate, edit, retry; its tier and total.

Each action becomes a `ChatService` turn run in the tab's stream slot; the service owns the
turn (history, retries, timings, the stored result) and this controller only renders what it
reports into the tab's `Transcript`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from shiboken6 import isValid

from desktop_app.api.errors import ErrorKind
from desktop_app.api.events import (
    CostReport,
    RoutedModel,
    RoutingReport,
    TextDelta,
    TurnResult,
    TurnStatus,
    UsageReport,
)
from desktop_app.routing.plan import TurnPlan, plan_for
from desktop_app.routing.tiers import Tier
from desktop_app.services import format as fmt
from desktop_app.services.tasks import StreamGroup
from desktop_app.store import StoredMessage, StoreError, Totals
from desktop_app.ui.chat.context import ChatContext
from desktop_app.ui.chat.conversation_page import ConversationPage
from desktop_app.ui.chat.spending_gate import SpendingGate
from desktop_app.ui.chat.transcript import Actions, Entry, Transcript
from desktop_app.ui.widgets.a11y import announce

if TYPE_CHECKING:
    from desktop_app.render.markdown import MarkdownRenderer
    from desktop_app.services.chat import ChatService, Turn, TurnEvent
    from desktop_app.services.resilience import RetryNotice
    from desktop_app.services.tools.executor import ToolExecutor
    from desktop_app.services.tools.specs import Approval, Decision, ToolOutcome

REPLY = "reply"  # the tab's one stream slot
DRAFT_SAVE_MS = 800  # the composer's text is saved this long after the last keystroke
ESTIMATE_MS = 300  # the likely cost is estimated again this long after the last keystroke


class ConversationController(QObject):
    streaming_changed = Signal(bool)
    turn_finished = Signal()  # a reply ended (any status): totals and history changed
    tier_changed = Signal(str)
    title_changed = Signal(str)
    reachable = Signal(bool)  # whether the last turn reached the server
    compare_requested = Signal(str, str)  # a prompt and its reply's tier: open a comparison

    def __init__(
        self,
        conversation_id: int | None,
        page: ConversationPage,
        ctx: ChatContext,
        tier_id: str,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.conversation_id = conversation_id
        self.page = page
        self._ctx = ctx
        self.streams = StreamGroup(ctx.runner, f"tab:{id(self)}")
        self.transcript = Transcript(
            page.chat,
            ctx.renderer(),
            Actions(
                self.edit_last_prompt,
                self.regenerate,
                lambda: [(t.id, t.label) for t in ctx.tiers],
                ctx.tier_label,
                self.compare_from,
            ),
            ctx.after_first_frame,
        )
        self.pending_title = ""  # a name given before the first message created the conversation
        self.tier_id = tier_id
        self._loader: Callable[[], list[StoredMessage] | None] | None = None
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_SAVE_MS)
        self._draft_timer.timeout.connect(self.save_draft)
        self.spending = SpendingGate(
            page.composer, ctx, lambda: [e.content for e in self.entries if e.content]
        )
        self._estimate_timer = QTimer(self)
        self._estimate_timer.setSingleShot(True)
        self._estimate_timer.setInterval(ESTIMATE_MS)
        self._estimate_timer.timeout.connect(self.update_estimate)
        page.shown.connect(self.transcript.refresh_appearance)
        page.tier_selector.select(tier_id)
        self._show_tier_hint()
        page.tier_changed.connect(self._on_tier_changed)
        page.tier_selector.pick_model_requested.connect(self._pick_model)
        page.tier_selector.new_pool_requested.connect(ctx.edit_pools)
        page.composer.send.connect(self.send)
        page.composer.stop.connect(self.stop)
        page.composer.input.textChanged.connect(self._draft_timer.start)
        page.composer.input.textChanged.connect(self._estimate_timer.start)
        self.tools_on = ctx.tools is not None and ctx.settings.current.tools.offer_in_new_tabs
        page.tools_toggle.setVisible(ctx.tools is not None)
        page.tools_toggle.setChecked(self.tools_on)
        page.tools_toggle.toggled.connect(self._set_tools)
        self.update_total()

    # --- state -------------------------------------------------------------------------------
    @property
    def entries(self) -> list[Entry]:
        return self.transcript.entries

    @property
    def streaming(self) -> bool:
        return self.streams.running()

    @property
    def _service(self) -> ChatService:
        return self._ctx.service()

    def tier(self) -> Tier | None:
        """The tab's tier; None when it names a pool that was deleted (the tab says so and
        sends nothing until another is chosen: never a silent switch)."""
        try:
            return self._ctx.tiers.get(self.tier_id)
        except KeyError:
            return None

    def _plan(self, tier: Tier) -> TurnPlan:
        return plan_for(tier, demo=self._ctx.session.demo)

    def load_later(self, loader: Callable[[], list[StoredMessage] | None]) -> None:
        """A restored tab that is not on screen: its messages load when it is first shown.

        Building every restored tab's widgets and Markdown made a returning user wait about a
        second for the window.
        """
        self._loader = loader

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

    def load(self, messages: list[StoredMessage]) -> None:
        """Show a stored conversation (a restored tab, or opened from history)."""
        self.transcript.load(messages)

    def _on_tier_changed(self, tier_id: str) -> None:
        self.tier_id = tier_id
        if self.conversation_id is not None:
            try:
                self._ctx.store.set_conversation_tier(self.conversation_id, tier_id)
            except StoreError as exc:
                self._ctx.messages.error(f"Could not save the tier: {exc}")
        self._show_tier_hint()
        self.update_estimate()
        self.tier_changed.emit(tier_id)

    def _set_tools(self, on: bool) -> None:
        self.tools_on = on

    def _tool_plan(self, plan: TurnPlan) -> tuple[TurnPlan | None, bool, str | None]:
        """(the plan, whether the turn offers tools, a note on candidates left out); the
        plan is None when no candidate can call tools, and the user has been told so."""
        if not self.tools_on or self._ctx.tools is None:
            return plan, False, None
        if not self._ctx.tools().has_enabled_tools():
            return plan, False, None
        from desktop_app.routing.plan import restrict_to_tools

        routing = restrict_to_tools(plan, self._ctx.supports_tools)
        if routing.plan is None:
            self._ctx.messages.error(
                f"Not sent: {routing.problem} Turn Tools off for this conversation, or choose "
                "a tier whose models can call tools (Use case: Function calling)."
            )
            return None, True, None
        return routing.plan, True, routing.note

    def _show_tier_hint(self) -> None:
        tier = self.tier()
        if tier is None:
            self.page.set_tier_hint(
                f"The pool “{self.tier_id}” was deleted: choose a tier or pool to send with."
            )
        else:
            self.page.set_tier_hint(tier.routing_summary())

    def tiers_changed(self) -> None:
        """Pools were added, renamed or deleted: the selector and the hint follow."""
        self.page.tier_selector.set_tiers(self._ctx.tiers)
        self.page.tier_selector.select(self.tier_id)
        self._show_tier_hint()

    def _pick_model(self) -> None:
        def chosen(model_id: str) -> None:
            self.page.tier_selector.select(f"model:{model_id}")
            self._on_tier_changed(f"model:{model_id}")

        self._ctx.pick_model(chosen)

    def _missing_tier(self) -> bool:
        if self.tier() is not None:
            return False
        self._ctx.messages.error(
            f"This tab's pool “{self.tier_id}” was deleted. Choose a tier or pool in the "
            "selector, then send again."
        )
        return True

    def totals(self) -> Totals | None:
        """What the conversation's replies cost (None before its first message)."""
        if self.conversation_id is None:
            return None
        try:
            return self._ctx.store.totals(self.conversation_id)
        except StoreError as exc:
            self._ctx.messages.error(f"Could not read this conversation's total: {exc}")
            return None

    def update_total(self) -> None:
        """The tab's total from the store: what every reply of it cost, unknown costs named."""
        totals = self.totals()
        if totals is None:
            self.page.total_label.setText("This conversation: no replies yet")
            return
        self.page.total_label.setText(
            f"This conversation: {fmt.spend(totals)} · {fmt.replies(totals.turns)}"
        )

    def update_estimate(self) -> None:
        """The composer's likely cost of sending what is typed, with this tab's tier."""
        self._estimate_timer.stop()
        tier = self.tier()
        prompt = self.page.composer.input.toPlainText()
        self.spending.show_estimate(self._plan(tier) if tier is not None else None, prompt)

    def save_draft(self) -> None:
        """Keep the composer's text with the conversation (restored with the tab)."""
        self._draft_timer.stop()
        if self.conversation_id is None:
            return
        try:
            self._ctx.store.save_draft(self.conversation_id, self.page.composer.input.toPlainText())
        except StoreError as exc:
            self._ctx.messages.error(f"Could not save your unsent message: {exc}")

    # --- actions -----------------------------------------------------------------------------
    def send(self, prompt: str) -> None:
        """Send, once the spending limits allow it (at the limit the user is asked, or told
        why not)."""
        if self.streaming or not prompt.strip() or self._missing_tier():
            return
        if self.spending.dialog is not None:
            return  # the question about the last one is on screen
        tier = self.tier()
        assert tier is not None
        plan, use_tools, note = self._tool_plan(self._plan(tier))
        if plan is None:
            return  # said why; the prompt stays in the composer
        self.spending.check(plan, prompt, lambda p: self._send(prompt, p, use_tools, note))

    def _send(self, prompt: str, plan: TurnPlan, use_tools: bool, note: str | None) -> None:
        if self.streaming:
            return
        first = not any(e.role == "user" for e in self.entries)
        store = self._ctx.store
        try:
            if self.conversation_id is None:
                self.conversation_id = store.create_conversation(
                    self.pending_title, tier_id=self.tier_id
                )
            turn = self._service.start_turn(self.conversation_id, prompt, plan)
        except StoreError as exc:
            # Nothing goes out unsaved; the prompt stays in the composer.
            self._ctx.messages.error(f"Not sent: your message could not be saved ({exc}).")
            return
        self.page.composer.input.clear()
        self.save_draft()
        self.transcript.add_user(prompt, turn.user_message_id)
        if first:
            self.title_changed.emit(store.get_conversation(self.conversation_id).display_title)
        reply = self.transcript.add_reply(plan, turn.reply_id)
        self._launch(reply, turn, use_tools, note)

    def regenerate(self, reply: Entry, tier_id: str | None = None) -> None:
        """Answer the last prompt again (with this tab's current tier unless given)."""
        if self.streaming or reply not in self.entries:
            return
        idx = self.entries.index(reply)
        user = next((e for e in reversed(self.entries[:idx]) if e.role == "user"), None)
        if user is None or user.db_id is None or self.conversation_id is None:
            return
        if not tier_id and self._missing_tier():
            return
        tier = self._ctx.tiers.get(tier_id) if tier_id else self.tier()
        assert tier is not None
        plan, use_tools, note = self._tool_plan(self._plan(tier))
        if plan is None or self.spending.dialog is not None:
            return
        self.spending.check(plan, "", lambda p: self._regenerate(reply, user, p, use_tools, note))

    def _regenerate(
        self, reply: Entry, user: Entry, plan: TurnPlan, use_tools: bool, note: str | None
    ) -> None:
        if self.streaming or reply not in self.entries or self.conversation_id is None:
            return
        assert user.db_id is not None
        try:
            turn = self._service.start_turn(self.conversation_id, None, plan, parent_id=user.db_id)
        except StoreError as exc:
            self._ctx.messages.error(f"Could not start the reply: {exc}")
            return
        self.transcript.remove(reply)
        self._launch(self.transcript.add_reply(plan, turn.reply_id), turn, use_tools, note)
        self.page.composer.input.setFocus()  # its button went with the old reply

    def compare_from(self, reply: Entry) -> None:
        """Regenerate's "Compare with…": the prompt this reply answered, in a new comparison
        whose first column is the reply's tier."""
        if reply not in self.entries:
            return
        idx = self.entries.index(reply)
        user = next((e for e in reversed(self.entries[:idx]) if e.role == "user"), None)
        if user is not None:
            tier_id = reply.plan.tier_id if reply.plan is not None else self.tier_id
            self.compare_requested.emit(user.content, tier_id)

    def edit_last_prompt(self, user: Entry) -> None:
        """Put the last prompt back in the composer and take the turn off the conversation."""
        if self.streaming or user not in self.entries:
            return
        removed = self.transcript.remove_from(user)
        self._service.recorder.remove_messages([e.db_id for e in removed if e.db_id is not None])
        self.page.composer.input.setPlainText(user.content)
        self.page.composer.input.setFocus()
        self.transcript.refresh_actions()
        self.update_total()

    def stop(self) -> None:
        self.streams.cancel_all()

    def close(self) -> None:
        """The tab is closing: stop its reply (kept as stopped) and keep its unsent text."""
        self.stop()
        self.save_draft()

    def _launch(
        self, reply: Entry, turn: Turn, use_tools: bool = False, note: str | None = None
    ) -> None:
        self.transcript.begin_stream(reply)
        self.page.composer.set_streaming(True)
        if note:
            self._note(reply, note)
        self.streams.start(
            REPLY, self._run(reply, turn, use_tools), lambda: self._settle(reply, turn)
        )
        self.streaming_changed.emit(True)
        self.transcript.refresh_actions(busy=True)
        self.page.chat.scroll_to_end()

    async def _run(self, reply: Entry, turn: Turn, use_tools: bool = False) -> None:
        try:
            tools = await self._tools_for(reply) if use_tools else None
            await self._service.run(
                turn,
                lambda event: self._on_event(reply, turn, event),
                max_tokens=self._ctx.settings.current.max_tokens,
                on_retry=lambda notice: self._on_retry(reply, notice),
                tools=tools,
            )
        finally:
            self._settle(reply, turn)

    def _settle(self, reply: Entry, turn: Turn) -> None:
        """The turn is stored as it ended; the tab shows it unless it was closed meanwhile
        (closing cancels the reply and deletes the page before the cancellation lands)."""
        result = self._service.settle(turn)
        if isValid(self) and isValid(self.page):
            self._ended(reply, result, turn)

    async def _tools_for(self, reply: Entry) -> ToolExecutor | None:
        """The turn's tools: the enabled ones (MCP servers start now if needed); a server
        that cannot start is said on the reply and the others are offered."""
        assert self._ctx.tools is not None
        service = self._ctx.tools()
        if service.has_servers():
            self._note(reply, "Getting the tools ready…")
        specs, problems = await service.enabled_specs()
        if reply.widget is not None and service.has_servers():
            reply.ui.show_error(None)
        for problem in problems:
            self._note(reply, problem)
        if not specs:
            return None
        return service.executor(
            specs,
            lambda outcome, choices: self._approve(reply, outcome, choices),
            self.conversation_id,
        )

    async def _approve(
        self, reply: Entry, outcome: ToolOutcome, choices: tuple[Decision, ...]
    ) -> Approval:
        """Ask in the reply itself (the tool's block shows the approval panel) and wait."""
        from desktop_app.services.tools.specs import Approval
        from desktop_app.ui.chat.tool_block import tool_panel

        panel = tool_panel(reply.ui)
        assert panel is not None
        block = panel.blocks[outcome.call_id]
        answer: asyncio.Future[Approval] = asyncio.get_running_loop().create_future()

        def answered(approval: object) -> None:
            if not answer.done() and isinstance(approval, Approval):
                answer.set_result(approval)

        block.answered.connect(answered)
        block.ask(
            [c.value for c in choices],
            pick_file=outcome.spec is not None and outcome.spec.confirm_path,
        )
        self.page.chat.ensureWidgetVisible(block)
        try:
            return await answer
        finally:
            if isValid(block):
                block.answered.disconnect(answered)
                block.close_approval()

    def _note(self, reply: Entry, text: str) -> None:
        """A note on the reply (tools left out, a server that did not start); notes add up."""
        if reply.widget is None:
            return
        label = reply.ui.error_label
        shown = label.text() if label.isVisible() else ""
        reply.ui.status_note(f"{shown}\n{text}" if shown and text not in shown else text)

    def _ended(self, reply: Entry, result: TurnResult | None, turn: Turn) -> None:
        if result is not None:
            self.transcript.finish_reply(
                reply,
                result,
                retries=turn.retries,
                fallback=turn.fallback_used,
                requests=turn.requests,
            )
            connect_failed = result.error is not None and result.error.kind is ErrorKind.CONNECT
            self.reachable.emit(not connect_failed)
            self._announce_end(reply, result)
        self.page.composer.set_streaming(False)
        self.streaming_changed.emit(False)
        self.transcript.refresh_actions(busy=False)
        self.update_total()
        self.turn_finished.emit()

    def _announce_end(self, reply: Entry, result: TurnResult) -> None:
        """One sentence for screen readers when a reply ends (the text itself is not read
        out as it streams): who answered, what it cost and how long it took, or what went
        wrong and what to do."""
        b = reply.badge
        if result.status is TurnStatus.COMPLETE:
            who = b.model or "an unknown model"
            sentence = (
                f"Reply from {who}, {fmt.spoken_money(b.cost_usd, b.cost_source)}, "
                f"{fmt.spoken_duration(b.total_ms)}"
            )
            announce(reply.ui.view, sentence + (" (demo)" if b.demo else ""))
        elif result.status is TurnStatus.STOPPED:
            announce(reply.ui.view, "Reply stopped; what arrived is kept")
        elif result.error is not None:
            sentence = fmt.error_sentence(result.error, bool(result.text))
            announce(reply.ui.view, sentence, assertive=True)

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
        announce(reply.ui.view, notice.describe())

    def _on_event(self, reply: Entry, turn: Turn, event: TurnEvent) -> None:
        b = reply.badge
        badge = reply.ui.badge
        assert badge is not None
        if isinstance(event, TextDelta):
            if b.ttft_ms is None:  # from the user's send, as the service times it
                b.ttft_ms = turn.ttft_ms
                badge.show_state(b)
            reply.ui.view.append_stream(event.text)
        elif isinstance(event, RoutedModel):
            b.model = event.model
            badge.show_state(b)
        elif isinstance(event, RoutingReport):  # a later report corrects the first
            b.routing = event.info
            badge.show_state(b)
        elif isinstance(event, UsageReport):
            b.prompt_tokens = event.usage.prompt_tokens
            b.completion_tokens = event.usage.completion_tokens
        elif isinstance(event, CostReport):
            b.cost_usd, b.cost_source = event.usd, event.source
        else:
            self._on_tool_event(reply, event)

    def _on_tool_event(self, reply: Entry, event: object) -> None:
        """The tool loop's events: blocks per round, their states, follow-ups, notes."""
        from desktop_app.services.tools.executor import FollowUp, ToolNote, ToolProgress, ToolRound
        from desktop_app.ui.chat.tool_block import tool_panel

        if isinstance(event, ToolRound):
            panel = tool_panel(reply.ui)
            assert panel is not None
            panel.add_round(event.text, event.outcomes)
            reply.tool_rounds.append((event.text, event.outcomes))
            reply.ui.view.begin_stream()  # what the model said went into the round
        elif isinstance(event, ToolProgress):
            panel = tool_panel(reply.ui, create=False)
            if panel is not None:
                panel.update(event.outcome)
        elif isinstance(event, FollowUp):
            reply.badge.requests = event.number
            assert reply.ui.badge is not None
            reply.ui.badge.show_state(reply.badge)
        elif isinstance(event, ToolNote):
            self._note(reply, event.text)

    # --- appearance --------------------------------------------------------------------------
    def set_renderer(self, renderer: MarkdownRenderer) -> None:
        self.transcript.set_renderer(renderer, self.page.isVisible())
