"""How a log's cases end: the activities that really end them (end steps), the negative
outcomes among those (exit steps: rejections, cancellations, withdrawals), and how long a case may
be silent before it counts as dropped (`stale_after_of_waits`).

One definition serves a bare log's case status (`metrics.case_rules`), the draft's proposal and
the Data page where a user confirms it, so all three name the same steps with the same counts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import narwhals as nw

from journeymap.engine.prepare import PreparedEvents, collect, in_order, to_pandas
from journeymap.journey.model import DEFAULT_STALE_AFTER_S

__all__ = ["Outcome", "Outcomes", "log_outcomes", "proposed_outcomes", "looks_like_exit", "EXIT_WORDS",
           "stale_after_of_waits", "log_stale_after_s", "WAIT_QUANTILE", "MIN_WAITS"]

# Words that name a negative outcome, matched at the start of a word in any letter case. English
# first, then the Dutch, German, French, Spanish and Italian spellings seen in public logs.
EXIT_WORDS = (
    "reject", "declin", "cancel", "withdr", "abort", "abandon", "refus", "denied", "deny", "denial", "lost",
    "void", "terminat", "expire", "dismiss", "invalid", "duplicat", "not approved", "no show", "no-show", "fail",
    "delet", "gelöscht", "afgewezen", "afwijz", "geannuleerd", "annul", "abgelehnt", "ablehn", "storn", "abgebrochen",
    "zurückgezogen", "rechaz", "cancelad", "anulad", "rifiut", "respint",
)
_EXIT = re.compile(r"(?<![a-z])(" + "|".join(re.escape(word) for word in EXIT_WORDS) + ")", re.IGNORECASE)
END_MIN_SHARE = 0.02     # an end step ends at least this share of the cases ...
END_MIN_TERMINAL = 0.5   # ... and is the last event of at least half of the cases that reach it,
END_ALWAYS_SHARE = 0.2   # ... or, whatever follows it elsewhere, ends this share of all cases
WAIT_QUANTILE = 0.99     # a case silent longer than this share of the log's waits between two events is dropped
MIN_WAITS = 200          # ... read from this many waits at least (two of them above the quantile)
_WEEK_S = 7 * 86_400.0


def looks_like_exit(activity: str) -> bool:
    """True when an activity's name says the case failed or left (rejected, cancelled, withdrawn ...)."""
    return bool(_EXIT.search(str(activity)))


@dataclass(frozen=True)
class Outcome:
    """A step with the number of cases whose last event is there, of the `reached` that visit it."""

    step: str
    ending: int
    reached: int


@dataclass(frozen=True)
class Outcomes:
    """End and exit steps proposed from a log, busiest first, and every step cases end at."""

    end: tuple[Outcome, ...]
    exit: tuple[Outcome, ...]
    last_steps: tuple[Outcome, ...]

    @property
    def end_steps(self) -> tuple[str, ...]:
        """The proposed end steps' names."""
        return tuple(outcome.step for outcome in self.end)

    @property
    def exit_steps(self) -> tuple[str, ...]:
        """The proposed exit steps' names."""
        return tuple(outcome.step for outcome in self.exit)


def log_outcomes(events: nw.LazyFrame[Any], names: dict[int, str], reached: dict[str, int] | None = None
                 ) -> Outcomes:
    """Propose end and exit steps from prepared events (`engine.prepare_events`: `case_code`,
    `step_code`, `is_last`).

    An end step ends at least `END_MIN_SHARE` of the cases and is the last event of most cases that
    reach it, or ends `END_ALWAYS_SHARE` of all cases: a usual last activity that also happens
    early ("Closed", later reopened) still ends cases, while "fix", mostly followed by more work
    and only now and then the last event, does not. Ending activities named like a
    negative outcome (`looks_like_exit`) are exits instead. With no such activity, the most common
    last one that is not an exit is the end. `reached` (cases per step name), when the caller has
    counted it, spares a pass over the events.
    """
    lasts = to_pandas(events.filter(nw.col("is_last")).with_columns(alone=nw.col("is_first").cast(nw.Int64))
                      .group_by("step_code").agg(nw.len().alias("ending"), nw.col("alone").sum()))
    if lasts.empty:
        return Outcomes((), (), ())
    table = lasts.assign(step=lasts["step_code"].map(names))
    if reached is None:
        counted = to_pandas(events.filter(nw.col("step_code").is_in(table["step_code"].tolist()))
                            .group_by("step_code").agg(nw.col("case_code").n_unique().alias("reached")))
        table = table.merge(counted, on="step_code")
    else:
        table["reached"] = table["step"].map(reached)
    return proposed_outcomes(dict(zip(table["step"], table["ending"])), dict(zip(table["step"], table["reached"])),
                             dict(zip(table["step"], table["alone"])))


