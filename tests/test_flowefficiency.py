"""Tests for journeymap.measures.flowefficiency: waiting and working per step and end to end, on hand-computed logs."""

from __future__ import annotations

import pytest

from journeymap.journey.definition import journey_from_yaml
from journeymap.measures.casetimes import case_step_times
from journeymap.measures.flowefficiency import flow_efficiency, with_flow_efficiency
from journeymap.measures.metrics import compute_metrics
from journeymap.testing import build_events

JOURNEY = journey_from_yaml("""
id: abc
name: ABC
stages: [{id: s, label: S}]
steps: [{id: a, label: Apply, stage: s}, {id: b, label: Review, stage: s}, {id: c, label: Decide, stage: s}]
transitions: [{from: a, to: b}, {from: b, to: c}]
start: a
end: [c]
""")
H = 3600.0


@pytest.fixture(scope="module")
def log():
    """c1: b waits 2 h then works 3 h, c waits 1 h then works 4 h (lead 10 h, work 7 h).
    c2: b waits 1 h, works 1 h; c starts at 1 h, before b completes at 2 h (an overlap: wait 0), works 4 h
    (lead 6 h, work 5 h). c3: no start time at c (untimed: left out end to end)."""
    events = build_events({"c1": [("a", 0), ("b", 5), ("c", 10)], "c2": [("a", 0), ("b", 2), ("c", 6)],
                           "c3": [("a", 0), ("b", 3), ("c", 4)]},
                          starts={("c1", 1): 2, ("c1", 2): 6, ("c2", 1): 1, ("c2", 2): 1, ("c3", 1): 1})
    return events


class TestFlowEfficiency:
    @pytest.mark.parametrize("engine", ["polars", "pandas", "duckdb"])
    def test_end_to_end(self, log, engine) -> None:
        """Work 7 h + 5 h over lead 10 h + 6 h = 75%; the case medians 70% and 83%; c3 is untimed (any engine)."""
        frame = log if engine == "polars" else log.to_pandas() if engine == "pandas" else _duckdb(log)
        found = flow_efficiency(case_step_times(frame, JOURNEY))
        e2e = found.end_to_end
        assert e2e["cases"] == 2 and e2e["untimed_cases"] == 1
        assert e2e["flow_efficiency"] == pytest.approx(12 / 16)
        assert e2e["median_case_flow_efficiency"] == pytest.approx((0.7 + 5 / 6) / 2)
        assert e2e["work_s"] == pytest.approx(12 * H) and e2e["lead_time_s"] == pytest.approx(16 * H)

    def test_per_step(self, log) -> None:
        """Review: waits 2 h, 1 h, 1 h and works 3 h, 1 h, 2 h (c3 has a start there); Decide: waits 1 h and 0
        (the overlap), works 4 h and 4 h; c3 untimed there."""
        steps = flow_efficiency(case_step_times(log, JOURNEY)).steps.set_index("step")
        b, c = steps.loc["b"], steps.loc["c"]
        assert b["timed_arrivals"] == 3 and b["untimed_arrivals"] == 0
        assert b["wait_median_s"] == pytest.approx(1 * H) and b["work_median_s"] == pytest.approx(2 * H)
        assert b["wait_p85_s"] == pytest.approx(1.7 * H)
        assert b["flow_efficiency"] == pytest.approx((3 + 1 + 2) / (5 + 2 + 3))
        assert c["timed_arrivals"] == 2 and c["untimed_arrivals"] == 1 and c["overlaps"] == 1
        assert c["wait_median_s"] == pytest.approx(0.5 * H) and c["work_median_s"] == pytest.approx(4 * H)
        assert c["flow_efficiency"] == pytest.approx(8 / 9)
        assert "a" not in steps.index  # the start step is never arrived at

    def test_wait_agrees_with_the_transition_table(self, log) -> None:
        """A step with one way in: its median wait is the transition's `wait_median_s` (one definition)."""
        metrics = compute_metrics(log, JOURNEY)
        steps = flow_efficiency(case_step_times(log, JOURNEY)).steps.set_index("step")
        transitions = metrics.transitions.set_index(["from", "to"])
        assert steps.loc["b", "wait_median_s"] == pytest.approx(transitions.loc[("a", "b"), "wait_median_s"])
        assert steps.loc["c", "wait_median_s"] == pytest.approx(transitions.loc[("b", "c"), "wait_median_s"])

    def test_longest_waits(self, log) -> None:
        """Steps ranked by median wait before work starts, each with its sentence."""
        found = flow_efficiency(case_step_times(log, JOURNEY))
        assert list(found.longest_waits["step"]) == ["b", "c"]
        assert found.longest_waits["sentence"].iloc[0] == ("Review: a median 1.0 h waiting, then 2.0 h of work "
                                                           "(flow efficiency 60%)")
        assert found.sentence.startswith("75% of the lead time is work, 25% waiting (2 completed cases")

    def test_no_start_times(self) -> None:
        """A log without start times has no flow efficiency (None), and the map columns stay empty."""
        events = build_events({"c1": [("a", 0), ("b", 5), ("c", 10)]})
        times = case_step_times(events, JOURNEY)
        assert times.event_start_us is None and flow_efficiency(times) is None
        metrics = compute_metrics(events, JOURNEY)
        assert with_flow_efficiency(metrics.steps, None)["flow_efficiency"].isna().all()

    def test_map_columns(self, log) -> None:
        """`with_flow_efficiency` adds the colour measures to the step table, by step."""
        metrics = compute_metrics(log, JOURNEY)
        steps = with_flow_efficiency(metrics.steps, flow_efficiency(case_step_times(log, JOURNEY))).set_index("step")
        assert steps.loc["c", "flow_efficiency"] == pytest.approx(8 / 9)
        assert steps.loc["b", "wait_median_s"] == pytest.approx(1 * H)
        assert steps.loc["a", "flow_efficiency"] != steps.loc["a", "flow_efficiency"]  # NaN: never arrived at
        assert len(steps) == len(metrics.steps)


