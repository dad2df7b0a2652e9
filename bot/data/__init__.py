"""Data shipped with the package: the municipalities, the demo lessons, the background passages for search."""
