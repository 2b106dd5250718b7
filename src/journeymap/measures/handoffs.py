"""Handoffs: the transitions where a case passes from one team to another, and the time they take.

A handoff is a transition (two consecutive events of a case, DESIGN.md) between two steps owned by
different teams: the owners a journey gives its steps, or, where the journey names none (a bare log,
a drafted journey) or a column is named, the team or resource column of the log, event by event.
A step or event with no owner neither hands off nor receives: an off-map activity between two
teams hides that handoff rather than inventing one.

Figures, written once here (the metrics JSON, the hotspots, the map and the README read them):
- per case: the handoffs of each completed case up to its completion (median, p85, mean);
- `share_of_lead_time`: the time of those handoffs over the total lead time of completed cases
  (the same sum the steps' delay shares are made of, restricted to handoffs);
- per team pair (`pairs`): `count` (every occurrence), `cases` (distinct cases), median and p85
  time (all occurrences, as the transitions table), `per_case` = count / cases, its share of lead
  time, the step where most of that time arrives (`step`, where the map marks it) and the part of
  the pair's lead time that arrives there (`step_share`);
- `ping_pong_cases`: cases that hand work to a team they had handed work away from before.

Computed from the metrics' transition frame (`metrics._transitions`), engine-neutral (Narwhals);
only team-sized tables leave the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from journeymap.core.errors import JourneyError
from journeymap.core.jsonable import plain
from journeymap.engine.prepare import collect, lookup, lookup_expr, to_pandas
from journeymap.engine.stats import ExactSeconds, Quantile, grouped_table, quantile_of
from journeymap.journey.model import Journey
from journeymap.log.columns import column_named

__all__ = ["Handoffs", "HandoffOwners", "handoff_owners", "handoff_table", "handoffs_json", "team_column",
           "TEAM_NAMES", "OWNER_CODE", "discrete_quantile"]

# Spellings of a team or resource column, best first (compared lower-cased, non-letters dropped);
# a team beats a person: handoffs between teams are what ops leads fight.
TEAM_NAMES = ("org:group", "team", "owner_team", "owner", "assignment_group", "assigned_group", "support_group",
              "resolver_group", "group", "role", "equipe", "groupe", "org:resource", "resource", "assignee",
              "assigned_to", "handled_by", "performer", "agent", "user", "worker", "sachbearbeiter", "bearbeiter",
              "mitarbeiter", "benutzer", "responsable", "usuario")
OWNER_CODE = "owner_code"  # the events' integer team code, when owners come from a column (-1: none)
PAIR_COLUMNS = ["from_owner", "to_owner", "count", "cases", "per_case", "median_s", "p85_s", "lead_s",
                "share_of_lead_time", "step", "step_share"]
EDGE_COLUMNS = ["from", "to", "handoffs", "lead_s"]


@dataclass(frozen=True)
class HandoffOwners:
    """Where owners come from: the journey's step owners (`column` None) or a log column, and the
    team names by code."""

    names: tuple[str, ...]
    column: str | None = None
    step_codes: tuple[int, ...] = ()  # journey owners: the owner code of each step code (-1: none)

    @property
    def source(self) -> str:
        """'journey' or 'column <name>', for the JSON and captions."""
        return "journey" if self.column is None else f"column {self.column}"


@dataclass(frozen=True)
class Handoffs:
    """The handoffs of a journey over a log (module docstring for every figure)."""

    owners: HandoffOwners
    count: int
    completed_cases: int
    per_case_median: float | None
    per_case_p85: float | None
    per_case_mean: float | None
    lead_s: float
    share_of_lead_time: float | None
    ping_pong_cases: int
    pairs: pd.DataFrame  # PAIR_COLUMNS, worst (largest share of lead time) first
    edges: pd.DataFrame  # EDGE_COLUMNS: per step-to-step transition, how often it was a handoff

    def pair(self, from_owner: str, to_owner: str) -> dict[str, Any]:
        """One team pair's row as a dict (KeyError when that pair never handed off)."""
        found = self.pairs[(self.pairs["from_owner"] == from_owner) & (self.pairs["to_owner"] == to_owner)]
        if found.empty:
            raise KeyError((from_owner, to_owner))
        return found.iloc[0].to_dict()