def _duckdb(frame):
    import duckdb

    connection = duckdb.connect()
    connection.register("events", frame.to_arrow())
    return connection.sql("select * from events")


class TestMetricsCommand:
    def test_json_gains_flow_efficiency(self, capsys, tmp_path) -> None:
        """A CSV with start and completion times: `metrics` JSON carries flow efficiency end to end and per step."""
        import json

        from journeymap.cli.main import main

        path = tmp_path / "work.csv"
        path.write_text("case,activity,start,end\n"
                        "c1,a,2026-01-05T08:00:00Z,2026-01-05T09:00:00Z\n"
                        "c1,b,2026-01-05T11:00:00Z,2026-01-05T14:00:00Z\n"
                        "c1,c,2026-01-05T15:00:00Z,2026-01-05T19:00:00Z\n")
        assert main(["metrics", str(path), "--case", "case", "--activity", "activity", "--timestamp", "end",
                     "--start-timestamp", "start"]) == 0
        flow = json.loads(capsys.readouterr().out)["flow_efficiency"]
        assert flow["cases"] == 1 and flow["flow_efficiency"] == pytest.approx(0.7)
        assert flow["sentence"].startswith("70% of the lead time is work, 30% waiting")
        assert {row["step"]: row["wait_median_s"] for row in flow["steps"]} == {"b": 2 * H, "c": 1 * H}
        assert flow["longest_waits"][0]["step"] == "b"

    def test_no_start_times_no_section(self, capsys, tmp_path) -> None:
        import json

        from journeymap.cli.main import main

        path = tmp_path / "plain.csv"
        path.write_text("case,activity,timestamp\nc1,a,2026-01-05T08:00:00Z\nc1,b,2026-01-05T09:00:00Z\n")
        assert main(["metrics", str(path)]) == 0
        out = json.loads(capsys.readouterr().out)
        assert "flow_efficiency" not in out and "satisfaction" not in out


def test_longest_waits_are_the_top_few() -> None:
    """More timed steps than `top`: the longest waits keep the top few, each with its own sentence (waits of
    1, 1.25, 1.5 and 1.75 h)."""
    chain = [("a", 0)] + [(f"s{i}", 2 * i + 2) for i in range(4)]
    events = build_events({"c1": chain}, starts={("c1", i + 1): 2 * i + 1 + i / 4 for i in range(4)})
    found = flow_efficiency(case_step_times(events))
    top = flow_efficiency(case_step_times(events), top=2).longest_waits
    assert list(top["step"]) == ["s3", "s2"] and top["sentence"].iloc[0].startswith("s3: a median 1.8 h waiting")
    assert len(found.longest_waits) == 4


def test_map_colours_flow_efficiency_on_a_fixed_scale(log) -> None:
    """Flow efficiency on the map: 0–100%, the least efficient step darkest, its value as a percentage."""
    from dataclasses import replace

    from journeymap.charts.map import map_chart

    metrics = compute_metrics(log, JOURNEY)
    shown = replace(metrics, steps=with_flow_efficiency(metrics.steps, flow_efficiency(case_step_times(log, JOURNEY))))
    spec = map_chart(shown, color_by="flow_efficiency").to_dict()
    scales = [layer["encoding"]["color"]["condition"]["scale"] for layer in spec["layer"]
              if "condition" in layer.get("encoding", {}).get("color", {})]
    assert scales == [{"scheme": "orangered", "domain": [0.0, 1.0], "clamp": True, "reverse": True}]
    assert {row["step"]: row["value_text"] for row in spec["datasets"]["journey_nodes"]}["c"] == "89%"
