"""journeymap: a designed journey with measured reality on top.

Load a journey (`load_journey`), load an event log (`read_events`), compute every figure
(`compute_metrics`), find the few hotspots worth fixing (`find_hotspots`), draw (`map_chart`) and
export (`export_chart`, `build_report`); compare groups, replay fixes and run workshops with
`compare_change`, `what_if` and `WorkshopStore`.
"""

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
