"""A gradebook export as the system wrote it, and an import file written back the same way.

Exports differ in encoding (UTF-8 with or without a byte-order mark, UTF-16 for Blackboard's
``.xls``, a Windows code page after a round trip through a spreadsheet), in separator (comma,
semicolon, tab) and in line ending. ``read`` takes any of them and keeps every cell as text,
exactly as exported; ``write`` gives the system back UTF-8 with commas, the form its own exports
and its upload's defaults use.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass
from pathlib import Path

from grader import atomic

MAX_BYTES = 64 << 20
"""An export larger than this is not a class's gradebook."""


BINARY = ((b"PK\x03\x04", "a zip archive (an LMS download, or an .xlsx workbook)"),
          (b"PK\x05\x06", "an empty zip archive"),
          (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls)"),
          (b"%PDF", "a PDF document"))
"""What a file given as ``--roster`` by mistake starts with, and what it is, for the message."""


class SheetError(Exception):
    """The file cannot be read as a gradebook export; the message says why, for the instructor."""


@dataclass
class Sheet:
    header: list[str]
    rows: list[list[str]]
    delimiter: str = ","
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"

    def column(self, name: str) -> int | None:
        """The index of the column headed ``name`` (ignoring case and surrounding spaces), if any."""
        wanted = name.strip().casefold()
        return next((index for index, title in enumerate(self.header) if title.strip().casefold() == wanted), None)

    def cell(self, row: list[str], index: int | None) -> str:
        return row[index] if index is not None and index < len(row) else ""


def _decode(raw: bytes) -> tuple[str, str, bool]:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):
        if raw.startswith(bom):
            try:
                return raw[len(bom):].decode(encoding), encoding, True
            except UnicodeDecodeError:
                raise SheetError(f"it starts as {encoding} text but is not") from None
    try:
        return raw.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace"), "cp1252", False


def _delimiter(first_line: str) -> str:
    """The separator the header uses most, outside quotes."""
    counts = {separator: 0 for separator in (",", ";", "\t")}
    quoted = False
    for character in first_line:
        if character == '"':
            quoted = not quoted
        elif not quoted and character in counts:
            counts[character] += 1
    return max(counts, key=lambda separator: counts[separator])


def read(path: Path) -> Sheet:
    """The export at ``path``; ``SheetError`` (or ``OSError``) when it cannot be read."""
    with open(path, "rb") as stream:
        raw = stream.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise SheetError(f"it is larger than {MAX_BYTES} bytes")
    kind = next((kind for magic, kind in BINARY if raw.startswith(magic)), None)
    if kind is not None or b"\0" in raw[:4096] and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise SheetError(f"it is {kind or 'binary data'}, not a CSV file: give the gradebook exported as CSV "
                         "(a workbook saved as CSV will do)")
    text, encoding, bom = _decode(raw)
    first_line = text.split("\n", 1)[0]
    newline = "\r\n" if first_line.endswith("\r") else "\n"
    delimiter = _delimiter(first_line)
    try:
        rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as problem:
        raise SheetError(f"it is not a CSV file ({problem})") from None
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise SheetError("it is empty")
    return Sheet(rows[0], rows[1:], delimiter, encoding, bom, newline)


def write(path: Path, like: Sheet, rows: list[list[str]], quote_all: bool = False, bom: bool | None = None) -> None:
    """``rows`` (the header first) as the systems export and import them: UTF-8 with commas, whatever a
    spreadsheet made of the export (Windows code pages, semicolons; Blackboard's UTF-16 ``.xls``);
    the export's line ending, and its byte-order mark unless ``bom`` says otherwise."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=",", lineterminator=like.newline,
               quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL).writerows(rows)
    mark = like.bom if bom is None else bom
    atomic.write_bytes(path, (codecs.BOM_UTF8 if mark else b"") + buffer.getvalue().encode("utf-8"))
