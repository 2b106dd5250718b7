"""Durations as written in journeys and as read by people."""

from __future__ import annotations

import pytest

from journeymap.core.durations import format_duration, format_seconds_as_text, parse_duration


class TestParse:
    @pytest.mark.parametrize(("text", "seconds"), [("90m", 5400), ("48h", 172800), ("3d", 259200),
                                                   ("2w", 1209600), ("1.5h", 5400), (" 30s ", 30)])
    def test_units(self, text: str, seconds: float) -> None:
        """Each unit converts to seconds."""
        assert parse_duration(text) == seconds

    @pytest.mark.parametrize("text", ["48", "48 hrs", "h", "-2d", "2 weeks", ""])
    def test_rejects_ambiguous_or_malformed(self, text: str) -> None:
        """A bare number or a spelled-out unit is rejected with an example of the right form."""
        with pytest.raises(ValueError, match="90m, 48h, 3d or 2w"):
            parse_duration(text)

    @pytest.mark.parametrize("seconds", [5400, 172800, 1209600, 45, 86400 * 1.5])
    def test_format_round_trips(self, seconds: float) -> None:
        """Formatting then parsing gives the same seconds."""
        assert parse_duration(format_duration(seconds)) == pytest.approx(seconds)


class TestHuman:
    @pytest.mark.parametrize(("seconds", "text"), [(42, "42 s"), (720, "12 min"), (8280, "2.3 h"),
                                                   (354240, "4.1 d"), (86400 * 70, "10.0 w"), (86400 * 730, "104.3 w"),
                                                   (86400 * 365.25 * 12.1, "12.1 y"), (None, "–"),
                                                   (float("nan"), "–"), (-7200, "−2.0 h")])
    def test_readable(self, seconds: float | None, text: str) -> None:
        """Seconds read as a person would say them, never raw."""
        assert format_seconds_as_text(seconds) == text
