"""What a steward runs to bring a new form into the catalog: `baocao forms draft`."""
from __future__ import annotations

from pathlib import Path

import typer

forms_app = typer.Typer(no_args_is_help=True, help="The form catalog (config/forms/): draft an entry from a report.")


@forms_app.command("draft")
def draft(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="A report holding the table."),
    table: int = typer.Option(1, "--table", min=1, help="Which table of the report, counting from 1."),
    out: Path = typer.Option(None, "--out", help="Write the entry here (config/forms/NAME.yaml); else print it."),
    code: str = typer.Option(None, "--code", help="The entry's code (default: the table's form key, so the facts "
                             "already loaded keep their form)."),
) -> None:
    """Draft a catalog entry from a table of a report: groups, rows, units, totals, column roles, narrative phrases."""
    from config.catalog import load_forms
    from tasks.check.drafts import draft_form, draft_yaml
    from tasks.read.submission import read_document

    doc = read_document(file.read_bytes(), file.name)
    if not doc.tables:
        typer.echo(f"{file.name}: no table found; nothing to draft", err=True)
        raise typer.Exit(2)
    if table > len(doc.tables):
        typer.echo(f"{file.name} has {len(doc.tables)} table(s); --table {table} is not one of them", err=True)
        raise typer.Exit(2)
    catalog = frozenset(c for c, form in load_forms().items() if not form.drafted)
    text = draft_yaml(draft_form(doc, table, code, taken=catalog))
    if out is None:
        typer.echo(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"{out}: draft of table {table} of {file.name}; review it, then `baocao check` uses it")