def team_column(columns: Iterable[str]) -> str | None:
    """The log column that names the team (or person) doing each event, by its name; None if none does."""
    return column_named(columns, TEAM_NAMES)


# What exports write in a team column when nobody holds the event: no team, so no handoff to or from it.
NO_TEAM = frozenset({"empty", "none", "null", "nan", "n/a", "na", "-", "unknown", "unassigned", "(blank)"})


def handoff_owners(journey: Journey | None, events: Any, attributes: Sequence[str], step_codes: dict[str, int],
                   team: str | None) -> tuple[HandoffOwners | None, Any]:
    """Whose each event is, and the events with the column that says so (`OWNER_CODE`) when a column does.

    `team` names the column; without it the journey's step owners count, and where the journey names
    none (or there is no journey) a column found by `team_column`. None when nothing names a team.
    """
    if team is None and journey is not None and any(step.owner for step in journey.steps):
        names = tuple(sorted({step.owner for step in journey.steps if step.owner}))
        code = {name: i for i, name in enumerate(names)}
        by_code = [-1] * len(step_codes)
        for step in journey.steps:
            if step.id in step_codes and step.owner:
                by_code[step_codes[step.id]] = code[step.owner]
        return HandoffOwners(names, None, tuple(by_code)), events
    column = team if team is not None else team_column(attributes)
    if column is None:
        return None, events
    if column not in attributes:
        shown = ", ".join(attributes[:12]) or "none"
        raise JourneyError(f"--team names a column '{column[:60]}' that the event log does not have; its other "
                           f"columns are: {shown}.")
    frame = nw.from_native(events)
    text = nw.col(column).cast(nw.String).fill_null("").str.strip_chars()
    names = tuple(sorted(v for v in collect(frame.lazy().select(text.alias("t")).unique()).get_column("t").to_list()
                         if v and v.casefold() not in NO_TEAM))
    if not names:
        return None, events
    coded = frame.with_columns(lookup_expr(text, {name: i for i, name in enumerate(names)}, nw.Int32).alias(OWNER_CODE))
    return HandoffOwners(names, column), coded.to_native()


