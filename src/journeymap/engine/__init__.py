"""Layer 3: the engine: events ordered and annotated once, filters and statistics over Narwhals."""

__all__: list[str] = []  # a layer folder: its modules are imported by their own names
