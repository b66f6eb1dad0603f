"""Earwitness: preserve, examine, transcribe and package recordings as evidence."""

__version__ = "0.1.0"
