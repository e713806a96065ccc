"""The nightly run writes the steward's report and links it from its Prefect artifacts (ephemeral Prefect)."""
from __future__ import annotations

import pytest

from tests.steward_setup import INBOX


@pytest.mark.integration
def test_nightly_run_writes_and_links_the_report(tmp_path, monkeypatch, prefect_harness):
    monkeypatch.setenv("BAOCAO_VAR", str(tmp_path / "var"))
    monkeypatch.delenv("BAOCAO_WAREHOUSE_URL", raising=False)
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.nightly import nightly_ingest
    from tasks.review.queue import list_failures
    from warehouse.db import engine_for

    summary = nightly_ingest(inbox=str(INBOX), trigger="manual")
    assert summary["files_seen"] == 3
    index = tmp_path / "var" / "report" / "index.html"
    page = index.read_text(encoding="utf-8")
    assert "2043/BC-UBND" in page
    assert (tmp_path / "var" / "report" / "datadocs" / "index.html").is_file()
    # the periods are written while the checkpoint runs; the warehouse section waits for it: its failure (the seed
    # leaves Biểu 02's actual totals blank) and its Data Docs are on the page, and in the queue
    warehouse = page[page.index('<section id="warehouse">'):]
    assert 'data-rule="expectation"' in warehouse and 'id="datadocs"' in warehouse
    url = f"sqlite:///{tmp_path / 'var' / 'warehouse.db'}"
    assert [f["label"] for f in list_failures(engine_for(url)) if f["rule"] == "expectation"] == ["plan_actual_complete"]
    assert {f["rule"] for f in list_failures(engine_for(url), unit="109", severity="error")} == {
        "annex_parent", "annex_missing", "narrative_figure"}
    with get_client(sync_client=True) as client:
        links = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["baocao-report"])))
    # the session shares one Prefect API: other tests' runs keep their own report links under the same key
    assert any(index.resolve().as_uri() in link.data for link in links)  # Prefect 3 keeps link artifacts as markdown
