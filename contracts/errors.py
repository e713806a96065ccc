"""Why a file could not be read at all: one error type, its reasons in both languages, and the way out."""
from __future__ import annotations


class Unreadable(Exception):
    """A file no reader can take; carries the reason in both languages and the way out."""

    def __init__(self, reason_en: str, reason_vi: str, fix_en: str = "", fix_vi: str = ""):
        super().__init__(reason_en)
        self.reason_en, self.reason_vi, self.fix_en, self.fix_vi = reason_en, reason_vi, fix_en, fix_vi
