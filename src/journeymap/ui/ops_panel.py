"""What the map page says beside the map about satisfaction and flow efficiency, and a step's share of them."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from journeymap.core.durations import format_seconds_as_text as human
from journeymap.core.numbers import format_share
from journeymap.measures.opsmeasures import OPS_MEASURES, OpsMeasures
from journeymap.measures.satisfaction import SATISFACTION_MEASURE
from journeymap.ui.text import md

__all__ = ["show", "show_step", "measure_name"]

_PATHS_SHOWN = 5
_PANEL_KEY = "jm_ops_panel"


def measure_name(color_by: str) -> str:
    """A colour measure's name in a sentence ("mean satisfaction of the cases")."""
    return OPS_MEASURES.get(color_by, color_by).lower()


def show(available: dict[str, str], ops: Callable[[], OpsMeasures], *, filled: bool = False) -> None:
    """An expander with the least satisfied waits, steps and paths, and where cases wait before work starts.

    `available` (the colour measures the log can fill) names its parts; `ops` computes them, which
    on a large log takes seconds, so only when the expander is opened, or at once when `filled`
    (the map is coloured by one of them, so they are computed already).
    """
    satisfied, timed = SATISFACTION_MEASURE in available, "flow_efficiency" in available
    if not satisfied and not timed:
        return
    title = " · ".join(part for part, found in (("Where people get frustrated", satisfied),
                                                ("How much of the time is work", timed)) if found)
    panel = st.expander(title, icon=":material/sentiment_dissatisfied:", key=_PANEL_KEY, on_change="rerun")
    if not (filled or panel.open):
        return
    with panel:
        measures = ops()
        if measures.satisfaction is not None:
            _satisfaction(measures)
        if measures.flow is not None:
            _flow(measures)


def _satisfaction(ops: OpsMeasures) -> None:
    feel = ops.satisfaction
    assert feel is not None
    st.markdown(f"**Satisfaction** ({md(feel.column)}, {feel.scale.name}): {feel.answered:,} cases answered, "
                f"mean {feel.mean:.1f}.")
    st.markdown("\n".join(f"- {md(sentence)}" for sentence in feel.sentences()))
    paths = feel.paths.head(_PATHS_SHOWN)
    if len(paths):
        st.markdown("Least satisfied paths:")
        st.dataframe(pd.DataFrame({"Path": paths["labels"], "Cases answered": paths["cases"],
                                   "Mean": paths["mean"].map(lambda v: f"{v:.1f}"),
                                   "Against the rest": [f"{d:+.1f}".replace("-", "−") + (" ◆" if s else "")
                                                        if d == d else "–"
                                                        for d, s in zip(paths["difference"], paths["significant"])]}),
                     hide_index=True, width="stretch", height="content")
        st.caption("◆: the 95% interval excludes no difference (a seeded case bootstrap). Colour the map by "
                   "“Mean satisfaction” to see it step by step.")


def _flow(ops: OpsMeasures) -> None:
    flow = ops.flow
    assert flow is not None
    st.markdown(f"**Flow efficiency**: {md(flow.sentence)}")
    waits = flow.longest_waits
    if len(waits):
        st.dataframe(pd.DataFrame({"Step": waits["label"], "Median wait before work": waits["wait_median_s"].map(human),
                                   "Median work": waits["work_median_s"].map(human),
                                   "Flow efficiency": waits["flow_efficiency"].map(lambda v: f"{format_share(v)}")}),
                     hide_index=True, width="stretch", height="content")
        st.caption("Wait: from the previous event's completion to this step's start; work: from its start to its "
                   "completion. Flow efficiency: work over the whole time to arrive.")


def show_step(ops: OpsMeasures, step: str) -> None:
    """A step's waiting against working, and the satisfaction of the cases that passed it, where the log tells."""
    cells: list[tuple[str, str, str] | tuple[str, str, str, str | None]] = []
    if ops.flow is not None:
        rows = ops.flow.steps[ops.flow.steps["step"] == step]
        if len(rows) and rows["timed_arrivals"].iloc[0] > 0:
            row = rows.iloc[0]
            cells += [("Wait before work", human(row["wait_median_s"]), "Median time from the previous event to "
                       "this step's start."),
                      ("Work", human(row["work_median_s"]), "Median time from this step's start to its completion."),
                      ("Flow efficiency", format_share(row["flow_efficiency"]), "Work over the whole time to arrive "
                       f"({int(row['timed_arrivals']):,} arrivals with a start time).")]
    if ops.satisfaction is not None:
        rows = ops.satisfaction.steps[ops.satisfaction.steps["step"] == step]
        if len(rows):
            row = rows.iloc[0]
            # ASCII "-": Streamlit reads the sign of a delta text to colour and point it.
            delta = f"{row['difference']:+.1f} against the rest" if row["difference"] == row["difference"] else None
            cells.append((f"Satisfaction ({ops.satisfaction.scale.name})", f"{row['mean']:.1f}", row["sentence"],
                          delta))
    if not cells:
        return
    for column, cell in zip(st.columns(len(cells)), cells):
        label, value, help_text, *deltas = cell
        column.metric(label, value, help=help_text, delta=deltas[0] if deltas else None,
                      delta_color="normal" if deltas else "off")
