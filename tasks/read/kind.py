"""What kind of document a file is: a district's submission, a province's decision or summary, a news-style
summary, or a statistical table. The kind decides which metadata the report must state."""
from __future__ import annotations

import re
from functools import lru_cache

from config.files import read_yaml
from contracts.document import Document
from contracts.vietnamese import fold

DISTRICT = "district_submission"
PROVINCE = "province_summary"
NEWS = "news_summary"
TABLE = "statistical_table"
KINDS = (DISTRICT, PROVINCE, NEWS, TABLE)


@lru_cache(maxsize=1)
def kind_config() -> dict:
    """The `kinds:` section of config/narrative.yaml, with its regexes compiled."""
    cfg = read_yaml("narrative.yaml")["kinds"]
    return {
        "district": [re.compile(v) for v in cfg["district"].values()],
        "table_line": re.compile(cfg["table_line_re"]),
        "table_share": float(cfg["table_share"]),
        "province": re.compile(cfg["province_re"]),
        "news": re.compile(cfg["news_re"]),
    }


def document_kind(doc: Document) -> str:
    """The kind from the text: the template's marks make a district submission, else the share of table-like
    lines, a province body's words, or press wording decide."""
    if doc.format == "csv" or doc.meta.annex_refs or any(t.attached_to for t in doc.tables):
        return DISTRICT  # the canonical CSV names its report, date and unit in columns: a submission's layout
    cfg = kind_config()
    lines = [line for line in (doc.lines or [b.text for b in doc.blocks]) if line.strip()]
    head = [fold(line) for line in lines[:40]]  # a district's marks stand at its top: fold no more than that
    number_re, title_re, issuer_re = cfg["district"]
    if any(number_re.search(line) or title_re.search(line) for line in head[:15]):
        return DISTRICT
    if any(issuer_re.search(line) for line in head):
        return DISTRICT
    if not lines:
        return DISTRICT  # nothing to tell by: the strictest kind
    tabular = sum(1 for line in lines if cfg["table_line"].search(line))
    if tabular / len(lines) >= cfg["table_share"]:
        return TABLE
    text = "\n".join(fold(line) for line in lines)
    if cfg["news"].search(text):
        return NEWS
    if cfg["province"].search(text):
        return PROVINCE
    return NEWS
