"""The steward's desk: a FastAPI app on the warehouse, pages rendered by Jinja2 on the server, htmx for partial updates.

Every query and every decision goes through tasks/review (the same functions as `baocao failures …`); no SQL here."""
from __future__ import annotations

import json
import re
import tempfile
import time
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.background import BackgroundTask

from flows.desk.approvals import approvals_router
from flows.desk.security import (COOKIE, CSRF_HEADER, LOGIN_COOKIE, DeskSettings, LoginThrottle, local_path, new_token,
                                 same_token)
from tasks.intake.archive import archive_file_of, archived_bytes
from tasks.review import accounts, desk
from tasks.review.audit import audit_csv
from tasks.review.charts import period_charts
from tasks.review.context import (failure_grid, lines_around, read_archived, read_with_figures,
                                  submission_grids)
from tasks.review.queue import StewardError, archive_path_of, failure_events, source_excerpt
from warehouse import queries
from warehouse.db import engine_for, upgrade

HERE = Path(__file__).resolve().parent
VEGA = HERE.parent.parent / "tasks" / "review" / "static" / "datadocs"
OPEN = ("/login", "/healthz", "/favicon.ico")  # a browser asks for the icon unasked: a 404, never a new sign-in
SEVERITY = {"error": ("lỗi", "error"), "warning": ("cảnh báo", "warning"), "info": ("thông tin", "info")}
STATUS = {"open": ("mở", "open"), "acknowledged": ("đã ghi nhận", "acknowledged"), "waived": ("miễn trừ", "waived"),
          "resolved": ("đã hết", "resolved")}


class Anonymous(Exception):
    """No live session: the answer is a redirect to the sign-in page."""


