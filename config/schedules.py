"""config/schedules.yaml: when each flow runs (cron, time zone), its tags, concurrency limit and description."""
from __future__ import annotations

from pathlib import Path


from config.files import parse_yaml, read_yaml

FLOWS = ("nightly-ingest", "rerun-period")  # the flows a deployment can be made of (flows/deployments.py)


def load_schedules(path: Path | None = None) -> dict[str, dict]:
    """Flow name -> its settings; a name that is no flow is an error that lists the flows."""
    config = (parse_yaml(Path(path).read_text(encoding="utf-8")) if path else read_yaml("schedules.yaml")) or {}
    unknown = sorted(set(config) - set(FLOWS))
    if unknown:
        raise ValueError(f"{path or 'config/schedules.yaml'}: no flow named {', '.join(unknown)}; "
                         f"known flows: {', '.join(FLOWS)}")
    return {name: config.get(name) or {} for name in FLOWS}
