"""The public API is exactly what `journeymap.__all__` says, and the library stays UI-free."""

from __future__ import annotations

import ast
from pathlib import Path

import journeymap

PUBLIC = {
    "CaseFilter", "Change", "Conformance", "EventLog", "Hotspot", "Journey", "JourneyError", "JourneyMetrics",
    "Okr", "Stage", "Step", "Target", "Transition", "compute_metrics", "conformance", "draft_journey",
    "filter_events", "find_hotspots", "format_seconds_as_text", "journey_from_yaml", "journey_schema",
    "journey_to_yaml", "load_journey", "metrics_summary", "parse_duration", "read_events", "save_journey",
    "where_time_goes", "CaseTimes", "WorkshopStore", "build_report", "case_step_times", "compare_change",
    "compare_segment", "export_chart", "map_chart", "p85_impact", "what_if",
}
PACKAGE = Path(journeymap.__file__).parent


def test_all_is_the_public_api() -> None:
    """Nothing leaks into the public API and nothing disappears from it by accident."""
    assert set(journeymap.__all__) == PUBLIC
    assert all(hasattr(journeymap, name) for name in PUBLIC)


def test_every_module_declares_all() -> None:
    """Each library module opens with a docstring and declares its own __all__."""
    for path in PACKAGE.rglob("*.py"):
        if path.name == "__main__.py":
            continue
        tree = ast.parse(path.read_text())
        assert ast.get_docstring(tree), f"{path.name} has no module docstring"
        targets = [t for node in tree.body if isinstance(node, ast.Assign) for t in node.targets]
        targets += [node.target for node in tree.body if isinstance(node, ast.AnnAssign)]
        names = {t.id for t in targets if isinstance(t, ast.Name)}
        assert "__all__" in names, f"{path.name} declares no __all__"


def test_library_never_imports_streamlit_outside_ui() -> None:
    """Only journeymap/ui/ may import streamlit; the rest runs without a browser."""
    for path in PACKAGE.rglob("*.py"):
        if "ui" in path.relative_to(PACKAGE).parts:
            continue
        tree = ast.parse(path.read_text())
        imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names}
        imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module}
        assert "streamlit" not in imported, f"{path.name} imports streamlit"
        assert "pm4py" not in imported, f"{path.name} imports pm4py (AGPL)"
