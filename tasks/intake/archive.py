"""Keep each file's raw bytes forever in a content-addressed archive, and sweep what a killed run left half-written."""
from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from contracts.document import sha256_of
from tasks.intake.discover import InboxFile

CHUNK = 1 << 20
HEAD = 4096


@dataclass
class Taken:
    """One inbox file after it was archived: its hash, where its bytes are kept, and the bytes if small enough."""

    sha256: str
    archived: Path
    size: int
    head: bytes
    data: bytes | None  # None when over the size limit: such a file is never held in memory whole


def open_regular(path: Path) -> int:
    """Open a file for reading only if it is still a regular file (no link followed, a FIFO never blocks)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise OSError(0, "no longer a regular file", str(path))
    return fd


def take_file(f: InboxFile, archive_dir: Path, max_bytes: int, pending: dict | None = None) -> Taken:
    """Stream one inbox file into the archive while hashing it; keep its bytes in memory only up to max_bytes.

    With `pending`, a small file is only written: settle_archive(pending) makes the batch durable at once."""
    archive_dir = Path(archive_dir)
    fd = open_regular(f.path)
    digest, chunks, size, spool, spool_path = hashlib.sha256(), [], 0, None, None
    try:
        while chunk := os.read(fd, CHUNK):
            digest.update(chunk)
            size += len(chunk)
            if spool is None and size <= max_bytes:
                chunks.append(chunk)
                continue
            if spool is None:  # over the limit: spill to the archive instead of memory
                archive_dir.mkdir(parents=True, exist_ok=True)
                spool_path = archive_dir / f".incoming-{os.getpid()}"
                spool = open(spool_path, "wb")
                spool.writelines(chunks)
                chunks = [chunks[0][:HEAD]] if chunks else [chunk[:HEAD]]
            spool.write(chunk)
    finally:
        os.close(fd)
    sha = digest.hexdigest()
    if spool is None:
        data = b"".join(chunks)
        return Taken(sha, archive_bytes(data, archive_dir, pending, sha=sha), size, data[:HEAD], data)
    spool.flush()
    os.fsync(spool.fileno())
    spool.close()
    target = archive_dir / sha[:2] / sha
    if target.exists():
        spool_path.unlink()
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(spool_path, target)
    return Taken(sha, target, size, chunks[0][:HEAD], None)


PARTIAL = re.compile(r"(?:\.tmp|^\.incoming-)(\d+)$")  # what archive_bytes / take_file write before the final name
ORPHAN_AGE = 600  # seconds: a partial file this old whose writer is gone was left by a killed run


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_archive(archive_dir: Path, now: float | None = None) -> list[Path]:
    """Delete the partial files a killed run left in the archive (`<sha>.tmp<pid>`, `.incoming-<pid>`): their
    writer is no longer running and they are older than ORPHAN_AGE (a day, whoever wrote them, for an archive
    shared between machines). Archived files themselves are never touched. Returns what was deleted."""
    import time

    archive_dir = Path(archive_dir)
    if not archive_dir.is_dir():
        return []
    now = time.time() if now is None else now
    swept = []
    for path in [*archive_dir.glob(".incoming-*"), *archive_dir.glob("??/*.tmp*")]:
        match = PARTIAL.search(path.name)
        if match is None:
            continue
        try:
            age = now - path.lstat().st_mtime
        except FileNotFoundError:
            continue
        if age > 86400 or (age > ORPHAN_AGE and not _running(int(match[1]))):
            path.unlink(missing_ok=True)
            swept.append(path)
    return swept


def archive_bytes(data: bytes, archive_dir: Path, pending: dict | None = None, *, sha: str | None = None) -> Path:
    """Keep the raw bytes at archive/ab/<sha256>; written once, atomically, never rewritten.

    With `pending` (target -> partial file), the bytes are written but neither synced nor renamed: the batch's
    settle_archive does that for all its files with two syncs instead of one fsync a file. `sha`: the bytes' SHA-256
    when the caller hashed them already (take_file, while reading them)."""
    sha = sha or sha256_of(data)
    target = Path(archive_dir) / sha[:2] / sha
    if target.exists() or (pending is not None and target in pending):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        if pending is None:
            fh.flush()
            os.fsync(fh.fileno())
    if pending is None:
        os.replace(tmp, target)
    else:
        pending[target] = tmp
    return target


def sync_filesystem(folder: Path) -> None:
    """Flush every written byte of the file system holding `folder` to disk (syncfs; sync where it is missing)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(folder, os.O_RDONLY)
        try:
            if libc.syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    except (OSError, AttributeError):
        pass
    os.sync()


def settle_archive(pending: dict, archive_dir: Path) -> None:
    """Make a batch's archived files durable under their final names: the bytes are on disk before any name
    points at them, and the names before the warehouse records them."""
    if not pending:
        return
    sync_filesystem(Path(archive_dir))
    for target, tmp in pending.items():
        os.replace(tmp, target)
    sync_filesystem(Path(archive_dir))
    pending.clear()