def create_app(settings: DeskSettings | None = None) -> FastAPI:
    """The desk on the warehouse of `settings` (default: the environment), schema brought to head first."""
    settings = settings or DeskSettings.from_env()
    upgrade(settings.warehouse_url)
    engine = engine_for(settings.warehouse_url)
    throttle = LoginThrottle(settings.attempts_per_user, settings.attempts_per_ip, settings.attempt_window)
    app = FastAPI(title="baocao — bàn làm việc của cán bộ dữ liệu (the steward's desk)", docs_url=None,
                  redoc_url=None)
    app.mount("/static/vega", StaticFiles(directory=VEGA), name="vega")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    templates = Jinja2Templates(directory=HERE / "templates")

    def lang_of(request: Request) -> str:
        """The page language: Vietnamese unless the English cookie is set."""
        return "en" if request.cookies.get("lang") == "en" else "vi"

    def render(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
        """A page from its template, with the language, the signed-in account and its CSRF token."""
        lang = lang_of(request)
        context |= {"request": request, "lang": lang, "t": (lambda vi, en: en if lang == "en" else vi),
                    "severity_word": lambda s: SEVERITY.get(s, (s, s))[lang == "en"],
                    "status_word": lambda s: STATUS.get(s, (s, s))[lang == "en"],
                    "account": getattr(request.state, "account", None),
                    "csrf": getattr(request.state, "csrf", None)}
        context.setdefault("path", request.url.path)
        return templates.TemplateResponse(request, name, context, status_code=status_code)

    def secure(request: Request) -> bool:
        """Whether the browser reached us over https (directly or through a proxy that says so)."""
        return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"

    def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int | None = None) -> None:
        """An HttpOnly, SameSite=Lax cookie, Secure over https."""
        response.set_cookie(name, value, httponly=True, samesite="lax", secure=secure(request), path="/",
                            max_age=max_age)

    @app.middleware("http")
    async def who_is_asking(request: Request, call_next):
        """The session behind every request but sign-in, health and static files; security headers on the answer."""
        started = time.perf_counter()
        request.state.account, request.state.csrf = None, None
        path = request.url.path
        if not (path in OPEN or path.startswith("/static/")):
            live = accounts.session_account(engine, request.cookies.get(COOKIE), settings.idle)
            if live is None:
                return RedirectResponse("/login?" + urlencode({"next": path}), status_code=303)
            request.state.account, request.state.csrf = live
        response = await call_next(request)
        # vega compiles its expressions with Function(): only the period pages, which draw charts, allow it
        scripts = "'self' 'unsafe-eval'" if path.startswith("/periods/") else "'self'"
        response.headers.setdefault("Content-Security-Policy",
                                    f"default-src 'self'; script-src {scripts}; img-src 'self' data:; "
                                    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; "
                                    "base-uri 'none'")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if path not in OPEN and not path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        # the server's own time, session lookup and rendering included (benchmarks/desk.py reads it)
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response

    async def checked(request: Request) -> accounts.Account:
        """The account of a state-changing request whose CSRF token (form field or X-CSRF-Token) matches."""
        form = await request.form()
        given = request.headers.get(CSRF_HEADER) or form.get("csrf_token")
        if not same_token(given if isinstance(given, str) else None, request.state.csrf):
            raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again")
        account = request.state.account
        if not account.can_decide:
            raise HTTPException(403, "this account may read, not decide")
        return account

    @app.exception_handler(desk.NotVisible)
    async def not_visible(request: Request, _exc):
        """Another province's object and a missing one look the same."""
        # nothing of the request is echoed: not even the id another province's user asked for
        return render(request, "error.html", 404, code=404, path="/queue",
                      message=("Không tìm thấy.", "Not found."))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        """Refusals as a page of the desk."""
        return render(request, "error.html", exc.status_code, code=exc.status_code, path="/queue",
                      message=(str(exc.detail), str(exc.detail)))

    @app.get("/healthz", response_class=PlainTextResponse)
    def healthz() -> str:
        """Liveness for a load balancer: no data, no session."""
        return "ok"

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/queue"):
        """The sign-in page, with a fresh CSRF token in its form and in a cookie beside it."""
        token = new_token()
        response = render(request, "login.html", login_csrf=token, next=local_path(next), error=None)
        set_cookie(response, request, LOGIN_COOKIE, token, max_age=3600)
        return response

    @app.post("/login")
    def login(request: Request, username: str = Form(""), password: str = Form(""), csrf_token: str = Form(""),
              next: str = Form("/queue")):
        """Sign in: a throttled password check, then a new session (new token, new CSRF token)."""
        ip = request.client.host if request.client else "?"
        if not same_token(csrf_token, request.cookies.get(LOGIN_COOKIE)):
            return _login_again(request, ("Phiên đăng nhập đã hết hạn, hãy thử lại.",
                                          "The sign-in form expired; try again."), 403)
        if throttle.blocked(username, ip):
            return _login_again(request, ("Quá nhiều lần đăng nhập sai; hãy đợi 15 phút.",
                                          "Too many failed sign-ins; wait 15 minutes."), 429)
        account = accounts.authenticate(engine, username, password)
        if account is None:
            throttle.failed(username, ip)
            return _login_again(request, ("Tên hoặc mật khẩu không đúng.", "Wrong name or password."), 401)
        throttle.succeeded(username)
        token, _csrf = accounts.start_session(engine, account)
        response = RedirectResponse(local_path(next), status_code=303)
        set_cookie(response, request, COOKIE, token)
        response.delete_cookie(LOGIN_COOKIE, path="/")
        return response

    def _login_again(request: Request, error: tuple[str, str], status: int) -> HTMLResponse:
        """The sign-in page again, with why and a new form token."""
        token = new_token()
        response = render(request, "login.html", status, login_csrf=token, next="/queue", error=error)
        set_cookie(response, request, LOGIN_COOKIE, token, max_age=3600)
        return response

    @app.post("/logout")
    async def logout(request: Request):
        """Sign out (CSRF-checked, any role): the session ends on the server and the cookie is dropped."""
        form = await request.form()
        given = request.headers.get(CSRF_HEADER) or form.get("csrf_token")
        if not same_token(given if isinstance(given, str) else None, request.state.csrf):
            raise HTTPException(403, "CSRF token missing or wrong: reload the page and try again")
        accounts.end_session(engine, request.cookies.get(COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    @app.get("/lang/{lang}")
    def switch_language(request: Request, lang: str, next: str = "/queue"):
        """Vietnamese or English pages (a preference cookie; nothing on the server changes)."""
        response = RedirectResponse(local_path(next), status_code=303)
        response.set_cookie("lang", "en" if lang == "en" else "vi", samesite="lax", secure=secure(request),
                            httponly=True, max_age=365 * 86400)
        return response

    @app.get("/", include_in_schema=False)
    def home():
        """The queue is the desk's front page."""
        return RedirectResponse("/queue", status_code=303)

    @app.get("/queue", response_class=HTMLResponse)
    def queue(request: Request, period: str = "", unit: str = "", form: str = "", severity: str = "",
              status: str = "", rule: str = "", assignee: str = "", q: str = "", sort: str = "severity",
              desc: int = 0, page: int = 1):
        """The failures of the user's province: filters, sorting, pages, counts per status, bulk decisions."""
        filters = {"period": period, "unit": unit, "form": form, "severity": severity, "status": status,
                   "rule": rule, "assignee": assignee, "q": q}
        result = desk.queue_page(engine, request.state.account, filters, sort=sort, descending=bool(desc),
                                 page=page)
        kept = {k: v for k, v in filters.items() if v}

        def link(**change) -> str:
            """This queue view with some parameters changed."""
            return "/queue?" + urlencode({**kept, "sort": sort, "desc": desc, "page": result.page, **change})

        return render(request, "queue.html", result=result, filters=filters, sort=sort, desc=desc, link=link,
                      sorts=list(desk.SORTS), message=request.query_params.get("done"))

    @app.post("/queue/bulk")
    def bulk(request: Request, account=Depends(checked), ids: list[str] = Form(default=[]),
             action: str = Form(...), reason: str = Form(""), back: str = Form("/queue")):
        """Acknowledge or waive several failures with one reason."""
        if action not in ("ack", "waive"):
            raise HTTPException(400, "bulk action is ack or waive")
        if action == "waive" and not reason.strip():
            raise HTTPException(400, "a waiver needs a reason")
        outcome = desk.decide_many(engine, account, ids[:500], action, reason.strip() or None)
        target = local_path(back)
        glue = "&" if "?" in target else "?"
        return RedirectResponse(f"{target}{glue}done={len(outcome['done'])}", status_code=303)

    @app.get("/failures/{failure_id}", response_class=HTMLResponse)
    def failure_page(request: Request, failure_id: str):
        """One failure: messages, the value in its context, earlier versions, the original, comments, history."""
        f = desk.failure_for(engine, request.state.account, failure_id)
        archive = archive_path_of(engine, f["submission_id"])
        doc = read_archived(archive)
        grid = failure_grid(doc, f["source"])
        excerpt = [] if grid else source_excerpt(archive, f["source"])
        narrative = lines_around(doc, f["line"]) if f["line"] and f["rule"].startswith("narrative") else []
        with engine.connect() as conn:
            assignees = desk.deciders(conn, request.state.account)
        trail = desk.failure_audit(engine, f["id"])
        return render(request, "failure.html", f=f, grid=grid, excerpt=excerpt, narrative=narrative,
                      earlier=desk.earlier_values(engine, f), events=failure_events(engine, f["id"]),
                      audit=trail, comments=[a for a in trail if a["action"] == "comment"], has_original=bool(
                          archive is not None and archive_file_of(archive).is_file()), assignees=assignees,
                      error=request.query_params.get("error"))

    def _decision(request: Request, account, failure_id: str, action: str, reason: str | None,
                  until: str | None = None):
        """Ack, waive or reopen, then back to the failure (with the reason a move was refused)."""
        try:
            expiry = date.fromisoformat(until) if until else None
        except ValueError:
            raise HTTPException(400, f"'until' must be a date, YYYY-MM-DD (got {until[:20]!r})")
        try:
            f = desk.decide(engine, account, failure_id, action, reason=(reason or "").strip() or None, until=expiry)
        except StewardError as exc:
            f = desk.failure_for(engine, account, failure_id)
            return RedirectResponse(f"/failures/{f['id']}?" + urlencode({"error": str(exc)}), status_code=303)
        return RedirectResponse(f"/failures/{f['id']}#history", status_code=303)

    @app.post("/failures/{failure_id}/ack")
    def ack(request: Request, failure_id: str, account=Depends(checked), reason: str = Form("")):
        """Acknowledge: seen, being dealt with."""
        return _decision(request, account, failure_id, "ack", reason)

    @app.post("/failures/{failure_id}/waive")
    def waive(request: Request, failure_id: str, account=Depends(checked), reason: str = Form(""),
              until: str = Form("")):
        """Waive with a reason (required) and an optional expiry date."""
        return _decision(request, account, failure_id, "waive", reason, until)

    @app.post("/failures/{failure_id}/reopen")
    def reopen(request: Request, failure_id: str, account=Depends(checked), reason: str = Form("")):
        """Reopen an acknowledged or waived failure."""
        return _decision(request, account, failure_id, "reopen", reason)

    @app.post("/failures/{failure_id}/assign")
    def assign(request: Request, failure_id: str, account=Depends(checked), assignee: str = Form("")):
        """Give the failure to a steward of the province, or to nobody."""
        try:
            f = desk.assign(engine, account, failure_id, assignee)
        except StewardError as exc:
            raise HTTPException(400, str(exc))
        return RedirectResponse(f"/failures/{f['id']}#history", status_code=303)

    @app.post("/failures/{failure_id}/comment")
    def add_comment(request: Request, failure_id: str, account=Depends(checked), text: str = Form("")):
        """A note on the failure, appended to its audit."""
        try:
            desk.comment(engine, account, failure_id, text)
        except StewardError as exc:
            raise HTTPException(400, str(exc))
        f = desk.failure_for(engine, account, failure_id)
        return RedirectResponse(f"/failures/{f['id']}#comments", status_code=303)

    @app.get("/failures/{failure_id}/original")
    def original(request: Request, failure_id: str):
        """The archived bytes of the submission the failure was last seen in, under a safe file name."""
        f = desk.failure_for(engine, request.state.account, failure_id)
        data = archived_bytes(archive_path_of(engine, f["submission_id"]))
        if data is None:
            raise desk.NotVisible(failure_id)
        name = safe_name(f["file"] or "original")
        quoted = quote(name)  # as Starlette's FileResponse writes it: RFC 5987 when the name is not plain ASCII
        disposition = f'attachment; filename="{name}"' if quoted == name else f"attachment; filename*=utf-8''{quoted}"
        return Response(data, media_type="application/octet-stream", headers={"Content-Disposition": disposition})

    @app.get("/submissions/{submission_id}", response_class=HTMLResponse)
    def submission_page(request: Request, submission_id: str):
        """One submission: each annex as the district wrote it, failing cells linked to their failures."""
        s = desk.submission_for(engine, request.state.account, submission_id)
        failures = desk.submission_failures(engine, s["id"])
        doc, figures = read_with_figures(s["archive_path"])
        cells = {c.ref for g in doc.tables for row in g.rows for c in row.cells} if doc else set()
        failing = {(f["line"], f["source"]): f for f in failures if f["rule"] == "narrative_figure"}
        return render(request, "submission.html", s=s, failures=failures, grids=submission_grids(doc, failures),
                      figures=[(fig, failing.get((fig.line, fig.cell_source))) for fig in figures], cells=cells)

    @app.get("/periods", response_class=HTMLResponse)
    def periods(request: Request):
        """The periods the user's province reported for."""
        return render(request, "periods.html", periods=desk.periods_for(engine, request.state.account.province_code))

    @app.get("/periods/{period}", response_class=HTMLResponse)
    def period_page(request: Request, period: str):
        """One period: units by status, plan-versus-actual charts, province totals, the consolidated workbook."""
        if not re.fullmatch(r"\d{4}(-\d{4})?", period):
            raise desk.NotVisible(period)
        province = request.state.account.province_code
        units = queries.completeness(engine, province, period)
        if not units and period not in desk.periods_for(engine, province):
            raise desk.NotVisible(period)
        received = {s["unit_code"]: s for s in desk.unit_submissions(engine, province, period)}
        rows = [r for r in queries.plan_vs_actual(engine, period) if r.get("unit_code") in received]
        specs = period_charts(rows)
        return render(request, "period.html", period=period, units=units, received=received,
                      totals=queries.province_totals(engine, province, period), specs=specs,
                      specs_json=[json.dumps(s, ensure_ascii=False).replace("<", "\\u003c") for s in specs])

    @app.get("/periods/{period}/export.xlsx")
    def period_export(request: Request, period: str):
        """The province's consolidated workbook (Biểu tổng hợp) for the period, totals as formulas."""
        if not re.fullmatch(r"\d{4}(-\d{4})?", period):
            raise desk.NotVisible(period)
        province = request.state.account.province_code
        if period not in desk.periods_for(engine, province):
            raise desk.NotVisible(period)
        from tasks.review.export import export_consolidation

        folder = Path(tempfile.mkdtemp(prefix="baocao-export-"))
        out = folder / f"tong_hop_{province}_{period}.xlsx"
        export_consolidation(engine, period, out, province)

        def clean() -> None:
            """Remove the workbook once it is sent."""
            out.unlink(missing_ok=True)
            folder.rmdir()

        return FileResponse(out, filename=out.name, background=BackgroundTask(clean),
                            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @app.get("/failures/{failure_id}/audit.csv")
    def failure_audit_export(request: Request, failure_id: str):
        """One failure's audit rows as CSV."""
        f = desk.failure_for(engine, request.state.account, failure_id)
        return Response("\ufeff" + audit_csv(desk.failure_audit(engine, f["id"])), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="audit-{f["id"][:12]}.csv"'})

    @app.get("/audit.csv")
    def audit_export(request: Request):
        """The audit rows about what the user may see, as CSV."""
        body = audit_csv(desk.scoped_audit(engine, request.state.account))
        return Response("\ufeff" + body, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="audit.csv"'})

    app.include_router(approvals_router(engine, render, checked))
    return app


def safe_name(name: str) -> str:
    """A download name with no path, quote or control character in it."""
    cleaned = re.sub(r'[^\w.\- ]+', "_", Path(name.replace("\\", "/")).name).strip(" .") or "original"
    return cleaned[:120]
