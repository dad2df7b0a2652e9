"""Leerkring: a chat bot that lets Dutch municipalities learn from each other's lessons."""

__version__ = "0.1.0"
