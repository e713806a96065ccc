"""The `baocao` command line, one module per audience: district officers (check), operators (run, rerun, serve,
deploy, migrate, synth, summary), stewards (failures, report), admins (users, desk) and analysts (completeness, export).
Each command imports what it needs when it runs, so `baocao check` starts without Prefect or great-expectations."""
from __future__ import annotations

import os
import sys

import typer

from flows.cli import admin, analyst, approvals, district, forms, maintenance, operator, steward
from flows.cli.errors import ending_at_once, friendly

app = typer.Typer(no_args_is_help=True, help="baocao: district reports in, checked facts out.")


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"baocao {version('baocao')}")
        raise typer.Exit()


@app.callback()
def options(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show the INFO lines of Prefect, great-expectations "
                                 "and Alembic too (quiet by default)."),
    debug: bool = typer.Option(False, "--debug", help="Show the traceback behind a one-line error."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print baocao's version and exit."),
) -> None:
    """baocao: district reports in, checked facts out."""
    if verbose:
        from flows.environment import quiet_libraries

        os.environ["BAOCAO_VERBOSE"] = "1"
        quiet_libraries()
    if debug:
        os.environ["BAOCAO_DEBUG"] = "1"


app.command()(friendly(district.check))
for command in (operator.run, operator.rerun, operator.serve, operator.review_worker, operator.deploy, operator.synth,
                operator.summary, operator.migrate):
    app.command()(friendly(command))
for command in (maintenance.rebuild, maintenance.backup, maintenance.restore):
    app.command()(friendly(command))
app.command()(friendly(analyst.completeness))
app.command()(friendly(analyst.export))
for info in steward.failures_app.registered_commands:
    info.callback = friendly(info.callback)
app.add_typer(steward.failures_app, name="failures")
app.command("report")(friendly(steward.report_cmd))
for group in (admin.users_app, forms.forms_app):
    for info in group.registered_commands:
        info.callback = friendly(info.callback)
app.add_typer(admin.users_app, name="users")
app.add_typer(forms.forms_app, name="forms")
app.command("desk")(friendly(admin.desk))
for info in approvals.approvals_app.registered_commands:
    info.callback = friendly(info.callback)
app.add_typer(approvals.approvals_app, name="approvals")


def main() -> None:
    """The `baocao` console script and `python -m flows.cli`: the app, and for a command that asked for it
    (errors.end_at_once), the process ends as soon as its output is written, without the interpreter's teardown:
    unloading pandas, pandera and numpy took 0.15-0.25 s of a cold `baocao check`'s 0.9 s. Tests call `app`."""
    try:
        app()
    except SystemExit as exc:
        if not ending_at_once() or not (exc.code is None or isinstance(exc.code, int)):
            raise
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more can be written anyway
                pass
        os._exit(exc.code or 0)
