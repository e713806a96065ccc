"""Readers: one module per format, and submission.py that picks one from the bytes."""
