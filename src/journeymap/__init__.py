"""journeymap: a designed journey with measured reality on top.

Load a journey (`load_journey`), load an event log (`read_events`), compute every figure
(`compute_metrics`), find the few hotspots worth fixing (`find_hotspots`), draw (`map_chart`) and
export (`export_chart`, `build_report`); compare groups, replay fixes and run workshops with
`compare_change`, `what_if` and `WorkshopStore`.

The names are imported when first used (PEP 562), so that `import journeymap` costs next to nothing
and a command such as `journeymap validate` loads no dataframe, chart or database library it does
not need.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names are, for type checkers and readers; at run time they come lazily
    from journeymap.charts.map import map_chart
    from journeymap.core.durations import format_seconds_as_text, parse_duration
    from journeymap.core.errors import JourneyError
    from journeymap.decide.compare import compare_change, compare_segment
    from journeymap.decide.whatif import p85_impact, what_if
    from journeymap.engine.filters import CaseFilter, filter_events
    from journeymap.export.render import export_chart
    from journeymap.export.report import build_report
    from journeymap.journey.definition import (
        journey_from_yaml,
        journey_schema,
        journey_to_yaml,
        load_journey,
        save_journey,
    )
    from journeymap.journey.model import Change, Journey, Okr, Stage, Step, Target, Transition
    from journeymap.log.eventlog import EventLog
    from journeymap.log.readers import read_events
    from journeymap.measures.casetimes import CaseTimes, case_step_times
    from journeymap.measures.conformance import Conformance, conformance
    from journeymap.measures.draft import draft_journey
    from journeymap.measures.hotspots import Hotspot, find_hotspots, where_time_goes
    from journeymap.measures.metrics import JourneyMetrics, compute_metrics
    from journeymap.measures.summary import metrics_summary
    from journeymap.workshop.store import WorkshopStore

# Where each public name is defined: the same list as the imports above, read at first use.
_HOMES: dict[str, tuple[str, ...]] = {
    "measures.casetimes": ("CaseTimes", "case_step_times"),
    "charts.map": ("map_chart",),
    "decide.compare": ("compare_change", "compare_segment"),
    "measures.conformance": ("Conformance", "conformance"),
    "journey.definition": ("journey_from_yaml", "journey_schema", "journey_to_yaml", "load_journey", "save_journey"),
    "measures.draft": ("draft_journey",),
    "core.durations": ("format_seconds_as_text", "parse_duration"),
    "core.errors": ("JourneyError",),
    "log.eventlog": ("EventLog",),
    "log.readers": ("read_events",),
    "export.render": ("export_chart",),
    "engine.filters": ("CaseFilter", "filter_events"),
    "measures.hotspots": ("Hotspot", "find_hotspots", "where_time_goes"),
    "measures.metrics": ("JourneyMetrics", "compute_metrics"),
    "journey.model": ("Change", "Journey", "Okr", "Stage", "Step", "Target", "Transition"),
    "export.report": ("build_report",),
    "workshop.store": ("WorkshopStore",),
    "measures.summary": ("metrics_summary",),
    "decide.whatif": ("p85_impact", "what_if"),
}
_MODULE_OF = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "CaseFilter",
    "CaseTimes",
    "Change",
    "Conformance",
    "EventLog",
    "Hotspot",
    "Journey",
    "JourneyError",
    "JourneyMetrics",
    "Okr",
    "Stage",
    "Step",
    "Target",
    "Transition",
    "WorkshopStore",
    "build_report",
    "case_step_times",
    "compare_change",
    "compare_segment",
    "compute_metrics",
    "conformance",
    "draft_journey",
    "export_chart",
    "filter_events",
    "find_hotspots",
    "format_seconds_as_text",
    "journey_from_yaml",
    "journey_schema",
    "journey_to_yaml",
    "load_journey",
    "map_chart",
    "metrics_summary",
    "p85_impact",
    "parse_duration",
    "read_events",
    "save_journey",
    "what_if",
    "where_time_goes",
]


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use and keep the name here (later uses are plain lookups)."""
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

