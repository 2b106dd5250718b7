"""Load, validate and save journey definitions (YAML), with errors that name file and line."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import networkx as nx
import yaml

from journeymap.core.durations import format_duration, parse_duration
from journeymap.core.errors import JourneyError
from journeymap.journey.calendars import build_calendars, calendars_to_data, check_calendar_references, check_calendars
from journeymap.journey.model import DEFAULT_STALE_AFTER_S, Change, Journey, Okr, Stage, Step, Target, Transition

__all__ = [
    "load_journey",
    "journey_from_yaml",
    "journey_from_dict",
    "journey_to_dict",
    "journey_to_yaml",
    "save_journey",
    "journey_schema",
]

_Path = tuple[Any, ...]
# A journey is a few hundred lines; these bounds refuse hostile YAML (anchor bombs, deep nesting)
# at once instead of letting it expand to billions of nodes or overflow the parser's recursion.
MAX_YAML_BYTES = 5_000_000
MAX_YAML_DEPTH = 50
MAX_YAML_NODES = 200_000  # after expanding aliases
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")  # the schema's id pattern, matched whole (its $ allows a "\n")


class _Loader(yaml.SafeLoader):
    """SafeLoader that keeps dates as text: the schema and `_check_values` check them, with their line,
    where PyYAML would raise a bare ValueError for 2026-02-30."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


@cache
def journey_schema() -> dict[str, Any]:
    """The JSON Schema of a journey definition (also usable by editors)."""
    text = resources.files("journeymap.journey").joinpath("journey.schema.json").read_text("utf-8")
    return json.loads(text)


