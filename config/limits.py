"""config/limits.yaml: what one file may cost before it is refused or its reader stopped."""
from __future__ import annotations

from dataclasses import dataclass

from config.files import read_yaml


@dataclass(frozen=True)
class Limits:
    """The bounds of config/limits.yaml."""

    max_file_bytes: int
    max_part_bytes: int
    max_total_bytes: int
    max_members: int
    max_ratio: float
    ratio_floor_bytes: int
    seconds_per_file: float
    worker_memory_bytes: int


def load_limits() -> Limits:
    """Read the limits a steward may tune; every key is required."""
    return Limits(**read_yaml("limits.yaml"))