def proposed_outcomes(ending: dict[str, int], reached: dict[str, int], alone: dict[str, int] | None = None
                      ) -> Outcomes:
    """The end and exit steps (`log_outcomes`' rule) from the cases whose last event is at each step
    (steps no case ends at left out) and the cases that reach each.

    `alone` counts, of the cases ending at a step, those with no other event: a ticket only created,
    an employee only hired. They have not moved, so they do not make their step an end (a wide export's
    open tickets made "Created" an end, finished with a lead time of 0 s); they still count as ending
    there."""
    if not ending:
        return Outcomes((), (), ())
    alone = alone or {}
    moved = {step: int(n) - int(alone.get(step, 0)) for step, n in ending.items()}
    if not any(moved.values()):  # every case is one event: its step is what the log has
        moved = {step: int(n) for step, n in ending.items()}
    n_cases = sum(moved.values())
    outcomes = [Outcome(step, int(ending[step]), int(reached[step]))
                for step in sorted(ending, key=lambda step: (-ending[step], step))]
    exits = tuple(o for o in outcomes if looks_like_exit(o.step))
    ends = tuple(o for o in outcomes if not looks_like_exit(o.step) and (
        moved[o.step] >= END_ALWAYS_SHARE * n_cases
        or (moved[o.step] >= END_MIN_SHARE * n_cases
            and moved[o.step] >= END_MIN_TERMINAL * (o.reached - (o.ending - moved[o.step])))))
    if not ends:
        fallback = [o for o in outcomes if not looks_like_exit(o.step)] or outcomes
        ends = (fallback[0],)
        exits = tuple(o for o in exits if o != fallback[0])
    return Outcomes(ends, exits, tuple(outcomes))


def stale_after_of_waits(n_waits: int, n_longer: int, quantile_s: Callable[[], float]) -> float:
    """A bare log's `stale_after`: 30 days (DESIGN.md's default), or longer where this log's cases wait
    longer between two of their events: the `WAIT_QUANTILE` wait rounded up to whole weeks, given at
    least `MIN_WAITS` waits. `n_longer` of the `n_waits` are longer than 30 days; `quantile_s()` computes
    the quantile in seconds, and is called only when it can matter: where so few waits are longer
    than 30 days that the quantile's upper neighbour is not one of them, it is 30 days or less, and
    two counts spare sorting ten million waits.

    An invoice log whose cases often wait six weeks for a payment would otherwise call every case in
    such a wait "dropped" on its 31st day, and the map's drop-outs would be slow cases, not lost ones.
    Never shorter than 30 days, so a fast log's statuses stay as they were; and of a few waits the
    99th percentile is the longest one, which says nothing usual (29 waits of 5 days and one of 400
    would keep a case silent 200 days in flight)."""
    if n_waits < MIN_WAITS or n_longer <= n_waits - 1 - math.ceil(WAIT_QUANTILE * (n_waits - 1)):
        return DEFAULT_STALE_AFTER_S
    usual = quantile_s()
    if not usual > DEFAULT_STALE_AFTER_S:
        return DEFAULT_STALE_AFTER_S
    return math.ceil(usual / _WEEK_S) * _WEEK_S


def log_stale_after_s(prepared: PreparedEvents) -> float:
    """`stale_after_of_waits` of prepared events (`engine.prepare_events`): the waits are the times
    between a case's consecutive events."""
    step = in_order(prepared.eager)
    wait = nw.when(step(nw.col("case_code").shift(1)) == nw.col("case_code")).then(
        nw.col("ts") - step(nw.col("ts").shift(1)))
    waits = prepared.frame().select(wait=wait).lazy().filter(~nw.col("wait").is_null())
    n, longer = (int(v or 0) for v in collect(waits.select(
        nw.len().alias("n"), (nw.col("wait") > int(DEFAULT_STALE_AFTER_S * 1_000_000)).cast(nw.Int64).sum()
        .alias("longer"))).row(0))
    return stale_after_of_waits(n, longer, lambda: float(collect(waits.select(
        nw.col("wait").quantile(WAIT_QUANTILE, "linear"))).item()) / 1_000_000)
