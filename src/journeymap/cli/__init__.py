"""Layer 8: the `journeymap` command."""

__all__: list[str] = []  # a layer folder: its modules are imported by their own names
