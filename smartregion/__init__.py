"""Smarte Region Hessen: shared kernel of the Linked Open Data platform."""

__version__ = "0.1.0"
