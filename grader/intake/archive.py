"""Zip archives, read in place: the download a learning-management system gives an instructor.

Nothing is extracted. The central directory is parsed here rather than by ``zipfile``, which gives
up on a whole archive when one member's name is flagged UTF-8 but is not, and which would build
the directory of an archive of any size; the layout follows PKWARE's APPNOTE.TXT (sections 4.3.7,
4.3.12, 4.3.14-16 and 4.5.3 for Zip64; appendix D for names: UTF-8 when bit 11 is set, else IBM
code page 437, which we use only when the name is not valid UTF-8).

What keeps a hostile archive harmless:

- no name can lead anywhere: members are listed, never written, and a name that is absolute or
  climbs with ``..`` (a "zip slip") is named in a note and never read;
- links and special files are listed and refused, as on disk; so is an encrypted member, one
  compressed in a way we do not read, and a name that occurs twice;
- at most ``MAX_MEMBERS`` members, ``MAX_FOLDERS`` folders and a central directory of
  ``MAX_DIRECTORY_BYTES``, and no descriptor kept open between reads;
- a member is read only when it is graded, one at a time and in memory, and decompression stops
  at the reader's limit (1 MiB for a source file, 16 MiB for a notebook): a member that declares
  more is refused unread, and one that decompresses to more than it declares (a zip bomb) is
  refused at the limit, so no compression ratio can cost more than the limit; all reads of one
  archive together decompress at most ``MAX_READ_BYTES`` (many members sharing one compressed
  stream cost no more).
"""

from __future__ import annotations

import contextlib
import os
import stat
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.intake.listing import MAX_DEPTH, Folder, Item, Listing, Origin, Parts, display

MAX_MEMBERS = 200_000
MAX_FOLDERS = 100_000
MAX_READ_BYTES = 2 << 30
"""All reads from one archive together decompress at most this (a class's files are far less)."""
MAX_NESTED_BYTES = 16 << 20
"""A zip a student handed in (inside a download) is read whole into memory: at most this."""
MAX_DIRECTORY_BYTES = 64 << 20
CHUNK = 1 << 16

_END = struct.Struct("<4s4H2LH")  # end of central directory record (4.3.16)
_LOCATOR = struct.Struct("<4sLQL")  # Zip64 end of central directory locator (4.3.15)
_END64 = struct.Struct("<4sQ2H2L4Q")  # Zip64 end of central directory record (4.3.14)
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # central directory file header (4.3.12)
_LOCAL = struct.Struct("<4s2B4HL2L2H")  # local file header (4.3.7)
STORED, DEFLATED = 0, 8
UTF8_NAME, ENCRYPTED = 0x800, 0x1
UNIX = 3


class ArchiveError(Exception):
    """The archive as a whole cannot be read; the message says why, for the instructor."""


@dataclass(frozen=True)
class Entry:
    """One member as the central directory describes it."""

    name: str
    flags: int
    method: int
    crc: int
    compressed: int
    size: int
    offset: int
    mode: int
    """The Unix file type and permissions, when a Unix tool made the archive; else 0."""


def _name(raw: bytes, flags: int) -> str:
    if flags & UTF8_NAME:
        return raw.decode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp437")


def _zip64(extra: bytes, size: int, compressed: int, offset: int) -> tuple[int, int, int]:
    """The real sizes and offset from a Zip64 extra field (4.5.3), for the fields that are 0xFFFFFFFF."""
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack_from("<2H", extra, at)
        if kind == 1:
            values = list(struct.unpack_from(f"<{min(length // 8, 3)}Q", extra, at + 4))
            if size == 0xFFFFFFFF and values:
                size = values.pop(0)
            if compressed == 0xFFFFFFFF and values:
                compressed = values.pop(0)
            if offset == 0xFFFFFFFF and values:
                offset = values.pop(0)
            break
        at += 4 + length
    return size, compressed, offset


