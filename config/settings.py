"""Typed settings read from the environment (BAOCAO_*), with the embedded defaults."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    warehouse_url: str
    inbox: Path
    var_dir: Path
    archive_dir: Path
    quarantine_dir: Path
    province_code: str
    batch_size: int
    workers: int = 1  # processes that read a batch's files


def load_settings() -> Settings:
    """Read BAOCAO_* now (not at import), so tests and reruns can change them."""
    var_dir = Path(os.environ.get("BAOCAO_VAR", "var"))
    return Settings(
        warehouse_url=os.environ.get("BAOCAO_WAREHOUSE_URL", f"sqlite:///{var_dir / 'warehouse.db'}"),
        inbox=Path(os.environ.get("BAOCAO_INBOX", "examples/inbox")),
        var_dir=var_dir,
        archive_dir=Path(os.environ.get("BAOCAO_ARCHIVE", var_dir / "archive")),
        quarantine_dir=Path(os.environ.get("BAOCAO_QUARANTINE", var_dir / "quarantine")),
        province_code=os.environ.get("BAOCAO_PROVINCE_CODE", "12"),
        batch_size=int(os.environ.get("BAOCAO_BATCH_SIZE", "300")),
        workers=int(os.environ.get("BAOCAO_WORKERS", "1")),
    )
