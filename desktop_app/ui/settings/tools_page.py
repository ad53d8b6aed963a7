"""Settings → Tools: the built-in tools, MCP servers (command, arguments, environment; import
of the `mcpServers` JSON other clients use; their tools enabled one by one) and the standing
permissions, each revocable. Opened with open(), never exec(); the editors are inline.

`ToolsPage` draws and emits what the user asked for; `ToolsSettings` (the controller) changes
the `ToolService` and starts the one piece of async work (starting a server to list its
tools) on the app's task runner.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

if TYPE_CHECKING:
    from desktop_app.services.tasks import TaskRunner
    from desktop_app.services.tools.config import ServerConfig
    from desktop_app.services.tools.mcp import McpTool
    from desktop_app.services.tools.policy import Grant
    from desktop_app.services.tools.service import ToolService
    from desktop_app.services.tools.specs import ToolSpec


def _button(text: str, name: str, tip: str, parent: QWidget) -> QPushButton:
    button = QPushButton(text, parent)
    button.setObjectName(name)
    button.setToolTip(tip)
    button.setAccessibleName(text.replace("&", "").rstrip("…"))
    return button


def parse_env(text: str) -> dict[str, str]:
    """`KEY=VALUE` lines (blank lines and `#` comments skipped); ValueError names a bad line."""
    env: dict[str, str] = {}
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"Environment line {n} is not KEY=VALUE.")
        env[key.strip()] = value
    return env


class ToolsPage(QDialog):
    """What Settings → Tools shows; every change is a signal for `ToolsSettings`."""

    builtin_toggled = Signal(str, bool)  # tool key, enabled
    server_saved = Signal(object, str)  # ServerConfig, the name it replaces ("" for a new one)
    server_removed = Signal(str)
    list_requested = Signal(str)  # a server's name: start it and list its tools
    server_tool_toggled = Signal(str, str, bool)  # server, tool, enabled
    import_requested = Signal(str)  # mcpServers JSON
    revoke_requested = Signal(object)  # a Grant

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tools_dialog")
        self.setWindowTitle("Tools")
        self.resize(720, 680)
        outer = QVBoxLayout(self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        body = QWidget(scroll)
        layout = QVBoxLayout(body)
        scroll.setWidget(body)
        outer.addWidget(scroll)

        # built-in tools
        builtin = QGroupBox("Built-in tools", body)
        self.builtin_layout = QVBoxLayout(builtin)
        self.builtin_boxes: dict[str, QCheckBox] = {}
        note = QLabel(
            "The calculator, date and time, and unit tools only compute (no files, no network) "
            "and run without asking unless Preferences → Tools says otherwise. Reading a file "
            "always asks you to confirm the exact file.",
            builtin,
        )
        note.setWordWrap(True)
        self.builtin_layout.addWidget(note)
        layout.addWidget(builtin)

        # MCP servers
        servers = QGroupBox("MCP servers (local, started when first needed)", body)
        sl = QVBoxLayout(servers)
        self.server_list = QListWidget(servers)
        self.server_list.setObjectName("mcp_servers")
        self.server_list.setAccessibleName("MCP servers")
        self.server_list.setMaximumHeight(120)
        sl.addWidget(self.server_list)
        row = QHBoxLayout()
        self.add_button = _button("&Add…", "add_server", "Add an MCP server", servers)
        self.edit_button = _button("&Edit…", "edit_server", "Edit the selected server", servers)
        self.remove_button = _button(
            "&Remove", "remove_server", "Remove the selected server and its permissions", servers
        )
        self.list_button = _button(
            "&Start and list its tools",
            "list_server_tools",
            "Start the selected server and list its tools, to enable them one by one",
            servers,
        )
        self.import_button = _button(
            "&Import mcpServers JSON…",
            "import_servers",
            "Paste the mcpServers configuration of Claude Desktop, Cursor or another client",
            servers,
        )
        for b in (
            self.add_button,
            self.edit_button,
            self.remove_button,
            self.list_button,
            self.import_button,
        ):
            row.addWidget(b)
        row.addStretch(1)
        sl.addLayout(row)
        self.server_status = QLabel(servers)
        self.server_status.setObjectName("server_status")
        self.server_status.setWordWrap(True)
        sl.addWidget(self.server_status)
        tools_label = QLabel("Tools of the selected server (each one enabled separately):")
        sl.addWidget(tools_label)
        self.server_tools = QListWidget(servers)
        self.server_tools.setObjectName("mcp_server_tools")
        self.server_tools.setAccessibleName("Tools of the selected server")
        self.server_tools.setMaximumHeight(140)
        tools_label.setBuddy(self.server_tools)
        sl.addWidget(self.server_tools)

        # the inline server editor
        self.editor = QGroupBox("Server", servers)
        self.editor.setObjectName("server_editor")
        form = QFormLayout(self.editor)
        self.name_edit = QLineEdit(self.editor)
        self.name_edit.setAccessibleName("Server name")
        self.command_edit = QLineEdit(self.editor)
        self.command_edit.setAccessibleName("Command")
        self.command_edit.setPlaceholderText("e.g. npx or /usr/bin/python3")
        self.args_edit = QLineEdit(self.editor)
        self.args_edit.setAccessibleName("Arguments")
        self.args_edit.setPlaceholderText("e.g. -y @modelcontextprotocol/server-filesystem ~/notes")
        self.env_edit = QPlainTextEdit(self.editor)
        self.env_edit.setAccessibleName("Environment, one KEY=VALUE per line")
        self.env_edit.setTabChangesFocus(True)
        self.env_edit.setFixedHeight(64)
        self.enabled_box = QCheckBox("&Enabled", self.editor)
        for label, widget in (
            ("&Name:", self.name_edit),
            ("&Command:", self.command_edit),
            ("Ar&guments:", self.args_edit),
            ("En&vironment:", self.env_edit),
        ):
            caption = QLabel(label, self.editor)
            caption.setBuddy(widget)
            form.addRow(caption, widget)
        form.addRow("", self.enabled_box)
        buttons = QHBoxLayout()
        self.save_server_button = _button("Sa&ve server", "save_server", "Keep it", self.editor)
        self.cancel_server_button = _button(
            "Cance&l", "cancel_server", "Leave it as it was", self.editor
        )
        buttons.addWidget(self.save_server_button)
        buttons.addWidget(self.cancel_server_button)
        buttons.addStretch(1)
        form.addRow(buttons)
        self.editor.setVisible(False)
        sl.addWidget(self.editor)

        # the inline import box
        self.import_box = QGroupBox("Import mcpServers JSON", servers)
        self.import_box.setObjectName("import_box")
        il = QVBoxLayout(self.import_box)
        self.import_text = QPlainTextEdit(self.import_box)
        self.import_text.setObjectName("import_text")
        self.import_text.setAccessibleName("mcpServers JSON to import")
        self.import_text.setPlaceholderText(
            '{"mcpServers": {"name": {"command": "…", "args": []}}}'
        )
        self.import_text.setTabChangesFocus(True)
        il.addWidget(self.import_text)
        self.do_import_button = _button(
            "Import these ser&vers", "do_import", "Add the servers above", self.import_box
        )
        il.addWidget(self.do_import_button)
        self.import_box.setVisible(False)
        sl.addWidget(self.import_box)
        layout.addWidget(servers)

        # permissions
        grants = QGroupBox("Permissions you gave", body)
        gl = QVBoxLayout(grants)
        self.grant_list = QListWidget(grants)
        self.grant_list.setObjectName("tool_grants")
        self.grant_list.setAccessibleName("Tools allowed without asking")
        self.grant_list.setMaximumHeight(110)
        gl.addWidget(self.grant_list)
        self.revoke_button = _button(
            "Re&voke", "revoke_grant", "Ask again before running this tool", grants
        )
        gl.addWidget(self.revoke_button)
        layout.addWidget(grants)

        self.message = QLabel(self)
        self.message.setObjectName("tools_message")
        self.message.setWordWrap(True)
        outer.addWidget(self.message)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        outer.addWidget(close)

        self._servers: list[ServerConfig] = []
        self._editing: str | None = None  # the name of the server being edited ("" new)
        self._grants: list[Grant] = []
        self._listed_for: str | None = None
        self._filling = False
        self.add_button.clicked.connect(lambda: self.edit_server(None))
        self.edit_button.clicked.connect(
            lambda: self.edit_server(self.selected_server()) if self.selected_server() else None
        )
        self.remove_button.clicked.connect(self._remove)
        self.list_button.clicked.connect(self._list)
        self.import_button.clicked.connect(self._show_import)
        self.do_import_button.clicked.connect(
            lambda: self.import_requested.emit(self.import_text.toPlainText())
        )
        self.save_server_button.clicked.connect(self._save_server)
        self.cancel_server_button.clicked.connect(lambda: self.editor.setVisible(False))
        self.revoke_button.clicked.connect(self._revoke)
        self.server_list.currentRowChanged.connect(lambda _row: self._selection_changed())
        self.server_tools.itemChanged.connect(self._tool_item_changed)

    # --- filling ----------------------------------------------------------------------------
    def show_builtin(self, specs: Sequence[ToolSpec], enabled: Sequence[bool]) -> None:
        for spec, on in zip(specs, enabled, strict=True):
            box = self.builtin_boxes.get(spec.key)
            if box is None:
                box = QCheckBox(f"{spec.key}: {spec.description.split('. ')[0]}", self)
                box.setObjectName(f"builtin_{spec.key}")
                box.setAccessibleName(f"Built-in tool {spec.key}")
                box.setToolTip(spec.description)
                box.toggled.connect(lambda on, k=spec.key: self.builtin_toggled.emit(k, on))
                self.builtin_layout.addWidget(box)
                self.builtin_boxes[spec.key] = box
            box.blockSignals(True)
            box.setChecked(on)
            box.blockSignals(False)

    def show_servers(self, servers: Sequence[ServerConfig]) -> None:
        current = self.selected_server()
        self._servers = list(servers)
        self.server_list.clear()
        for s in servers:
            line = " ".join([s.command, *s.args])
            state = "" if s.enabled else " (off)"
            enabled = f" · {len(s.tools)} tool{'s' if len(s.tools) != 1 else ''} enabled"
            self.server_list.addItem(f"{s.name}{state}: {line}{enabled}")
        names = [s.name for s in servers]
        if current is not None and current.name in names:
            self.server_list.setCurrentRow(names.index(current.name))
        elif servers:
            self.server_list.setCurrentRow(0)
        self._selection_changed()

    def show_grants(self, grants: Sequence[Grant]) -> None:
        self._grants = list(grants)
        self.grant_list.clear()
        for g in grants:
            self.grant_list.addItem(f"{g.key}: allowed without asking {g.scope}")
        if not grants:
            self.grant_list.addItem("None: every tool that needs approval asks first.")
        self.revoke_button.setEnabled(bool(grants))

    def show_server_tools(
        self, server: str, tools: Sequence[McpTool], enabled: Sequence[str]
    ) -> None:
        """The tools a server listed, each checkable (checked: offered to the model)."""
        self._listed_for = server
        self._filling = True
        self.server_tools.clear()
        for tool in tools:
            item = QListWidgetItem(
                f"{tool.name}: {tool.description.splitlines()[0] if tool.description else ''}"
            )
            item.setData(Qt.ItemDataRole.UserRole, tool.name)
            item.setToolTip(tool.description or tool.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                Qt.CheckState.Checked if tool.name in enabled else Qt.CheckState.Unchecked
            )
            self.server_tools.addItem(item)
        self._filling = False
        self.server_status.setText(
            f"{server} is running and offers {len(tools)} tool{'s' if len(tools) != 1 else ''}; "
            "tick those the model may call (each asks before it runs unless you allow it)."
        )

    def say(self, text: str) -> None:
        self.message.setText(text)

    def server_problem(self, text: str) -> None:
        self.server_status.setText(text)

    # --- reading ----------------------------------------------------------------------------
    def selected_server(self) -> ServerConfig | None:
        row = self.server_list.currentRow()
        return self._servers[row] if 0 <= row < len(self._servers) else None

    def _selection_changed(self) -> None:
        server = self.selected_server()
        for b in (self.edit_button, self.remove_button, self.list_button):
            b.setEnabled(server is not None)
        if server is None or server.name != self._listed_for:
            self._filling = True
            self.server_tools.clear()
            self._filling = False
            self._listed_for = None
            if server is not None:
                enabled = ", ".join(server.tools) or "none yet"
                self.server_status.setText(
                    f"Enabled tools of {server.name}: {enabled}. Start it to list all its tools."
                )
            else:
                self.server_status.setText("No MCP server yet: add one or import a configuration.")

    def edit_server(self, server: ServerConfig | None) -> None:
        """Open the inline editor (None: a new server)."""
        self.import_box.setVisible(False)
        self._editing = server.name if server else ""
        self.name_edit.setText(server.name if server else "")
        self.command_edit.setText(server.command if server else "")
        self.args_edit.setText(shlex.join(server.args) if server else "")
        self.env_edit.setPlainText(
            "\n".join(f"{k}={v}" for k, v in server.env.items()) if server else ""
        )
        self.enabled_box.setChecked(server.enabled if server else True)
        self.editor.setVisible(True)
        self.name_edit.setFocus()

    def _save_server(self) -> None:
        from desktop_app.services.tools.config import ServerConfig

        try:
            args = tuple(shlex.split(self.args_edit.text()))
            env = parse_env(self.env_edit.toPlainText())
        except ValueError as exc:
            self.say(f"Not saved: {exc}")
            return
        old = next((s for s in self._servers if s.name == self._editing), None)
        server = ServerConfig(
            name=self.name_edit.text().strip(),
            command=self.command_edit.text().strip(),
            args=args,
            env=env,
            enabled=self.enabled_box.isChecked(),
            tools=old.tools if old else (),
        )
        self.server_saved.emit(server, self._editing or "")

    def server_saved_ok(self) -> None:
        self.editor.setVisible(False)
        self.import_box.setVisible(False)

    def _remove(self) -> None:
        server = self.selected_server()
        if server is not None:
            self.server_removed.emit(server.name)

    def _list(self) -> None:
        server = self.selected_server()
        if server is not None:
            self.server_status.setText(f"Starting {server.name}…")
            self.list_requested.emit(server.name)

    def _show_import(self) -> None:
        self.editor.setVisible(False)
        self.import_box.setVisible(True)
        self.import_text.setFocus()

    def _revoke(self) -> None:
        row = self.grant_list.currentRow()
        if 0 <= row < len(self._grants):
            self.revoke_requested.emit(self._grants[row])

    def _tool_item_changed(self, item: QListWidgetItem) -> None:
        if self._filling or self._listed_for is None:
            return
        name = str(item.data(Qt.ItemDataRole.UserRole))
        on = item.checkState() == Qt.CheckState.Checked
        self.server_tool_toggled.emit(self._listed_for, name, on)


class ToolsSettings(QObject):
    """Settings → Tools' controller: one page at a time, changes kept by the `ToolService`."""

    def __init__(self, service: ToolService, runner: TaskRunner, parent: QWidget) -> None:
        super().__init__(parent)
        self.service = service
        self.runner = runner
        self._window = parent
        self.page: ToolsPage | None = None

    def show(self) -> ToolsPage:
        if self.page is not None:
            self.page.raise_()
            self.page.activateWindow()
            return self.page
        page = ToolsPage(self._window)
        self.page = page
        page.builtin_toggled.connect(self._builtin)
        page.server_saved.connect(self._save_server)
        page.server_removed.connect(self._remove)
        page.list_requested.connect(self._list)
        page.server_tool_toggled.connect(self._tool_toggled)
        page.import_requested.connect(self._import)
        page.revoke_requested.connect(self._revoke)
        page.finished.connect(self._closed)
        self.service.subscribe(self.refresh)
        self.refresh()
        page.open()
        return page

    def _closed(self) -> None:
        self.service.unsubscribe(self.refresh)
        page, self.page = self.page, None
        if page is not None:
            page.deleteLater()

    def refresh(self) -> None:
        page = self.page
        if page is None:
            return
        specs = self.service.builtin
        page.show_builtin(specs, [self.service.builtin_enabled(s.key) for s in specs])
        page.show_servers(self.service.config.servers)
        page.show_grants(self.service.policy.grants())

    def _said(self, problem: str | None, ok: str) -> None:
        if self.page is not None:
            self.page.say(problem or ok)

    def _builtin(self, key: str, on: bool) -> None:
        self._said(self.service.set_builtin_enabled(key, on), f"{key} {'on' if on else 'off'}.")

    def _save_server(self, server: ServerConfig, replacing: str) -> None:
        from desktop_app.services.tools.config import ToolsConfigError

        try:
            config = self.service.config.with_server(server, replacing=replacing or None)
        except ToolsConfigError as exc:
            self._said(None, f"Not saved: {exc}")
            return
        self._said(self.service.save(config), f"Server {server.name} saved.")
        if self.page is not None:
            self.page.server_saved_ok()

    def _remove(self, name: str) -> None:
        self._said(
            self.service.save(self.service.config.without_server(name)),
            f"Server {name} removed, with its permissions.",
        )
        self.runner.start(f"mcp-stop:{name}", self.service.host.stop_server(name), replace=True)

    def _list(self, name: str) -> None:
        server = self.service.config.server(name)
        if server is None:
            return

        async def list_tools() -> None:
            from desktop_app.services.tools.mcp import McpProblem

            try:
                tools = await self.service.server_tools(server)
            except McpProblem as exc:
                if self.page is not None:
                    self.page.server_problem(str(exc))
                return
            current = self.service.config.server(name)
            if self.page is not None and current is not None:
                self.page.show_server_tools(name, tools, current.tools)

        self.runner.start(f"mcp-list:{name}", list_tools(), replace=True)

    def _tool_toggled(self, server_name: str, tool: str, on: bool) -> None:
        from dataclasses import replace

        server = self.service.config.server(server_name)
        if server is None:
            return
        tools = [t for t in server.tools if t != tool] + ([tool] if on else [])
        updated = replace(server, tools=tuple(tools))
        self._said(
            self.service.save(self.service.config.with_server(updated, replacing=server_name)),
            f"{server_name}/{tool} {'enabled' if on else 'disabled'}.",
        )

    def _import(self, text: str) -> None:
        from desktop_app.services.tools.config import (
            ToolsConfigError,
            merge_servers,
            parse_mcp_servers,
        )

        try:
            servers = parse_mcp_servers(text)
        except ToolsConfigError as exc:
            self._said(None, f"Nothing was imported: {exc}")
            return
        problem = self.service.save(merge_servers(self.service.config, servers))
        names = ", ".join(s.name for s in servers)
        self._said(problem, f"Imported {names}. Start each one to enable its tools.")
        if self.page is not None and problem is None:
            self.page.server_saved_ok()

    def _revoke(self, grant: Grant) -> None:
        self.service.policy.revoke(grant)
        self.refresh()
        self._said(None, f"{grant.key} asks again before it runs ({grant.scope} revoked).")


__all__ = ["ToolsPage", "ToolsSettings", "parse_env"]
