"""Where the steward's YAML lives, and the one way it is read: BAOCAO_CONFIG first, then the files shipped with baocao."""
from __future__ import annotations

import os
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import yaml

PACKAGED = Path(str(files("config")))  # the YAML shipped inside the package, wherever it is installed


def config_path(name: str) -> Path:
    """config/<name>: the steward's own copy in BAOCAO_CONFIG when it has one, else the packaged default."""
    own = os.environ.get("BAOCAO_CONFIG")
    if own and (Path(own) / name).exists():
        return Path(own) / name
    return PACKAGED / name


def read_yaml(name: str) -> dict:
    """Parse config/<name> once per version of the file (mtime and size), so a steward's edit is seen without a
    restart and a night of thousands of reports parses it once. {} when the file is absent or empty."""
    path = config_path(name)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    return _parsed(str(path), stat.st_mtime_ns, stat.st_size)


# libyaml's safe loader where PyYAML was built with it (the wheels are): the same data, ~10x faster to parse,
# which is a tenth of a cold `baocao check`
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str):
    """yaml.safe_load, through libyaml when there is one."""
    return yaml.load(text, Loader=_SAFE_LOADER)


@lru_cache(maxsize=32)
def _parsed(path: str, mtime_ns: int, size: int) -> dict:
    return parse_yaml(Path(path).read_text(encoding="utf-8")) or {}
