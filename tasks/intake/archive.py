"""Keep each file's raw bytes forever in a content-addressed archive, and sweep what a killed run left half-written.

A nightly batch keeps its files in one pack, `archive/packs/<name>.pack`: each member a header line
`baocao-archive <sha256> <length>` then its bytes, so a pack can be listed and checked without the warehouse; a
submission's archive_path names its member, `<pack>#<offset>+<length>`. One file a batch, not one a report: creating
a file cost 0.1-0.5 ms of kernel time on the benchmark machine (ext4, 5 000 empty files in 0.36-2.4 s of system
time, one file of 5 000 writes in 0.03 s), which was a fifth of the flow process's work a report. A file too large
to hold in memory, and a file archived on its own (archive_bytes), keep the older layout, `archive/ab/<sha256>`;
archived_bytes reads either."""
from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from contracts.document import sha256_of
from tasks.intake.discover import InboxFile

CHUNK = 1 << 20
HEAD = 4096


@dataclass
class Taken:
    """One inbox file after it was archived: its hash, where its bytes are kept, and the bytes if small enough."""

    sha256: str
    archived: Path | str | None  # a file, or a pack member (`<pack>#<offset>+<length>`); None until its batch is packed
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


def take_file(f: InboxFile, archive_dir: Path, max_bytes: int, pack: bool = False) -> Taken:
    """Stream one inbox file into the archive while hashing it; keep its bytes in memory only up to max_bytes.

    With `pack`, a small file is only read and hashed (`archived` None): its batch writes it into a pack
    (write_pack) once it knows which of its files are new; a file over max_bytes is archived on its own."""
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
        return Taken(sha, None if pack else archive_bytes(data, archive_dir, sha=sha), size, data[:HEAD], data)
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


PARTIAL = re.compile(r"(?:\.tmp|^\.incoming-)(\d+)$")  # what archive_bytes, write_pack, take_file write first
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
    """Delete the partial files a killed run left in the archive (`<sha>.tmp<pid>`, `<pack>.pack.tmp<pid>`,
    `.incoming-<pid>`): their writer is no longer running and they are older than ORPHAN_AGE (a day, whoever wrote
    them, for an archive shared between machines). Archived files themselves are never touched. Returns what was
    deleted."""
    import time

    archive_dir = Path(archive_dir)
    if not archive_dir.is_dir():
        return []
    now = time.time() if now is None else now
    swept = []
    for path in [*archive_dir.glob(".incoming-*"), *archive_dir.glob("??/*.tmp*"),
                 *archive_dir.glob(f"{PACKS}/*.tmp*")]:
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


def archive_bytes(data: bytes, archive_dir: Path, *, sha: str | None = None) -> Path:
    """Keep the raw bytes at archive/ab/<sha256>, on their own; written once, atomically, never rewritten. `sha`: the
    bytes' SHA-256 when the caller hashed them already (take_file, while reading them)."""
    sha = sha or sha256_of(data)
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


PACKS = "packs"
MEMBER = re.compile(rb"baocao-archive ([0-9a-f]{64}) (\d+)\n")
REFERENCE = re.compile(r"^(.+\.pack)#(\d+)\+(\d+)$")


def write_pack(members: list[tuple[str, bytes]], archive_dir: Path) -> dict[str, str]:
    """Keep a batch's files, (sha256, bytes) each, in one pack; returns each one's archive_path (`<pack>#<offset>+
    <length>`). Durable before it returns: the bytes are synced before the pack takes its name, and the name
    before the warehouse records it. A pack is named by its members, so writing the same members again (a batch
    redone after a crash) finds it there."""
    if not members:
        return {}
    folder = Path(archive_dir) / PACKS
    name = hashlib.sha256(" ".join(sha for sha, _ in members).encode()).hexdigest()[:32]
    target = folder / f"{name}.pack"
    refs: dict[str, str] = {}
    parts: list[bytes] = []
    offset = 0
    for sha, data in members:
        head = b"baocao-archive %s %d\n" % (sha.encode(), len(data))
        offset += len(head)
        refs[sha] = member_path(target, offset, len(data))
        parts += (head, data)
        offset += len(data)
    if not target.exists():
        created = not folder.is_dir()
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f"{name}.pack.tmp{os.getpid()}"
        with open(tmp, "wb") as fh:
            fh.writelines(parts)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        sync_folder(folder)
        if created:
            sync_folder(folder.parent)
    return refs


