"""config/notices.yaml: where each province's digest of a nightly run goes (Apprise URLs)."""
from __future__ import annotations

from config.files import read_yaml


def notice_addresses(province_code: str) -> list[str]:
    """The Apprise URLs of the province's stewards ([] when none are configured)."""
    provinces = read_yaml("notices.yaml").get("provinces") or {}
    found = provinces.get(str(province_code)) or []
    if isinstance(found, str):
        found = [found]
    return [str(a).strip() for a in found if str(a).strip()]
