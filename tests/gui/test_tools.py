"""Tool turns in the window against the emulator: blocks inside the reply (collapsed, then
expanded), the inline approval panel, the pinned follow-ups, Stop during an approval, a tier
without tool-capable models, and a real MCP server (tests/support/mcp_server.py)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QPushButton
from pytestqt.qtbot import QtBot

from desktop_app.app import Composition
from desktop_app.config.paths import AppPaths
from desktop_app.config.settings import ToolLimits
from desktop_app.emulator.server import EmulatorThread
from desktop_app.services.tools.config import ServerConfig, ToolsConfig, save_tools_config
from desktop_app.ui.chat.tool_block import ToolBlock, ToolPanel, tool_panel
from tests.support.gui import finish_turn, quit_app, replies, send, start_with_key, wait_until

MCP_SERVER = Path(__file__).resolve().parents[1] / "support" / "mcp_server.py"
TOOLS_ON = ToolLimits(offer_in_new_tabs=True)


def click(qtbot: QtBot, widget: Any) -> None:
    from PySide6.QtCore import Qt

    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def chat_requests(emulator: EmulatorThread) -> list[dict[str, Any]]:
    return [r for r in emulator.server.requests if r.get("_path", "").endswith("/completions")]


async def approval_block(ctrl: Any, timeout: float = 30) -> ToolBlock:
    """The block of the last reply whose approval panel is up, once it is."""

    def waiting() -> ToolBlock | None:
        panel = tool_panel(replies(ctrl)[-1].ui, create=False) if replies(ctrl) else None
        blocks = list(panel.blocks.values()) if panel is not None else []
        return next((b for b in blocks if b.approval is not None), None)

    await wait_until(lambda: waiting() is not None, timeout)
    block = waiting()
    assert block is not None
    return block


def panel_of(ctrl: Any) -> ToolPanel:
    panel = tool_panel(replies(ctrl)[-1].ui, create=False)
    assert panel is not None
    return panel


async def test_a_tool_turn_shows_its_calls_and_pins_the_routed_model(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app(tools=TOOLS_ON)
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    assert ctrl.page.tools_toggle.isChecked()
    before = len(chat_requests(emulator))
    await finish_turn(ctrl, qtbot, "What is 17 * 23, and what time is it in Tokyo?")
    reply = replies(ctrl)[-1]
    assert reply.result is not None and reply.result.error is None
    assert "391" in reply.content and "Asia/Tokyo" in reply.content

    # Two rounds, a block each, collapsed by default; a click shows everything.
    assert [len(outcomes) for _text, outcomes in reply.tool_rounds] == [1, 1]
    blocks = list(panel_of(ctrl).blocks.values())
    assert [b.outcome.name for b in blocks] == ["calculator", "datetime"]
    calc = blocks[0]
    assert not calc.details.isVisible()
    assert "calculator · 391" in calc.header.text()
    click(qtbot, calc.header)
    assert calc.details.isVisible()
    assert json.loads(calc.arguments.toPlainText()) == {"expression": "17 * 23"}
    assert calc.result.toPlainText() == "391"
    assert "built in, safe" in calc.approval_label.text()
    assert calc.header.accessibleName().startswith("Tool call calculator: done")

    # The badge: three requests, routed once; cost and tokens of all three.
    badge = reply.ui.badge
    assert badge is not None and "routed once, pinned for 3 requests" in badge.text()
    sent = chat_requests(emulator)[before:]
    assert len(sent) == 3
    assert sent[0]["model"] == "@edenai" and sent[0]["router_candidates"]
    routed = reply.badge.model
    assert routed and all(r["model"] == routed for r in sent[1:])
    assert all("router_candidates" not in r for r in sent[1:])
    assert [m["role"] for m in sent[2]["messages"]] == [
        "user", "assistant", "tool", "assistant", "tool"
    ]  # fmt: skip
    assert sent[1]["messages"][-1]["content"] == "391"
    stored = parts.store.load_messages(ctrl.conversation_id)  # type: ignore[arg-type]
    info = [m.reply for m in stored if m.reply is not None][-1]
    assert info is not None and info.requests == 3
    assert info.prompt_tokens == reply.badge.prompt_tokens

    # Restored in another view: the same blocks, from the history.
    cid = ctrl.conversation_id
    assert cid is not None
    parts.tabs.close(ctrl)
    again = parts.tabs.open_conversation(cid)
    assert again is not None and again is not ctrl
    await wait_until(lambda: replies(again) and replies(again)[-1].widget is not None)
    restored = tool_panel(replies(again)[-1].ui, create=False)
    assert restored is not None
    assert [b.outcome.name for b in restored.blocks.values()] == ["calculator", "datetime"]
    assert next(iter(restored.blocks.values())).result.toPlainText() == "391"
    await quit_app(parts)


async def test_reading_a_file_asks_first_and_deny_tells_the_model(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("buy milk\n", encoding="utf-8")
    parts = make_app(tools=TOOLS_ON)
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    send(ctrl, qtbot, f"Please read the file {notes} and tell me what it says")
    block = await approval_block(ctrl)
    approval = block.approval
    assert approval is not None and approval.isVisible()
    assert "Run read_file (built in)?" in approval.title.text()
    assert json.loads(block.arguments.toPlainText()) == {"path": str(notes)}  # in full
    assert block.details.isVisible()  # nothing hidden
    # A file is confirmed each time: no "always" for it.
    assert set(approval.buttons) == {"once", "deny", "pick"}
    assert approval.buttons["once"].hasFocus() or approval.buttons["once"].isEnabled()
    click(qtbot, approval.buttons["once"])
    await wait_until(lambda: not ctrl.streaming)
    assert block.result.toPlainText() == "buy milk\n"
    assert "you, once" in block.approval_label.text()
    assert "buy milk" in replies(ctrl)[-1].content

    send(ctrl, qtbot, f"Please read the file {notes} once more")
    block = await approval_block(ctrl)
    assert block.approval is not None
    click(qtbot, block.approval.buttons["deny"])
    await wait_until(lambda: not ctrl.streaming)
    assert block.outcome.result == "The user declined to run this tool."
    last = chat_requests(emulator)[-1]
    assert last["messages"][-1] == {
        "role": "tool",
        "tool_call_id": block.outcome.call_id,
        "content": "The user declined to run this tool.",
    }
    await quit_app(parts)


async def test_stop_during_an_approval_ends_the_turn_and_keeps_it(
    make_app: Callable[..., Composition], qtbot: QtBot, tmp_path: Path
) -> None:
    parts = make_app(tools=TOOLS_ON)
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    send(ctrl, qtbot, f"Please read the file {tmp_path / 'x.txt'}")
    block = await approval_block(ctrl)
    click(qtbot, ctrl.page.composer.stop_button)
    await wait_until(lambda: not ctrl.streaming)
    assert block.approval is None
    assert block.outcome.state == "stopped"
    stored = parts.store.load_messages(ctrl.conversation_id)  # type: ignore[arg-type]
    tool_messages = [m for m in stored if m.role == "tool"]
    assert tool_messages and tool_messages[-1].content.startswith("Stopped by the user")
    info = [m.reply for m in stored if m.reply is not None][-1]
    assert info is not None and info.status.value == "stopped"
    await quit_app(parts)


async def test_a_tier_without_tool_capable_models_says_so_before_sending(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app(tools=TOOLS_ON)
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    ctrl.page.tier_selector.select("model:perplexity/sonar")
    errors: list[str] = []
    parts.messages.connect(lambda m: errors.append(m.text))
    before = len(chat_requests(emulator))
    send(ctrl, qtbot, "What is 2 + 2?")
    assert any("cannot call tools" in e for e in errors)
    assert len(chat_requests(emulator)) == before
    assert ctrl.page.composer.input.toPlainText() == "What is 2 + 2?"
    # Tools off: the same tier sends, without tools.
    ctrl.page.tools_toggle.setChecked(False)
    await finish_turn(ctrl, qtbot, "What is 2 + 2?")
    assert "tools" not in chat_requests(emulator)[-1]
    await quit_app(parts)


async def test_an_mcp_tool_asks_with_four_choices_and_always_allow_sticks(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread, paths: AppPaths
) -> None:
    server = ServerConfig(
        "dict", sys.executable, (str(MCP_SERVER),), {}, tools=("lookup_word", "crash_now")
    )
    save_tools_config(paths.config_dir / "tools.json", ToolsConfig(servers=(server,)))
    parts = make_app(tools=TOOLS_ON)
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    send(ctrl, qtbot, "Look up the word serendipity in the dictionary")
    block = await approval_block(ctrl, 60)
    approval = block.approval
    assert approval is not None
    assert "MCP server dict" in approval.title.text()
    assert set(approval.buttons) == {"once", "conversation", "always", "deny"}
    for button in approval.buttons.values():
        assert isinstance(button, QPushButton) and button.accessibleName() and button.toolTip()
    click(qtbot, approval.buttons["always"])
    await wait_until(lambda: not ctrl.streaming, 30)
    assert "a word defined by the test dictionary" in block.outcome.result
    assert block.outcome.approval == "you, always"
    tools = parts.tools()
    assert "mcp:dict/lookup_word" in tools.policy.always
    saved = json.loads((paths.config_dir / "tools.json").read_text(encoding="utf-8"))
    assert "mcp:dict/lookup_word" in saved["always_allowed"]

    # Allowed always: the next call runs without a panel.
    await finish_turn(ctrl, qtbot, "Look up the word petrichor in the dictionary")
    block = next(iter(panel_of(ctrl).blocks.values()))
    assert block.outcome.approval == "your policy: always allowed"

    # A server that exits mid-call: an error on the block, and the turn goes on.
    send(ctrl, qtbot, "Please crash the server now")
    block = await approval_block(ctrl)
    assert block.approval is not None
    click(qtbot, block.approval.buttons["once"])
    await wait_until(lambda: not ctrl.streaming, 30)
    assert block.outcome.state == "failed"
    assert "exited" in block.outcome.result
    assert replies(ctrl)[-1].result is not None
    assert replies(ctrl)[-1].result.status.value == "complete"  # type: ignore[union-attr]
    await quit_app(parts)
    assert parts.tools().host.running() == []  # stopped on quit


async def test_settings_tools_page_adds_imports_lists_enables_and_revokes(
    make_app: Callable[..., Composition], qtbot: QtBot, paths: AppPaths
) -> None:
    from desktop_app.services.tools.policy import Grant
    from desktop_app.services.tools.specs import Decision
    from desktop_app.ui.settings.tools_page import ToolsSettings

    parts = make_app()
    service = parts.tools()
    settings = ToolsSettings(service, parts.controller.runner, parts.window)
    page = settings.show()
    assert (page.isVisible() and not page.isModal()) or page.isVisible()
    # Built-in tools, each on by default and switchable.
    assert set(page.builtin_boxes) == {"calculator", "datetime", "convert_units", "read_file"}
    page.builtin_boxes["read_file"].setChecked(False)
    assert not service.builtin_enabled("read_file")
    # A server added in the inline editor.
    click(qtbot, page.add_button)
    assert page.editor.isVisible()
    page.name_edit.setText("dict")
    page.command_edit.setText(sys.executable)
    page.args_edit.setText(f"'{MCP_SERVER}'")
    page.env_edit.setPlainText("NOTES_FILE=/tmp/never-written.txt")
    click(qtbot, page.save_server_button)
    assert [s.name for s in service.config.servers] == ["dict"]
    assert service.config.servers[0].args == (str(MCP_SERVER),)
    assert not page.editor.isVisible()
    # Import of another client's configuration.
    click(qtbot, page.import_button)
    page.import_text.setPlainText('{"mcpServers": {"files": {"command": "npx", "args": ["-y"]}}}')
    click(qtbot, page.do_import_button)
    assert [s.name for s in service.config.servers] == ["dict", "files"]
    # Start the first server, list its tools, enable one.
    page.server_list.setCurrentRow(0)
    click(qtbot, page.list_button)
    await wait_until(lambda: page.server_tools.count() == 6, 60)
    item = page.server_tools.item(0)
    assert item.text().startswith("lookup_word")
    from PySide6.QtCore import Qt

    item.setCheckState(Qt.CheckState.Checked)
    assert service.config.server("dict").tools == ("lookup_word",)  # type: ignore[union-attr]
    # A standing permission, listed and revoked.
    from desktop_app.services.tools.mcp import McpTool
    from desktop_app.services.tools.service import mcp_spec

    spec = mcp_spec("dict", McpTool("lookup_word", "", {}))
    service.policy.remember(spec, Decision.ALLOW_ALWAYS, None)
    assert page.grant_list.item(0).text().startswith("mcp:dict/lookup_word")
    page.grant_list.setCurrentRow(0)
    click(qtbot, page.revoke_button)
    assert service.policy.grants() == []
    assert Grant("mcp:dict/lookup_word", None) not in service.policy.grants()
    # Removing a server takes its tools and stops it.
    page.server_list.setCurrentRow(0)
    click(qtbot, page.remove_button)
    assert [s.name for s in service.config.servers] == ["files"]
    await wait_until(lambda: service.host.running() == [], 30)
    saved = json.loads((paths.config_dir / "tools.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in saved["servers"]] == ["files"]
    assert saved["disabled_builtin"] == ["read_file"]
    for widget in (page.add_button, page.list_button, page.revoke_button, page.server_tools):
        assert widget.accessibleName()
    page.reject()
    await quit_app(parts)
