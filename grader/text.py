"""Text for people, shared by every output: counts with the right plural, lists of names, and
student text made safe for terminals, Markdown and spreadsheets."""

from __future__ import annotations

import re
from collections.abc import Sequence

IRREGULAR = {"is": "are", "was": "were", "has": "have", "does": "do", "differs": "differ", "changes": "change"}


def plural(count: float, word: str, many: str | None = None) -> str:
    """``word`` as it goes with ``count``: "case" for 1, "cases" otherwise."""
    if count == 1:
        return word
    return many or IRREGULAR.get(word) or (word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou"
                                           else word + "s")


def count(number: float, word: str, many: str | None = None) -> str:
    """``"1 submission"``, ``"3 submissions"``, ``"0 cases"``, ``"1000000 elements"`` (never ``1e+06``)."""
    shown = str(int(number)) if float(number).is_integer() else f"{number:g}"
    return f"{shown} {plural(number, word, many)}"


def describe_shape(shape: Sequence[int]) -> str:
    """A value's shape as numpy prints it, a scalar named so."""
    return "a scalar" if len(shape) == 0 else f"shape {tuple(shape)}"


def names(items: Sequence[str], quote: str = "`") -> str:
    """``a``, ``a and b``, ``a, b and c``, each quoted."""
    quoted = [f"{quote}{item}{quote}" for item in items]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Characters a terminal or a page may act on (escape sequences, bidirectional overrides), or that are
not text at all (lone surrogates): never printed as they are."""
LINE_BREAKS = re.compile(r"[\n\t]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""How a spreadsheet cell that would be read as a formula starts (OWASP's CSV injection guidance)."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """Student text safe to print: line breaks and tabs kept, every other control character written
    as ``\\xNN`` (no escape sequence reaches a terminal: no title change, no clipboard write)."""
    return CONTROL.sub(_escape, text)


def one_line(text: str) -> str:
    """Like ``printable``, with line breaks and tabs escaped too: for names and single-line fields."""
    return LINE_BREAKS.sub(_escape, printable(text))


def name_text(name: str) -> str:
    """A name from a file system or an archive as printable text on one line, whatever its bytes:
    bytes that are not UTF-8 (kept as surrogates) and control characters become ``\\xNN``."""
    return one_line(name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace"))


def fenced(block: str, info: str = "") -> str:
    """A Markdown code block that ``block`` cannot close early: its fence is longer than any run of
    backticks inside."""
    longest = max((len(run) for run in re.findall(r"`+", block)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{printable(block)}\n{fence}"


def spreadsheet_cell(value: str) -> str:
    """A CSV cell a spreadsheet will not run: text that starts like a formula gets a leading ``'``."""
    return "'" + value if value.startswith(FORMULA_START) else value


_PLAIN = re.compile(r"[+-]?(?:\d[\d,]*(?:\.\d*)?|\.\d+)|-")


def exported_cell(value: str) -> str:
    """A cell of an LMS's own export, written back for it to import: as ``spreadsheet_cell``, except that
    a number (``-2.5``) and Moodle's ``-`` (no date) stay as they are, since the LMS reads them."""
    return value if _PLAIN.fullmatch(value) else spreadsheet_cell(value)


def code_span(value: str) -> str:
    """``value`` as inline Markdown code, whatever backticks it holds (on one line)."""
    value = one_line(value)
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    ticks = "`" * (longest + 1)
    padding = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{ticks}{padding}{value}{padding}{ticks}"


MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>!|#&~])")
_TICKS = re.compile(r"`+")


def markdown_text(text: str) -> str:
    """Text for Markdown in which only our code spans stay code: every character Markdown acts on
    outside them is escaped, and bare web addresses are broken, so no link, image, HTML or emphasis
    of a student's making renders (defence in depth: names should already be in code spans)."""
    out, at = [], 0
    while at < len(text):
        tick = text.find("`", at)
        plain = text[at:] if tick < 0 else text[at:tick]
        out.append(MARKDOWN_SPECIAL.sub(r"\\\1", plain).replace("://", "&#58;//").replace("www.", "www&#46;"))
        if tick < 0:
            break
        ticks = _TICKS.match(text, tick)
        assert ticks is not None, "text[tick] is a backtick"
        run = ticks.group()
        close = re.compile(rf"(?<!`){run}(?!`)").search(text, tick + len(run))
        if close is None:
            out.append("\\`" * len(run))
            at = tick + len(run)
        else:
            out.append(text[tick:close.end()])
            at = close.end()
    return "".join(out)
