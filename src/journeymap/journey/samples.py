"""Sample journeys and a seeded, vectorised event-log generator.

The three sample journeys (``journeymap/journeys/<id>.yaml``, package data) come with event logs
(``journeymap/journeys/<id>.events.csv.gz``) made by :func:`generate_events`. Each log is built
to hold something true for the analysis to find: lognormal step times with one or two
bottlenecks, rework loops, exits, drop-offs, off-map activities, cases still in flight,
segments that are slower at one step, and a dated process change after which one
bottleneck clearly shrinks. Everything the generator knows about a journey is data in
``_SIMS``; the simulation itself is one loop over *rounds* (one event per active case),
vectorised over cases with numpy.

Clocks: a "work" step advances on working time (Mon-Fri 08:00-18:00 in the case's local
time, 10 working hours a day); a "calendar" step advances on wall-clock time.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import numpy as np
import polars as pl

__all__ = [
    "COLUMNS",
    "SAMPLE_JOURNEYS",
    "SURVEY_COLUMN",
    "generate_events",
    "journeys_dir",
    "off_map_activities",
    "sample_events_path",
    "sample_journey_path",
    "sample_log_bytes",
    "write_sample_logs",
]

SAMPLE_JOURNEYS: tuple[str, ...] = ("onboarding", "service_desk", "purchase_request")
COLUMNS: tuple[str, ...] = (
    "case_id", "activity", "timestamp", "department", "location", "priority", "channel", "csat",
)
SURVEY_COLUMN = "csat"  # a CSAT answer (1-5) on the last event of the cases that answered the survey
_SURVEY_SHARE = 0.5  # of the cases that ended (completed or exited)
DEFAULT_END = datetime(2026, 10, 31, tzinfo=UTC)
_SAMPLE_SIZES = {"onboarding": 2400, "service_desk": 4000, "purchase_request": 3000}
_SAMPLE_SEED = 2026
_UTC_OFFSET_H = {"Berlin": 1, "London": 0, "Warsaw": 1, "Austin": -6, "Singapore": 8}
_DAY, _OPEN, _WORKDAY = 86_400, 8 * 3_600, 10 * 3_600  # a working day: 08:00-18:00 local
_WEEK = 5 * _WORKDAY
_LOCATIONS = {"Berlin": 0.3, "London": 0.25, "Warsaw": 0.2, "Austin": 0.15, "Singapore": 0.1}


@dataclass(frozen=True)
class StepSim:
    """How one step shows up in the log.

    ``hours`` and ``sigma`` give the lognormal arrival time into the step (median, in
    hours of the step's clock); ``names`` are the activity names systems emit for it (the
    first for 60% of cases, the rest share 40%); ``drop`` is the chance a case goes silent
    after reaching the step; ``tie`` the chance it is logged in the same second as the
    event before.
    """

    names: tuple[str, ...]
    hours: float = 0.0
    sigma: float = 0.8
    drop: float = 0.0
    tie: float = 0.0
    clock: str = "work"


@dataclass(frozen=True)
class JourneySim:
    """Generator parameters of one journey; ``steps`` are in design order (first = start).

    ``flow`` maps a step to branch weights of its next steps (a transition to an earlier
    step is a loop, capped at ``max_loops`` per case; steps with no flow end the case);
    ``effects`` are ``(column, value, steps, factor)`` multipliers on arrival time;
    ``change`` is ``(date, steps, factor)``, applied to waits that begin on or after the
    date; ``edges`` override ``(hours, sigma)`` of single transitions; ``off_map`` gives
    the share of cases with each off-map activity, placed in a random moment of the case.
    """

    prefix: str
    span_days: int
    steps: dict[str, StepSim]
    flow: dict[str, dict[str, float]]
    segments: dict[str, dict[str, float]]
    effects: tuple[tuple[str, str, tuple[str, ...], float], ...] = ()
    change: tuple[str, tuple[str, ...], float] | None = None
    edges: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    off_map: dict[str, float] = field(default_factory=dict)
    max_loops: int = 3
    # The planted survey relation: (step, seconds, points): cases whose arrival at the step took
    # longer than that score this many points lower (before rounding to 1-5).
    survey: tuple[str, float, float] | None = None


_S = StepSim
_SIMS: dict[str, JourneySim] = {
    "onboarding": JourneySim(
        prefix="ONB", span_days=330,
        steps={
            "offer_accepted": _S(("Offer accepted", "offer_accepted", "Offer signed")),
            "background_check": _S(("Background check", "Background Check Completed", "bg_check_done"),
                                   25, 0.7, drop=0.01),
            "documents_requested": _S(("Documents requested", "Additional documents requested", "docs_requested"),
                                      12, 0.9, drop=0.08),
            "contract_signed": _S(("Contract signed", "CONTRACT SIGNED", "docusign_envelope_completed"),
                                  10, 0.9, drop=0.015),
            "equipment_ordered": _S(("Equipment ordered", "equipment_ordered", "Laptop order placed"), 6, 0.8),
            "equipment_shipped": _S(("Equipment shipped", "Equipment Shipped", "laptop_shipped"), 45, 0.55),
            "equipment_returned": _S(("Equipment returned", "Equipment returned - wrong spec", "laptop_rma"), 20, 0.8),
            "accounts_created": _S(("Accounts created", "accounts_created", "AD account provisioned"),
                                   12, 0.9, drop=0.01, tie=0.03),
            "laptop_setup": _S(("Laptop set up", "Laptop setup complete", "laptop_setup"), 20, 0.7, drop=0.02),
            "day1_orientation": _S(("Day-1 orientation", "Day 1 orientation attended", "orientation_done"), 3, 0.6),
            "first_login": _S(("First login", "first_login", "User first sign-in"), 2, 1.0),
            "offer_withdrawn": _S(("Offer withdrawn", "offer_withdrawn", "Candidate withdrew"), 30, 1.0),
        },
        flow={
            "offer_accepted": {"background_check": 1},
            "background_check": {"contract_signed": 0.85, "documents_requested": 0.12, "offer_withdrawn": 0.03},
            "documents_requested": {"background_check": 1},
            "contract_signed": {"equipment_ordered": 0.97, "offer_withdrawn": 0.03},
            "equipment_ordered": {"equipment_shipped": 1},
            "equipment_shipped": {"accounts_created": 0.93, "equipment_returned": 0.06, "offer_withdrawn": 0.01},
            "equipment_returned": {"equipment_ordered": 1},
            "accounts_created": {"laptop_setup": 1},
            "laptop_setup": {"day1_orientation": 0.85, "first_login": 0.15},
            "day1_orientation": {"first_login": 1},
        },
        segments={
            "department": {"Engineering": 0.35, "Sales": 0.2, "Operations": 0.2,
                           "Finance": 0.1, "Customer Support": 0.15},
            "location": _LOCATIONS,
            "priority": {"standard": 0.85, "urgent": 0.15},
            "channel": {"direct": 0.4, "referral": 0.25, "agency": 0.2, "internal": 0.15},
        },
        effects=(
            ("location", "Warsaw", ("equipment_shipped",), 1.9),
            ("location", "Austin", ("background_check",), 1.8),
            ("department", "Engineering", ("accounts_created",), 1.7),
            ("priority", "urgent", ("equipment_ordered", "contract_signed"), 0.4),
            ("channel", "agency", ("background_check",), 0.7),
        ),
        change=("2026-06-01", ("equipment_shipped",), 0.55),
        off_map={"Manager pinged HR": 0.08, "Buddy assigned": 0.12, "Security exception requested": 0.02},
        survey=("equipment_shipped", 5 * _DAY, -1.3),
    ),
    "service_desk": JourneySim(
        prefix="INC", span_days=300,
        steps={
            "new": _S(("New", "Ticket created", "ticket_created")),
            "triage": _S(("Triage", "Triaged", "triage_done"), 1.0, 1.0, drop=0.005),
            "assigned": _S(("Assigned", "Assigned to group", "ASSIGNED"), 8, 1.0, drop=0.01, tie=0.02),
            "reassigned": _S(("Reassigned", "Reassigned to group", "reassignment"), 2, 1.0),
            "in_progress": _S(("In progress", "In Progress", "work_started"), 1.5, 1.0),
            "waiting_on_user": _S(("Waiting on user", "Pending - awaiting user", "awaiting_user"), 1.5, 1.0, drop=0.06),
            "resolved": _S(("Resolved", "RESOLVED", "resolution_provided"), 8, 1.2),
            "reopened": _S(("Reopened", "Re-opened", "ticket_reopened"), 15, 1.0),
            "closed": _S(("Closed", "Closed (auto)", "ticket_closed"), 24, 0.05, clock="calendar"),
            "cancelled": _S(("Cancelled", "Canceled", "ticket_cancelled"), 3, 1.0),
            "duplicate": _S(("Duplicate", "Closed as duplicate", "duplicate"), 0.5, 1.0),
        },
        flow={
            "new": {"triage": 1},
            "triage": {"assigned": 0.89, "duplicate": 0.07, "cancelled": 0.04},
            "assigned": {"in_progress": 0.8, "reassigned": 0.2},
            "reassigned": {"assigned": 1},
            "in_progress": {"resolved": 0.68, "waiting_on_user": 0.3, "cancelled": 0.02},
            "waiting_on_user": {"in_progress": 0.85, "cancelled": 0.15},
            "resolved": {"closed": 0.91, "reopened": 0.09},
            "reopened": {"in_progress": 1},
        },
        segments={
            "department": {"Engineering": 0.3, "Operations": 0.28, "Sales": 0.22, "Finance": 0.12, "HR": 0.08},
            "location": _LOCATIONS,
            "priority": {"P1": 0.03, "P2": 0.15, "P3": 0.55, "P4": 0.27},
            "channel": {"portal": 0.5, "email": 0.28, "phone": 0.14, "chat": 0.08},
        },
        effects=(
            ("location", "Singapore", ("assigned",), 2.2),
            ("channel", "email", ("triage",), 2.5),
            ("channel", "phone", ("triage",), 0.3),
            ("department", "Finance", ("resolved",), 1.6),
            ("priority", "P1", ("assigned", "in_progress", "resolved"), 0.25),
            ("priority", "P2", ("assigned", "in_progress", "resolved"), 0.6),
            ("priority", "P4", ("assigned", "in_progress", "resolved"), 1.4),
        ),
        change=("2026-05-18", ("assigned",), 0.5),
        edges={("waiting_on_user", "in_progress"): (10, 1.1), ("waiting_on_user", "cancelled"): (50, 0.1)},
        off_map={"Customer called for update": 0.07, "Priority changed": 0.05, "Escalated to vendor": 0.02},
        survey=("assigned", 1 * _DAY, -1.3),
    ),
    "purchase_request": JourneySim(
        prefix="PR", span_days=330,
        steps={
            "submitted": _S(("Submitted", "Request submitted", "PR_SUBMITTED")),
            "returned_for_changes": _S(("Returned for changes", "Returned to requester", "pr_returned"),
                                       10, 0.9, drop=0.2),
            "manager_approval": _S(("Manager approval", "Approved by manager", "mgr_approved"), 12, 0.9, drop=0.03),
            "budget_check": _S(("Budget check", "Budget checked", "budget_check_ok"), 4, 1.0),
            "procurement_review": _S(("Procurement review", "Procurement reviewed", "proc_review_done"),
                                     22, 0.8, drop=0.01),
            "finance_query": _S(("Finance query", "Query from finance", "fin_query"), 20, 0.8, drop=0.05),
            "finance_approval": _S(("Finance approval", "Approved by finance", "FIN_APPROVED"), 32, 0.8),
            "po_issued": _S(("PO issued", "Purchase order issued", "po_created"), 6, 0.9, tie=0.05),
            "goods_received": _S(("Goods received", "GOODS RECEIPT", "goods_receipt_posted"), 20, 0.6),
            "rejected_by_manager": _S(("Rejected by manager", "Manager rejected", "mgr_rejected"), 14, 0.9),
            "rejected_by_finance": _S(("Rejected by finance", "Rejected - no budget", "fin_rejected"), 16, 0.9),
            "cancelled_by_requester": _S(("Cancelled by requester", "Withdrawn by requester", "req_cancelled"),
                                         20, 1.0),
        },
        flow={
            "submitted": {"manager_approval": 0.82, "returned_for_changes": 0.08,
                          "rejected_by_manager": 0.07, "cancelled_by_requester": 0.03},
            "returned_for_changes": {"submitted": 1},
            "manager_approval": {"budget_check": 1},
            "budget_check": {"procurement_review": 0.95, "rejected_by_finance": 0.05},
            "procurement_review": {"finance_approval": 0.83, "finance_query": 0.1,
                                   "rejected_by_finance": 0.04, "cancelled_by_requester": 0.03},
            "finance_query": {"procurement_review": 1},
            "finance_approval": {"po_issued": 1},
            "po_issued": {"goods_received": 1},
        },
        segments={
            "department": {"Engineering": 0.3, "Operations": 0.25, "Facilities": 0.15,
                           "Sales": 0.15, "Marketing": 0.15},
            "location": _LOCATIONS,
            "priority": {"normal": 0.85, "urgent": 0.15},
            "channel": {"catalogue": 0.45, "portal": 0.35, "email": 0.2},
        },
        effects=(
            ("channel", "email", ("procurement_review",), 2.0),
            ("location", "Singapore", ("finance_approval",), 1.6),
            ("priority", "urgent", ("manager_approval", "finance_approval"), 0.5),
            ("department", "Facilities", ("goods_received",), 1.5),
        ),
        change=("2026-07-01", ("finance_approval",), 0.5),
        edges={("returned_for_changes", "submitted"): (16, 1.0), ("finance_query", "procurement_review"): (8, 0.8)},
        off_map={"Requester chased approval": 0.1, "Vendor quote attached": 0.12, "Budget owner changed": 0.015},
        survey=("finance_approval", 3 * _DAY, -1.3),
    ),
}


def journeys_dir() -> Path:
    """The folder of the sample definitions and logs: ``journeys/`` inside the installed package.

    Found through importlib.resources, so it is the same in a checkout (editable install) and in an
    installed wheel. A package is always unpacked on disk when pip installs it, so the folder is a
    real path that the readers (and people) can open by name.
    """
    return Path(str(resources.files("journeymap").joinpath("journeys")))


def sample_journey_path(journey_id: str) -> Path:
    """Path of a sample journey definition, ``journeys/<id>.yaml`` in the package."""
    return journeys_dir() / f"{journey_id}.yaml"


def sample_events_path(journey_id: str) -> Path:
    """Path of a sample journey's event log, ``journeys/<id>.events.csv.gz`` in the package."""
    return journeys_dir() / f"{journey_id}.events.csv.gz"


