"""How `routechat` picks the window or a command from its arguments (no window is opened)."""

from __future__ import annotations

from typing import Any

import pytest

from desktop_app import cli


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def gui_main(**kwargs: Any) -> int:
        calls.append(kwargs)
        return 0

    monkeypatch.setattr(cli, "gui_main", gui_main)
    return calls


def test_no_arguments_open_the_window_without_building_the_parser(
    opened: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_parser() -> None:
        raise AssertionError("the launcher's start built the argument parser")

    monkeypatch.setattr(cli, "build_parser", no_parser)
    monkeypatch.setattr("sys.argv", ["routechat"])
    assert cli.main([]) == 0
    assert cli.main(None) == 0  # from sys.argv
    assert opened == [{}, {}]  # gui_main's defaults: no demo, no prompt, no tier


def test_window_options_are_still_parsed(opened: list[dict[str, Any]]) -> None:
    assert cli.main(["--demo", "--prompt", "hi", "--tier", "premium"]) == 0
    assert opened == [{"demo": True, "prompt": "hi", "tier": "premium"}]


def test_a_bad_option_is_still_an_error(
    opened: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["--no-such-option"])
    assert exc.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err
    assert opened == []


def test_compare_opens_the_window_on_a_comparison(opened: list[dict[str, Any]]) -> None:
    assert cli.main(["--compare", "budget, premium", "--prompt", "hi"]) == 0
    assert opened == [
        {"demo": False, "prompt": "hi", "tier": None, "compare": ["budget", "premium"]}
    ]


@pytest.mark.parametrize(
    ("tiers", "message"),
    [("budget,nope", "unknown tier 'nope'"), ("budget", "2 to 4 tiers; 1 given")],
)
def test_compare_with_bad_tiers_opens_nothing(
    opened: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], tiers: str, message: str
) -> None:
    assert cli.main(["--compare", tiers]) == cli.EXIT_USAGE
    assert message in capsys.readouterr().err
    assert opened == []
