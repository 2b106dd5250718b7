"""Layer 2: event logs: the readers of CSV, Excel, Parquet and XES files and their safeguards."""

__all__: list[str] = []  # a layer folder: its modules are imported by their own names
