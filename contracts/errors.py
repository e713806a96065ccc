"""Why a file could not be read at all: one error type, its reason id, the reason in both languages and the way out."""
from __future__ import annotations


class Unreadable(Exception):
    """A file no reader can take. `reason` is an id of config/messages.yaml's unreadable_reasons, whose templates
    gave the texts (config.messages.unreadable builds it), as a finding's rule id names its templates."""

    def __init__(self, reason: str, reason_en: str, reason_vi: str, fix_en: str = "", fix_vi: str = ""):
        super().__init__(reason_en)
        self.reason = reason
        self.reason_en, self.reason_vi, self.fix_en, self.fix_vi = reason_en, reason_vi, fix_en, fix_vi

    def __reduce__(self):  # a worker process sends it back by pickle
        return type(self), (self.reason, self.reason_en, self.reason_vi, self.fix_en, self.fix_vi)
