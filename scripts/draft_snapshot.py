"""Write what `journeymap draft` produces for the sample and real logs, to compare two versions byte for byte.

    python scripts/draft_snapshot.py OUT_DIR [--big]     # then: diff -r BEFORE_DIR AFTER_DIR

For each log: the drafted YAML (header and body, as the CLI writes it), a draft leaving rare
activities out, and the proposal's facts (reached, starting, first positions, transitions,
outcomes, timers), each drafted from Polars, pandas, a Polars lazy frame, DuckDB and the log's
events shuffled (a log not grouped by case). `--big` adds the 1M-event benchmark log.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import duckdb
import polars as pl

from journeymap.journey.definition import journey_to_yaml
from journeymap.journey.samples import sample_events_path
from journeymap.log.readers import read_events
from journeymap.measures.draft import draft_header, draft_journey, propose_draft

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "real"
BIG = ROOT / "benchmarks" / "data" / "onboarding_120000_case_id.csv"


def engines(frame: pl.DataFrame) -> dict[str, object]:
    """The same events in every engine the draft accepts, and shuffled."""
    return {"polars": frame, "pandas": frame.to_pandas(), "lazy": frame.lazy(),
            "duckdb": duckdb.from_arrow(frame.to_arrow()), "shuffled": frame.sample(fraction=1.0, shuffle=True, seed=3)}


def snapshot(name: str, path: Path, out: Path, kinds: list[str]) -> None:
    log = read_events(path)
    for kind, events in engines(log.frame).items():
        if kind not in kinds:
            continue
        try:
            proposal = propose_draft(events)
        except Exception as error:  # recorded, so that a version that fails differently shows in the diff
            (out / f"{name}.{kind}.error").write_text(f"{type(error).__name__}\n")
            continue
        journey = draft_journey(events, proposal=proposal)
        text = draft_header(proposal, journey, log.source) + journey_to_yaml(journey)
        (out / f"{name}.{kind}.yaml").write_text(text)
        rare = draft_journey(events, proposal=proposal, min_case_share=0.05)
        (out / f"{name}.{kind}.rare.yaml").write_text(journey_to_yaml(rare))
        facts = proposal.facts
        (out / f"{name}.{kind}.facts.json").write_text(json.dumps({
            "n_cases": facts.n_cases, "reached": sorted(facts.reached.items()),
            "starting": sorted(facts.starting.items()),
            "first_position": [(k, repr(v)) for k, v in sorted(facts.first_position.items())],
            "transitions": facts.transitions.to_dict("split"),
            "transition_types": str(facts.transitions.dtypes.to_dict()) + str(facts.transitions.index),
            "outcomes": repr(facts.outcomes), "timers": facts.timers,
            "starts": proposal.starts, "activities": proposal.activities,
        }, indent=1, default=str))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--big", action="store_true")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    every = ["polars", "pandas", "lazy", "duckdb", "shuffled"]
    logs = {name: sample_events_path(name) for name in ("onboarding", "purchase_request", "service_desk")}
    logs |= {"helpdesk": REAL / "helpdesk.xes.gz", "receipt": REAL / "receipt.csv"}
    for name, path in logs.items():
        snapshot(name, path, args.out, every)
    if args.big:
        snapshot("big", BIG, args.out, ["polars", "pandas", "shuffled"])


if __name__ == "__main__":
    main()
