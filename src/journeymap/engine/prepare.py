"""Engine-neutral plumbing over Narwhals: canonical events in, ordered and annotated events out.

Canonical events have the columns `case` (text), `activity` (text), `ts` and `start` (epoch
microseconds, UTC; `start` may be null), `row` (file order), and any attribute columns. Integer
time keeps durations a plain subtraction, which every backend supports.

Eager engines (Polars, pandas) are sorted once and then worked on in that order; lazy engines
(DuckDB) have no row order of their own, so every order-dependent step names its ordering column
(`over(order_by=...)`). `in_order` hides that difference from the metric code.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, overload

import narwhals as nw
import numpy as np
import pandas as pd
import polars as pl

from journeymap.log.columns import ACTIVITY_CODE, CASE_CODE

__all__ = ["EVENT_COLUMNS", "PreparedEvents", "as_lazy", "distinct_activities", "prepare_events", "in_order", "lookup",
           "key_type", "sorted_values", "rows_in_order",
           "materialise", "spark_caches", "collect", "to_pandas"]

EVENT_COLUMNS = ("case", "activity", "ts", "start", "row")
# DESIGN.md: events of a case are ordered by timestamp, then start timestamp, then file order.
# Cases are ordered by an integer code, and a missing start sorts last through a filled key:
# sorting by text ids, or by a column with nulls, costs several times more.
_ORDER_KEYS = ["case_code", "ts", "start_key", "row"]
_LAST = 2**63 - 1
# Two independent 64-bit hashes of the case id (Polars): the first orders the events, the second
# proves that no two different ids share the first (checked after sorting; see `_hash_coded`).
_HASH_SEEDS = (20261122, 11222026)
# Working columns an ingested log brings along (journeymap.log.ingest): an integer per case (equal codes,
# equal ids) and the activity as an Enum (its codes, and the labels they stand for). A Polars frame
# with both is ordered by its codes: nothing is hashed, and the sort is skipped when it is in order.


@dataclass(frozen=True)
class PreparedEvents:
    """Events in case order (`events`), and where their case ids live.

    `events` has `case_code` (0..n-1, one per case, contiguous), `step_code`, `ts`, `start` (only
    when the log has start times), global position `idx`, `position` within the case, and
    `is_first` / `is_last`. Eager
    engines leave the text case id behind (carrying ten million strings through a sort costs more
    than the rest of the sort) and keep `pos`, the row of `source` each event came from; lazy
    engines keep `case` and `row`. `with_case_ids` attaches the id and the file `row` to a (small)
    selection of events.
    """

    events: nw.LazyFrame[Any]
    source: nw.DataFrame[Any] | None
    eager: bool

    def frame(self) -> nw.LazyFrame[Any] | nw.DataFrame[Any]:
        """The events to work on in order: eager (in case order) on eager engines, else lazy."""
        return self.events.collect() if self.eager else self.events

    def replace(self, events: nw.LazyFrame[Any] | nw.DataFrame[Any]) -> PreparedEvents:
        """The same preparation with more columns on `events`, materialised once."""
        return PreparedEvents(events.lazy() if self.eager else materialise(events), self.source, self.eager)

    @property
    def id_columns(self) -> tuple[str, ...]:
        """The columns of `events` that `with_case_ids` needs on a selection of them."""
        return ("pos",) if self.eager else ("case", "row")

    def with_case_ids(self, frame: nw.LazyFrame[Any]) -> nw.LazyFrame[Any]:
        """`frame` (a selection of `events`, with `pos` on eager engines, with `case` and `row` on
        lazy ones) with the `case` id and file `row` of each event."""
        if self.source is None:
            return frame
        chosen = frame.collect()
        at = chosen.get_column("pos")
        return chosen.with_columns(self.source.get_column("case")[at].alias("case"),
                                   self.source.get_column("row")[at].alias("row")).drop("pos").lazy()


def distinct_activities(frame: Any) -> list[str]:
    """The activities that occur in canonical events, sorted.

    An ingested log's activity codes (an Enum) are counted instead of its ten million labels: the
    same set, from integers rather than text.
    """
    if _is_precoded(frame):
        present = frame.get_column(ACTIVITY_CODE).unique().cast(pl.String)
        return sorted(present.drop_nulls().to_list())
    return sorted(collect(as_lazy(frame).select("activity").unique()).get_column("activity").to_list())


def as_lazy(frame: Any) -> nw.LazyFrame[Any]:
    """Wrap any supported native frame (pandas, Polars, DuckDB, PySpark) as a Narwhals lazy frame."""
    wrapped = nw.from_native(frame)
    return wrapped.lazy() if isinstance(wrapped, nw.DataFrame) else wrapped


def prepare_events(frame: Any, step_of: dict[str, str], step_codes: dict[str, int],
                   as_of_us: int | None, carry: Sequence[str] = ()) -> PreparedEvents:
    """Order and annotate canonical events (see `PreparedEvents` for the columns).

    The result is materialised once, in the same engine, so that the many aggregations after it
    do not redo the ordering. Only these columns are kept, and the (integer) `carry` columns: at
    ten million events every extra column costs most of a hundred megabytes.
    """
    precoded = _is_precoded(frame)
    extra = [CASE_CODE, ACTIVITY_CODE] if precoded else []
    wrapped = nw.from_native(frame).select(*(nw.col(c) for c in (*EVENT_COLUMNS, *carry, *extra)))
    if isinstance(wrapped, nw.LazyFrame) and wrapped.implementation.is_polars():
        wrapped = wrapped.collect()  # a Polars plan is computed here anyway; eager ordering is cheaper
    eager, source = isinstance(wrapped, nw.DataFrame), None
    if eager:  # ids stay behind in `source`; events keep their position in it
        source, wrapped = wrapped.select("case", "row"), wrapped.with_row_index("pos")
    if as_of_us is not None:
        wrapped = wrapped.filter(nw.col("ts") <= as_of_us)
    has_start = bool(collect(wrapped.select((~nw.col("start").is_null()).cast(nw.Int64).sum())).item())
    activity_codes = {activity: step_codes[step] for activity, step in step_of.items()}
    if precoded:
        wrapped = _steps_of_codes(wrapped, activity_codes)
    else:
        wrapped = wrapped.with_columns(step_code=lookup_expr(nw.col("activity"), activity_codes, nw.Int32))
    wrapped = wrapped.drop("activity")
    if has_start:
        wrapped = wrapped.with_columns(start_key=nw.col("start").fill_null(_LAST))
    else:
        wrapped = wrapped.drop("start")
    keys = _ORDER_KEYS if has_start else [key for key in _ORDER_KEYS if key != "start_key"]
    dropped = ["start_key"] if has_start else []
    if not eager:
        return PreparedEvents(materialise(_lazy_annotated(wrapped, keys, dropped)), None, eager=False)
    ordered, numbered = _sorted_by_case(wrapped, keys)
    ordered = _with_positions(ordered.drop("row", *dropped))
    case_code = nw.col("case_code")
    annotated = ordered.with_columns(
        is_first=case_code.shift(1).is_null() | (case_code.shift(1) != case_code),
        is_last=case_code.shift(-1).is_null() | (case_code.shift(-1) != case_code),
    )
    # Cases are contiguous, so a case's first position carries forward to its other events.
    first_idx = nw.when(nw.col("is_first")).then(nw.col("idx")).fill_null(strategy="forward")
    annotated = annotated.with_columns(position=(nw.col("idx") - first_idx).cast(nw.Int32))
    if not numbered:  # number cases 0..n-1 in order: hash codes are huge; (case, x) keys need small codes
        annotated = annotated.with_columns(case_code=nw.col("is_first").cast(nw.Int32).cum_sum() - 1)
    return PreparedEvents(annotated.lazy(), source, eager=True)


def _with_positions(ordered: nw.DataFrame[Any]) -> nw.DataFrame[Any]:
    """The ordered events with their position `idx`: the row each came from (`pos`) where they were in
    order already and none was left out (an ingested log), else numbered anew. The same column then
    serves as both, so ten million events hold one 40 MB column fewer."""
    if ordered.implementation.is_polars() and _counts_up(ordered.get_column("pos").to_native(), len(ordered)):
        return ordered.with_columns(idx=nw.col("pos"))
    return ordered.with_row_index("idx")


def _counts_up(values: pl.Series, count: int) -> bool:
    """Whether `values`, which hold `count` distinct numbers, run 0, ..., count - 1 in order (numbered already)."""
    return count == 0 or (values[0] == 0 and values[-1] == count - 1 and values.is_sorted())


_CASE_SPAN = 2**32  # lazy engines: idx = case_code * _CASE_SPAN + position (a case has fewer events)


def _lazy_annotated(frame: nw.LazyFrame[Any], keys: list[str], dropped: list[str]) -> nw.LazyFrame[Any]:
    """Lazy engines: events numbered within their case by one window per case, never over the whole
    log (one sort on one core; Spark moves every row to one partition for it). `idx` orders events
    as `case_code`, then position does: it is unique and in case order, though not contiguous."""
    within = [key for key in keys if key != "case_code"]
    numbered = _with_case_codes(frame).with_columns(
        position=(nw.col("ts").cum_count().over("case_code", order_by=within) - 1).cast(nw.Int32),
        n_in_case=nw.col("ts").count().over("case_code"))
    return numbered.with_columns(
        idx=nw.col("case_code").cast(nw.Int64) * _CASE_SPAN + nw.col("position"),
        is_first=nw.col("position") == 0,
        is_last=nw.col("position") == nw.col("n_in_case") - 1,
    ).drop("n_in_case", *dropped)


def in_order(eager: bool, order_by: str | list[str] = "idx") -> Callable[[nw.Expr], nw.Expr]:
    """Make an order-dependent expression (shift, cum_sum, fill) follow `order_by` within each case
    on lazy engines (the frame needs `case_code`).

    Every such expression here looks at neighbours of the same case only (a case's first and last
    events are told apart explicitly), so the window is partitioned by case: a window over the
    whole log would be one sort on one core (Spark moves all rows to one partition for it).
    Eager frames are already in that order, and a window over ten million rows costs several times
    the plain pass, so there the expression is left as it is.
    """
    return (lambda expr: expr) if eager else (lambda expr: expr.over("case_code", order_by=order_by))


def key_type(size: int) -> Any:
    """The narrower integer type, Int32 or Int64, that holds combined keys below `size`: a group-by
    over ten million keys moves half the memory in 32 bits (70 MB less at the transition table's peak)."""
    return nw.Int32 if size <= 2**31 else nw.Int64


def lookup_expr(key: nw.Expr, table: dict[Any, int], dtype: Any = nw.Int64) -> nw.Expr:
    """The integer `table[key]` of every row (-1 where the key is not in the table)."""
    return key.replace_strict(table, default=-1, return_dtype=dtype)


@overload
def lookup(frame: nw.LazyFrame[Any], key: str, table: Sequence[int], name: str, dtype: Any = ...
           ) -> nw.LazyFrame[Any]: ...
@overload
def lookup(frame: nw.DataFrame[Any], key: str, table: Sequence[int], name: str, dtype: Any = ...
           ) -> nw.DataFrame[Any]: ...
def lookup(frame: nw.LazyFrame[Any] | nw.DataFrame[Any], key: str, table: Sequence[int], name: str,
           dtype: Any = nw.Int64) -> nw.LazyFrame[Any] | nw.DataFrame[Any]:
    """Add column `name` = `table[key]` for keys 0..len(table)-1, of integer type `dtype` (Int64 or Int32).

    Polars indexes the table directly (a tenth of the cost of its hash-based `replace_strict`,
    which every other engine uses).
    """
    if frame.implementation.is_polars():
        native = frame.to_native()
        values = pl.lit(pl.Series(name, list(table), dtype=pl.Int32 if dtype == nw.Int32 else pl.Int64)
                        ).gather(pl.col(key)).alias(name)
        return nw.from_native(native.with_columns(values))
    return frame.with_columns(lookup_expr(nw.col(key), dict(enumerate(table)), dtype).alias(name))


def sorted_values(frame: nw.DataFrame[Any] | nw.LazyFrame[Any], name: str) -> np.ndarray:
    """The values of one integer column, sorted, as numpy.

    Keys built along the case order are sorted in long stretches; numpy's stable sort (a timsort)
    runs along them and takes a fifth of the CPU of a general sort, such as Polars' pdqsort.
    """
    values = collect(frame).get_column(name).to_numpy()
    return np.sort(values, kind="stable")  # other columns are left behind


def _sorted_by_case(frame: nw.DataFrame[Any], keys: list[str]) -> tuple[nw.DataFrame[Any], bool]:
    """An eager frame with integer `case_code`s, sorted by `keys` (cases contiguous), and whether
    the codes already number the cases 0..n-1 in that order."""
    if frame.implementation.is_polars() and CASE_CODE in frame.columns:
        return nw.from_native(_precoded_order(frame.to_native(), keys)), True
    if frame.implementation.is_polars():
        native = frame.to_native()
        ordered = _run_coded(native, keys)
        if ordered is not None:
            return nw.from_native(ordered), True
        ordered = _hash_coded(native, keys)
        if ordered is not None:
            return nw.from_native(ordered), False
    return _with_case_codes(frame).drop("case").sort(keys), False


def _is_precoded(frame: Any) -> bool:
    """Whether a frame is an eager Polars frame with an ingested log's code columns of the right types."""
    if not isinstance(frame, pl.DataFrame):
        return False
    schema = frame.schema
    return (CASE_CODE in schema and schema[CASE_CODE].is_integer() and isinstance(schema.get(ACTIVITY_CODE), pl.Enum))


def _steps_of_codes(frame: nw.DataFrame[Any], activity_codes: dict[str, int]) -> nw.DataFrame[Any]:
    """`step_code` of every event from its activity's code: a lookup in a table of the few labels."""
    native = frame.to_native()
    labels = native.schema[ACTIVITY_CODE].categories.to_list()
    table = pl.Series("step_code", [activity_codes.get(label, -1) for label in labels], dtype=pl.Int32)
    coded = native.with_columns(pl.lit(table).gather(pl.col(ACTIVITY_CODE).to_physical()).alias("step_code"))
    return nw.from_native(coded.drop(ACTIVITY_CODE))


def _precoded_order(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The frame with its case codes as `case_code`, numbered 0..n-1 along `keys` (sorted only if not already).

    An ingested log is in this order, and a filtered one still is (filters keep the order), but its
    codes then have gaps: runs are numbered again, which is one pass over integers.
    """
    coded = frame.drop("case").rename({CASE_CODE: "case_code"}).with_columns(pl.col("case_code").cast(pl.Int32))
    if not rows_in_order(coded, keys):
        coded = coded.sort(keys)
    codes = coded.get_column("case_code")
    starts = codes.ne_missing(codes.shift(1)).fill_null(True)
    if _counts_up(codes, int(starts.sum())):
        return coded  # numbered 0..n-1 in order already (the whole folder): the log's own column serves
    return coded.with_columns((starts.cast(pl.Int32).cum_sum() - 1).alias("case_code"))


def _run_coded(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame | None:
    """The frame numbered by runs of equal case ids, if each case is one run; else None.

    Logs are often grouped by case already (XES always is: one trace after another). Then a case
    is a run of equal ids, numbering runs is nearly free, and the sort is skipped when the events
    of each case are in order too. Runs are told by two independent 64-bit hashes of the id
    (comparing integers is a third of the cost of comparing text); two neighbouring ids would have
    to collide in both to be taken for one. The runs are the cases when no two runs share an id,
    which is certain when their first hashes all differ (equal ids hash equally).
    """
    case = frame.get_column("case")
    hashes = [_case_hash(case, seed) for seed in _HASH_SEEDS]
    starts = (hashes[0].ne_missing(hashes[0].shift(1)) | hashes[1].ne_missing(hashes[1].shift(1))).fill_null(True)
    n_runs = int(starts.sum())
    if hashes[0].filter(starts).n_unique() != n_runs:
        return None
    coded = frame.drop("case").with_columns((starts.cast(pl.Int32).cum_sum() - 1).alias("case_code"))
    return coded if rows_in_order(coded, keys) else coded.sort(keys)


def _hash_coded(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame | None:
    """Sorted by a 64-bit hash of the case id, or None if two different ids share a hash.

    Hashing ten million ids costs a fortieth of numbering them exactly (a categorical). After the
    sort, events of one hash are adjacent; a second, independent hash that changes inside such a
    run shows two ids sharing the first one, and the caller then numbers them exactly.
    """
    case = frame.get_column("case")
    coded = frame.drop("case").with_columns(
        _case_hash(case, _HASH_SEEDS[0]).reinterpret(signed=True).alias("case_code"),
        _case_hash(case, _HASH_SEEDS[1]).alias("case_check"))
    # A log in time order needs only a stable sort by case, which is half the cost of sorting by all keys.
    coded = coded.sort("case_code", maintain_order=True) if rows_in_order(coded, keys[1:]) else coded.sort(keys)
    same_code = pl.col("case_code") == pl.col("case_code").shift(1)
    if coded.select((same_code & (pl.col("case_check") != pl.col("case_check").shift(1))).any()).item():
        return None
    return coded.drop("case_check")


def rows_in_order(frame: pl.DataFrame, keys: list[str]) -> bool:
    """Whether every row comes after the one before it by `keys` (lexicographically)."""
    later, tied = pl.lit(False), pl.lit(True)
    for key in keys:
        before = pl.col(key).shift(1)
        later, tied = later | (tied & (pl.col(key) > before)), tied & (pl.col(key) == before)
    # Lazily: the optimiser shares the shifted columns between the keys (half the time of an eager select).
    return bool(frame.lazy().select((later | tied).fill_null(True).all()).collect().item())


def _case_hash(case: pl.Series, seed: int) -> pl.Series:
    """A 64-bit hash of every case id (a function of its own so tests can force collisions)."""
    return case.hash(seed=seed)


def _with_case_codes(frame: Any) -> Any:
    """Add an integer `case_code` per distinct case id (any numbering; only equality matters)."""
    codes = frame.select("case").unique()
    eager = isinstance(frame, nw.DataFrame)
    codes = codes.with_row_index("case_code") if eager else codes.with_row_index("case_code", order_by="case")
    return frame.join(codes.with_columns(nw.col("case_code").cast(nw.Int64)), on="case", how="left")


def materialise(frame: nw.LazyFrame[Any] | nw.DataFrame[Any]) -> nw.LazyFrame[Any]:
    """Compute a lazy frame once and keep it in its engine, so later queries reuse the result.

    PySpark keeps it where the data lives, cached on the executors: without that every one of the
    dozen aggregations after it would recompute the ordering from the source. The cache is given
    back when the `spark_caches` block around the computation ends.
    """
    backend = frame.implementation
    if backend.is_polars() or backend.is_duckdb():
        return collect(frame).lazy(backend=backend)
    if backend.is_pandas():
        return collect(frame).lazy()
    lazy = frame if isinstance(frame, nw.LazyFrame) else frame.lazy()
    if backend.is_spark_like():
        cached = lazy.to_native().persist()
        held = _SPARK_CACHES.get()
        if held is not None:
            held.append(cached)
        return nw.from_native(cached)
    return lazy


_SPARK_CACHES: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar("spark_caches", default=None)


@contextlib.contextmanager
def spark_caches() -> Iterator[None]:
    """Unpersist, at the end of the block, the Spark frames `materialise` cached in it (a user's own
    session keeps none of ours); on other engines nothing is held."""
    held: list[Any] = []
    token = _SPARK_CACHES.set(held)
    try:
        yield
    finally:
        _SPARK_CACHES.reset(token)
        for cached in held:
            cached.unpersist()


def collect(frame: nw.LazyFrame[Any] | nw.DataFrame[Any]) -> nw.DataFrame[Any]:
    """Materialise a (small, aggregated) lazy result."""
    return frame.collect() if isinstance(frame, nw.LazyFrame) else frame


def to_pandas(frame: nw.LazyFrame[Any] | nw.DataFrame[Any]) -> pd.DataFrame:
    """A collected result as a pandas frame, the currency of Streamlit and Altair.

    Polars' text columns go straight into pandas' own text type ("str", Arrow-backed), the type they
    end up in anyway: by default pyarrow makes a Python object of every value on the way, which for a
    million case ids took 0.15 GB for a moment and three times as long.
    """
    collected = collect(frame)
    if collected.implementation.is_polars():
        return collected.to_native().to_pandas(types_mapper=_pandas_text)
    return collected.to_pandas()


def _pandas_text(arrow_type: Any) -> Any:
    import pyarrow as pa  # Polars' own conversion to pandas needs it: loaded by now

    return _PANDAS_TEXT if pa.types.is_large_string(arrow_type) or pa.types.is_string(arrow_type) else None


_PANDAS_TEXT = pd.Series([""], dtype="str").dtype  # what pandas makes of text by default
