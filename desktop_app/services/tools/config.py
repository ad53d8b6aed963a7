"""Settings → Tools, kept in tools.json beside settings.json: which built-in tools are on, the
MCP servers (command, arguments, environment, which of their tools are enabled) and the
"always allow" policies. Saved atomically, readable only by the user (a server's environment
may hold its own tokens). Also reads the `mcpServers` JSON other clients use.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

TOOLS_FILE = "tools.json"
TOOLS_FORMAT = "routechat_tools"
TOOLS_VERSION = 1
_SERVER_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")


class ToolsConfigError(ValueError):
    """A server or file that cannot be used; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """One MCP stdio server: started as `command args...` with `env` added to a minimal
    environment. `tools`: the names of its tools the user enabled (none until they do)."""

    name: str
    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    enabled: bool = True
    tools: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "command": self.command,
            "args": list(self.args),
            "env": dict(self.env),
            "enabled": self.enabled,
            "tools": list(self.tools),
        }


@dataclass(frozen=True, slots=True)
class ToolsConfig:
    disabled_builtin: frozenset[str] = frozenset()
    servers: tuple[ServerConfig, ...] = ()
    always_allowed: frozenset[str] = frozenset()  # tool keys the user always allows

    def server(self, name: str) -> ServerConfig | None:
        return next((s for s in self.servers if s.name == name), None)

    def with_server(self, server: ServerConfig, *, replacing: str | None = None) -> ToolsConfig:
        """This config with `server` added, or put in place of the server named `replacing`."""
        check_server(server, [s.name for s in self.servers if s.name != (replacing or "")])
        servers = [s for s in self.servers if s.name != (replacing or server.name)]
        index = next(
            (i for i, s in enumerate(self.servers) if s.name == (replacing or server.name)),
            len(servers),
        )
        servers.insert(min(index, len(servers)), server)
        return replace(self, servers=tuple(servers))

    def without_server(self, name: str) -> ToolsConfig:
        prefix = f"mcp:{name}/"
        return replace(
            self,
            servers=tuple(s for s in self.servers if s.name != name),
            always_allowed=frozenset(k for k in self.always_allowed if not k.startswith(prefix)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            TOOLS_FORMAT: TOOLS_VERSION,
            "disabled_builtin": sorted(self.disabled_builtin),
            "servers": [s.to_json() for s in self.servers],
            "always_allowed": sorted(self.always_allowed),
        }


def check_server(server: ServerConfig, other_names: Iterable[str] = ()) -> None:
    if not _SERVER_NAME.fullmatch(server.name):
        raise ToolsConfigError(
            f"A server name is 1 to 32 letters, digits, '-' or '_' (not {server.name!r})."
        )
    if server.name in set(other_names):
        raise ToolsConfigError(f"A server named {server.name!r} exists already.")
    if not server.command.strip():
        raise ToolsConfigError(f"The server {server.name!r} needs a command to start it.")


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ToolsConfigError(f"{where} must be a list of text.")
    return tuple(value)


def _env(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise ToolsConfigError(f"{where} must be an object of text values.")
    return dict(value)


def server_from_json(name: str, obj: Any, where: str) -> ServerConfig:
    """One server from tools.json or an `mcpServers` entry (`command`, `args`, `env`)."""
    if not isinstance(obj, dict):
        raise ToolsConfigError(f"{where} must be an object.")
    command = obj.get("command")
    if not isinstance(command, str) or not command.strip():
        if "url" in obj:
            raise ToolsConfigError(
                f"{where} is a remote (URL) server; RouteChat starts local (stdio) servers only."
            )
        raise ToolsConfigError(f'{where} needs a "command".')
    enabled = obj.get("enabled", not obj.get("disabled", False))
    server = ServerConfig(
        name=name,
        command=command.strip(),
        args=_strings(obj.get("args"), f"{where}.args"),
        env=_env(obj.get("env"), f"{where}.env"),
        enabled=bool(enabled),
        tools=_strings(obj.get("tools"), f"{where}.tools"),
    )
    check_server(server)
    return server


def parse_mcp_servers(text: str) -> list[ServerConfig]:
    """Servers from the `{"mcpServers": {"name": {"command", "args", "env"}}}` JSON that
    Claude Desktop, Cursor and others use (a bare `{"name": {...}}` object works too)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolsConfigError(
            f"Not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from None
    if isinstance(data, dict) and isinstance(data.get("mcpServers"), dict):
        data = data["mcpServers"]
    if not isinstance(data, dict) or not data:
        raise ToolsConfigError('Expected an object like {"mcpServers": {"name": {...}}}.')
    out = [server_from_json(str(name), obj, f"mcpServers.{name}") for name, obj in data.items()]
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise ToolsConfigError("Two servers have the same name.")
    return out


def merge_servers(config: ToolsConfig, imported: Iterable[ServerConfig]) -> ToolsConfig:
    """Add imported servers; one whose name is taken is added as NAME-2, NAME-3, ..."""
    for server in imported:
        names = {s.name for s in config.servers}
        name, n = server.name, 2
        while name in names:
            name = f"{server.name[:29]}-{n}"
            n += 1
        config = config.with_server(replace(server, name=name, tools=()))
    return config


def parse_config(data: Any) -> ToolsConfig:
    if not isinstance(data, dict) or data.get(TOOLS_FORMAT) is None:
        raise ToolsConfigError("tools.json is not a RouteChat tools file.")
    servers: list[ServerConfig] = []
    raw = data.get("servers") or []
    if not isinstance(raw, list):
        raise ToolsConfigError("tools.json: servers must be a list.")
    for i, obj in enumerate(raw):
        name = obj.get("name") if isinstance(obj, dict) else None
        if not isinstance(name, str):
            raise ToolsConfigError(f"tools.json: servers[{i}] has no name.")
        server = server_from_json(name, obj, f"tools.json: servers[{i}]")
        check_server(server, [s.name for s in servers])
        servers.append(server)
    return ToolsConfig(
        disabled_builtin=frozenset(_strings(data.get("disabled_builtin"), "disabled_builtin")),
        servers=tuple(servers),
        always_allowed=frozenset(_strings(data.get("always_allowed"), "always_allowed")),
    )


def load_tools_config(path: Path) -> tuple[ToolsConfig, str | None]:
    """The saved config, or the defaults and a sentence saying why the file was not used."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ToolsConfig(), None
    except (OSError, UnicodeDecodeError) as exc:
        return ToolsConfig(), f"The tools settings could not be read ({exc}); defaults are used."
    try:
        return parse_config(json.loads(text)), None
    except json.JSONDecodeError as exc:
        why = f"not valid JSON (line {exc.lineno}: {exc.msg})"
    except ToolsConfigError as exc:
        why = str(exc)
    return ToolsConfig(), f"The tools settings in {path} were not used: {why}"


def save_tools_config(path: Path, config: ToolsConfig) -> None:
    """Atomically, readable by the user only; raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tools.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(config.to_json(), f, indent=2, ensure_ascii=False)
            f.write("\n")
        with contextlib.suppress(OSError):
            os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
