"""Layer 6: charts: the journey map and its layout, and every other chart, in one house style."""

__all__: list[str] = []  # a layer folder: its modules are imported by their own names
