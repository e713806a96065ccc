"""The desk's approval pages: units of a period with their state, bulk approve, unapprove with a reason, accept,
the pending versions of approved reports with each changed cell, and reruns. Same functions as `baocao approvals`."""
from __future__ import annotations

import secrets
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from contracts.vietnamese import format_number
from flows.desk import reruns
from tasks.review import approvals, desk

APPROVERS = ("approver", "admin")


def approvals_router(engine, render, checked) -> APIRouter:
    """The routes, bound to the desk's engine, its page renderer and its CSRF-checked account dependency."""
    router = APIRouter()

    def approver(account=Depends(checked)):
        """An account that may approve, unapprove, accept and ask for reruns."""
        if account.role not in APPROVERS:
            raise HTTPException(403, "only an approver may approve, accept or rerun")
        return account

    def back(period: str, **note) -> RedirectResponse:
        return RedirectResponse("/approvals?" + urlencode({"period": period, **note}), status_code=303)

    @router.get("/approvals", response_class=HTMLResponse)
    def approvals_page(request: Request, period: str | None = None, note: str = "", refused: str = "",
                       rerun: str = ""):
        """The period's units, each with its approval state, what blocks it and what waits behind it."""
        account = request.state.account
        province = account.province_code
        periods = desk.periods_for(engine, province)
        period = period or (periods[-1] if periods else None)
        rows = approvals.list_approvals(engine, period, province) if period else []
        state = reruns.rerun_state(rerun) if rerun and reruns.api_url() else None
        return render(request, "approvals.html", period=period, periods=periods, rows=rows, note=note,
                      refused=refused, may_approve=account.role in APPROVERS, rerun=state,
                      rerun_key=secrets.token_hex(8), province=province, num=format_number)

    @router.post("/approvals/approve")
    def approve(request: Request, account=Depends(approver), period: str = Form(...),
                units: list[str] = Form(default=[])):
        """Approve each ticked unit on its own: one refusal stops none of the others."""
        if not units:
            return back(period, refused="no unit ticked")
        done = approvals.approve_many(engine, period, units, account.name)
        refused = "; ".join(why for why in done.values() if why != "approved")
        ok = [unit for unit, why in done.items() if why == "approved"]
        return back(period, note=f"approved: {', '.join(ok)}" if ok else "", refused=refused)

    @router.post("/approvals/unapprove")
    def unapprove(request: Request, account=Depends(approver), period: str = Form(...), unit: str = Form(...),
                  reason: str = Form("")):
        """Unapprove one unit (a reason is required): its newest pending version becomes current."""
        try:
            approvals.unapprove(engine, period, unit, account.name, reason)
        except approvals.ApprovalError as exc:
            return back(period, refused=str(exc))
        return back(period, note=f"unapproved: {unit}")

    @router.post("/approvals/accept")
    def accept(request: Request, account=Depends(approver), period: str = Form(...)):
        """Accept the province's period, once every unit that must report is approved."""
        try:
            approvals.accept(engine, period, account.province_code, account.name)
        except approvals.ApprovalError as exc:
            return back(period, refused=str(exc))
        return back(period, note=f"accepted: {period}")

    @router.post("/approvals/unaccept")
    def unaccept(request: Request, account=Depends(approver), period: str = Form(...), reason: str = Form("")):
        """Withdraw the province's acceptance (a reason is required)."""
        try:
            approvals.unaccept(engine, period, account.province_code, account.name, reason)
        except approvals.ApprovalError as exc:
            return back(period, refused=str(exc))
        return back(period, note=f"unaccepted: {period}")

    @router.post("/approvals/rerun")
    def rerun(request: Request, account=Depends(approver), period: str = Form(...), unit: str = Form(""),
              key: str = Form("")):
        """Ask for a rerun of the period; the page's key makes a double click one run."""
        try:
            started = reruns.request_rerun(period, unit or None, key=key or None)
        except ValueError as exc:
            return back(period, refused=str(exc))
        approvals.record_rerun(engine, account.name, period, unit or None, started["flow_run_id"])
        if started["mode"] == "server":
            return back(period, rerun=started["flow_run_id"])
        summary = started["summary"]
        return back(period, note=f"rerun {period}: {summary['files_seen']} submission(s), outcome {summary['outcome']}")

    @router.get("/approvals/reruns/{flow_run_id}", response_class=HTMLResponse)
    def rerun_status(request: Request, flow_run_id: str):
        """The rerun's state, for htmx to poll until it is final; an id that is no run is not found."""
        state = reruns.rerun_state(flow_run_id)
        if state is None:
            raise HTTPException(status_code=404)
        return render(request, "approvals_rerun.html", rerun=state)

    return router
