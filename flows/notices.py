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
    """One digest per province with news, sent once (no retry: a second try would send it twice).

    The run keeps them as ONE artifact, a section per province: a night over the whole country has news for
    60-odd provinces, and an artifact each cost an API call each (about 1 s a night)."""
    sent = send_digests(engine_for(warehouse_url), run_id, loaded=loaded)
    for digest in sent:
        get_run_logger().info("digest for province %s: %s, %d address(es), delivered %s", digest["province_code"],
                              digest["counts"], digest["addresses"], digest["delivered"])
    if sent:
        create_markdown_artifact(
            key=artifact_key("nightly-ingest", "digests"),
            markdown="\n\n---\n\n".join(digest["markdown"] for digest in sent),
            description=f"baocao digests for {len(sent)} province(s): " + "; ".join(
                f"{d['province_code']} {d['counts']}, delivered: {d['delivered']}" for d in sent))
    return sent
