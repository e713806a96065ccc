"""The desk's fixtures: a warehouse loaded with examples/inbox, accounts of two provinces, the desk served by uvicorn."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.steward_setup import INBOX, ROOT

PASSWORD = "mật khẩu đủ dài 2020"
USERS = (("lan", "steward", "12"), ("xem", "viewer", "12"), ("minh", "steward", "01"))


def prepare(url: str, folder: Path, inbox: Path = INBOX) -> None:
    """Load the inbox into the warehouse at `url` and add the test accounts (Lai Châu's and Hà Nội's)."""
    from tasks.review.accounts import add_user
    from tests.steward_setup import load_inbox
    from warehouse.db import engine_for

    load_inbox(url, inbox, folder / "archive")
    for name, role, province in USERS:
        add_user(engine_for(url), name, role, province, PASSWORD, by="test")


def desk_env(url: str, folder: Path, **extra: str) -> dict:
    """The environment `baocao desk` runs with in a test."""
    return {**os.environ, "BAOCAO_WAREHOUSE_URL": url, "BAOCAO_VAR": str(folder / "var"),
            "BAOCAO_PROVINCE_CODE": "12", "BAOCAO_DESK_LOG": "info", **extra}


def serve(url: str, folder: Path, **extra: str):
    """Start `baocao desk` on a free loopback port; the base URL and the process (its log in folder/desk.log)."""
    from flows.environment import free_port

    port = free_port()
    log = open(folder / "desk.log", "wb")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "baocao"), "desk", "--port", str(port)],
                            env=desk_env(url, folder, **extra), stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as r:
                if r.read() == b"ok":
                    return base, proc
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError((folder / "desk.log").read_text(errors="replace"))
            time.sleep(0.3)


def stop(proc) -> None:
    """Stop the desk started by serve()."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
