"""Find the files in an inbox: regular files only, links out of it and special files reported, never opened."""
from __future__ import annotations

import os
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

@dataclass(frozen=True)
class InboxFile:
    """One regular file found in the inbox (never a link out of it, never a device)."""

    path: Path  # where to open it: the file itself, or the target of a link that stays inside the inbox
    name: str  # as received, made safe to show and store (never used as a path)
    size: int


@dataclass(frozen=True)
class Skipped:
    """A directory entry the run saw but will not read, and why."""

    name: str
    reason: str


def shown_name(relative: str) -> str:
    """A received name fit to show and store: NFC, control and bidi characters replaced, at most 240 characters."""
    parts = []
    for part in relative.split(os.sep):
        part = unicodedata.normalize("NFC", part)
        parts.append("".join("_" if unicodedata.category(ch)[0] == "C" else ch for ch in part))
    return "/".join(parts)[:240] or "unnamed"


def discover_inbox(inbox: Path) -> tuple[list[InboxFile], list[Skipped]]:
    """Every regular file below the inbox, sorted; symlinks out of it and special files are reported, never opened."""
    inbox = Path(inbox)
    files: list[InboxFile] = []
    refused: list[Skipped] = []
    root = inbox.resolve()

    def unreadable_folder(exc: OSError) -> None:
        where = os.path.relpath(exc.filename, inbox) if exc.filename else "."
        refused.append(Skipped(shown_name(where), f"folder could not be listed: {exc.strerror}"))

    for dirpath, dirnames, filenames in os.walk(inbox, followlinks=False, onerror=unreadable_folder):
        kept = []
        for d in sorted(dirnames):
            if d.startswith("."):
                continue
            if os.path.islink(os.path.join(dirpath, d)):
                rel = os.path.relpath(os.path.join(dirpath, d), inbox)
                refused.append(Skipped(shown_name(rel), "symbolic link to a folder, not followed"))
                continue
            kept.append(d)
        dirnames[:] = kept
        for fname in sorted(filenames):
            if fname.startswith("."):
                continue  # editors' and gateways' partial files (.~lock, .part) are not submissions yet
            path = Path(dirpath) / fname
            rel = os.path.relpath(path, inbox)
            try:
                st = os.lstat(path)  # lstat: a FIFO or a link is judged without being opened or followed
            except OSError as exc:
                refused.append(Skipped(shown_name(rel), f"could not be examined: {exc.strerror}"))
                continue
            if stat.S_ISLNK(st.st_mode):
                target = path.resolve()
                if not target.is_relative_to(root):
                    refused.append(Skipped(shown_name(rel), "symbolic link out of the inbox, not followed"))
                    continue
                try:
                    st = os.lstat(target)
                except OSError:
                    refused.append(Skipped(shown_name(rel), "symbolic link to nothing"))
                    continue
                path = target
            if not stat.S_ISREG(st.st_mode):
                kind = "a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "a device or socket" if not stat.S_ISDIR(st.st_mode) else "a folder"
                refused.append(Skipped(shown_name(rel), f"not a regular file ({kind}), not opened"))
                continue
            files.append(InboxFile(path=path, name=shown_name(rel), size=st.st_size))
    return files, refused
