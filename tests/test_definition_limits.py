"""Hostile journey YAML is refused at once with one sentence: anchor bombs, deep nesting, broken quotes."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeymap.definition import MAX_YAML_DEPTH, journey_from_yaml, journey_to_yaml, load_journey
from journeymap.errors import JourneyError
from journeymap.samples import sample_journey_path


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
        text = sample_journey_path("onboarding").read_text("utf-8").replace(
            "stale_after: 30d", "stale_after: &month 30d\ndescription: *month")
        assert journey_from_yaml(text).description == "30d"

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


SAMPLE = sample_journey_path("onboarding").read_text("utf-8")


@settings(max_examples=150, deadline=None)
@given(cut=st.integers(0, len(SAMPLE)), junk=st.text(string.printable + "äß\u200b&*!|>", max_size=20))
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
