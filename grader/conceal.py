"""Names a hidden case's run chose, kept out of every report unless the file or Python defines them.

A run can name things at run time: ``type("x=0.3 w=...", (Exception,), {})`` raises an exception
whose class name is whatever the code computed, a function made with ``types.FunctionType`` can
carry any name into a traceback or into "found inside ``f()``", and an ndarray subclass any type
name. In the public case that is harmless (its inputs are on the quiz page); in a hidden case it
would spell out that case's inputs to a student who reads their report, and with a reused
``--seed`` let them build a table of answers. So in hidden cases a name is kept only when the
file's own text defines it (a ``def`` or ``class``), or Python or numpy does; any other becomes a
plain description; and since which of its own names a file shows can carry a case as well, an
exception keeps only a name Python or numpy give, and "found inside" only the public case's. The
statement a hidden case stopped at is kept (the outermost frame is the file's own top-level line);
the calls inside it are named only by such names.
"""

from __future__ import annotations

import builtins
import re
from dataclasses import replace

import numpy as np

from grader.protocol import CaseMessage, Numeric, Other, StudentValue

KNOWN = frozenset({name for name, value in vars(builtins).items() if isinstance(value, type)}
                  | {name for name, value in vars(np).items() if isinstance(value, type)}  # not dir(): it imports
                  | {"<module>", "<lambda>", "<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>", "LinAlgError",
                     "AxisError", "UFuncTypeError", "ComplexWarning", "_UFuncNoLoopError", "_UFuncInputCastingError",
                     "_UFuncOutputCastingError", "_ArrayMemoryError"})
"""Names Python and numpy give: exceptions, types, and the names of frames that are not functions."""
MADE = "made at run time"
TIMEOUT = "CaseTimeout"
"""What the sandbox raises when a case runs out of time: its own name, whatever the run says it was."""
_DESCRIBED = re.compile(r"^(?P<prefix>unreadable \(|raised )?(?P<name>[\w.]+)(?P<suffix>\)?)"
                        r"(?: of (?P<dtype>[a-z]+[0-9]*))?$")


def known(name: str, defined: frozenset[str]) -> bool:
    return name in KNOWN or name in defined


def _type_text(text: str, defined: frozenset[str]) -> str:
    """A value's type as the child described it (``MyArray``, ``list of object``, ``unreadable (E)``)."""
    match = _DESCRIBED.match(text)
    if match and known(match["name"], defined):
        return text
    return f"a type {MADE}"


def _value(value: StudentValue, defined: frozenset[str]) -> StudentValue:
    if isinstance(value, (Other, Numeric)):
        shown = _type_text(value.type, defined)
        return value if shown == value.type else replace(value, type=shown)
    return value


def hidden_case(message: CaseMessage, defined: frozenset[str], public_found: dict[str, str]) -> CaseMessage:
    """A hidden case's message with every name the file and Python do not define replaced.

    Which of its own names a file shows can carry a case too (a thousand classes ``E0`` to
    ``E999``, one raised per input): a hidden case's exception keeps only a name Python or numpy
    give, and a value found inside a function names it only when the public case found it there."""
    error = message.error
    if error is not None:
        frames = [frame if known(frame.function, defined) else
                  replace(frame, function=f"a function {MADE}") for frame in error.frames]
        kind = TIMEOUT if error.timeout else error.type if error.type in KNOWN else (
            "an exception of the file's own class" if error.type in defined else f"an exception of a class {MADE}")
        error = replace(error, type=kind, frames=frames)
    values = {name: _value(value, defined) for name, value in message.values.items()}
    found_in = {name: function for name, function in message.found_in.items() if public_found.get(name) == function}
    if error is message.error and len(found_in) == len(message.found_in) and all(
            values[name] is value for name, value in message.values.items()):
        return message  # nothing in it to conceal (most runs): no copy
    return replace(message, error=error, values=values, found_in=found_in)
