"""The desk's security: CSRF, anonymous and other-province requests refused, no clear password, idle sessions
expire, sign-ins throttled, labels and file names escaped, the audit append-only (SQLite here, PostgreSQL too)."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text

from tests.desk.conftest import PASSWORD, SCRIPT, client_for


def seed_failure(url: str, rule: str = "narrative_figure") -> dict:
    from tasks.review.queue import FAILURES
    from warehouse.db import engine_for

    with engine_for(url).connect() as conn:
        return dict(conn.execute(select(FAILURES).where(FAILURES.c.rule == rule, FAILURES.c.unit_code == "109"))
                    .mappings().one())


def actions(fid: str) -> list[tuple[str, dict]]:
    return [(f"/failures/{fid}/ack", {}), (f"/failures/{fid}/waive", {"reason": "lý do"}),
            (f"/failures/{fid}/reopen", {}), (f"/failures/{fid}/assign", {"assignee": "lan"}),
            (f"/failures/{fid}/comment", {"text": "ghi chú"}),
            ("/queue/bulk", {"ids": [fid], "action": "ack", "reason": "x"})]


def state(url: str, fid: str) -> tuple:
    from warehouse.db import engine_for

    with engine_for(url).connect() as conn:
        row = conn.execute(text("SELECT status, assignee FROM failures WHERE id = :i"), {"i": fid}).one()
        audits = conn.execute(text("SELECT COUNT(*) FROM audit WHERE object_id = :i"), {"i": fid}).scalar()
    return tuple(row) + (audits,)


def test_every_state_changing_endpoint_refuses_bad_csrf_anonymous_and_other_province(app, warehouse):
    url, _ = warehouse
    fid = seed_failure(url)["id"]
    before = state(url, fid)
    lan, csrf = client_for(app, "lan")
    minh, minh_csrf = client_for(app, "minh")
    anonymous, _ = client_for(app, None)
    for path, data in actions(fid):
        assert lan.post(path, data=data).status_code == 403, path  # no token
        assert lan.post(path, data={**data, "csrf_token": "x" * 43}).status_code == 403, path  # a wrong one
        assert lan.post(path, data=data, headers={"X-CSRF-Token": minh_csrf}).status_code == 403, path
        r = anonymous.post(path, data={**data, "csrf_token": csrf})
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
        r = minh.post(path, data={**data, "csrf_token": minh_csrf})
        assert r.status_code == 404, path
        assert "Phong" not in r.text and fid not in r.text and fid[:12] not in r.text
    assert state(url, fid) == before
    # the right token changes it, and leaves one audit row
    assert lan.post(f"/failures/{fid}/ack", data={"csrf_token": csrf}).status_code == 303
    assert state(url, fid)[0] == "acknowledged" and state(url, fid)[2] == before[2] + 1
    assert lan.post(f"/failures/{fid}/reopen", headers={"X-CSRF-Token": csrf}).status_code == 303


def test_a_user_of_another_province_sees_not_a_byte_of_it(app, warehouse):
    url, _ = warehouse
    f = seed_failure(url)
    minh, _ = client_for(app, "minh")
    lan, _ = client_for(app, "lan")
    sub = re.search(r'href="/submissions/([0-9a-f]{64})"', lan.get(f"/failures/{f['id']}").text)[1]
    secrets = ("Phong Thổ", "Phong Th", "Tam Đường", "Sìn Hồ", f["id"][:12], sub[:12], "2049/BC-UBND", "Số buổi")
    pages = ["/queue", "/queue?unit=109", "/queue?q=Phong", "/periods", "/periods/2016-2020",
             "/periods/2016-2020/export.xlsx", f"/failures/{f['id']}", f"/failures/{f['id'][:12]}",
             f"/failures/{f['id']}/original", f"/submissions/{sub}", "/audit.csv"]
    for page in pages:
        r = minh.get(page)
        assert r.status_code in (200, 404), page
        body = r.content
        for secret in secrets:
            assert secret.encode() not in body, (page, secret)
    assert minh.get(f"/failures/{f['id']}").status_code == 404
    assert minh.get(f"/submissions/{sub}").status_code == 404
    assert lan.get(f"/submissions/{sub}").status_code == 200
    assert lan.get(f"/failures/{f['id'][:12]}").status_code == 200  # the id `failures list` prints


def test_anonymous_requests_go_to_login_except_login_and_healthz(app):
    anonymous, _ = client_for(app, None)
    for page in ("/", "/queue", "/failures/abcdef123456", "/periods/2016-2020", "/audit.csv", "/submissions/x"):
        r = anonymous.get(page)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), page
    assert anonymous.get("/healthz").text == "ok"
    assert anonymous.get("/login").status_code == 200


def test_viewer_reads_but_may_not_decide(app, warehouse):
    url, _ = warehouse
    fid = seed_failure(url)["id"]
    xem, csrf = client_for(app, "xem")
    assert xem.get(f"/failures/{fid}").status_code == 200
    assert xem.post(f"/failures/{fid}/ack", data={"csrf_token": csrf}).status_code == 403


def test_password_is_stored_only_as_argon2_and_never_logged(warehouse, capsys):
    url, folder = warehouse
    from warehouse.db import engine_for

    with engine_for(url).connect() as conn:
        hashes = conn.execute(text("SELECT password_hash FROM users")).scalars().all()
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)
    db = Path(url.removeprefix("sqlite:///"))
    for f in db.parent.glob(db.name + "*"):
        assert PASSWORD.encode() not in f.read_bytes()
    assert PASSWORD not in capsys.readouterr().out


def test_cookie_flags_and_expired_session(warehouse, monkeypatch):
    url, _ = warehouse
    monkeypatch.setenv("BAOCAO_WAREHOUSE_URL", url)
    monkeypatch.setenv("BAOCAO_DESK_IDLE_MINUTES", "0.02")  # 1.2 s
    from flows.desk.app import create_app

    c = TestClient(create_app(), follow_redirects=False)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)[1]
    r = c.post("/login", data={"username": "lan", "password": PASSWORD, "csrf_token": token})
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert c.get("/queue").status_code == 200
    time.sleep(1.5)
    r = c.get("/queue")
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(app):
    lan, csrf = client_for(app, "lan")
    stolen = dict(lan.cookies)
    assert lan.post("/logout", data={"csrf_token": csrf}).status_code == 303
    thief = TestClient(app, follow_redirects=False, cookies=stolen)
    assert thief.get("/queue").status_code == 303


def test_sign_in_is_throttled_per_user(app):
    c = TestClient(app, follow_redirects=False)
    codes = []
    for _ in range(7):
        token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)[1]
        codes.append(c.post("/login", data={"username": "xem", "password": "wrong", "csrf_token": token}).status_code)
    assert codes[:5] == [401] * 5 and codes[5:] == [429, 429]
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text)[1]
    # even the right password waits out the window
    assert c.post("/login", data={"username": "xem", "password": PASSWORD, "csrf_token": token}).status_code == 429
    # a sign-in form without its token is refused before any password is checked
    assert c.post("/login", data={"username": "lan", "password": PASSWORD}).status_code == 403


def test_labels_file_names_and_comments_with_script_are_escaped(app, warehouse):
    url, _ = warehouse
    lan, csrf = client_for(app, "lan")
    queue = lan.get("/queue?q=script").text
    ids = re.findall(r'href="/failures/([0-9a-f]{40})"', queue)
    assert ids, "the hostile report's failures are in the queue"
    lan.post(f"/failures/{ids[0]}/comment", data={"text": SCRIPT, "csrf_token": csrf})
    failure = lan.get(f"/failures/{ids[0]}").text
    sub = re.search(r'href="/submissions/([0-9a-f]{64})"', failure)[1]
    pages = [queue, failure, lan.get(f"/submissions/{sub}").text, lan.get("/periods/2016-2020").text]
    assert any("&lt;script&gt;" in p for p in pages)
    assert any("&lt;img src=x" in p for p in pages)
    for body in pages:
        assert SCRIPT not in body and "<script>alert" not in body and "<img src=x" not in body
    disposition = lan.get(f"/failures/{ids[0]}/original").headers["content-disposition"]
    assert "<" not in disposition and ">" not in disposition


def test_cli_and_desk_write_the_same_audit_rows(warehouse, monkeypatch):
    from typer.testing import CliRunner

    from flows.cli import app as cli
    from tasks.review.audit import audit_rows
    from warehouse.db import engine_for

    url, _ = warehouse
    monkeypatch.setenv("BAOCAO_WAREHOUSE_URL", url)
    fid = seed_failure(url, "annex_missing")["id"]
    result = CliRunner().invoke(cli, ["failures", "waive", fid[:12], "--reason", "biểu 03 gửi sau", "--by", "an"])
    assert result.exit_code == 0, result.output
    last = audit_rows(engine_for(url), "failure", fid)[-1]
    assert (last["who"], last["action"], last["before"], last["after"]) == ("an", "waive", "open", "waived")
    assert last["reason"] == "biểu 03 gửi sau"


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.integration)])
def test_audit_rows_cannot_be_updated_or_deleted(kind, request):
    from sqlalchemy.exc import DBAPIError

    from tasks.review.audit import record
    from warehouse.db import engine_for, upgrade

    url = request.getfixturevalue("sqlite_url" if kind == "sqlite" else "pg_url")
    upgrade(url)
    engine = engine_for(url)
    with engine.begin() as conn:
        record(conn, "lan", "comment", "failure", "abc", reason="một")
    for statement in ("UPDATE audit SET reason = 'hai'", "DELETE FROM audit"):
        with pytest.raises(DBAPIError, match="never updated or deleted"):
            with engine.begin() as conn:
                conn.execute(text(statement))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT reason FROM audit")).scalars().all() == ["một"]
    engine.dispose()


def test_users_cli_adds_lists_and_disables_with_the_password_from_stdin(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from flows.cli import app as cli

    monkeypatch.setenv("BAOCAO_WAREHOUSE_URL", f"sqlite:///{tmp_path / 'w.db'}")
    runner = CliRunner()
    r = runner.invoke(cli, ["users", "add", "hoa", "--role", "approver", "--province", "12", "--password-stdin"],
                      input=PASSWORD + "\n")
    assert r.exit_code == 0 and PASSWORD not in r.output
    assert runner.invoke(cli, ["users", "add", "hoa", "--role", "boss", "--province", "12", "--password-stdin"],
                         input=PASSWORD + "\n").exit_code == 2
    assert re.search(r"hoa\s+approver\s+12\s+enabled", runner.invoke(cli, ["users", "list"]).output)
    assert runner.invoke(cli, ["users", "disable", "hoa"]).exit_code == 0
    assert "disabled" in runner.invoke(cli, ["users", "list"]).output