def load_journey(path: str | os.PathLike[str]) -> Journey:
    """Read and validate a journey definition file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise JourneyError(f"{path}: no such journey file.", source=str(path)) from None
    except UnicodeDecodeError:
        raise JourneyError(f"{path}: not a text file; save it as UTF-8 YAML.", source=str(path)) from None
    return journey_from_yaml(text, source=path.name)


def journey_from_yaml(text: str, source: str = "<journey>") -> Journey:
    """Parse and validate a journey definition from YAML text."""
    if not text.strip():
        raise JourneyError(f"{source}: the file is empty; a journey needs id, name, stages, steps, "
                           "transitions, start and end.", source=source)
    try:
        _check_bounds(text, source)
        node = yaml.compose(text, Loader=_Loader)
        _check_expansion(node, source)
        _check_duplicate_keys(node, source)
        data = yaml.load(text, Loader=_Loader)  # safe: only plain YAML types
    except yaml.YAMLError as error:
        # Where the trouble began (an opening quote, say) beats where the parser gave up.
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else None
        context = getattr(error, "context", None) if getattr(error, "context_mark", None) else None
        problem = getattr(error, "problem", None) or "not valid YAML"
        problem = " ".join((f"{context}: {problem}" if context else str(problem)).split())[:160]
        where = f", line {line}, column {mark.column + 1}" if mark else ""
        raise JourneyError(f"{source}{where}: YAML syntax error ({problem}). Check indentation, "
                           "colons and quotes on that line.", source=source, line=line) from None
    lines = _line_numbers(node)
    if not isinstance(data, dict):
        raise JourneyError(f"{source}, line 1: a journey must be a mapping of keys such as id, name, "
                           "steps.", source=source, line=1)
    return journey_from_dict(data, source=source, lines=lines)


def _check_bounds(text: str, source: str) -> None:
    """Refuse YAML too large or nested too deep, streaming its events (no recursion, no nodes built)."""
    if len(text) > MAX_YAML_BYTES:
        raise JourneyError(f"{source}: {len(text):,} characters is more than a journey definition holds "
                           f"({MAX_YAML_BYTES:,} at most); check that this is the right file.", source=source)
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                line = event.start_mark.line + 1
                raise JourneyError(f"{source}, line {line}: nested more than {MAX_YAML_DEPTH} levels deep; a "
                                   "journey needs a few levels only.", source=source, line=line)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _check_expansion(node: yaml.Node | None, source: str) -> None:
    """Refuse YAML whose aliases expand to more than `MAX_YAML_NODES` nodes (a "billion laughs" file).

    Aliases share one node, so counting each node once with its expanded size is linear in the
    file, however large the expansion would be.
    """
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(node, False)] if node is not None else []
    while stack:
        current, done = stack.pop()
        if id(current) in sizes:
            continue
        children = ([n for pair in current.value for n in pair] if isinstance(current, yaml.MappingNode) else
                    list(current.value) if isinstance(current, yaml.SequenceNode) else [])
        if done:
            sizes[id(current)] = 1 + sum(sizes.get(id(child), 1) for child in children)
            if sizes[id(current)] > MAX_YAML_NODES:
                line = current.start_mark.line + 1
                raise JourneyError(f"{source}, line {line}: its anchors and aliases expand to more than "
                                   f"{MAX_YAML_NODES:,} values; write the journey out without them.",
                                   source=source, line=line)
        else:
            stack.append((current, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)


def _check_duplicate_keys(node: yaml.Node | None, source: str) -> None:
    """Refuse a mapping that repeats a key: YAML would keep the last one silently."""
    seen_nodes: set[int] = set()
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if id(current) in seen_nodes:
            continue
        seen_nodes.add(id(current))
        if isinstance(current, yaml.MappingNode):
            keys: dict[Any, int] = {}
            for key, value in current.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                if name is not None and name in keys:
                    line = key.start_mark.line + 1
                    raise JourneyError(f"{source}, line {line}: the key '{name}' is given twice in one mapping "
                                       f"(first on line {keys[name]}); keep one.", source=source, line=line)
                if name is not None:
                    keys[name] = key.start_mark.line + 1
                stack += [key, value]
        elif isinstance(current, yaml.SequenceNode):
            stack += current.value


def journey_from_dict(data: dict[str, Any], source: str = "<journey>",
                      lines: dict[_Path, int] | None = None) -> Journey:
    """Validate a journey given as plain data and build it."""
    lines = lines or {}
    checker = jsonschema.Draft202012Validator(journey_schema())
    errors = sorted(checker.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        error = errors[0]
        path = tuple(error.absolute_path)
        raise _error(source, lines, path, _schema_message(error, path))
    _check_values(data, source, lines)
    journey = _build(data)
    _check_graph(journey, data, source, lines)
    return journey


def journey_to_dict(journey: Journey) -> dict[str, Any]:
    """Plain data for a journey, in the YAML layout, ready to dump."""
    data: dict[str, Any] = {"id": journey.id, "name": journey.name}
    if journey.description:
        data["description"] = journey.description
    if journey.owner:
        data["owner"] = journey.owner
    data["stale_after"] = format_duration(journey.stale_after_s)
    if journey.completion != "first_end":
        data["completion"] = journey.completion
    data.update(calendars_to_data(journey))
    data["stages"] = [{"id": s.id, "label": s.label} for s in journey.stages]
    data["steps"] = [_step_to_dict(step) for step in journey.steps]
    data["transitions"] = [
        {"from": t.source, "to": t.target_step, **({"target": _target_to_dict(t.target)} if t.target else {})}
        for t in journey.transitions
    ]
    data["start"] = journey.start
    data["end"] = list(journey.end)
    if journey.exit:
        data["exit"] = list(journey.exit)
    if journey.okrs:
        data["okrs"] = [
            {"name": o.name, "from": o.from_step, "to": o.to_step, "statistic": o.statistic,
             "baseline": format_duration(o.baseline_s), "target": format_duration(o.target_s),
             **({"time": o.time} if o.time != "calendar" else {})}
            for o in journey.okrs
        ]
    if journey.changes:
        data["changes"] = [
            {"date": c.date.isoformat(), "title": c.title, "steps": list(c.steps),
             **({"pilot": dict(c.pilot)} if c.pilot else {})} for c in journey.changes
        ]
    return data


def journey_to_yaml(journey: Journey) -> str:
    """The journey as YAML text that `journey_from_yaml` reads back to an equal journey."""
    return yaml.safe_dump(journey_to_dict(journey), sort_keys=False, allow_unicode=True, width=100)


def save_journey(journey: Journey, path: str | os.PathLike[str]) -> None:
    """Write the journey as YAML."""
    Path(path).write_text(journey_to_yaml(journey), encoding="utf-8")


def _build(data: dict[str, Any]) -> Journey:
    as_list = lambda value: (value,) if isinstance(value, str) else tuple(value or ())  # noqa: E731
    return Journey(
        id=data["id"],
        name=data["name"],
        description=data.get("description", ""),
        owner=data.get("owner", ""),
        stale_after_s=parse_duration(data["stale_after"]) if "stale_after" in data else DEFAULT_STALE_AFTER_S,
        completion=data.get("completion", "first_end"),
        stages=tuple(Stage(s["id"], s["label"]) for s in data["stages"]),
        steps=tuple(
            Step(id=s["id"], label=s["label"], stage=s["stage"], owner=s.get("owner", ""),
                 aliases=tuple(s.get("aliases", ())), target=_target(s.get("target")),
                 automatic=bool(s.get("automatic", False)), calendar=s.get("calendar"))
            for s in data["steps"]
        ),
        transitions=tuple(Transition(t["from"], t["to"], _target(t.get("target"))) for t in data["transitions"]),
        start=data["start"],
        end=as_list(data["end"]),
        exit=as_list(data.get("exit")),
        okrs=tuple(
            Okr(o["name"], o["from"], o["to"], o["statistic"], parse_duration(o["baseline"]),
                parse_duration(o["target"]), o.get("time", "calendar"))
            for o in data.get("okrs", ())
        ),
        changes=tuple(
            Change(dt.date.fromisoformat(str(c["date"])[:10]), c["title"], tuple(c.get("steps", ())),
                   tuple((str(column), str(value)) for column, value in (c.get("pilot") or {}).items()))
            for c in data.get("changes", ())
        ),
        **build_calendars(data),
    )


def _check_values(data: dict[str, Any], source: str, lines: dict[_Path, int]) -> None:
    """What the schema's patterns let through: ids with a trailing newline, impossible dates,
    durations too long to compute with."""
    ids: list[tuple[_Path, Any]] = [(("id",), data["id"])]
    ids += [((kind, i, "id"), item["id"]) for kind in ("stages", "steps") for i, item in enumerate(data[kind])]
    for path, value in ids:
        if not _ID.fullmatch(str(value)):
            raise _error(source, lines, path, f"{'.'.join(map(str, path))} is {value!r}: ids use letters, digits, "
                         "'_', '.' and '-' only, with no spaces or line breaks.")
    durations: list[tuple[_Path, Any]] = [(("stale_after",), data["stale_after"])] if "stale_after" in data else []
    for kind in ("steps", "transitions"):
        durations += [((kind, i, "target", k), v) for i, item in enumerate(data[kind])
                      for k, v in (item.get("target") or {}).items() if k != "time"]
    durations += [
        (("okrs", i, k), okr[k]) for i, okr in enumerate(data.get("okrs", ())) for k in ("baseline", "target")
    ]
    for path, value in durations:
        try:
            parse_duration(value)
        except ValueError as error:
            raise _error(source, lines, path, f"{'.'.join(map(str, path))}: {error}") from None
    for i, change in enumerate(data.get("changes", ())):
        try:
            dt.date.fromisoformat(str(change["date"])[:10])
        except ValueError:
            raise _error(source, lines, ("changes", i, "date"), f"changes.{i}.date is '{change['date']}', which is "
                         "no date in the calendar; write it as YYYY-MM-DD, e.g. 2026-02-28.") from None
    check_calendars(data, lambda path, message: _error(source, lines, path, message))


def _check_graph(journey: Journey, data: dict[str, Any], source: str, lines: dict[_Path, int]) -> None:
    """The rules a schema cannot say: unique ids, known references, every step reachable."""
    for kind in ("stages", "steps"):
        seen: set[str] = set()
        for index, item in enumerate(data[kind]):
            if item["id"] in seen:
                raise _error(source, lines, (kind, index, "id"),
                             f"duplicate {kind[:-1]} id '{item['id']}'; give each {kind[:-1]} its own id.")
            seen.add(item["id"])
    stages = {stage.id for stage in journey.stages}
    steps = set(journey.steps_by_id)
    for index, step in enumerate(journey.steps):
        if step.stage not in stages:
            raise _error(source, lines, ("steps", index, "stage"),
                         f"step '{step.id}' is in stage '{step.stage}', which is not listed under stages.")
    for index, transition in enumerate(data["transitions"]):
        for key in ("from", "to"):
            if transition[key] not in steps:
                raise _error(source, lines, ("transitions", index, key),
                             f"transition {key} '{transition[key]}' names no step; add the step or fix the id.")
    references: list[tuple[_Path, str]] = [(("start",), journey.start)]
    for key in ("end", "exit"):
        value = data.get(key)
        if isinstance(value, str):
            references.append(((key,), value))
        else:
            references += [((key, i), step_id) for i, step_id in enumerate(value or ())]
    for index, okr in enumerate(data.get("okrs", ())):
        references += [(("okrs", index, "from"), okr["from"]), (("okrs", index, "to"), okr["to"])]
    for index, change in enumerate(data.get("changes", ())):
        references += [(("changes", index, "steps", i), s) for i, s in enumerate(change.get("steps", ()))]
    for path, step_id in references:
        if step_id not in steps:
            raise _error(source, lines, path, f"{path[0]} names step '{step_id}', which is not defined under steps.")
    reachable = nx.descendants(journey.graph, journey.start) | {journey.start}
    for index, step in enumerate(journey.steps):
        if step.id not in reachable:
            raise _error(source, lines, ("steps", index, "id"),
                         f"step '{step.id}' cannot be reached from the start step '{journey.start}'; "
                         "add a transition into it or remove it.")
    if not any(end in reachable for end in journey.end):
        raise _error(source, lines, ("end",), "no end step can be reached from the start step.")
    check_calendar_references(journey, data, lambda path, message: _error(source, lines, path, message))


def _schema_message(error: jsonschema.ValidationError, path: _Path) -> str:
    where = ".".join(str(p) for p in path) or "the journey"
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{where} is missing '{missing}'."
    if error.validator == "additionalProperties":
        return f"{where}: {error.message}; remove the key or fix its spelling."
    if error.validator == "pattern" and "smhdw" in str(error.validator_value):
        return (f"{where} is '{error.instance}', which is not a duration: write a number and a unit, "
                "such as 90m, 48h, 3d or 2w.")
    if error.validator == "pattern":
        return f"{where} is '{error.instance}': ids use letters, digits, '_', '.' and '-' only."
    if error.validator == "oneOf" and path and path[-1] == "target":
        return (f"{where} needs one statistic (median, p85 or p95) with a duration, and may say its time, "
                "e.g. {p85: 24h, time: working}.")
    if error.validator == "oneOf" and path and path[0] in ("end", "exit"):
        return f"{where} must be a step id or a list of step ids."
    return f"{where}: {error.message}."


def _error(source: str, lines: dict[_Path, int], path: _Path, message: str) -> JourneyError:
    line = None
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            line = lines[path[:cut]]
            break
    where = f", line {line}" if line else ""
    # One line whatever the file holds: a value quoted from it (an id with a line break in it) shows its
    # control characters escaped, as Python writes them ('e\nquipment').
    message = _CONTROL.sub(lambda found: repr(found.group())[1:-1], message)
    return JourneyError(f"{source}{where}: {message}", source=source, line=line)


_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _line_numbers(node: yaml.Node | None, path: _Path = ()) -> dict[_Path, int]:
    """Map each key path in the YAML document to its 1-based line."""
    if node is None:
        return {}
    found = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, key.value)
            found[child] = key.start_mark.line + 1
            found.update({p: n for p, n in _line_numbers(value, child).items() if p != child})
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            found.update(_line_numbers(item, (*path, index)))
    return found


def _target(value: dict[str, str] | None) -> Target | None:
    if not value:
        return None
    (statistic, duration), = ((k, v) for k, v in value.items() if k != "time")
    return Target(statistic, parse_duration(duration), value.get("time", "calendar"))


def _target_to_dict(target: Target) -> dict[str, str]:
    return {target.statistic: format_duration(target.seconds), **({"time": target.time} if target.time != "calendar"
                                                                  else {})}


def _step_to_dict(step: Step) -> dict[str, Any]:
    data: dict[str, Any] = {"id": step.id, "label": step.label, "stage": step.stage}
    if step.owner:
        data["owner"] = step.owner
    if step.aliases:
        data["aliases"] = list(step.aliases)
    if step.target:
        data["target"] = _target_to_dict(step.target)
    if step.automatic:
        data["automatic"] = True
    if step.calendar:
        data["calendar"] = step.calendar
    return data
