"""The nightly run's notices: the plain digest function as a Prefect task, each digest kept as an artifact."""
from __future__ import annotations

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.shared import artifact_key
from tasks.review.notices import send_digests
from warehouse.db import engine_for


@task(name="notify-stewards", cache_policy=NO_CACHE)
def notify_stewards(warehouse_url: str, run_id: str, loaded: bool) -> list[dict]:
    """One digest per province with news, sent once (no retry: a second try would send it twice)."""
    sent = send_digests(engine_for(warehouse_url), run_id, loaded=loaded)
    for digest in sent:
        create_markdown_artifact(key=artifact_key("nightly-ingest", f"digest-{digest['province_code']}"),
                                 markdown=digest["markdown"],
                                 description=f"baocao digest for province {digest['province_code']}: "
                                             f"{digest['counts']}, delivered: {digest['delivered']}")
        get_run_logger().info("digest for province %s: %s, %d address(es), delivered %s", digest["province_code"],
                              digest["counts"], digest["addresses"], digest["delivered"])
    return sent