class Archive:
    """A zip archive: its members, and reading one of them. No descriptor stays open between reads
    (a class of a thousand students' zips must not run out of them)."""

    def __init__(self, path: Path, data: bytes | None = None) -> None:
        """The archive at ``path``, or, given ``data``, the archive those bytes are (a student's own zip)."""
        self.path, self._data = path, data
        self._fd = -1
        self._budget = MAX_READ_BYTES
        try:
            with self._open():
                self.entries = self._directory()
        except (ArchiveError, OSError, struct.error, OverflowError, ValueError) as problem:
            raise ArchiveError(str(problem) if isinstance(problem, ArchiveError) else
                               "it is damaged: its directory cannot be read") from None

    @contextlib.contextmanager
    def _open(self) -> Iterator[None]:
        if self._data is not None:
            yield
            return
        self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC)
        try:
            yield
        finally:
            os.close(self._fd)
            self._fd = -1

    def _read(self, size: int, offset: int) -> bytes:
        if offset < 0 or size < 0 or offset > self.length:
            raise ValueError("an offset lies outside the archive")
        if self._data is not None:
            return self._data[offset:offset + size]
        return os.pread(self._fd, size, offset)

    def _directory(self) -> list[Entry]:
        self.length = length = len(self._data) if self._data is not None else os.fstat(self._fd).st_size
        tail_start = max(0, length - _END.size - 0xFFFF)
        tail = self._read(length - tail_start, tail_start)
        at, search = -1, len(tail)
        while (found := tail.rfind(b"PK\x05\x06", 0, search)) >= 0:  # the record whose comment ends the file
            if found + _END.size <= len(tail) and found + _END.size + _END.unpack_from(tail, found)[7] == len(tail):
                at = found
                break
            at = found if at < 0 else at  # else the last one that fits (a file with bytes after the archive)
            search = found
        if at < 0 or at + _END.size > len(tail):
            raise ArchiveError("it is not a zip archive (no end-of-directory record)")
        _, _, _, _, count, size, offset, _ = _END.unpack_from(tail, at)
        where = tail_start + at
        if count == 0xFFFF or 0xFFFFFFFF in (size, offset):
            if at < _LOCATOR.size + _END64.size or tail[at - _LOCATOR.size:at - _LOCATOR.size + 4] != b"PK\x06\x07":
                raise ArchiveError("it is damaged: its Zip64 directory cannot be found")
            record = at - _LOCATOR.size - _END64.size
            signature, _, _, _, _, _, _, count, size, offset = _END64.unpack_from(tail, record)
            if signature != b"PK\x06\x06":
                raise ArchiveError("it is damaged: its Zip64 directory cannot be found")
            where = tail_start + record
        if count > MAX_MEMBERS:
            raise ArchiveError(f"it has {count} members; gdgrade reads archives of at most {MAX_MEMBERS}")
        if size > MAX_DIRECTORY_BYTES:
            raise ArchiveError(f"its directory is {size} bytes; gdgrade reads at most {MAX_DIRECTORY_BYTES}")
        self._shift = where - size - offset  # bytes before the archive proper (a self-extractor's stub)
        if self._shift < 0:
            raise ArchiveError("it is damaged: its directory lies outside the file")
        directory = self._read(size, offset + self._shift)
        entries: list[Entry] = []
        at = 0
        while at + _CENTRAL.size <= len(directory) and len(entries) < MAX_MEMBERS:
            (signature, _, system, _, _, flags, method, _, _, crc, compressed, unpacked, name_length, extra_length,
             comment_length, _, _, external, offset) = _CENTRAL.unpack_from(directory, at)
            if signature != b"PK\x01\x02":
                raise ArchiveError("it is damaged: an entry of its directory is broken")
            at += _CENTRAL.size
            raw = directory[at:at + name_length]
            extra = directory[at + name_length:at + name_length + extra_length]
            at += name_length + extra_length + comment_length
            unpacked, compressed, offset = _zip64(extra, unpacked, compressed, offset)
            entries.append(Entry(_name(raw, flags), flags, method, crc, compressed, unpacked, offset,
                                 external >> 16 if system == UNIX else 0))
        return entries

    def read(self, entry: Entry, limit: int) -> bytes:
        """The member's bytes, decompressed no further than ``limit``; ``OSError`` with the reason if refused.

        All reads of one archive together decompress at most ``MAX_READ_BYTES``."""
        try:
            with self._open():
                return self._member(entry, limit)
        except (OverflowError, ValueError, struct.error):
            raise OSError(f"{display(entry.name)} is damaged in the archive (it lies outside it)") from None

    def _member(self, entry: Entry, limit: int) -> bytes:
        shown = display(entry.name)
        _refuse_unreadable(entry, limit, shown)
        header = self._read(_LOCAL.size, entry.offset + self._shift)
        if len(header) < _LOCAL.size or header[:4] != b"PK\x03\x04":
            raise OSError(f"{shown} is damaged in the archive (its local header is missing)")
        *_, name_length, extra_length = _LOCAL.unpack(header)
        out = self._unpacked(entry, entry.offset + self._shift + _LOCAL.size + name_length + extra_length, limit, shown)
        self._budget -= len(out)
        if len(out) != entry.size or zlib.crc32(out) != entry.crc:
            raise OSError(f"{shown} is damaged in the archive (its size or checksum does not match)")
        return bytes(out)

    def _unpacked(self, entry: Entry, at: int, limit: int, shown: str) -> bytearray:
        """The member's data from ``at``, read a chunk at a time and inflated no further than ``limit``,
        the size it declares and what is left of the archive's budget."""
        end = at + entry.compressed
        out = bytearray()
        inflate = zlib.decompressobj(-15) if entry.method == DEFLATED else None
        pending = b""
        while at < end or pending:
            if not pending:
                pending = self._read(min(CHUNK, end - at), at)
                if not pending:
                    raise OSError(f"{shown} is cut short in the archive")
                at += len(pending)
            if inflate is None:
                out += pending[:limit + 1 - len(out)]
                pending = b""
            else:
                try:
                    out += inflate.decompress(pending, limit + 1 - len(out))
                except zlib.error:
                    raise OSError(f"{shown} is damaged in the archive (its compressed data is invalid)") from None
                pending = inflate.unconsumed_tail
            if len(out) > entry.size:
                raise OSError(f"{shown} decompresses to more than the {entry.size} bytes it declares "
                              "(a crafted archive, a \"zip bomb\"); it was not read")
            if len(out) > self._budget:
                raise OSError(f"{shown} was not read: the files read from this archive already decompress to "
                              f"{MAX_READ_BYTES} bytes, more than any class's work")
            if inflate is not None and inflate.eof:
                break
        return out

    def listing(self, origin: Callable[[Entry], Origin] | None = None) -> Listing:
        """The archive's members as a listing; refused members are listed with the reason, and one
        whose name leads outside the archive is named in the listing's notes (placed anywhere, it
        could knock out another student's file). ``origin`` says how a member's bytes are read again
        later (by default from this archive)."""
        listing = Listing(self.path)
        children, named, climbing, deepest = self._tree()
        files: dict[Parts, dict[str, Item]] = {}
        for parts, entries in sorted(named.items()):
            problem = _refusal(entries)
            if parts in children:
                problem = "is both a file and a folder in the archive; it was not read"
            files.setdefault(parts[:-1], {})[parts[-1]] = Item(
                parts[-1], origin(entries[-1]) if origin else Member(self, entries[-1]), problem)
        for parts, names in children.items():
            listing.folders[parts] = Folder(files.get(parts, {}), sorted(names))
        if climbing:
            listing.notes.append(f"{len(climbing)} member{'s' if len(climbing) > 1 else ''} of {display(self.path)} "
                                 f"{'lead' if len(climbing) > 1 else 'leads'} outside it (a \"zip slip\") and "
                                 f"{'were' if len(climbing) > 1 else 'was'} not read: "
                                 + ", ".join(f"`{name}`" for name in climbing[:10]))
        if deepest:
            listing.too_deep(deepest)
        if not self.entries:
            listing.notes.append(f"{display(self.path)} is an empty archive")
        return listing

    def _tree(self) -> tuple[dict[Parts, set[str]], dict[Parts, list[Entry]], list[str], Parts | None]:
        """The members placed: each folder with the names in it, each file's entries by path; the names
        of those that lead outside the archive; the first path deeper than ``MAX_DEPTH``."""
        children: dict[Parts, set[str]] = {(): set()}
        named: dict[Parts, list[Entry]] = {}
        climbing: list[str] = []
        deepest: Parts | None = None
        for entry in self.entries:
            given = entry.name.replace("\\", "/")
            parts = tuple(part for part in given.split("/") if part not in ("", "."))
            if given.startswith("/") or ".." in parts or (parts and parts[0].endswith(":")):
                climbing.append(display(entry.name))
                continue
            if not parts:
                continue
            if len(parts) > MAX_DEPTH + 1:
                deepest = deepest or parts[:MAX_DEPTH + 1]
                continue
            folder = given.endswith("/") or stat.S_ISDIR(entry.mode)
            _add_folders(children, parts[:len(parts) - 1 + folder])
            if not folder:
                named.setdefault(parts, []).append(entry)
        return children, named, climbing, deepest


