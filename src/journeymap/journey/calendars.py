"""Working calendars in a journey definition: `calendars:`, `owners:` and a step's or the journey's `calendar:`.

```yaml
calendar: office                 # every step's, unless its own or its owner's says otherwise
calendars:
  - id: office
    timezone: Europe/Berlin      # an IANA name; default UTC
    days: [mon, tue, wed, thu, fri]            # default Monday to Friday
    hours: ["09:00-12:30", "13:30-17:00"]      # local; default 09:00-17:00; "00:00-24:00" is all day
    holidays: {country: DE, subdivision: BE}   # public holidays from the `holidays` package
    closed: [2026-12-24]                       # further days off
owners:
  - {name: IT Service Desk, calendar: office}
```

The schema (journey.schema.json) checks the shapes and bounds; this module checks what it cannot
(a time zone or holiday country that exists, hours in order, references to calendar ids) and builds
`model.Calendar`s. Errors name the line through `definition`'s error function.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Callable
from functools import cache
from typing import Any

from journeymap.journey.model import WEEKDAYS, Calendar, Journey, Okr, Target

__all__ = ["build_calendars", "check_calendars", "check_calendar_references", "calendars_to_data",
           "parse_hours", "format_hours"]

_Error = Callable[[tuple[Any, ...], str], Exception]
_HOURS = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
DEFAULT_HOURS = "09:00-17:00"


def parse_hours(text: str) -> tuple[int, int]:
    """'09:00-17:30' -> (540, 1050), minutes after local midnight; ValueError with a sentence if not."""
    match = _HOURS.match(str(text))
    if match is None:
        raise ValueError(f"'{text}' is not a range of hours: write it as HH:MM-HH:MM, e.g. 09:00-17:00.")
    h1, m1, h2, m2 = map(int, match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if m1 > 59 or m2 > 59 or start > 24 * 60 or end > 24 * 60:
        raise ValueError(f"'{text}' is no time of day: hours run from 00:00 to 24:00.")
    if end <= start:
        raise ValueError(f"'{text}' ends before it starts; a range of working hours cannot cross midnight, so "
                         "write a night shift as two ranges on their days.")
    return start, end


def format_hours(hours: tuple[int, int]) -> str:
    """(540, 1050) -> '09:00-17:30'."""
    return "-".join(f"{minutes // 60:02d}:{minutes % 60:02d}" for minutes in hours)


def check_calendars(data: dict[str, Any], error: _Error) -> None:
    """What the schema lets through: unknown time zones and holiday countries, hours out of order,
    impossible dates, duplicate ids."""
    seen: set[str] = set()
    for i, item in enumerate(data.get("calendars", ())):
        if item["id"] in seen:
            raise error(("calendars", i, "id"), f"duplicate calendar id '{item['id']}'; give each calendar its own id.")
        seen.add(item["id"])
        zone = item.get("timezone", "UTC")
        if not _known_zone(zone):
            raise error(("calendars", i, "timezone"), f"calendars.{i}.timezone is '{zone}', which is no time zone "
                        "known here; write an IANA name such as Europe/Berlin or America/New_York.")
        ranges = _hours_list(item)
        spans = []
        for k, text in enumerate(ranges):
            try:
                spans.append(parse_hours(text))
            except ValueError as problem:
                raise error(("calendars", i, "hours", k) if isinstance(item.get("hours"), list) else
                            ("calendars", i, "hours"), f"calendars.{i}.hours: {problem}") from None
        for (_, end), (start, _) in zip(sorted(spans), sorted(spans)[1:]):
            if start < end:
                raise error(("calendars", i, "hours"), f"calendars.{i}.hours overlap ({', '.join(ranges)}); "
                            "list each working period once.")
        holidays = _holiday_spec(item)
        holiday_problem = (_holiday_problem(holidays[0].upper(), holidays[1].upper() if holidays[1] else None)
                           if holidays else None)
        if holiday_problem:
            raise error(("calendars", i, "holidays"), f"calendars.{i}.holidays: {holiday_problem}")
        for k, day in enumerate(item.get("closed", ())):
            try:
                dt.date.fromisoformat(str(day))
            except ValueError:
                raise error(("calendars", i, "closed", k), f"calendars.{i}.closed.{k} is '{day}', which is no date "
                            "in the calendar; write it as YYYY-MM-DD.") from None


def check_calendar_references(journey: Journey, data: dict[str, Any], error: _Error) -> None:
    """Every `calendar:` names a calendar; every owner listed under `owners:` owns a step."""
    ids = {calendar.id for calendar in journey.calendars}
    named: list[tuple[tuple[Any, ...], str]] = [(("calendar",), data["calendar"])] if "calendar" in data else []
    named += [(("steps", i, "calendar"), s["calendar"]) for i, s in enumerate(data["steps"]) if "calendar" in s]
    named += [(("owners", i, "calendar"), o["calendar"]) for i, o in enumerate(data.get("owners", ()))
              if "calendar" in o]
    for path, calendar in named:
        if calendar not in ids:
            raise error(path, f"{'.'.join(map(str, path))} names a calendar '{calendar}', which is not defined "
                        "under calendars.")
    if not journey.calendars:
        working: list[tuple[tuple[Any, ...], Target | Okr | None]] = [
            (("steps", i, "target", "time"), s.target) for i, s in enumerate(journey.steps)]
        working += [(("transitions", i, "target", "time"), t.target) for i, t in enumerate(journey.transitions)]
        working += [(("okrs", i, "time"), o) for i, o in enumerate(journey.okrs)]
        for path, item in working:
            if item is not None and item.time == "working":
                raise error(path, f"{'.'.join(map(str, path))} is working, but the journey defines no calendars: "
                            "add `calendars:` (and a `calendar:` for the journey, its steps or owners), or drop it.")
    owners = {step.owner for step in journey.steps if step.owner}
    for i, owner in enumerate(data.get("owners", ())):
        if owner["name"] not in owners:
            raise error(("owners", i, "name"), f"owners.{i}.name '{owner['name']}' owns no step; use the "
                        "owner as a step gives it (steps' owner: …).")


def build_calendars(data: dict[str, Any]) -> dict[str, Any]:
    """The Journey fields of a checked definition: calendars, the default calendar, owners' calendars."""
    calendars = []
    for item in data.get("calendars", ()):
        holidays = _holiday_spec(item)
        calendars.append(Calendar(
            id=item["id"], timezone=item.get("timezone", "UTC"),
            days=tuple(sorted(WEEKDAYS.index(day) for day in item.get("days", WEEKDAYS[:5]))),
            hours=tuple(sorted(parse_hours(text) for text in _hours_list(item))),
            holidays=holidays[0].upper() if holidays else None,
            subdivision=holidays[1].upper() if holidays and holidays[1] else None,
            closed=tuple(sorted(dt.date.fromisoformat(str(day)) for day in item.get("closed", ())))))
    owners = tuple((o["name"], o["calendar"]) for o in data.get("owners", ()) if "calendar" in o)
    return {"calendars": tuple(calendars), "calendar": data.get("calendar"), "owner_calendars": owners}


