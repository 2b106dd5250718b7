"""Where people get frustrated: a satisfaction column (CSAT, NPS or sentiment) against steps, paths and waiting.

A survey answer belongs to a case (usually one answer, on one of its events). The column is found
by its name (csat, nps, satisfaction, sentiment, survey, rating, feedback, score) and then must
hold a scale: whole numbers 1-5 (CSAT), 0-10 (NPS), other numbers named like a score, or labels
(negative / neutral / positive, very dissatisfied ... very satisfied). A case's score is the mean
of its answers. Figures compare means of cases, with 95% intervals from a seeded case bootstrap
(each group's answers resampled; answers take few distinct values, so a resample is a multinomial
draw over them).

- Per step: the mean score of the cases that passed the step, against those that did not.
- Per path (the full sequence of steps): the mean of its cases, least satisfied first.
- Waiting: cases that waited longer than a threshold to arrive at a step against those that did
  not ("cases that waited more than 5 d at Equipment shipped scored 1.1 lower"). The threshold is
  the step's median wait among answering cases, rounded to a duration people say (1 h, 4 h, 1 d,
  3 d, 1 w ...), so both groups hold about half; it can be given.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd
import polars as pl

from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.errors import JourneyError
from journeymap.engine.prepare import EVENT_COLUMNS, as_lazy, collect
from journeymap.engine.stats import LEVEL, MIN_CASES, RESAMPLES
from journeymap.log.columns import CASE_CODE
from journeymap.measures.casetimes import CaseTimes

__all__ = ["SatisfactionScale", "Satisfaction", "find_satisfaction_column", "case_scores", "satisfaction",
           "with_satisfaction", "NAME_PATTERN", "SATISFACTION_MEASURE"]

NAME_PATTERN = re.compile(r"csat|nps|satisf|sentiment|survey|rating|feedback|score", re.IGNORECASE)
SATISFACTION_MEASURE = "satisfaction_mean"  # the step column the map can be coloured by
_SENTIMENT = {"very negative": -2.0, "negative": -1.0, "neutral": 0.0, "positive": 1.0, "very positive": 2.0}
_CSAT_WORDS = {"very dissatisfied": 1.0, "dissatisfied": 2.0, "neutral": 3.0, "satisfied": 4.0, "very satisfied": 5.0}
_MAX_LABELS = 200  # more distinct texts than this is no scale
# Thresholds people say, in seconds: 1 min ... 8 w.
_NICE_S = [60 * m for m in (1, 5, 15, 30)] + [3600 * h for h in (1, 2, 4, 8, 12)] + \
          [86400 * d for d in (1, 2, 3, 4, 5, 7, 10, 14, 21, 28, 42, 56)]


@dataclass(frozen=True)
class SatisfactionScale:
    """What the scores mean: a name ("CSAT 1–5"), the lowest and highest score, and text labels if any."""

    name: str
    low: float
    high: float
    labels: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Satisfaction:
    """Satisfaction of a log's cases by step, by path and by waiting (tables least satisfied first)."""

    column: str
    scale: SatisfactionScale
    answered: int
    several: int
    mean: float
    steps: pd.DataFrame
    paths: pd.DataFrame
    waiting: pd.DataFrame

    def sentences(self, top: int = 3) -> list[str]:
        """The clearest relations to waiting, then the least satisfied steps, in words."""
        clear = self.waiting[self.waiting["significant"] & (self.waiting["difference"] < 0)]
        lines = list(clear["sentence"].head(top))
        low = self.steps[self.steps["significant"] & (self.steps["difference"] < 0)]
        lines += list(low["sentence"].head(top))
        return lines or [f"No step, path or wait goes with clearly lower {self.scale.name} scores "
                         f"({self.answered:,} cases answered, mean {self.mean:.1f})."]


def find_satisfaction_column(events: Any, attributes: Sequence[str], column: str | None = None
                             ) -> tuple[str, SatisfactionScale] | None:
    """The satisfaction column and its scale: the named one (a JourneyError if it holds no scale), else the
    first attribute named like one whose values fit a scale, else None."""
    lazy = as_lazy(events)
    if column is not None:
        if column not in lazy.collect_schema().names() or column in EVENT_COLUMNS:
            others = [c for c in attributes]
            raise JourneyError(f"No satisfaction column '{column}' in the event log; its attribute columns are: "
                               f"{', '.join(others) or 'none'}.", source=column)
        scale = _scale_of(column, _distinct_values(lazy, column))
        if isinstance(scale, str):
            raise JourneyError(f"Column '{column}' holds no satisfaction scale: {scale}. Use scores 1–5 (CSAT), "
                               "0–10 (NPS) or labels such as negative / neutral / positive.", source=column)
        return column, scale
    for name in attributes:
        if NAME_PATTERN.search(name):
            scale = _scale_of(name, _distinct_values(lazy, name))
            if not isinstance(scale, str):
                return name, scale
    return None


