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

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the names are, for type checkers and readers; at run time they come lazily
    from .casetimes import CaseTimes, case_step_times
    from .charts import map_chart
    from .compare import compare_change, compare_segment
    from .conformance import Conformance, conformance
    from .definition import journey_from_yaml, journey_schema, journey_to_yaml, load_journey, save_journey
    from .draft import draft_journey
    from .durations import format_seconds_as_text, parse_duration
    from .errors import JourneyError
    from .events import EventLog, read_events
    from .export import export_chart
    from .filters import CaseFilter, filter_events
    from .hotspots import Hotspot, find_hotspots, where_time_goes
    from .metrics import JourneyMetrics, compute_metrics
    from .model import Change, Journey, Okr, Stage, Step, Target, Transition
    from .report import build_report
    from .store import WorkshopStore
    from .summary import metrics_summary
    from .whatif import p85_impact, what_if

# Where each public name is defined: the same list as the imports above, read at first use.
_HOMES: dict[str, tuple[str, ...]] = {
    "casetimes": ("CaseTimes", "case_step_times"),
    "charts": ("map_chart",),
    "compare": ("compare_change", "compare_segment"),
    "conformance": ("Conformance", "conformance"),
    "definition": ("journey_from_yaml", "journey_schema", "journey_to_yaml", "load_journey", "save_journey"),
    "draft": ("draft_journey",),
    "durations": ("format_seconds_as_text", "parse_duration"),
    "errors": ("JourneyError",),
    "events": ("EventLog", "read_events"),
    "export": ("export_chart",),
    "filters": ("CaseFilter", "filter_events"),
    "hotspots": ("Hotspot", "find_hotspots", "where_time_goes"),
    "metrics": ("JourneyMetrics", "compute_metrics"),
    "model": ("Change", "Journey", "Okr", "Stage", "Step", "Target", "Transition"),
    "report": ("build_report",),
    "store": ("WorkshopStore",),
    "summary": ("metrics_summary",),
    "whatif": ("p85_impact", "what_if"),
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


class _Package(ModuleType):
    """This package's module object. Importing a submodule binds it on its package under its own name,
    and one module shares its name with the function it defines (`journeymap.conformance`): once the
    app imported that module, `journeymap.conformance` would be the module, not the function the API
    promises. Bind the function instead, as the eager `from .conformance import conformance` did."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, ModuleType) and _MODULE_OF.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