def handoff_table(transitions: nw.LazyFrame[Any], owners: HandoffOwners, names: dict[int, str],
                  completed_cases: int, total_lead_s: float, eager: bool) -> Handoffs:
    """The handoffs among the metrics' transitions (module docstring).

    `transitions` has `case_code`, `step_code`, `next_step_code`, `duration_s`, `in_lead`, and, when
    owners come from a column, `owner_code` and `next_owner_code`; on lazy engines `idx` orders them.
    """
    n_owners, n_steps = max(len(owners.names), 1), max(len(names), 1)
    if owners.column is None:
        frame = lookup(lookup(transitions, "step_code", owners.step_codes, "from_owner", nw.Int32),
                       "next_step_code", owners.step_codes, "to_owner", nw.Int32)
    else:
        frame = transitions.rename({OWNER_CODE: "from_owner", f"next_{OWNER_CODE}": "to_owner"})
    handoffs = frame.filter((nw.col("from_owner") >= 0) & (nw.col("to_owner") >= 0)
                            & (nw.col("from_owner") != nw.col("to_owner"))).select(
        "case_code", "step_code", "next_step_code", "duration_s", "in_lead",
        *([] if eager else ["idx"]),
        pair=nw.col("from_owner").cast(nw.Int64) * n_owners + nw.col("to_owner"),
        lead_s=nw.when(nw.col("in_lead")).then(nw.col("duration_s")).otherwise(0.0))
    if eager:  # still in event order: a row number orders the handoffs of a case
        handoffs = handoffs.collect().with_row_index("idx").lazy()
    by_steps = grouped_table(handoffs.with_columns(
        key=(nw.col("pair") * n_steps + nw.col("step_code")) * n_steps + nw.col("next_step_code")),
        "key", [nw.len().alias("handoffs"), ExactSeconds("lead_s", "lead_s")])
    by_steps["pair"], rest = by_steps["key"] // (n_steps * n_steps), by_steps["key"] % (n_steps * n_steps)
    by_steps["from"], by_steps["to"] = (rest // n_steps).map(names), (rest % n_steps).map(names)
    pairs = _pair_table(handoffs, by_steps, owners.names, n_owners, total_lead_s)
    edges = (by_steps.groupby(["from", "to"], as_index=False)[["handoffs", "lead_s"]].sum()
             .sort_values(["handoffs", "from", "to"], ascending=[False, True, True]).reset_index(drop=True))
    per_case = to_pandas(handoffs.filter(nw.col("in_lead")).group_by("case_code").agg(nw.len().alias("n"))
                         .group_by("n").agg(nw.len().alias("cases")))
    values = np.concatenate([[0], per_case["n"].to_numpy(np.int64)])
    counts = np.concatenate([[completed_cases - int(per_case["cases"].sum())], per_case["cases"].to_numpy(np.int64)])
    lead_s = float(by_steps["lead_s"].sum())
    return Handoffs(
        owners=owners, count=int(by_steps["handoffs"].sum()), completed_cases=completed_cases,
        per_case_median=discrete_quantile(values, counts, quantile_of("median")),
        per_case_p85=discrete_quantile(values, counts, quantile_of("p85")),
        per_case_mean=float(values @ counts / completed_cases) if completed_cases else None,
        lead_s=lead_s, share_of_lead_time=lead_s / total_lead_s if total_lead_s > 0 else None,
        ping_pong_cases=_ping_pong_cases(handoffs, n_owners, eager), pairs=pairs, edges=edges[EDGE_COLUMNS])


def _pair_table(handoffs: nw.LazyFrame[Any], by_steps: pd.DataFrame, teams: tuple[str, ...], n_owners: int,
                total_lead_s: float) -> pd.DataFrame:
    """One row per team pair, worst first; `step` is where most of its lead time (else most of its
    handoffs) arrives."""
    table = grouped_table(handoffs, "pair", [
        nw.len().alias("count"), nw.col("case_code").n_unique().alias("cases"),
        Quantile("duration_s", quantile_of("median"), "median_s"), Quantile("duration_s", quantile_of("p85"), "p85_s"),
        ExactSeconds("lead_s", "lead_s")])
    into = by_steps.groupby(["pair", "to"], as_index=False)[["lead_s", "handoffs"]].sum()
    landing = into.sort_values(["pair", "lead_s", "handoffs", "to"], ascending=[True, False, False, True])
    landing = landing.drop_duplicates("pair").set_index("pair")
    table["step"] = table["pair"].map(landing["to"])
    table["step_share"] = (table["pair"].map(landing["lead_s"]) / table["lead_s"]).where(table["lead_s"] > 0, 1.0)
    table["from_owner"] = [teams[int(code)] for code in table["pair"] // n_owners]
    table["to_owner"] = [teams[int(code)] for code in table["pair"] % n_owners]
    table["per_case"] = table["count"] / table["cases"]
    table["share_of_lead_time"] = table["lead_s"] / total_lead_s if total_lead_s > 0 else float("nan")
    table = table.sort_values(["lead_s", "count", "from_owner", "to_owner"], ascending=[False, False, True, True])
    return table[PAIR_COLUMNS].reset_index(drop=True)


def _ping_pong_cases(handoffs: nw.LazyFrame[Any], n_owners: int, eager: bool = False) -> int:
    """Cases with a handoff into a team after a handoff out of it: per (case, team), the first time
    the case left it against the last time it came in."""
    if eager:
        counted = _ping_pong_in_memory(collect(handoffs.select("case_code", "pair", "idx")), n_owners)
        if counted is not None:
            return counted

    def by_team(team: nw.Expr) -> nw.LazyFrame[Any]:
        return handoffs.select("idx", key=nw.col("case_code").cast(nw.Int64) * n_owners + team)

    left = by_team(nw.col("pair") // n_owners).group_by("key").agg(nw.col("idx").min().alias("left"))
    came = by_team(nw.col("pair") % n_owners).group_by("key").agg(nw.col("idx").max().alias("came"))
    back = left.join(came, on="key").filter(nw.col("came") > nw.col("left"))
    return int(collect(back.select((nw.col("key") // n_owners).n_unique())).item() or 0)


_MAX_SLOTS = 50_000_000  # (case, team) slots the in-memory count may hold: 200 MB of int32


def _ping_pong_in_memory(handoffs: nw.DataFrame[Any], n_owners: int) -> int | None:
    """`_ping_pong_cases` on eager engines, whose case codes are 0..n-1: one slot per (case, team) holds
    the first leaving and the last arrival (two passes over the handoffs instead of two group-bys and a
    join of millions of keys); None when the slots would not fit."""
    if not len(handoffs):
        return 0
    case = handoffs.get_column("case_code").to_numpy()
    pair = handoffs.get_column("pair").to_numpy().astype(np.intp, copy=False)  # pandas may hand floats over
    slots = (int(case.max()) + 1) * n_owners
    if slots > _MAX_SLOTS:
        return None
    # The handoffs' own row numbers order them (`handoff_table`): 32 bits below 2**31 handoffs, which halves
    # the slots and the positions (memory touched the first time is most of this count's cost).
    order = np.int32 if len(handoffs) < 2**31 else np.int64
    idx = handoffs.get_column("idx").to_numpy().astype(order)
    slot = case.astype(np.intp) * n_owners
    left: np.ndarray = np.full(slots, np.iinfo(order).max, dtype=order)
    np.minimum.at(left, slot + pair // n_owners, idx)
    came: np.ndarray = np.full(slots, -1, dtype=order)
    np.maximum.at(came, np.add(slot, pair % n_owners, out=slot), idx)
    returning = np.flatnonzero(came > left) // n_owners  # sorted: a case's slots are adjacent
    return int(np.count_nonzero(np.diff(returning)) + 1) if len(returning) else 0


def discrete_quantile(values: np.ndarray, counts: np.ndarray, q: float) -> float | None:
    """The q-quantile, interpolated linearly (numpy's default), of `values` each repeated `counts` times."""
    keep = counts > 0
    values, counts = values[keep], counts[keep]
    total = int(counts.sum())
    if total == 0:
        return None
    order = np.argsort(values, kind="stable")
    values, ends = values[order], np.cumsum(counts[order])
    position = q * (total - 1)
    low, high = (values[np.searchsorted(ends, p, side="right")] for p in (np.floor(position), np.ceil(position)))
    return float(low + (position - np.floor(position)) * (high - low))


def handoffs_json(handoffs: Handoffs | None) -> dict[str, Any] | None:
    """The handoffs as plain JSON-ready data (`journeymap metrics --format json`); None without teams."""
    if handoffs is None:
        return None

    return {
        "owners": handoffs.owners.source, "count": handoffs.count, "completed_cases": handoffs.completed_cases,
        "per_case_median": handoffs.per_case_median, "per_case_p85": handoffs.per_case_p85,
        "per_case_mean": handoffs.per_case_mean, "share_of_lead_time": handoffs.share_of_lead_time,
        "ping_pong_cases": handoffs.ping_pong_cases,
        "pairs": [{key: plain(row[key]) for key in ("from_owner", "to_owner", "count", "cases", "per_case", "median_s",
                                                    "p85_s", "share_of_lead_time", "step")}
                  for row in handoffs.pairs.to_dict("records")],
    }
