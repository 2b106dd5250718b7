"""The one exception type journeymap raises for problems a user can fix."""

from __future__ import annotations

__all__ = ["JourneyError"]


class JourneyError(ValueError):
    """A problem with a user's file or input, worded for the user.

    `source` is the file (or column) the problem is in and `line` its 1-based line when known;
    the message already names both, so `str(error)` is all a user interface needs to show.
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.line = line
