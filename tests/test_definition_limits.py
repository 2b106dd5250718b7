"""Hostile journey YAML is refused at once with one sentence: anchor bombs, deep nesting, broken quotes."""

from __future__ import annotations

import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from journeymap.core.errors import JourneyError
from journeymap.journey.definition import MAX_YAML_DEPTH, journey_from_yaml, journey_to_yaml, load_journey
from journeymap.journey.samples import sample_journey_path


def billion_laughs(levels: int = 9, width: int = 9) -> str:
    lines = ["a0: &a0 [" + ",".join(['"lol"'] * width) + "]"]
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


class TestHostileYaml:
    def test_alias_bomb_is_refused(self) -> None:
        """Nine levels of nine aliases (387 million values) are refused by line, not expanded."""
        with pytest.raises(JourneyError, match=r"bomb\.yaml, line \d+: its anchors and aliases expand to more than"):
            journey_from_yaml(billion_laughs(), source="bomb.yaml")

    def test_small_aliases_still_work(self) -> None:
        """An anchor reused a few times is ordinary YAML and loads."""
        text = """
id: tiny
name: &name Tiny
description: *name
stages: [{id: s, label: S}]
steps:
  - {id: a, label: A, stage: s, target: &quick {p85: 2h}}
  - {id: b, label: B, stage: s, target: *quick}
transitions: [{from: a, to: b}]
start: a
end: b
"""
        journey = journey_from_yaml(text)
        assert journey.description == "Tiny" and journey.step("b").target == journey.step("a").target

    def test_deep_nesting_is_refused(self) -> None:
        """Nesting thousands deep names the file and line instead of overflowing the parser."""
        with pytest.raises(JourneyError, match=rf"deep\.yaml, line 1: nested more than {MAX_YAML_DEPTH} levels"):
            journey_from_yaml("x: " + "[" * 5000 + "]" * 5000, source="deep.yaml")

    def test_unbalanced_quote_names_where_it_opens(self) -> None:
        """An unclosed quote is one sentence pointing at the quote's line and column, not a parser dump."""
        with pytest.raises(JourneyError) as caught:
            journey_from_yaml('id: x\nname: "never closed\nsteps: []\n', source="quote.yaml")
        message = str(caught.value)
        assert message.startswith("quote.yaml, line 2, column 7: YAML syntax error") and "\n" not in message


TINY = """
id: tiny
name: Tiny
stages: [{id: s, label: S}]
steps:
  - {id: a, label: A, stage: s}
  - {id: b, label: B, stage: s}
transitions: [{from: a, to: b}]
start: a
end: b
"""


class TestValuesTheSchemaLetsThrough:
    def test_duplicate_keys_are_refused(self) -> None:
        """A key given twice names both lines instead of keeping the last silently."""
        with pytest.raises(JourneyError, match=r"dup\.yaml, line 4: the key 'name' is given twice .*first on line 3"):
            journey_from_yaml(TINY.replace("name: Tiny", "name: Tiny\nname: Other"), source="dup.yaml")

    def test_id_with_a_line_break_is_refused(self) -> None:
        """A step id ending in a newline (a quoted "a\\n") fails validation with its line."""
        text = TINY.replace("{id: b, label: B", '{id: "b\\n", label: B').replace("to: b}", 'to: "b\\n"}')
        with pytest.raises(JourneyError, match=r"nl\.yaml, line 7: steps\.1\.id is 'b\\n': ids use letters"):
            journey_from_yaml(text.replace("end: b", 'end: "b\\n"'), source="nl.yaml")

    def test_absurd_duration_is_refused_at_validation(self) -> None:
        """99999999999w passes the pattern but is refused by line, so metrics never overflow on it."""
        with pytest.raises(JourneyError, match=r"long\.yaml, line \d+: stale_after: '99999999999w' is longer than 100"):
            journey_from_yaml(TINY + "stale_after: 99999999999w\n", source="long.yaml")

    def test_impossible_date_is_refused(self) -> None:
        """A change dated 2026-02-30 names the line, not a Python traceback."""
        text = TINY + "changes: [{date: 2026-02-30, title: New form, steps: [a]}]\n"
        with pytest.raises(
            JourneyError, match=r"date\.yaml, line \d+: changes\.0\.date is '2026-02-30', which is no date"
        ):
            journey_from_yaml(text, source="date.yaml")

    def test_dates_still_load(self) -> None:
        """An ordinary change date reads as a date."""
        journey = journey_from_yaml(TINY + "changes: [{date: 2026-02-28, title: New form}]\n")
        assert journey.changes[0].date.isoformat() == "2026-02-28"


SAMPLE = sample_journey_path("onboarding").read_text("utf-8")


@settings(max_examples=150, deadline=None)
@given(cut=st.integers(0, len(SAMPLE)), junk=st.text(string.printable + "äß\u200b&*!|>", max_size=20))
@example(cut=254, junk="\r\r")  # an id broken over two lines: its message stayed on two
def test_damaged_journeys_load_or_fail_with_one_sentence(cut: int, junk: str) -> None:
    """A journey file cut short or with junk spliced in loads, or fails with a JourneyError: never anything else."""
    text = SAMPLE[:cut] + junk + SAMPLE[cut:]
    try:
        journey = journey_from_yaml(text, source="damaged.yaml")
    except JourneyError as error:
        assert str(error).startswith("damaged.yaml") and "\n" not in str(error)
    else:
        assert journey_from_yaml(journey_to_yaml(journey)) == journey


def test_samples_still_load() -> None:
    """The limits leave ordinary journeys alone."""
    for name in ("onboarding", "service_desk", "purchase_request"):
        assert load_journey(sample_journey_path(name)).steps
