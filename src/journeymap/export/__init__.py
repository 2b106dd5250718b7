"""Layer 7: exports: PNG, SVG, PDF and HTML files and the weekly report."""

__all__: list[str] = []  # a layer folder: its modules are imported by their own names