def off_map_activities(journey_id: str) -> tuple[str, ...]:
    """The off-map activity names (mapping to no step) the generator emits for a journey."""
    return tuple(_sim(journey_id).off_map)


def _sim(journey_id: str) -> JourneySim:
    if journey_id not in _SIMS:
        raise ValueError(f"Unknown sample journey {journey_id!r}; known: {', '.join(_SIMS)}.")
    return _SIMS[journey_id]


def _to_work(t: np.ndarray) -> np.ndarray:
    """Local epoch seconds -> working seconds since an epoch Monday (off-hours snap forward)."""
    days, sec = np.divmod(t, _DAY)
    week, wd = np.divmod(days + 3, 7)  # 1970-01-01 was a Thursday; wd 0 = Monday
    in_day = np.where(wd < 5, np.clip(sec - _OPEN, 0, _WORKDAY), 0)
    return week * _WEEK + np.minimum(wd, 5) * _WORKDAY + in_day


def _from_work(w: np.ndarray) -> np.ndarray:
    """Working seconds since an epoch Monday -> local epoch seconds (inverse of _to_work)."""
    week, rest = np.divmod(w, _WEEK)
    wd, sec = np.divmod(rest, _WORKDAY)
    return (week * 7 + wd - 3) * _DAY + _OPEN + sec


