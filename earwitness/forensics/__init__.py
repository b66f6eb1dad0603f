"""Authenticity examinations: pure functions from samples and metadata to findings."""