def calendars_to_data(journey: Journey) -> dict[str, Any]:
    """The YAML keys of a journey's calendars (empty when it has none)."""
    data: dict[str, Any] = {}
    if journey.calendar:
        data["calendar"] = journey.calendar
    if journey.calendars:
        data["calendars"] = [_calendar_to_dict(calendar) for calendar in journey.calendars]
    if journey.owner_calendars:
        data["owners"] = [{"name": name, "calendar": calendar} for name, calendar in journey.owner_calendars]
    return data


def _calendar_to_dict(calendar: Calendar) -> dict[str, Any]:
    data: dict[str, Any] = {"id": calendar.id, "timezone": calendar.timezone,
                            "days": [WEEKDAYS[day] for day in calendar.days],
                            "hours": [format_hours(hours) for hours in calendar.hours]}
    if calendar.holidays:
        data["holidays"] = {"country": calendar.holidays,
                            **({"subdivision": calendar.subdivision} if calendar.subdivision else {})}
    if calendar.closed:
        data["closed"] = [day.isoformat() for day in calendar.closed]
    return data


def _hours_list(item: dict[str, Any]) -> list[str]:
    hours = item.get("hours", DEFAULT_HOURS)
    return [hours] if isinstance(hours, str) else list(hours)


def _holiday_spec(item: dict[str, Any]) -> tuple[str, str | None] | None:
    """(country, subdivision) of `holidays: DE` or `holidays: {country: DE, subdivision: BE}`."""
    spec = item.get("holidays")
    if spec is None:
        return None
    if isinstance(spec, str):
        return spec, None
    return spec["country"], spec.get("subdivision")


@cache
def _holiday_problem(country: str, subdivision: str | None) -> str | None:
    """Why the holidays package cannot give these holidays, or None when it can (loading only that country)."""
    import holidays

    try:
        found = holidays.country_holidays(country, subdiv=subdivision, years=2026)
    except NotImplementedError:
        if subdivision is None:
            return f"the holidays package knows no country '{country}'; use an ISO code such as DE, GB or US."
        try:
            some = ", ".join(list(holidays.country_holidays(country, years=2026).subdivisions)[:8]) or "none"
        except NotImplementedError:
            return f"the holidays package knows no country '{country}'; use an ISO code such as DE, GB or US."
        return f"'{subdivision}' is not a subdivision of {country} (some are: {some})."
    return None if found is not None else f"no holidays for '{country}'."


@cache
def _known_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