def case_scores(events: Any, times: CaseTimes, column: str, scale: SatisfactionScale) -> tuple[np.ndarray, np.ndarray]:
    """Each case's score (the mean of its answers; NaN without one) and its number of different answers (a
    score repeated on every event of a case, as joined exports write it, is one answer)."""
    lazy = as_lazy(events)
    values = _distinct_values(lazy, column)
    table = {value: _score(value, scale) for value in values}
    score = nw.col(column).cast(nw.String).replace_strict(table, default=None, return_dtype=nw.Float64)
    # An ingested log's integer case codes group faster than its ids (equal codes, equal ids); the id of
    # each group is then taken from its few rows.
    key = CASE_CODE if CASE_CODE in lazy.collect_schema().names() else "case"
    found = collect(
        lazy.filter(~nw.col(column).is_null())  # surveys answer few events: the others are left first
        .select(*dict.fromkeys([key, "case"]), score=score)
        .filter(~nw.col("score").is_null())
        .group_by(key)
        .agg(nw.col("score").mean().alias("mean"), nw.col("score").n_unique().alias("answers"),
             *([nw.col("case").min()] if key != "case" else []))
    ).to_polars().select(pl.col("case").cast(pl.String), "mean", "answers")
    # Matched to the cases by a join on their ids in Polars: a pandas index of a million ids (and an
    # ingested log's ids as a pandas Categorical) cost ten times more.
    matched = pl.DataFrame({"case": pl.Series(times.case, dtype=pl.String)}).join(
        found, on="case", how="left", maintain_order="left")
    scores = matched.get_column("mean").fill_null(float("nan")).to_numpy().astype(np.float64, copy=False)
    answers = matched.get_column("answers").fill_null(0).to_numpy().astype(np.int64, copy=False)
    return scores, answers


def satisfaction(times: CaseTimes, scores: np.ndarray, column: str, scale: SatisfactionScale, *,
                 answers: np.ndarray | None = None, threshold_s: float | None = None, min_cases: int = MIN_CASES,
                 resamples: int = RESAMPLES, seed: int = 0, top_paths: int = 10) -> Satisfaction:
    """Mean satisfaction by step, by path and by waiting, each against the other answering cases."""
    rng = np.random.default_rng(seed)
    scored = ~np.isnan(scores)
    groups = _ScoreGroups(scores, scored)
    step_rows, wait_rows = [], []
    for code, (cases, waited) in enumerate(_visits(times, scored)):
        if not len(cases):
            continue
        label = times.labels[code]
        row = {"step": times.steps[code], "label": label,
               **_mean_difference(groups, cases, None, min_cases, resamples, rng)}
        row["sentence"] = _step_sentence(row, scale)
        step_rows.append(row)
        wait_rows.append(_waiting_row(times.steps[code], label, cases, waited, groups, scale, threshold_s,
                                      min_cases, resamples, rng, times.time))
    steps = _ranked(pd.DataFrame(step_rows, columns=_STEP_COLUMNS), "mean")
    waiting = _ranked(pd.DataFrame([w for w in wait_rows if w], columns=_WAIT_COLUMNS), "difference")
    paths = _paths(times, groups, scored, min_cases, resamples, rng, top_paths)
    several = int((answers > 1).sum()) if answers is not None else 0
    mean = float(np.mean(scores[scored])) if scored.any() else float("nan")
    return Satisfaction(column, scale, int(scored.sum()), several, mean, steps, paths, waiting)


def with_satisfaction(steps: pd.DataFrame, found: Satisfaction | None) -> pd.DataFrame:
    """A step table with the mean satisfaction of the cases that passed each step (a map colour measure)."""
    if found is None:
        return steps.assign(**{SATISFACTION_MEASURE: np.nan})
    means = found.steps.set_index("step")["mean"].rename(SATISFACTION_MEASURE)
    return steps.drop(columns=[SATISFACTION_MEASURE], errors="ignore").merge(means, left_on="step", right_index=True,
                                                                            how="left")


_STEP_COLUMNS = ["step", "label", "cases", "mean", "rest_cases", "rest_mean", "difference", "ci_low", "ci_high",
                 "significant", "sentence"]
