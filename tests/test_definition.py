"""Journey definitions: the sample files load, bad files fail with file, line and a fix."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from journeymap.core.errors import JourneyError
from journeymap.journey.definition import journey_from_yaml, journey_schema, journey_to_yaml, load_journey, save_journey
from journeymap.journey.samples import SAMPLE_JOURNEYS, sample_journey_path

GOOD = """\
id: tiny
name: Tiny journey
stale_after: 3d
stages:
  - {id: one, label: One}
steps:
  - id: a
    label: A
    stage: one
    target: {p85: 48h}
  - {id: b, label: B, stage: one, aliases: [bee]}
  - {id: c, label: C, stage: one}
transitions:
  - {from: a, to: b}
  - {from: b, to: b}
  - {from: b, to: c, target: {median: 2d}}
start: a
end: [c]
okrs:
  - {name: A to C, from: a, to: c, statistic: p85, baseline: 2w, target: 90m}
changes:
  - {date: 2026-06-01, title: New form, steps: [b]}
"""


def error_for(text: str) -> JourneyError:
    with pytest.raises(JourneyError) as caught:
        journey_from_yaml(text, source="bad.yaml")
    return caught.value


class TestLoading:
    @pytest.mark.parametrize("journey_id", SAMPLE_JOURNEYS)
    def test_sample_journeys_load_and_round_trip(self, journey_id: str, tmp_path: Path) -> None:
        """Each sample loads, and load -> save -> load gives an equal journey."""
        journey = load_journey(sample_journey_path(journey_id))
        save_journey(journey, tmp_path / "again.yaml")
        assert load_journey(tmp_path / "again.yaml") == journey

    def test_fields_are_read(self) -> None:
        """Durations, targets, loops, OKRs and changes come through with their values."""
        journey = journey_from_yaml(GOOD)
        assert journey.stale_after_s == 3 * 86400
        assert journey.step("a").target.seconds == 48 * 3600
        assert journey.okrs[0].baseline_s == 14 * 86400 and journey.okrs[0].target_s == 5400
        assert journey.changes[0].date.isoformat() == "2026-06-01"
        assert journey.activity_map()["bee"] == "b"
        assert journey_from_yaml(journey_to_yaml(journey)) == journey

    def test_mandatory_steps_are_the_dominators(self) -> None:
        """A step every path to the end passes through is mandatory; a branch is not."""
        journey = journey_from_yaml(GOOD.replace("  - {from: b, to: c, target: {median: 2d}}",
                                                 "  - {from: b, to: c}\n  - {from: a, to: c}"))
        assert journey.mandatory_steps() == {"a", "c"}
        assert journey_from_yaml(GOOD).mandatory_steps() == {"a", "b", "c"}

    @pytest.mark.parametrize("journey_id", SAMPLE_JOURNEYS)
    def test_schema_accepts_samples(self, journey_id: str) -> None:
        """The JSON Schema editors use accepts every sample journey."""
        data = yaml.safe_load(sample_journey_path(journey_id).read_text())
        data = json.loads(json.dumps(data, default=str))
        jsonschema.validate(data, journey_schema())


class TestErrors:
    def test_yaml_syntax_error_names_the_line(self) -> None:
        """A YAML syntax error names the file and the line."""
        error = error_for(GOOD.replace("  - {id: c, label: C, stage: one}", "  - {id: c, label: C, stage: one"))
        assert "bad.yaml, line" in str(error) and "YAML syntax error" in str(error)
        assert error.line is not None and 12 <= error.line <= 14

    def test_unknown_step_in_transition(self) -> None:
        """A transition to a step that does not exist names it and its line."""
        error = error_for(GOOD.replace("{from: b, to: c, target", "{from: b, to: d, target"))
        assert str(error).startswith("bad.yaml, line 16:") and "'d'" in str(error)

    def test_unreachable_step(self) -> None:
        """A step no transition leads to is rejected with its line."""
        error = error_for(GOOD.replace("  - {id: c, label: C, stage: one}",
                                       "  - {id: c, label: C, stage: one}\n  - {id: z, label: Z, stage: one}"))
        assert "line 13" in str(error) and "'z' cannot be reached" in str(error)

    def test_duplicate_id(self) -> None:
        """Two steps with one id are rejected at the second."""
        error = error_for(GOOD.replace("{id: c, label: C", "{id: b, label: C"))
        assert "duplicate step id 'b'" in str(error) and "line 12" in str(error)

    def test_bad_duration(self) -> None:
        """`48 hrs` is not a duration: the message says how to write one."""
        error = error_for(GOOD.replace("p85: 48h", "p85: 48 hrs"))
        assert "line 10" in str(error) and "'48 hrs'" in str(error) and "48h" in str(error)

    @pytest.mark.parametrize("key", ["start", "end"])
    def test_missing_start_or_end(self, key: str) -> None:
        """A journey without start or end says which key is missing."""
        text = "\n".join(line for line in GOOD.splitlines() if not line.startswith(f"{key}:"))
        assert f"missing '{key}'" in str(error_for(text))

    def test_start_naming_no_step(self) -> None:
        """A start step that is not defined is named."""
        assert "'nope'" in str(error_for(GOOD.replace("start: a", "start: nope")))

    def test_empty_and_non_mapping(self) -> None:
        """An empty file and a list instead of a mapping both get a sentence, not a traceback."""
        assert "empty" in str(error_for("   \n"))
        assert "mapping" in str(error_for("- a\n- b\n"))

    def test_unknown_key(self) -> None:
        """A misspelt key is reported rather than ignored."""
        assert "stale_afer" in str(error_for(GOOD.replace("stale_after", "stale_afer")))

    def test_no_code_runs_from_yaml(self) -> None:
        """Python tags are refused by the safe loader."""
        assert "YAML" in str(error_for("!!python/object/apply:os.system ['true']\n"))

    def test_missing_file(self, tmp_path: Path) -> None:
        """A path that does not exist is named."""
        with pytest.raises(JourneyError, match="no such journey file"):
            load_journey(tmp_path / "nope.yaml")
