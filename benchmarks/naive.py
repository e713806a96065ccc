"""The naive build, for the benchmark only: what a user of these tools would write first.

A Prefect task per submission; in it, a pandera validation and a great-expectations checkpoint on
that submission's facts, then ORM inserts row by row and a commit. Same plain steps as baocao
(read, tabulate, reconcile), so the difference is the orchestration, validation and loading.

    python benchmarks/naive.py --inbox DIR --warehouse-url sqlite:///...
"""
from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import great_expectations as gx  # noqa: E402
from prefect import flow, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from contracts.facts import FactSchema  # noqa: E402
from tasks.check.submission import process_submission  # noqa: E402
from warehouse.db import engine_for, upgrade  # noqa: E402
from warehouse.models import Fact, FindingRow, Submission  # noqa: E402


def facts_checkpoint():
    """A GX checkpoint with a small suite on the facts frame, through GX's pandas datasource."""
    context = gx.get_context(mode="ephemeral")
    batch = context.data_sources.add_pandas("facts").add_dataframe_asset("facts") \
        .add_batch_definition_whole_dataframe("submission")
    suite = context.suites.add(gx.ExpectationSuite(name="facts"))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="source"))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeInSet(column="measure", value_set=["plan", "actual"]))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToBeBetween(column="value", min_value=0))
    suite.add_expectation(gx.expectations.ExpectColumnValuesToMatchRegex(column="form", regex=r"^BIEU_\d{2}$"))
    definition = context.validation_definitions.add(gx.ValidationDefinition(name="facts", data=batch, suite=suite))
    return context.checkpoints.add(gx.Checkpoint(name="facts", validation_definitions=[definition]))


@task(cache_policy=NO_CACHE)
def ingest_one(path: str, warehouse_url: str, checkpoint) -> str:
    """One file: process, validate with pandera and GX, insert row by row."""
    data = Path(path).read_bytes()
    result = process_submission(data, Path(path).name)
    if not result.facts.empty:
        try:
            FactSchema.validate(result.facts, lazy=True)
        except Exception:  # noqa: BLE001 - failures are findings already
            pass
        checkpoint.run(batch_parameters={"dataframe": result.facts})
    meta = result.document.meta if result.document else None
    with Session(engine_for(warehouse_url)) as session:
        if session.get(Submission, result.sha256) is not None:
            return "skipped"
        session.add(Submission(
            id=result.sha256, source=result.source, format=result.format, encoding=result.encoding,
            status=result.status, unit_code=meta.unit_code if meta else None,
            unit_name=meta.unit_name if meta else None, period=meta.period if meta else None,
            report_number=meta.number if meta else None, report_date=meta.date if meta else None,
            received_at=datetime.now(), loaded_at=datetime.now(),
        ))
        session.flush()
        for row in result.facts.to_dict("records"):
            session.add(Fact(
                submission_id=result.sha256, form=row["form"], group_no=_none(row["group"]), label=row["label"],
                indicator=_none(row["indicator"]), unit=_none(row["unit"]),
                year=None if _none(row["year"]) is None else int(row["year"]), measure=row["measure"],
                value=_none(row["value"]), raw=row["raw"], kind=row["kind"], source=row["source"],
                column_header=row["column"], line=None if _none(row["line"]) is None else int(row["line"]),
                match_score=float(row["match_score"]),
            ))
            session.flush()  # row by row, as a first ORM loop does
        for f in result.findings:
            d = f.to_dict()
            d["group_no"] = d.pop("group")
            d["expected"] = None if d["expected"] is None else str(d["expected"])
            d["actual"] = None if d["actual"] is None else str(d["actual"])
            session.add(FindingRow(submission_id=result.sha256, **d))
            session.flush()
        session.commit()
    return result.status


def _none(value):
    return None if value is None or value != value else value


@flow(name="naive-ingest")
def naive_ingest(inbox: str, warehouse_url: str) -> dict:
    """Every file of the inbox through its own task."""
    upgrade(warehouse_url)
    checkpoint = facts_checkpoint()
    outcomes: dict[str, int] = {}
    for path in sorted(Path(inbox).iterdir()):
        status = ingest_one(str(path), warehouse_url, checkpoint)
        outcomes[status] = outcomes.get(status, 0) + 1
    return outcomes


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--inbox", required=True)
    parser.add_argument("--warehouse-url", required=True)
    args = parser.parse_args()
    print(naive_ingest(args.inbox, args.warehouse_url))