_WAIT_COLUMNS = ["step", "label", "threshold_s", "cases", "mean", "rest_cases", "rest_mean", "difference",
                 "ci_low", "ci_high", "significant", "sentence"]


def _distinct_values(lazy: nw.LazyFrame[Any], column: str) -> list[str]:
    values = collect(lazy.select(nw.col(column).cast(nw.String)).unique().head(_MAX_LABELS + 1))
    return [v for v in values.get_column(column).to_list() if v is not None and str(v).strip()]


def _number(value: str) -> float | None:
    try:
        number = float(value.strip().replace(",", "."))
    except ValueError:
        return None
    return number if np.isfinite(number) else None


def _scale_of(name: str, values: list[str]) -> SatisfactionScale | str:
    """The scale the distinct values fit, or why they fit none."""
    if not values:
        return "it is empty"
    if len(values) > _MAX_LABELS:
        return f"more than {_MAX_LABELS} different values"
    numbers = [_number(v) for v in values]
    scores = [n for n in numbers if n is not None]
    if len(scores) == len(numbers):
        low, high = min(scores), max(scores)
        whole = all(n.is_integer() for n in scores)
        if "nps" in name.lower() and low >= 0 and high <= 10:
            return SatisfactionScale("NPS 0–10", 0.0, 10.0)
        if whole and low >= 1 and high <= 5:
            return SatisfactionScale("CSAT 1–5", 1.0, 5.0)
        if whole and low >= 0 and high <= 10:
            return SatisfactionScale("NPS 0–10", 0.0, 10.0)
        return SatisfactionScale(f"score {low:g}–{high:g}", float(low), float(high))
    words = {v.strip().lower() for v in values}
    for known, title in ((_SENTIMENT, "sentiment"), (_CSAT_WORDS, "CSAT 1–5")):
        if words <= set(known):
            chosen = tuple((word, known[word]) for word in known if word in words)
            low, high = (-2.0, 2.0) if title == "sentiment" and words & {"very negative", "very positive"} else (
                (-1.0, 1.0) if title == "sentiment" else (1.0, 5.0))
            return SatisfactionScale(title + (f" {low:g} to {high:g}" if title == "sentiment" else ""), low, high,
                                     chosen)
    example = next(v for v, n in zip(values, numbers) if n is None)
    return f"values such as '{example[:40]}' are neither scores nor known labels"


def _score(value: str, scale: SatisfactionScale) -> float | None:
    if scale.labels:
        return dict(scale.labels).get(value.strip().lower())
    return _number(value)


class _ScoreGroups:
    """The answering cases' scores, numbered once by their distinct values, so that a group's mean and
    bootstrap come from counts (a bincount of the group's numbers) instead of sorting a million scores
    again for every step, wait and path. Scores are few distinct values (answers on a scale, or means
    of a few), so the counts are short."""

    def __init__(self, scores: np.ndarray, scored: np.ndarray) -> None:
        self.scores, self.scored = scores, scored
        self.distinct, number = np.unique(scores[scored], return_inverse=True)
        self.number = np.full(len(scores), -1, dtype=np.int64)
        self.number[scored] = number
        self.total = np.bincount(number, minlength=len(self.distinct))

    def counts(self, chosen: np.ndarray) -> np.ndarray:
        """How many of the chosen cases (a mask or indices of answering cases) have each distinct score."""
        return np.bincount(self.number[chosen], minlength=len(self.distinct))

    def others(self, chosen: np.ndarray) -> np.ndarray:
        """The answering cases not chosen, as a mask."""
        mask = self.scored.copy()
        mask[chosen] = False
        return mask


def _mean_difference(groups: _ScoreGroups, inside: np.ndarray, rest: np.ndarray | None, min_cases: int,
                     resamples: int, rng: np.random.Generator) -> dict[str, Any]:
    """Mean of one group of answering cases (a mask or indices) against another (None: all the other
    answering cases, counted as the whole less the group), with a 95% case-bootstrap interval of the
    difference."""
    inside_counts = groups.counts(inside)
    counts = inside_counts, (groups.total - inside_counts if rest is None else groups.counts(rest))
    sizes = int(counts[0].sum()), int(counts[1].sum())
    means = [float(c @ groups.distinct / size) if size else float("nan") for c, size in zip(counts, sizes)]
    row: dict[str, Any] = {"cases": sizes[0], "mean": means[0], "rest_cases": sizes[1], "rest_mean": means[1]}
    enough = min(sizes) >= min_cases
    difference = row["mean"] - row["rest_mean"] if enough else float("nan")
    low = high = float("nan")
    if enough:
        draws = (_bootstrap_mean(groups, inside, counts[0], resamples, rng)
                 - _bootstrap_mean(groups, groups.others(inside) if rest is None else rest, counts[1], resamples,
                                   rng))
        low, high = (float(x) for x in np.quantile(draws, [(1 - LEVEL) / 2, (1 + LEVEL) / 2]))
    row.update({"difference": difference, "ci_low": low, "ci_high": high, "significant": bool(low > 0 or high < 0)})
    return row


