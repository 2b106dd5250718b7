"""Layer 1: journey definitions: the model, the YAML reader and writer, the sample journeys."""

__all__: list[str] = []  # a layer folder: its modules are imported by their own names
