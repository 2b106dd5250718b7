"""Layer 7: workshops: the store (SQLite or PostgreSQL), access tokens, RICE and the backlog."""

__all__: list[str] = []  # a layer folder: its modules are imported by their own names
