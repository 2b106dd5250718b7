"""journeymap: a designed journey with measured reality on top.

Load a journey (`load_journey`), load an event log (`read_events`), compute every figure
(`compute_metrics`), and find the few hotspots worth fixing (`find_hotspots`).
"""

from .conformance import Conformance, conformance
from .definition import journey_from_yaml, journey_schema, journey_to_yaml, load_journey, save_journey
from .draft import draft_journey
from .durations import format_seconds_as_text, parse_duration
from .errors import JourneyError
from .events import EventLog, read_events
from .filters import CaseFilter, filter_events
from .hotspots import Hotspot, find_hotspots, where_time_goes
from .metrics import JourneyMetrics, compute_metrics
from .model import Change, Journey, Okr, Stage, Step, Target, Transition
from .summary import metrics_summary

__all__ = [
    "CaseFilter",
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
    "compute_metrics",
    "conformance",
    "draft_journey",
    "filter_events",
    "find_hotspots",
    "format_seconds_as_text",
    "journey_from_yaml",
    "journey_schema",
    "journey_to_yaml",
    "load_journey",
    "metrics_summary",
    "parse_duration",
    "read_events",
    "save_journey",
    "where_time_goes",
]
