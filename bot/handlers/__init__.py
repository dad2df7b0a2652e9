"""Adapters that translate between a chat platform (or the terminal) and the core."""
