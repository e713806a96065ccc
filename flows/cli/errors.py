"""Mistakes in a setting end a command with one line that names the setting and the fix, and exit 2; `baocao
--debug` shows the traceback instead. Imports no database library until one is needed (`baocao check` stays light)."""
from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable

import typer


class SettingError(RuntimeError):
    """A setting a person must fix; the message names it and says how."""


_END_AT_ONCE = False


def end_at_once() -> None:
    """Ask `baocao`'s main to end the process without the interpreter's teardown once this command has written its
    output: for a command that leaves nothing to clean up (no warehouse, no workers, no Prefect, no temporary
    files), such as `check`."""
    global _END_AT_ONCE
    _END_AT_ONCE = True


def ending_at_once() -> bool:
    return _END_AT_ONCE


def debugging() -> bool:
    """`baocao --debug` (or BAOCAO_DEBUG=1): tracebacks instead of one-line messages."""
    return os.environ.get("BAOCAO_DEBUG", "") not in ("", "0", "false")


def friendly(command: Callable) -> Callable:
    """Wrap a command so that a setting's mistake prints one line to stderr and exits 2, never a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except Exception as exc:
            message = setting_message(exc)
            if message is None or debugging():
                raise
            typer.echo(message, err=True)
            raise typer.Exit(2) from None

    return wrapper


def setting_message(exc: BaseException) -> str | None:
    """The one line for an exception a setting caused, or None for anything else (a bug keeps its traceback)."""
    if isinstance(exc, SettingError):
        return str(exc)
    if "sqlalchemy" not in sys.modules:
        return None
    from warehouse.db import BAD_URL, DATABASE_UNREACHABLE, WarehouseSettingError, check_warehouse, shown_url

    if isinstance(exc, WarehouseSettingError):
        return str(exc)
    if isinstance(exc, BAD_URL):
        from config.settings import load_settings

        try:
            check_warehouse(load_settings().warehouse_url)
        except WarehouseSettingError as bad_url:
            return str(bad_url)
        return None
    if isinstance(exc, DATABASE_UNREACHABLE):
        url = os.environ.get("BAOCAO_WAREHOUSE_URL", "")
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return (f"the warehouse (BAOCAO_WAREHOUSE_URL={shown_url(url) if url else 'the default SQLite file'}) "
                f"stopped answering: {first}. Check that the database server runs and try again: a file is "
                "loaded once, so a second run doubles nothing")
    return None


def warehouse_url(*, must_exist: bool = False) -> str:
    """BAOCAO_WAREHOUSE_URL checked (a URL, a database that answers, and one that exists when `must_exist`) and
    brought to the latest schema."""
    from config.settings import load_settings
    from warehouse.db import check_warehouse, upgrade

    url = load_settings().warehouse_url
    check_warehouse(url, must_exist=must_exist)
    upgrade(url)
    return url