def _tables(sim: JourneySim) -> dict[str, np.ndarray]:
    """Per-step and per-transition arrays the vectorised simulation indexes into."""
    ids = list(sim.steps)
    k, pos = len(ids), {s: i for i, s in enumerate(ids)}
    cum, cum_noloop = np.zeros((k, k + 1)), np.zeros((k, k + 1))
    hours, sigma, back = np.zeros((k, k)), np.zeros((k, k)), np.zeros((k, k), np.int8)
    for a, spec in sim.steps.items():
        hours[:, pos[a]], sigma[:, pos[a]] = spec.hours, spec.sigma
    for (a, b), (h, s) in sim.edges.items():
        hours[pos[a], pos[b]], sigma[pos[a], pos[b]] = h, s
    for a, targets in sim.flow.items():
        i = pos[a]
        for table, keep_loops in ((cum, True), (cum_noloop, False)):
            p = np.zeros(k + 1)  # last column: the case goes silent (drop)
            forward_exists = any(pos[b] > i for b in targets)  # else loops stay allowed
            for b, weight in targets.items():
                back[i, pos[b]] = pos[b] <= i
                if keep_loops or pos[b] > i or not forward_exists:
                    p[pos[b]] = weight
            p[:k] *= (1 - sim.steps[a].drop) / p[:k].sum()
            p[k] = sim.steps[a].drop
            table[i] = np.cumsum(p)
            table[i, -1] = 1.0
    rows = np.arange(k)[:, None]  # row i of a flat table spans [i, i + 1]: one searchsorted
    return {
        "flat": (cum + rows).ravel(), "flat_noloop": (cum_noloop + rows).ravel(),
        "hours": hours, "sigma": sigma, "back": back,
        "terminal": np.array([s not in sim.flow for s in ids]),
        "tie": np.array([sim.steps[s].tie for s in ids]),
        "work": np.array([sim.steps[s].clock == "work" for s in ids]),
    }


