"""What every command shares: exit codes, the base URL, the key, and a tier given by name.

Exit codes are part of the interface (scripts branch on them); see `EXIT_CODES`.
"""

from __future__ import annotations

import os
from typing import TextIO

from desktop_app.api.errors import ApiError, ErrorKind

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_CREDITS = 4
EXIT_BUDGET = 4  # a spending limit refused the send: like running out of credits
EXIT_RATE_LIMITED = 5
EXIT_NETWORK = 6
EXIT_SERVER = 7
EXIT_INTERRUPTED = 8
EXIT_REJECTED = 9
EXIT_CANCELLED = 130

EXIT_CODES: dict[int, str] = {
    EXIT_OK: "success",
    EXIT_INTERNAL: "unexpected internal error",
    EXIT_USAGE: "usage error (bad arguments, unknown tier)",
    EXIT_AUTH: "authentication: no key, or the key was refused (401/403)",
    EXIT_CREDITS: "no credits left (402), or a spending limit refused the send",
    EXIT_RATE_LIMITED: "rate limited (429)",
    EXIT_NETWORK: "network failure or timeout",
    EXIT_SERVER: "server or router error (5xx)",
    EXIT_INTERRUPTED: "the stream broke midway (partial answer printed)",
    EXIT_REJECTED: "request rejected (400/422, region 451)",
    EXIT_CANCELLED: "cancelled with Ctrl+C",
}

_EXIT_FOR_KIND: dict[ErrorKind, int] = {
    ErrorKind.AUTH: EXIT_AUTH,
    ErrorKind.CREDITS: EXIT_CREDITS,
    ErrorKind.RATE_LIMITED: EXIT_RATE_LIMITED,
    ErrorKind.CONNECT: EXIT_NETWORK,
    ErrorKind.TIMEOUT: EXIT_NETWORK,
    ErrorKind.SERVER: EXIT_SERVER,
    ErrorKind.INTERRUPTED: EXIT_INTERRUPTED,
    ErrorKind.PROTOCOL: EXIT_INTERRUPTED,
    ErrorKind.BAD_REQUEST: EXIT_REJECTED,
    ErrorKind.REGION: EXIT_REJECTED,
    ErrorKind.CANCELLED: EXIT_CANCELLED,
}

BASE_URL_ENV = "EDENAI_BASE_URL"


class UsageError(Exception):
    """A bad argument: the message is printed and the command exits with EXIT_USAGE."""


def exit_code_for(error: ApiError | None) -> int:
    return EXIT_OK if error is None else _EXIT_FOR_KIND.get(error.kind, EXIT_INTERNAL)


def epilog() -> str:
    codes = "\n".join(f"  {code:>3}  {text}" for code, text in EXIT_CODES.items())
    return (
        "The API key is read from EDENAI_API_KEY, else from the OS keyring (set it in the app).\n"
        f"The base URL from --base-url, else {BASE_URL_ENV}, else the saved setting.\n\n"
        f"Exit codes:\n{codes}"
    )


def resolve_base_url(flag: str | None) -> str:
    from desktop_app.api.config import DEFAULT_BASE_URL
    from desktop_app.config.paths import default_paths
    from desktop_app.config.settings import load_settings

    if flag:
        return flag
    if os.environ.get(BASE_URL_ENV):
        return os.environ[BASE_URL_ENV]
    settings, _warnings = load_settings(default_paths())
    return settings.base_url or DEFAULT_BASE_URL


def missing_key_error(problem: str | None) -> ApiError:
    return ApiError(
        ErrorKind.AUTH,
        "No API key: set EDENAI_API_KEY or save a key in RouteChat (Settings → Account)."
        + (f" {problem}" if problem else ""),
    )


def say(err: TextIO, text: str) -> None:
    err.write(f"routechat: {text}\n")
    err.flush()
