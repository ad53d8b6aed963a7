"""Numbers as a screen reader says them: no symbols read out as "almost equal to" or "dash"."""

from __future__ import annotations

import pytest

from desktop_app.services.format import money, spoken_duration, spoken_money


@pytest.mark.parametrize(
    ("ms", "said"),
    [
        (None, "unknown"),
        (420.4, "420 milliseconds"),
        (2100.0, "2.1 seconds"),
        (1000.0, "1.0 seconds"),
    ],
)
def test_durations_are_spoken_in_words(ms: float | None, said: str) -> None:
    assert spoken_duration(ms) == said


@pytest.mark.parametrize(
    ("usd", "source", "said"),
    [
        (0.0012, "reported", "$0.0012"),
        (0.0012, "estimated", "about $0.0012, estimated"),
        (0.0012, "unknown", "cost unknown"),
        (None, "reported", "cost unknown"),
        (0.0, "reported", "$0"),
    ],
)
def test_costs_are_spoken_with_their_kind(usd: float | None, source: str, said: str) -> None:
    assert spoken_money(usd, source) == said
    assert "≈" not in said and "—" not in said
    if source == "reported" and usd is not None:
        assert said == money(usd, source)  # the same figure the badge shows