def _simulate(
    sim: JourneySim, n: int, rng: np.random.Generator, end_s: int, seg: dict[str, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Walk all cases through the journey; returns (case, step, utc seconds) arrays.

    Cases are renumbered in start order (``seg`` is reordered in place to match).
    """
    tab, k = _tables(sim), len(sim.steps)
    offsets = np.array([_UTC_OFFSET_H.get(v, 0) * 3_600 for v in sim.segments["location"]])
    off = offsets[seg["location"]]
    lo, hi = _to_work(end_s - sim.span_days * _DAY + off), _to_work(end_s + off)
    t = _from_work(lo + np.floor(rng.random(n) * (hi - lo)).astype(np.int64))  # local start
    order = np.argsort(t - off, kind="stable")  # case index = start order, like ticket numbers
    t, off = t[order], off[order]
    for col in seg:
        seg[col] = seg[col][order]
    slowness = rng.lognormal(0.0, 0.25, n)
    effects = [(seg[col], list(sim.segments[col]).index(val), np.isin(list(sim.steps), steps), f)
               for col, val, steps, f in sim.effects]
    change_day, change_steps, change_f = sim.change or ("1970-01-01", (), 1.0)
    change_s = int(datetime.fromisoformat(change_day).replace(tzinfo=UTC).timestamp())
    change_mask = np.isin(list(sim.steps), change_steps)
    cur, loops = np.zeros(n, np.int64), np.zeros(n, np.int8)
    out_case, out_step, out_t = [np.arange(n)], [cur.copy()], [t - off]
    act = np.flatnonzero(t - off <= end_s)
    while act.size:
        c, u = cur[act], rng.random(act.size)
        nxt = np.searchsorted(tab["flat"], c + u, side="right") - c * (k + 1)
        capped = np.flatnonzero(loops[act] >= sim.max_loops)
        nxt[capped] = (np.searchsorted(tab["flat_noloop"], c[capped] + u[capped], side="right")
                       - c[capped] * (k + 1))
        moving = nxt < k
        act, c, nxt = act[moving], c[moving], nxt[moving]
        factor = slowness[act] * np.exp(tab["sigma"][c, nxt] * rng.standard_normal(act.size))
        for codes, value, mask, f in effects:
            factor[(codes[act] == value) & mask[nxt]] *= f
        if change_steps:
            factor[(t[act] - off[act] >= change_s) & change_mask[nxt]] *= change_f
        secs = np.rint(tab["hours"][c, nxt] * 3_600 * factor).astype(np.int64)
        tie = rng.random(act.size) < tab["tie"][nxt]
        prev = t[act]
        new = np.where(tab["work"][nxt], _from_work(_to_work(prev) + secs), prev + secs)
        new = np.where(tie, prev, new)
        utc = new - off[act]
        alive = utc <= end_s
        out_case.append(act[alive])
        out_step.append(nxt[alive])
        out_t.append(utc[alive])
        t[act], cur[act] = new, nxt
        loops[act] += tab["back"][c, nxt]
        act = act[alive & ~tab["terminal"][nxt]]
    case, step, ts = (np.concatenate(a) for a in (out_case, out_step, out_t))
    order = np.argsort(case, kind="stable")  # rounds are already in time order per case
    return case[order], step[order], ts[order]


def _insert_off_map(
    sim: JourneySim, rng: np.random.Generator, case: np.ndarray, code: np.ndarray, ts: np.ndarray,
    first_code: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Insert off-map events at a random moment inside some cases (longer waits more likely)."""
    if not sim.off_map or not case.size:
        return case, code, ts
    n_ev = case.size
    starts = np.flatnonzero(np.r_[True, case[1:] != case[:-1]])
    ends = np.r_[starts[1:], n_ev] - 1
    gap = np.diff(ts, prepend=ts[:1])
    gap[starts] = 0
    cum = np.cumsum(gap)
    spans = cum[ends] - cum[starts]
    where, when, what = [], [], []
    for j, share in enumerate(sim.off_map.values()):
        pick = np.flatnonzero((rng.random(starts.size) < share) & (spans > 0))
        target = cum[starts[pick]] + np.maximum(rng.random(pick.size), 1e-9) * spans[pick]
        at = np.searchsorted(cum, target, side="left")
        where.append(at)
        when.append(ts[at - 1] + np.floor(target - cum[at - 1]).astype(np.int64))
        what.append(np.full(pick.size, first_code + j))
    at, t_off, c_off = (np.concatenate(a) for a in (where, when, what))
    order = np.lexsort((t_off, at))
    at, t_off, c_off = at[order], t_off[order], c_off[order]
    return np.insert(case, at, case[at]), np.insert(code, at, c_off), np.insert(ts, at, t_off)


def generate_events(
    journey_id: str, n_cases: int, seed: int = 0, end: datetime | None = None,
    *, as_datetime: bool = False,
) -> pl.DataFrame:
    """A synthetic event log for a sample journey, deterministic for a given seed.

    Columns are :data:`COLUMNS`; ``timestamp`` is an ISO-8601 UTC string
    (``2026-03-04T09:15:00Z``), or a UTC ``Datetime`` column with ``as_datetime=True``.
    Cases start over the journey's span before ``end`` (default 2026-10-31 UTC; a naive
    datetime counts as UTC); events after ``end`` are cut off, so the latest cases are still
    in flight. The dated process change keeps its absolute date whatever ``end`` is.
    """
    if n_cases < 0:
        raise ValueError(f"n_cases must be 0 or more, not {n_cases}.")
    sim, rng = _sim(journey_id), np.random.default_rng(seed)
    end = DEFAULT_END if end is None else end if end.tzinfo else end.replace(tzinfo=UTC)
    seg = {col: rng.choice(len(v), n_cases, p=np.array(list(v.values())) / sum(v.values()))
           for col, v in sim.segments.items()}
    case, step, ts = _simulate(sim, n_cases, rng, int(end.timestamp()), seg)
    names = [name for spec in sim.steps.values() for name in spec.names]
    first_name = np.cumsum([0] + [len(s.names) for s in sim.steps.values()])[:-1]
    cum_w = np.ones((len(sim.steps), max(len(s.names) for s in sim.steps.values())))
    for i, spec in enumerate(sim.steps.values()):  # first name 60%, the rest share 40%
        extra = len(spec.names) - 1
        cum_w[i, :extra] = 0.6 + 0.4 * np.arange(extra) / max(extra, 1)
    system = rng.random(n_cases)[case]  # each case comes from one "system": one spelling per step
    code = first_name[step]
    for j in range(cum_w.shape[1] - 1):
        code += system >= cum_w[step, j]
    scores = _survey(sim, np.random.default_rng([seed, 1]), n_cases, case, step, ts, int(end.timestamp()))
    case, code, ts = _insert_off_map(sim, rng, case, code, ts, len(names))
    names += list(sim.off_map)
    width = max(6, len(str(n_cases)))
    ids = pl.Series(np.arange(1, n_cases + 1)).cast(pl.String).str.zfill(width)
    ids = (sim.prefix + "-" + ids).gather(case)
    stamp = pl.Series(ts * 1_000_000).cast(pl.Datetime("us", "UTC"))
    if not as_datetime:
        stamp = stamp.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    columns = {"case_id": ids, "activity": pl.Series(names, dtype=pl.String).gather(code), "timestamp": stamp}
    for col in COLUMNS[3:-1]:
        columns[col] = pl.Series(list(sim.segments[col]), dtype=pl.String).gather(seg[col][case])
    last = np.r_[case[1:] != case[:-1], True] if case.size else np.zeros(0, bool)  # the answer: on a case's last event
    answer = np.where(last, scores[case] if case.size else np.zeros(0, np.int8), 0)
    columns[SURVEY_COLUMN] = pl.Series(answer, dtype=pl.Int8).cast(pl.String).replace("0", None)
    return pl.DataFrame(columns)


def _survey(sim: JourneySim, rng: np.random.Generator, n: int, case: np.ndarray, step: np.ndarray, ts: np.ndarray,
            end_s: int) -> np.ndarray:
    """A CSAT score 1-5 per case (0: no answer), lower by the planted points where the case waited long at the step.

    Its own random stream (seeded from the log's seed), drawn after everything else: every other
    column of a log stays as it was before the survey was added. Cases that ended answer at
    `_SURVEY_SHARE`; cases still open or gone silent do not.
    """
    scores = np.zeros(n, np.int8)
    if sim.survey is None or not case.size:
        return scores
    target, seconds, points = sim.survey
    first = np.r_[True, case[1:] != case[:-1]]
    arrival = np.where(first, 0, np.diff(ts, prepend=ts[:1]))
    waited = np.bincount(case[step == list(sim.steps).index(target)],
                         arrival[step == list(sim.steps).index(target)], minlength=n)
    terminal = np.array([s not in sim.flow for s in sim.steps])
    last = np.r_[case[1:] != case[:-1], True]
    ended = np.zeros(n, bool)
    ended[case[last]] = terminal[step[last]] & (ts[last] <= end_s)
    answers = ended & (rng.random(n) < _SURVEY_SHARE)
    raw = 4.3 + 0.8 * rng.standard_normal(n) + np.where(waited > seconds, points, 0.0)
    scores[answers] = np.clip(np.rint(raw[answers]), 1, 5).astype(np.int8)
    return scores


def sample_log_bytes(journey_id: str) -> bytes:
    """The exact gzipped CSV bytes of a sample journey's shipped event log."""
    frame = generate_events(journey_id, _SAMPLE_SIZES[journey_id], seed=_SAMPLE_SEED)
    return gzip.compress(frame.write_csv().encode("utf-8"), compresslevel=9, mtime=0)


def write_sample_logs() -> None:
    """Regenerate ``journeys/<id>.events.csv.gz`` in the package for every sample journey
    (byte-reproducible; meant for a checkout: `python -m journeymap.journey.samples`)."""
    for journey_id in SAMPLE_JOURNEYS:
        sample_events_path(journey_id).write_bytes(sample_log_bytes(journey_id))


if __name__ == "__main__":
    write_sample_logs()
