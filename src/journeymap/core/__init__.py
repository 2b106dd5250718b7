"""Layer 0: what every layer may use: errors, durations, numbers, moments and fonts."""

__all__: list[str] = []  # a layer folder: its modules are imported by their own names
