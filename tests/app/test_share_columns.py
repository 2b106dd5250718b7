"""Shares in the tables beside a bar read as every other share does: "<1%", ">99%", never "0%" or "100%".

A hand-made log of 400 cases: all open and close, all but c0 are checked (399 of 400: 99.75%), and c1
alone takes a rare detour (1 of 400: 0.25%; of team b's 200 cases 0.5%). Streamlit's own progress
column printed these as "0%" and "100%"; the Funnel and Compare tables now word them by
`core/numbers.format_share`, and What if words its p85 shares the same way.
"""

from __future__ import annotations

import pandas as pd
import pytest
from app_driver import no_exception, open_app
from streamlit.testing.v1 import AppTest

from journeymap.core.numbers import format_share
from journeymap.ui.share_bars import share_bars, share_text_column

JOURNEY = b"""id: shares
name: Shares
stages:
  - {id: s1, label: Work}
steps:
  - {id: open, label: Open, stage: s1, aliases: [Open]}
  - {id: check, label: Check, stage: s1, aliases: [Check]}
  - {id: rare, label: Rare detour, stage: s1, aliases: [Rare detour]}
  - {id: close, label: Close, stage: s1, aliases: [Close]}
transitions:
  - {from: open, to: check}
  - {from: open, to: close}
  - {from: check, to: rare}
  - {from: check, to: close}
  - {from: rare, to: close}
start: open
end: [close]
"""


def _log() -> bytes:
    lines = ["case,activity,timestamp,team"]
    for case in range(400):
        day = f"2024-01-{1 + case % 28:02d}"
        steps = [("08:00", "Open")]
        if case != 0:
            steps.append((f"{9 + case % 5:02d}:00", "Check"))
        if case == 1:
            steps.append(("15:30", "Rare detour"))
        steps.append(("20:00", "Close"))
        lines += [f"c{case},{activity},{day} {time},{'ab'[case % 2]}" for time, activity in steps]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def loaded() -> AppTest:
    at = open_app("pages/data.py")
    at.file_uploader(key="jm_upload_log").upload("shares.csv", _log())
    at.run()
    at.radio(key="jm_journey_how").set_value("yaml").run()
    at.file_uploader(key="jm_upload_yaml").upload("shares.yaml", JOURNEY)
    at.run()
    at.button(key="jm_load").click().run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    return at


def _table_with(at: AppTest, column: str) -> pd.DataFrame:
    found = [frame.value for frame in at.dataframe if column in frame.value.columns]
    assert found, f"no table has a column {column!r}: {[list(frame.value.columns) for frame in at.dataframe]}"
    return found[0]


class TestShareColumns:
    def test_funnel_says_under_1_and_over_99_percent(self, loaded: AppTest) -> None:
        """1 of 400 cases reached the detour: "<1%", not "0%"; 399 of 400 were checked: ">99%", not "100%"."""
        loaded.switch_page("pages/funnel.py").run()
        no_exception(loaded)
        table = _table_with(loaded, share_text_column("Of all cases")).set_index("Step")
        words = table[share_text_column("Of all cases")]
        assert words["Rare detour"] == "<1%"
        assert words["Check"] == ">99%"
        assert words["Open"] == "100%"
        assert table.loc["Rare detour", "Of all cases"] == pytest.approx(1 / 400), "the bar keeps the exact share"

    def test_compare_funnel_by_value_says_under_1_percent(self, loaded: AppTest) -> None:
        """Team b: 1 of its 200 cases took the detour (0.5%): "<1%"; team a: none, "0%"."""
        loaded.switch_page("pages/compare.py").run()
        loaded.selectbox(key="jm_cmp_by").select("team").run()
        no_exception(loaded)
        table = _table_with(loaded, share_text_column("b")).set_index("Step")
        assert table.loc["Rare detour", share_text_column("b")] == "<1%"
        assert table.loc["Rare detour", share_text_column("a")] == "0%"
        assert table.loc["Check", share_text_column("a")] == ">99%"  # 199 of 200, not "100%"

    def test_what_if_words_its_p85_shares(self) -> None:
        """The p85 impact table words each share at one decimal as format_share does, beside its bar."""
        at = open_app("pages/whatif.py")
        no_exception(at)
        table = _table_with(at, share_text_column("Of p85 lead time"))
        assert len(table) >= 3
        assert list(table[share_text_column("Of p85 lead time")]) == [
            format_share(share, 1) for share in table["Of p85 lead time"]]


class TestShareBars:
    def test_the_bar_prints_no_number_and_the_text_sits_right_of_it(self) -> None:
        """The share column keeps the numbers for the bar (no number of its own), its words right after it."""
        table, config = share_bars(pd.DataFrame({"Step": ["a", "b", "c"], "Share": [0.003, 0.5, float("nan")],
                                                 "After": [1, 2, 3]}), ["Share"], most=0.5)
        assert list(table.columns) == ["Step", "Share", share_text_column("Share"), "After"]
        assert list(table[share_text_column("Share")]) == ["<1%", "50%", "–"]
        bar = config["Share"]
        assert bar["type_config"]["type"] == "progress" and bar["type_config"]["max_value"] == 0.5
        assert "%" not in bar["type_config"]["format"], "the bar's own number would round 0.3% to 0%"
