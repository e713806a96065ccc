"""`baocao users …` and `baocao desk`: accounts of the steward's desk and the served app (no Prefect at import)."""
from __future__ import annotations

import getpass
import os
import sys

import typer

users_app = typer.Typer(add_completion=False, no_args_is_help=True,
                        help="Accounts of the steward's desk: add, list, disable.")


def _engine():
    from config.settings import load_settings
    from warehouse.db import engine_for, upgrade

    url = load_settings().warehouse_url
    upgrade(url)
    return engine_for(url)


def _operator() -> str:
    return os.environ.get("USER") or getpass.getuser() or "unknown"


@users_app.command("add")
def add_cmd(
    name: str = typer.Argument(..., help="The user name to sign in with."),
    role: str = typer.Option(..., "--role", help="viewer, steward, approver or admin."),
    province: str = typer.Option(..., "--province", help="GSO code of the province whose units the user sees."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from standard input (first line)."),
) -> None:
    """Create a desk account; the password is read from stdin or asked for, and only its Argon2 hash is stored."""
    from tasks.review.accounts import AccountError, add_user

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else getpass.getpass("password: ")
    try:
        account = add_user(_engine(), name, role, province, password, by=_operator())
    except AccountError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    typer.echo(f"user {account.name} added: {account.role}, province {account.province_code}")


@users_app.command("list")
def list_cmd() -> None:
    """Every account: name, role, province, whether it is disabled."""
    from tasks.review.accounts import list_users

    for a in list_users(_engine()):
        typer.echo(f"{a.name:24} {a.role:9} {a.province_code:4} {'disabled' if a.disabled else 'enabled'}")


@users_app.command("disable")
def disable_cmd(name: str = typer.Argument(...)) -> None:
    """Disable an account: no more sign-ins; its sessions stop at their next request."""
    from tasks.review.accounts import AccountError, disable_user

    try:
        disable_user(_engine(), name, by=_operator())
    except AccountError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2)
    typer.echo(f"user {name} disabled")


def desk(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
) -> None:
    """Serve the steward's desk on the warehouse at BAOCAO_WAREHOUSE_URL (sign in with a `baocao users` account)."""
    import uvicorn

    from flows.desk.app import create_app

    typer.echo(f"the steward's desk: http://{host}:{port}/login")
    uvicorn.run(create_app(), host=host, port=port, log_level=os.environ.get("BAOCAO_DESK_LOG", "warning"),
                proxy_headers=True, server_header=False)
