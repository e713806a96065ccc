"""Find the files in an inbox and keep their raw bytes in a content-addressed archive."""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from tasks.read.submission import safe_name, sha256_of


@dataclass(frozen=True)
class InboxFile:
    """One regular file found in the inbox (never a link out of it, never a device)."""

    path: Path
    name: str  # as received, made safe to show and store
    size: int


@dataclass(frozen=True)
class Skipped:
    """A directory entry the run saw but will not read, and why."""

    name: str
    reason: str


def discover_inbox(inbox: Path) -> tuple[list[InboxFile], list[Skipped]]:
    """Every regular file below the inbox, sorted; symlinks and special files are reported, not followed."""
    inbox = Path(inbox)
    files: list[InboxFile] = []
    refused: list[Skipped] = []
    root = inbox.resolve()
    for dirpath, dirnames, filenames in os.walk(inbox, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fname in sorted(filenames):
            if fname.startswith("."):
                continue
            path = Path(dirpath) / fname
            rel = str(path.relative_to(inbox))
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                target = path.resolve()
                if not target.is_relative_to(root) or not target.is_file():
                    refused.append(Skipped(safe_name(rel), "symbolic link out of the inbox, not followed"))
                    continue
                st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):
                refused.append(Skipped(safe_name(rel), "not a regular file"))
                continue
            files.append(InboxFile(path=path, name=rel, size=st.st_size))
    return files, refused


def archive_bytes(data: bytes, archive_dir: Path) -> Path:
    """Keep the raw bytes at archive/ab/<sha256>; written once, atomically, never rewritten."""
    sha = sha256_of(data)
    target = Path(archive_dir) / sha[:2] / sha
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return target


def archive_many(datas: list[bytes], archive_dir: Path) -> list[Path]:
    """archive_bytes for a batch: one sync for all the files instead of one fsync each."""
    targets, pending, seen = [], [], set()
    for data in datas:
        sha = sha256_of(data)
        target = Path(archive_dir) / sha[:2] / sha
        targets.append(target)
        if target in seen or target.exists():
            continue
        seen.add(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(data)
        pending.append((target, tmp))
    if pending:
        os.sync()  # the bytes are on disk before any of them takes its final name
        for target, tmp in pending:
            os.replace(tmp, target)
    return targets
