"""Notices: one digest per province after a night that brought news, to an SMTP server and a webhook, both on
loopback in the test; a night with nothing new sends nothing."""
from __future__ import annotations

import json
import threading
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from tasks.batch import ingest_inbox
from tasks.review.approvals import approve
from tasks.review.notices import run_digests, send_digests
from tasks.review.queue import change_status, list_failures, sync_failures
from tests.review.test_approvals import PERIOD, corrected_seed
from warehouse.db import engine_for


class Mailbox:
    """An SMTP handler that keeps every message it is handed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


class Hook(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Hook.received.append(json.loads(body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def receivers():
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    Hook.received = []
    web = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    thread = threading.Thread(target=web.serve_forever, daemon=True)
    thread.start()
    yield mailbox, Hook.received, smtp.port, web.server_address[1]
    web.shutdown()
    smtp.stop()


def night(inbox) -> dict:
    """A nightly run without Prefect, then the queue sync the flow's review step does."""
    summary = ingest_inbox(inbox)
    from config.settings import load_settings

    sync_failures(engine_for(load_settings().warehouse_url))
    return summary


def body_of(message) -> str:
    part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
    return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")


def test_a_digest_per_province_reaches_mail_and_webhook_and_a_quiet_night_sends_nothing(
        baocao_env, receivers, seed_bytes, tmp_path, monkeypatch):
    mailbox, hooked, smtp_port, web_port = receivers
    own = tmp_path / "config"
    own.mkdir()
    (own / "notices.yaml").write_text(
        'provinces:\n  "12":\n'
        f'    - "mailto://127.0.0.1:{smtp_port}?from=baocao@localhost&to=steward@laichau.example&mode=insecure"\n'
        f'    - "json://127.0.0.1:{web_port}/digest"\n', encoding="utf-8")
    monkeypatch.setenv("BAOCAO_CONFIG", str(own))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "phong_tho.txt").write_bytes(seed_bytes)
    summary = night(inbox)
    engine = engine_for(f"sqlite:///{baocao_env / 'warehouse.db'}")

    sent = send_digests(engine, summary["run_id"], loaded=True)
    assert [(d["province_code"], d["counts"], d["delivered"]) for d in sent] == [
        ("12", {"new_errors": 3, "units_with_new_errors": 1, "late": 1, "pending": 0}, True)]
    assert len(mailbox.messages) == 1 and len(hooked) == 1  # one digest, not one message per failure
    rcpt, message = mailbox.messages[0]
    assert rcpt == ["steward@laichau.example"]
    assert "3 lỗi mới (1 đơn vị)" in str(message["Subject"]) or "3 lỗi mới" in body_of(message)
    text = body_of(message)
    assert "Phong Thổ: 3" in text and "2049/BC-UBND" in text and "hạn / due 2020-10-12" in text
    assert "3 new errors, 1 late, 0 pending" in hooked[0]["title"]
    ids = [f["id"][:12] for f in list_failures(engine, unit="109", severity="error")]
    assert all(fid in hooked[0]["message"] for fid in ids)

    # the errors are waived, the report approved; the district sends a corrected file: it waits, and is news
    for f in list_failures(engine, unit="109", severity="error", status="open"):
        change_status(engine, f["id"], "waive", "binh", reason="known")
    approve(engine, PERIOD, "109", "an")
    (inbox / "phong_tho_v2.txt").write_bytes(corrected_seed(seed_bytes))
    summary = night(inbox)
    sent = send_digests(engine, summary["run_id"], loaded=summary["loaded"] + summary["flagged"] > 0)
    assert [d["counts"] for d in sent] == [{"new_errors": 0, "units_with_new_errors": 0, "late": 0, "pending": 1}]
    assert len(mailbox.messages) == 2 and len(hooked) == 2
    assert "v2 (phong_tho_v2.txt): 1 ô thay đổi" in hooked[1]["message"]

    # a night with nothing new: every file skipped, nothing sent, and no digest would have anything to say
    summary = night(inbox)
    assert summary["loaded"] + summary["flagged"] == 0
    assert send_digests(engine, summary["run_id"], loaded=False) == []
    assert run_digests(engine, summary["run_id"]) == []
    assert len(mailbox.messages) == 2 and len(hooked) == 2
