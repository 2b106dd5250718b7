"""Layer 5: decisions: compare groups, replay fixes (what-if), flow and forecasts."""

__all__: list[str] = []  # a layer folder: its modules are imported by their own names
