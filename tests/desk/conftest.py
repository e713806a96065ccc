"""The desk's fixtures: a warehouse loaded with examples/inbox, accounts of two provinces, the desk served by uvicorn."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.steward_setup import INBOX, ROOT

PASSWORD = "mật khẩu đủ dài 2020"
SCRIPT = "<script>alert(1)</script>"
FILE_NAME = "<img src=x onerror=alert(2)>.txt"  # a file name holds no slash
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


@pytest.fixture(scope="session")
def warehouse(tmp_path_factory):
    """examples/inbox plus a made-up report whose label and file name carry a script tag."""
    folder = tmp_path_factory.mktemp("desk")
    inbox = folder / "inbox"
    inbox.mkdir()
    for f in INBOX.iterdir():
        shutil.copy(f, inbox / f.name)
    made_up = (INBOX / "tam_duong_2020.txt").read_text(encoding="utf-8")
    assert made_up.startswith("Ví dụ giả định")  # a made-up example says so in its first line
    hostile = made_up.replace("Số buổi", "Số buổi " + SCRIPT, 1).replace("1520/BC-UBND", "1521/BC-UBND")
    (inbox / FILE_NAME).write_text(hostile, encoding="utf-8")
    url = f"sqlite:///{folder / 'warehouse.db'}"
    prepare(url, folder, inbox)
    return url, folder


@pytest.fixture()
def app(warehouse, monkeypatch):
    """The desk on the shared warehouse, as a FastAPI app (called in process by TestClient)."""
    url, _folder = warehouse
    monkeypatch.setenv("BAOCAO_WAREHOUSE_URL", url)
    monkeypatch.setenv("BAOCAO_PROVINCE_CODE", "12")
    from flows.desk.app import create_app

    return create_app()


def client_for(app, name: str | None) -> tuple[TestClient, str | None]:
    """A client signed in as `name` (None: anonymous) and its session's CSRF token."""
    c = TestClient(app, follow_redirects=False)
    if name is None:
        return c, None
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)[1]
    r = c.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 303, r.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/queue").text)[1]
    return c, csrf
