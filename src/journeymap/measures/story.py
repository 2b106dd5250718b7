"""The story of a journey every surface tells: where the time goes, the hotspots, the OKRs.

The Map, Time and Flow pages, the workshop views, the report, `journeymap export` and
`journeymap metrics` all read `journey_story`, so that they give the same steps, in the same
order, with the same sentences and numbers, for the same journey, log and filter.
"""

from __future__ import annotations

from dataclasses import dataclass

from journeymap.measures.hotspots import Hotspot, find_hotspots, where_time_goes
from journeymap.measures.metrics import JourneyMetrics
from journeymap.measures.okr import OkrStatus, okr_status

__all__ = ["JourneyStory", "journey_story", "lead_time_rule", "MARKED_HOTSPOTS", "LISTED_HOTSPOTS"]

MARKED_HOTSPOTS = 3  # numbered on the map, in the Map page's cards and in the workshop's spotlight
LISTED_HOTSPOTS = 5  # listed with their sentences in the report


@dataclass(frozen=True)
class JourneyStory:
    """The headline sentence, the hotspot ranking and where each OKR stands."""

    summary: str
    hotspots: tuple[Hotspot, ...]
    okrs: tuple[OkrStatus, ...]

    @property
    def marked(self) -> tuple[Hotspot, ...]:
        """The top hotspots, the ones numbered on the map."""
        return self.hotspots[:MARKED_HOTSPOTS]

    @property
    def listed(self) -> tuple[Hotspot, ...]:
        """The hotspots a report lists."""
        return self.hotspots[:LISTED_HOTSPOTS]


def journey_story(metrics: JourneyMetrics) -> JourneyStory:
    """The story of the metrics: `where_time_goes`, `find_hotspots` and `okr_status` of every OKR."""
    okrs = metrics.journey.okrs if metrics.journey else ()
    return JourneyStory(where_time_goes(metrics), tuple(find_hotspots(metrics)),
                        tuple(okr_status(metrics, okr) for okr in okrs))


def lead_time_rule(metrics: JourneyMetrics) -> str:
    """Where a case's lead time runs, in words, as the metrics' completion rule has it."""
    if metrics.completion == "last_event":
        return "from a case's first event to its last, for cases that end at an end step"
    return "from a case's first event to its first end step"