def _bootstrap_mean(groups: _ScoreGroups, chosen: np.ndarray, counts: np.ndarray, resamples: int,
                    rng: np.random.Generator) -> np.ndarray:
    """Means of bootstrap resamples of the chosen cases' scores: a multinomial over their distinct values
    (values with a count of zero draw nothing), or single draws when the scores are too varied for it."""
    present = counts > 0
    size = int(counts.sum())
    if int(present.sum()) <= 1000:
        return rng.multinomial(size, counts[present] / size, size=resamples) @ groups.distinct[present] / size
    values = groups.scores[chosen]
    return np.array([values[rng.integers(0, size, size)].mean() for _ in range(resamples)])


def _visits(times: CaseTimes, scored: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Step by step, the answering (`scored`) cases that reached the step (ascending) and the total time
    each took to arrive there (all its visits; a case's first event took none).

    Only the answering cases' events are kept (the figures compare answers; often under half the
    cases answer), then put in step order once (a stable sort keeps each step's events in case
    order), so a step's visits are one slice and its cases runs in it: no table of steps x cases (30
    steps of 1.2 million cases would be 290 MB), nothing the size of all cases per step."""
    k = len(times.steps)
    kept = scored[times.event_case]
    # Case codes fit 32 bits: the step-ordered copy is a gather with one stream per step, which costs a
    # cache miss an element, so the narrower the cheaper.
    case = times.event_case[kept].astype(np.int32 if times.n_cases < 2**31 else np.int64)
    step, arrival = times.event_step[kept], times.arrival_s[kept]
    # Step codes fit 16 bits on any journey: numpy sorts those stably by radix, in one pass.
    order = np.argsort(step.astype(np.int16) if k < 2**15 else step, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(step, minlength=k))]
    case, arrival = case[order], arrival[order]
    arrival[np.isnan(arrival)] = 0.0
    for code in range(k):
        cases, arrivals = case[bounds[code]:bounds[code + 1]], arrival[bounds[code]:bounds[code + 1]]
        starts = np.flatnonzero(np.r_[True, cases[1:] != cases[:-1]]) if len(cases) else np.zeros(0, np.int64)
        yield cases[starts], (np.add.reduceat(arrivals, starts) if len(cases) else np.zeros(0))


def _nice(seconds: float) -> float:
    """The duration people say nearest (on a log scale) to this one."""
    if not seconds > 0:
        return float(_NICE_S[0])
    return float(min(_NICE_S, key=lambda nice: abs(np.log(nice / seconds))))


def _say(seconds: float) -> str:
    return human(seconds).replace(".0 ", " ")


def _waiting_row(step: str, label: str, cases: np.ndarray, waited: np.ndarray, groups: _ScoreGroups,
                 scale: SatisfactionScale, threshold_s: float | None, min_cases: int, resamples: int,
                 rng: np.random.Generator, time: str = "calendar") -> dict[str, Any] | None:
    """Answering cases that waited longer than the threshold to arrive at the step against those that
    waited less (`cases`, answering, reached the step after `waited` seconds in all)."""
    arrived = waited > 0
    if not arrived.any():
        return None
    cases, waited = cases[arrived], waited[arrived]
    threshold = threshold_s if threshold_s is not None else _nice(float(np.median(waited)))
    long = waited > threshold
    row = {"step": step, "label": label, "threshold_s": float(threshold),
           **_mean_difference(groups, cases[long], cases[~long], min_cases, resamples, rng)}
    row["sentence"] = _wait_sentence(row, scale, time)
    return row


def _points(value: float) -> str:
    return f"{abs(value):.1f}"


def _interval(row: dict[str, Any]) -> str:
    return f"95% CI {_signed(row['ci_low'])} to {_signed(row['ci_high'])}"


def _signed(value: float) -> str:
    """A difference of scores as "+0.4" / "−1.1"; near zero with two decimals, so a clear bound never reads 0."""
    text = f"{value:+.1f}" if abs(value) >= 0.05 or value == 0 else f"{value:+.2f}"  # −0.03, never "−0.0"
    return text.replace("-", "−")


def _wait_sentence(row: dict[str, Any], scale: SatisfactionScale, time: str = "calendar") -> str:
    clock = " of working time" if time == "working" else ""  # the waits are on the clock of the case times
    who = f"Cases that waited more than {_say(row['threshold_s'])}{clock} at {row['label']}"
    if row["difference"] != row["difference"]:
        return (f"{who}: too few answers to tell ({row['cases']:,} waited longer, {row['rest_cases']:,} not; "
                "30 each needed).")
    means = f"{row['mean']:.1f} against {row['rest_mean']:.1f}, {scale.name}; {_interval(row)}"
    if not row["significant"]:
        return f"{who} scored about the same as the others ({means}, no clear difference)."
    direction = "lower" if row["difference"] < 0 else "higher"
    return f"{who} scored {_points(row['difference'])} {direction} ({means})."


def _step_sentence(row: dict[str, Any], scale: SatisfactionScale) -> str:
    who = f"Cases that passed {row['label']}"
    if row["difference"] != row["difference"]:
        return f"{who}: mean {row['mean']:.1f} ({row['cases']:,} answers; too few on one side to compare)."
    means = f"{row['mean']:.1f} against {row['rest_mean']:.1f} for the others, {scale.name}; {_interval(row)}"
    if not row["significant"]:
        return f"{who} scored about the same as the others ({means}, no clear difference)."
    direction = "lower" if row["difference"] < 0 else "higher"
    return f"{who} scored {_points(row['difference'])} {direction} ({means})."


def _ranked(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """Least satisfied first: clear differences before unclear ones, then by `by` ascending."""
    if table.empty:
        return table.reset_index(drop=True)
    return (table.assign(_unclear=~table["significant"]).sort_values(["_unclear", by, "step"], kind="stable")
            .drop(columns="_unclear").reset_index(drop=True))


def _path_keys(times: CaseTimes) -> np.ndarray:
    """A 64-bit key of each case's full step sequence (a polynomial hash, wrapping; its length mixed in), vectorised."""
    if not len(times.event_step):
        return np.zeros(times.n_cases, np.uint64)
    powers = np.cumprod(np.full(int(times.position.max()) + 1, 1_000_003, dtype=np.uint64), dtype=np.uint64)
    terms = (times.event_step.astype(np.uint64) + np.uint64(1)) * powers[times.position]
    starts = np.r_[0, np.flatnonzero(times.event_case[1:] != times.event_case[:-1]) + 1]
    lengths = np.diff(np.r_[starts, len(terms)]).astype(np.uint64)
    return np.add.reduceat(terms, starts) ^ (lengths * np.uint64(0x9E3779B97F4A7C15))


