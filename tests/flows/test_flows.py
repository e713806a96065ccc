"""The flows on a real (ephemeral) Prefect API: nightly-ingest and rerun-period over the demo inbox."""
from __future__ import annotations

from sqlalchemy import text

from warehouse.db import engine_for


def _counts(url: str) -> dict:
    with engine_for(url).connect() as conn:
        return {t: conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in ("submissions", "facts", "findings")}


def test_nightly_then_nothing_new_then_rerun(prefect_harness, baocao_env, monkeypatch):
    from flows.nightly import nightly_ingest
    from flows.rerun import rerun_period

    url = f"sqlite:///{baocao_env / 'warehouse.db'}"
    first = nightly_ingest(trigger="manual")
    assert (first["files_seen"], first["flagged"], first["quarantined"], first["facts"]) == (3, 3, 0, 230)
    assert (first["errors"], first["warnings"], first["infos"]) == (7, 6, 4)
    loaded = _counts(url)

    second = nightly_ingest(trigger="schedule")
    assert (second["files_seen"], second["skipped"], second["facts"]) == (3, 3, 0)
    assert _counts(url) == loaded

    rerun = rerun_period(period="2016-2020")
    assert rerun["files_seen"] == 3 and rerun["errors"] == 7
    assert _counts(url) == loaded

    with engine_for(url).connect() as conn:
        runs = conn.execute(text("SELECT flow, trigger, files_seen, skipped, outcome, flow_run_id FROM runs"
                                 " ORDER BY started_at")).all()
        per_file = conn.execute(text("SELECT COUNT(*) FROM run_files")).scalar_one()
    assert [(r.flow, r.trigger, r.files_seen, r.skipped, r.outcome) for r in runs] == [
        ("nightly-ingest", "manual", 3, 0, "error"),
        ("nightly-ingest", "schedule", 3, 3, "ok"),
        ("rerun-period", "rerun", 3, 0, "error"),
    ]
    assert all(r.flow_run_id for r in runs)
    assert per_file == 9


def test_a_nightly_run_shows_its_stages_as_task_runs(prefect_harness, baocao_env, monkeypatch, tmp_path):
    """The Prefect graph shows the pipeline: per batch take-in, read-and-check (in the reading worker), load; then the review tasks."""
    import shutil

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.nightly import nightly_ingest
    from tests.conftest import ROOT

    inbox = tmp_path / "inbox"
    shutil.copytree(ROOT / "examples" / "inbox", inbox)
    monkeypatch.setenv("BAOCAO_BATCH_SIZE", "2")  # three files: two batches, so one read overlaps a load
    state = nightly_ingest(inbox=str(inbox), return_state=True)
    flow_run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    names = sorted(run.name.rsplit("-", 1)[0] for run in task_runs)  # a task run is named "<task>-<suffix>"
    counts = {name: names.count(name) for name in set(names)}
    assert {"take-in", "read-and-check", "load"} <= set(counts), counts
    assert counts["take-in"] == counts["read-and-check"] == counts["load"] == 2
    assert {"check-expectations", "sync-failure-queue", "write-report"} <= set(counts)
    assert all(run.state.is_completed() for run in task_runs)
    # the second batch is read while the first is loaded (7d71f29 lost that and no test noticed: every batch was
    # read while the flow waited, a third of the night at N = 5 000)
    reads, loads = ([r for r in sorted(task_runs, key=lambda r: r.start_time) if r.name.rsplit("-", 1)[0] == stage]
                    for stage in ("read-and-check", "load"))
    assert reads[1].start_time < loads[0].end_time, (reads[1].start_time, loads[0].end_time)
    # the edge read-and-check → load survives the batch being handed over in `quote` (kept with wait_for)
    by_id = {run.id: run.name.rsplit("-", 1)[0] for run in task_runs}
    for run in task_runs:
        upstream = {by_id.get(i.id) for inputs in run.task_inputs.values() for i in inputs if hasattr(i, "id")}
        if run.name.startswith("load-"):
            assert "read-and-check" in upstream, (run.name, run.task_inputs)


def test_a_second_night_checks_its_own_report_and_keeps_the_first_nights_results(prefect_harness, baocao_env,
                                                                                    monkeypatch, tmp_path):
    """nightly-ingest hands its start to the checkpoint: the second night, which loads one report of three, checks
    that one and leaves what the first night's checkpoint stored for the others as it was."""
    import shutil
    from datetime import timedelta

    from flows.nightly import nightly_ingest
    from tests.steward_setup import INBOX, SEED_NAME

    monkeypatch.setattr("flows.review.CLOCK_MARGIN", timedelta(0))  # the nights are seconds apart here, not a day
    url = f"sqlite:///{baocao_env / 'warehouse.db'}"
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in (SEED_NAME, "sin_ho_2020.txt"):
        shutil.copy(INBOX / name, inbox / name)

    def checked() -> dict[str, object]:
        with engine_for(url).connect() as conn:
            return dict(conn.execute(text("SELECT s.source, e.checked_at FROM expectation_findings e "
                                          "JOIN submissions s ON s.id = e.submission_id")).all())

    nightly_ingest(inbox=str(inbox))
    first = checked()
    assert list(first) == [SEED_NAME]  # the seed's unpaired plan, its report's own failure
    shutil.copy(INBOX / "tam_duong_2020.txt", inbox / "tam_duong_2020.txt")
    second = nightly_ingest(inbox=str(inbox))
    assert (second["files_seen"], second["skipped"]) == (3, 2)
    assert checked() == first  # not looked at again: a whole-warehouse checkpoint would have written it anew
