"""The great-expectations checkpoint in a process of its own, started before it is needed.

great-expectations takes 3-5 s to import and ~150 MiB to hold. A run that has files to load starts this process
as soon as it knows (`start_checkpoint`): the import happens on the other core while the files are read and
loaded, and the memory leaves with the process once the checkpoint is done. `run_checkpoint` hands it the
warehouse and waits; without a started process it starts one then (a rerun, the `report` command).

The process reads one JSON line on stdin ({"warehouse_url", "datadocs", "since"}), runs the checkpoint and writes one JSON
line ({"ok": true} or {"ok": false, "error": traceback}) on the descriptor stdout had; its own prints and logs go
to stderr. Stdin closed without a line (the run loaded nothing after all, or died): it exits.
"""
from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
import traceback
from datetime import datetime
from pathlib import Path

_ROOT = Path(__file__).resolve().parents[2]  # the folder `tasks` is imported from
_waiting: subprocess.Popen | None = None
# processes that answered and are ending: unloading great-expectations takes one ~0.4 s, which the run need not wait
# for (it writes its report meanwhile); reaped once ended by the next start or run (a process that serves many runs),
# by stop_checkpoint, at the latest when the run's process exits
_ending: list[subprocess.Popen] = []


class CheckpointFailed(RuntimeError):
    """The checkpoint's process failed; the message holds its traceback or exit code."""


def start_checkpoint() -> None:
    """Start the checkpoint's process now, if it is not started yet (it imports great-expectations and waits)."""
    global _waiting
    _forget_ended()
    if _waiting is None or _waiting.poll() is not None:
        _waiting = _spawn()


def stop_checkpoint() -> None:
    """A started process that will not be asked: closing its stdin ends it. Those that answered are reaped."""
    global _waiting
    proc, _waiting = _waiting, None
    if proc is not None and proc.poll() is None:
        proc.stdin.close()
        _end(proc)
    while _ending:
        _end(_ending.pop())


def _forget_ended() -> None:
    """Reap and forget the answered processes that have ended since."""
    _ending[:] = [proc for proc in _ending if proc.poll() is None]


def _end(proc: subprocess.Popen) -> None:
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_checkpoint(warehouse_url: str, datadocs: Path, since: datetime | None = None) -> None:
    """Run the checkpoint over the warehouse (the reports loaded since `since`, when given) in the started process
    (or a new one) and wait for its answer, not for the process to end."""
    global _waiting
    _forget_ended()
    proc, _waiting = (_waiting if _waiting is not None and _waiting.poll() is None else _spawn()), None
    ask = json.dumps({"warehouse_url": warehouse_url, "datadocs": str(datadocs),
                      "since": since.isoformat() if since else None})
    try:
        proc.stdin.write(ask + "\n")
        proc.stdin.close()
    except BrokenPipeError:
        pass  # it died before it was asked: it gives no answer, and its exit code says why
    line = proc.stdout.readline()  # its one line, written before it ends; nothing (end of file) if it died
    proc.stdout.close()
    answer = json.loads(line) if line.strip() else {"ok": False, "error": f"exited with code {proc.wait()}"}
    _ending.append(proc)
    if not answer["ok"]:
        raise CheckpointFailed(f"the great-expectations checkpoint failed:\n{answer['error']}")


def _spawn() -> subprocess.Popen:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("GX_ANALYTICS_ENABLED", "false")
    return subprocess.Popen([sys.executable, "-m", "tasks.review.checkpoint"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, encoding="utf-8", env=env)


atexit.register(stop_checkpoint)


def main() -> None:
    answer = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # whatever great-expectations prints goes to stderr, not into the answer
    import great_expectations  # noqa: F401  the slow part, done before anyone asks

    from tasks.review.steward import check_expectations

    line = sys.stdin.readline()
    if not line:
        return
    ask = json.loads(line)
    try:
        since = ask.get("since")
        check_expectations(ask["warehouse_url"], Path(ask["datadocs"]), datetime.fromisoformat(since) if since else None)
        answer.write(json.dumps({"ok": True}) + "\n")
    except Exception:  # noqa: BLE001 - the caller raises it, with this traceback
        answer.write(json.dumps({"ok": False, "error": traceback.format_exc()}) + "\n")
    answer.close()  # the caller goes on; this process unloads great-expectations meanwhile


if __name__ == "__main__":
    main()
