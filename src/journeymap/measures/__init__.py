"""Layer 4: the figures of the metric contract: cases, steps, transitions, hotspots, OKRs, drafts."""

__all__: list[str] = []  # a layer folder: its modules are imported by their own names
