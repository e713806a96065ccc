"""The `baocao` command line, one module per audience: district officers (check), operators (run, rerun, serve,
deploy, migrate, synth, summary), stewards (failures, report), admins (users, desk) and analysts (completeness, export).
Each command imports what it needs when it runs, so `baocao check` starts without Prefect or great-expectations."""
from __future__ import annotations


import typer

from flows.cli import admin, analyst, approvals, district, operator, steward

app = typer.Typer(add_completion=False, no_args_is_help=True, help="baocao: district reports in, checked facts out.")
app.command()(district.check)
for command in (operator.run, operator.rerun, operator.serve, operator.deploy, operator.synth, operator.summary,
                operator.migrate):
    app.command()(command)
app.command()(analyst.completeness)
app.command()(analyst.export)
app.add_typer(steward.failures_app, name="failures")
app.command("report")(steward.report_cmd)
app.add_typer(admin.users_app, name="users")
app.command("desk")(admin.desk)
app.add_typer(approvals.approvals_app, name="approvals")


def main() -> None:  # pragma: no cover - the console script
    app()