def _paths(times: CaseTimes, groups: _ScoreGroups, scored: np.ndarray, min_cases: int, resamples: int,
           rng: np.random.Generator, top: int) -> pd.DataFrame:
    """The paths (full step sequences) of at least `min_cases` answering cases, least satisfied first."""
    columns = ["path", "labels", "cases", "mean", "rest_cases", "rest_mean", "difference", "ci_low", "ci_high",
               "significant"]
    answered = np.flatnonzero(scored)
    if not len(answered):
        return pd.DataFrame(columns=columns)
    keys = _path_keys(times)[answered]
    distinct, first, path_of, counts = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    # The answering cases grouped by path (in case order within each), so each path's cases are a slice.
    by_path = answered[np.argsort(path_of, kind="stable")]
    path_starts = np.r_[0, np.cumsum(counts)]
    starts = np.r_[0, np.flatnonzero(times.event_case[1:] != times.event_case[:-1]) + 1]
    ends = np.r_[starts[1:], len(times.event_case)]
    rows = []
    for path in np.flatnonzero(counts >= min_cases):
        mine = by_path[path_starts[path]:path_starts[path + 1]]
        case = answered[first[path]]
        codes = times.event_step[starts[case]:ends[case]]
        rows.append({"path": tuple(times.steps[c] for c in codes),
                     "labels": " → ".join(times.labels[c] for c in codes),
                     **_mean_difference(groups, mine, None, min_cases, resamples, rng)})
    table = pd.DataFrame(rows, columns=columns)
    return table.sort_values(["mean", "cases"], ascending=[True, False], kind="stable").head(top).reset_index(drop=True)