def _refuse_unreadable(entry: Entry, limit: int, shown: str) -> None:
    """OSError for a member gdgrade will not read, whatever its bytes: encrypted, compressed in
    another way than stored or deflated, or declared larger than ``limit``."""
    if entry.flags & ENCRYPTED:
        raise OSError(f"{shown} is encrypted in the archive")
    if entry.method not in (STORED, DEFLATED):
        raise OSError(f"{shown} is compressed with method {entry.method}, which gdgrade does not read "
                      "(only stored and deflated members)")
    if entry.size > limit:
        raise OSError(f"{shown} is {entry.size} bytes uncompressed, larger than {limit} bytes")


def _add_folders(children: dict[Parts, set[str]], path: Parts) -> None:
    """Make ``path`` and the folders above it known, each named in its parent's names; ArchiveError
    past ``MAX_FOLDERS``."""
    made = []
    for depth in range(len(path), 0, -1):  # from the deepest: stop at a folder already known
        if path[:depth] in children:
            break
        children[path[:depth]] = set()
        made.append(path[:depth])
    for prefix in made:
        children[prefix[:-1]].add(prefix[-1])
    if len(children) > MAX_FOLDERS:
        raise ArchiveError(f"it has more than {MAX_FOLDERS} folders; gdgrade reads archives of at most that")