def sync_folder(folder: Path) -> None:
    """Make the names in `folder` durable (a rename or a new file)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def member_path(pack: Path, offset: int, length: int) -> str:
    """The archive_path of a pack member, as pack_member reads it back."""
    return f"{pack}#{offset}+{length}"


def pack_member(archive_path: str | Path) -> tuple[Path, int, int] | None:
    """(pack, offset, length) of an archive_path that names a pack member; None for a file of its own."""
    m = REFERENCE.match(str(archive_path))
    return None if m is None else (Path(m[1]), int(m[2]), int(m[3]))


def archived_bytes(archive_path: str | Path | None) -> bytes | None:
    """The bytes an archive_path names, a file of their own or a pack member; None when they are gone or cut short."""
    if not archive_path:
        return None
    if (member := pack_member(archive_path)) is None:
        path = Path(archive_path)
        return path.read_bytes() if path.is_file() else None
    pack, offset, length = member
    try:
        with open(pack, "rb") as fh:
            fh.seek(offset)
            data = fh.read(length)
    except (FileNotFoundError, IsADirectoryError):
        return None
    return data if len(data) == length else None


def archived_size(archive_path: str | Path) -> int:
    """The size of the archived bytes without reading them."""
    member = pack_member(archive_path)
    return Path(archive_path).stat().st_size if member is None else member[2]


def archive_file_of(archive_path: str | Path) -> Path:
    """The file that holds the archived bytes: their own, or their pack."""
    member = pack_member(archive_path)
    return Path(archive_path) if member is None else member[0]


def archived_name(archive_path: str | Path) -> str:
    """A name for the archived bytes without an extension (a reader finds the format from the bytes)."""
    member = pack_member(archive_path)
    return Path(archive_path).name if member is None else f"{member[0].stem}-{member[1]}"


def pack_members(pack: Path) -> Iterator[tuple[str, int, int]]:
    """(sha256, offset, length) of each member of a pack, read from its headers; raises ValueError where the pack
    is not one (a cut or altered file)."""
    with open(pack, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        at = 0
        while at < size:
            fh.seek(at)
            m = MEMBER.match(fh.readline(120))
            if m is None:
                raise ValueError(f"{pack}: no member header at byte {at}")
            offset, length = at + m.end(), int(m[2])
            if offset + length > size:
                raise ValueError(f"{pack}: member {m[1].decode()[:12]}… cut short")
            yield m[1].decode(), offset, length
            at = offset + length


def pack_mismatch(pack: Path) -> str | None:
    """What is wrong with a pack, read once: a member cut short or not where its header says, or one whose bytes do
    not hash to the name it is listed by; None when every member is sound."""
    data = Path(pack).read_bytes()
    try:
        for sha, offset, length in pack_members(pack):
            if hashlib.sha256(data[offset:offset + length]).hexdigest() != sha:
                return f"{pack.name}: member {sha[:12]}… does not hash to its name"
    except ValueError as exc:
        return str(exc)
    return None


def archive_files(archive_dir: Path) -> tuple[list[Path], list[Path]]:
    """The archive's files on their own (named by their hash) and its packs, sorted; partial files left out."""
    archive_dir = Path(archive_dir)
    alone = sorted(p for p in archive_dir.glob("??/*") if p.is_file() and len(p.name) == 64)
    return alone, sorted(p for p in archive_dir.glob(f"{PACKS}/*.pack") if p.is_file())


def archive_contents(archive_dir: Path) -> Iterator[tuple[str, str]]:
    """(sha256, archive_path) of every file the archive keeps, on its own or in a pack, partial files left out;
    bytes kept twice (a batch redone after a crash packs its files again) come once each way they are kept."""
    alone, packs = archive_files(archive_dir)
    for path in alone:
        yield path.name, str(path)
    for pack in packs:
        for sha, offset, length in pack_members(pack):
            yield sha, member_path(pack, offset, length)


def archived_shas(archive_dir: Path) -> set[str]:
    """The SHA-256 of every file the archive keeps."""
    return {sha for sha, _ in archive_contents(archive_dir)}
