"""Earwitness: preserve, examine, transcribe and package recordings as evidence."""

from earwitness.offline import keep_offline

__version__ = "0.1.0"

# Before anything below us can import the hub or onnxruntime: they read these once, at import.
keep_offline()