def _refusal(entries: list[Entry]) -> str | None:
    """Why a member must not be read, if it must not."""
    if len(entries) > 1:
        return f"occurs {len(entries)} times in the archive, so gdgrade cannot tell which to grade; none was read"
    kind = stat.S_IFMT(entries[0].mode)
    if kind == stat.S_IFLNK:
        return "is a symbolic link in the archive; links are not followed"
    if kind not in (0, stat.S_IFREG):
        return "is not a regular file in the archive"
    return None


@dataclass(frozen=True)
class Member:
    """A member of an archive listed earlier, as an origin of bytes (each read opens the archive again)."""

    archive: Archive
    entry: Entry

    def read(self, limit: int) -> bytes:
        return self.archive.read(self.entry, limit)


@dataclass(frozen=True)
class Inside:
    """A member of a student's own zip (itself a file in a download): each read opens that zip again,
    so no student's archive stays in memory between its listing and its grading."""

    outer: Origin
    path: Path
    entry: Entry

    def read(self, limit: int) -> bytes:
        try:
            archive = Archive(self.path, self.outer.read(MAX_NESTED_BYTES))
        except ArchiveError as problem:
            raise OSError(f"{display(self.path.name)} could not be read: {problem}") from None
        return archive.read(self.entry, limit)


def nested_listing(path: Path, origin: Origin) -> Listing:
    """The listing of a student's own zip, the file ``origin`` reads (at most ``MAX_NESTED_BYTES``)."""
    data = origin.read(MAX_NESTED_BYTES)
    return Archive(path, data).listing(lambda entry: Inside(origin, path, entry))
