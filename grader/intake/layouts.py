"""The bulk downloads of learning-management systems: whose files are whose.

Each system names a student's files its own way. Every pattern below follows the system's own
code where it is public, else its documentation and the parsers course staff publish; sources:

- Canvas, "Download Submissions": loose files ``<name>[_LATE]_<user id>_<file id>_<file name>``,
  ``<name>`` the sortable name lower-cased with everything but letters and digits removed
  (``smithjohn``); anonymous grading gives ``[LATE_]anon_<id>`` instead of name and user id;
  text and link entries end ``_text.html`` and ``_link.html``; a second file of one name gets
  ``-1`` before its extension (instructure/canvas-lms, ``lib/content_zipper.rb``,
  ``Attachment.make_unique_filename``).
- Moodle, "Download all submissions": ``<Full Name>_<participant id>_assignsubmission_file`` as a
  folder (a trailing ``_`` before Moodle 4.1) or, with "download submissions in folders" off, as
  the prefix of each file name; the participant id is the worksheet's ``Participant <id>``
  (moodle/moodle, ``mod/assign/classes/downloader.php``, ``feedback/file/importziplib.php``).
- Blackboard Learn, "Assignment File Download": loose files
  ``<assignment>_<username>_attempt_<YYYY-MM-DD-HH-MM-SS>_<file name>`` and a receipt
  ``..._attempt_<time>.txt`` per attempt whose ``Name:`` line ends ``(<username>)`` and which maps
  each stored ``Filename:`` to its ``Original filename:`` (Blackboard's help pages; CodeGra.de's
  ``psef/blackboard.py``). Usernames and assignment names may both hold ``_``: the receipt, else
  the prefix every file shares, tells them apart.
- Brightspace (D2L), assignment "Download": a folder per submission,
  ``<n>-<n> - <First Last> - <Mon D, YYYY HMM AM>``, or the same with `` - <file name>`` as loose
  files, and an ``index.html``. What the two numbers are is not documented: students are matched
  to the roster by name, and folders are one student's attempts when the name and the second
  number agree (public grading scripts of several universities).
- Gradescope, "Export Submissions": ``submission_<id>/`` folders and ``submission_metadata.yml``,
  whose ``:submitters:`` give each submission's names, student ids and emails.

A download may sit inside one folder (the archive's own, or ``assignment_<id>_export/``). A
student's attempts are put in order, the latest last: ``latest`` grades the latest alone (the
report names the others), ``all`` grades each, numbered from the earliest (``_attempt1``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from grader.intake.folders import LITTER, pick
from grader.intake.listing import Item, Listing, Parts, display, searched
from grader.intake.submission import Submission
from grader.report import SYSTEM_TITLES, Member, Student, System

Handed = tuple[str, Parts, Item]
"""A student's file: its name as they named it (``/`` between folders), where it is, and the item."""
METADATA_BYTES = 16 << 20
RECEIPT_BYTES = 1 << 16


@dataclass
class HandIn:
    """One attempt of one student in a download."""

    key: str
    """The same for every attempt of one student."""
    id: str
    student: Student
    files: list[Handed]
    where: Parts
    """The student's folder, or the folder their loose files are in."""
    entries: list[Parts]
    """The listing entries it is made of."""
    order: str = ""
    """Sorts one student's attempts, the latest last."""
    own_folder: bool = False
    """Whether ``where`` is the student's own folder (else their files lie loose among others')."""


def _root_entries(listing: Listing, base: Parts) -> tuple[dict[str, Item], list[str]]:
    folder = listing.folders[base]
    return folder.files, folder.folders


def canvas(listing: Listing, base: Parts) -> list[HandIn]:
    files, _ = _root_entries(listing, base)
    found: dict[str, HandIn] = {}
    for name, item in files.items():
        match = _CANVAS_ANONYMOUS.match(name) or _CANVAS.match(name)
        if not match:
            continue
        fields = match.groupdict()
        anonymous = fields.get("anonymous")
        key = f"anon_{anonymous}" if anonymous else f"{fields['name']}_{fields['user']}"
        hand_in = found.setdefault(key, HandIn(key, key, Student(
            system="canvas", name=None if anonymous else fields["name"], lms_id=None if anonymous else fields["user"],
            late=False, entry=key), [], base, []))
        if fields["late"]:
            hand_in.student = dataclasses.replace(hand_in.student, late=True)
        hand_in.entries.append((*base, name))
        hand_in.files.append((fields["file"] or fields["kind"], (*base, name), item))
    return list(found.values())


_CANVAS_TAIL = r"_(?:(?P<file_id>\d+)_(?P<file>.+)|(?P<kind>text\.html|link\.html))$"
_CANVAS = re.compile(r"^(?P<name>.+?)(?P<late>_LATE)?_(?P<user>\d+)" + _CANVAS_TAIL, re.DOTALL)
_CANVAS_ANONYMOUS = re.compile(r"^(?P<late>LATE_)?anon_(?P<anonymous>[A-Za-z0-9]+)" + _CANVAS_TAIL, re.DOTALL)


_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z0-9]+)(?:_(?P<rest>.*))?$",
                     re.DOTALL)


def moodle(listing: Listing, base: Parts) -> list[HandIn]:
    files, folders = _root_entries(listing, base)
    found: dict[str, HandIn] = {}
    entries = [(name, None) for name in folders] + list(files.items())
    for name, item in entries:
        match = _MOODLE.match(name)
        if not match or (item is None) != (not match["rest"]):
            continue
        key = f"{match['name']}_{match['pid']}"
        hand_in = found.setdefault(key, HandIn(key, key, Student(system="moodle", name=match["name"],
                                                                 lms_id=match["pid"], entry=key), [], base, [],
                                               own_folder=item is None))
        hand_in.where = (*base, name) if item is None else base
        hand_in.entries.append((*base, name))
        if match["plugin"] == "file":  # the name Moodle's feedback upload reads back, as this download spells it
            hand_in.student = dataclasses.replace(hand_in.student, entry=display(name) if item is None
                                                  else display(f"{key}_assignsubmission_file"))
        if item is None:
            hand_in.files += listing.handed_below((*base, name))
        else:
            hand_in.files.append((match["rest"], (*base, name), item))
    return list(found.values())


_BLACKBOARD = re.compile(r"^(?P<prefix>.+?)_attempt_(?P<when>\d{4}(?:-\d\d){5})(?:_(?P<file>.+)|\.txt)$", re.DOTALL)
"""The first ``_attempt_<time>``: what follows it is the student's own file name, which may hold another."""
_RECEIPT_NAME = re.compile(r"^Name:\s*(?P<name>.*?)\s*\((?P<user>[^()]+)\)\s*$", re.MULTILINE)
_RECEIPT_FILES = re.compile(r"^\s*Original filename:\s*(?P<original>.+?)\s*\n\s*Filename:\s*(?P<stored>.+?)\s*$",
                            re.MULTILINE)


def _receipt(item: Item) -> tuple[str | None, str | None, dict[str, str]]:
    """A Blackboard receipt's student name, username, and original file name of each stored file."""
    if item.problem:
        return None, None, {}
    try:
        text = item.origin.read(RECEIPT_BYTES).decode("utf-8", "replace")
    except OSError:
        return None, None, {}
    named = _RECEIPT_NAME.search(text)
    originals = {match["stored"]: match["original"] for match in _RECEIPT_FILES.finditer(text)}
    return (named["name"] or None, named["user"], originals) if named else (None, None, originals)


def _valid_time(when: str) -> bool:
    try:
        datetime.strptime(when, "%Y-%m-%d-%H-%M-%S")
    except ValueError:
        return False
    return True


def _common_prefix(prefixes: set[str]) -> str | None:
    """The assignment name: what every ``<assignment>_<username>`` shares, up to an ``_``."""
    if len(prefixes) < 2:
        return None
    first, last = min(prefixes), max(prefixes)
    shared = next((i for i, (a, b) in enumerate(zip(first, last)) if a != b), min(len(first), len(last)))
    cut = first.rfind("_", 0, shared + 1)
    return first[:cut] if cut > 0 else None


def blackboard(listing: Listing, base: Parts) -> list[HandIn]:
    files, _ = _root_entries(listing, base)
    matches = [(name, item, match) for name, item in files.items()
               if (match := _BLACKBOARD.match(name)) and _valid_time(match["when"])]
    receipts = {(m["prefix"], m["when"]): _receipt(item) for name, item, m in matches if name.endswith(".txt")
                and m["file"] is None}
    assignment = _common_prefix({m["prefix"] for _, _, m in matches})
    found: dict[tuple[str, str], HandIn] = {}
    for name, item, match in matches:
        prefix, when = match["prefix"], match["when"]
        student_name, user, originals = receipts.get((prefix, when), (None, None, {}))
        if not user or not prefix.endswith(f"_{user}"):  # a receipt of another username says nothing of this one
            student_name, originals = None, {}
            user = prefix[len(assignment) + 1:] if assignment and prefix.startswith(f"{assignment}_") else \
                prefix.rpartition("_")[2]
        attempt = datetime.strptime(when, "%Y-%m-%d-%H-%M-%S").strftime("%Y-%m-%d %H:%M:%S")
        entry = f"{prefix}_attempt_{when}"
        hand_in = found.setdefault((user, when), HandIn(user, user, Student(
            system="blackboard", name=student_name, lms_id=user, attempt=attempt, entry=entry), [], base, [], when))
        hand_in.entries.append((*base, name))
        if match["file"] is not None:
            hand_in.files.append((originals.get(name, match["file"]), (*base, name), item))
    return list(found.values())


_BRIGHTSPACE = re.compile(r"^(?P<ids>\d+-\d+) - (?P<name>.+?) - (?P<date>[A-Z][a-z]{2} \d{1,2}, \d{4} "
                          r"(?P<hour>\d{1,2})(?P<minute>\d\d) (?P<half>[AP]M))(?: - (?P<file>.+))?$", re.DOTALL)


def _brightspace_time(match: re.Match[str]) -> str:
    day = datetime.strptime(match["date"].rsplit(" ", 2)[0], "%b %d, %Y")
    hour = int(match["hour"]) % 12 + (12 if match["half"] == "PM" else 0)
    return day.replace(hour=hour, minute=int(match["minute"])).isoformat()


def brightspace(listing: Listing, base: Parts) -> list[HandIn]:
    files, folders = _root_entries(listing, base)
    found: dict[tuple[str, str], HandIn] = {}
    for name, item in [(name, None) for name in folders] + list(files.items()):
        match = _BRIGHTSPACE.match(name)
        if not match or (item is None) != (match["file"] is None):
            continue
        try:
            order = _brightspace_time(match)
        except ValueError:
            continue
        # one student's attempts share the name and the second number (two students may share a name)
        key = " ".join(match["name"].split()).casefold() + "|" + match["ids"].partition("-")[2]
        entry = f"{match['ids']} - {match['name']} - {match['date']}"
        hand_in = found.setdefault((key, entry), HandIn(key, match["name"], Student(
            system="brightspace", name=match["name"], lms_id=match["ids"].partition("-")[2], attempt=match["date"],
            entry=entry),
            [], (*base, name) if item is None else base, [], order, own_folder=item is None))
        hand_in.entries.append((*base, name))
        if item is None:
            hand_in.files += listing.handed_below((*base, name))
        else:
            hand_in.files.append((match["file"], (*base, name), item))
    if found and "index.html" in files:
        next(iter(found.values())).entries.append((*base, "index.html"))
    return list(found.values())


_GRADESCOPE = re.compile(r"^submission_(?P<id>\d+)$")


def _submitters(item: Item | None) -> dict[str, dict[str, object]]:
    """``submission_metadata.yml``: each submission folder's metadata; nothing when it cannot be read.

    Read with PyYAML's safe loader (its C version when present), at most ``METADATA_BYTES``, and
    refused if it uses aliases (a "billion laughs" expands them without end)."""
    if item is None or item.problem:
        return {}
    import yaml  # here: only a Gradescope export needs it, and it takes 30 ms to import

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        text = item.origin.read(METADATA_BYTES)
        if any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=loader)):
            return {}
        metadata = yaml.load(text, Loader=loader)  # noqa: S506 - the safe loader
    except Exception:  # noqa: BLE001 - whatever the file holds, the submissions are graded without it
        return {}
    return {str(key): value for key, value in metadata.items() if isinstance(value, dict)} \
        if isinstance(metadata, dict) else {}


def _scalar(value: object) -> str | None:
    """A plain value of the metadata as text; anything else (a list, a mapping) as nothing."""
    return str(value) if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value) else None


def gradescope(listing: Listing, base: Parts) -> list[HandIn]:
    files, folders = _root_entries(listing, base)
    metadata = _submitters(files.get("submission_metadata.yml"))
    found = []
    for name in folders:
        match = _GRADESCOPE.match(name)
        if not match:
            continue
        about = metadata.get(name, {})
        submitters = about.get(":submitters")
        people = [person for person in submitters if isinstance(person, dict)] if isinstance(submitters, list) else []

        def field(key: str, people: list[dict[str, object]] = people) -> list[str]:
            return [text for person in people if (text := _scalar(person.get(key)))]

        names = field(":name")
        created = _scalar(about.get(":created_at")) if not isinstance(about.get(":created_at"), datetime) else \
            str(about.get(":created_at"))
        members = [Member(name=_scalar(person.get(":name")), lms_id=_scalar(person.get(":sid")),
                          email=_scalar(person.get(":email"))) for person in people]
        student = Student(system="gradescope", name=", ".join(names) or None, lms_id=next(iter(field(":sid")), None),
                          email=next(iter(field(":email")), None), attempt=created,
                          entry=name, members=members if len(members) > 1 else [])
        identifier = f"{names[0]}_{match['id']}" if names else name
        found.append(HandIn(name, identifier, student, listing.handed_below((*base, name)),
                            (*base, name), [(*base, name)], own_folder=True))
    if found and "submission_metadata.yml" in files:
        found[0].entries.append((*base, "submission_metadata.yml"))
    return found


@dataclass(frozen=True)
class Layout:
    name: System
    claim: Callable[[Listing, Parts], list[HandIn]]

    @property
    def title(self) -> str:
        return SYSTEM_TITLES[self.name]


LAYOUTS: dict[str, Layout] = {layout.name: layout for layout in (
    Layout("canvas", canvas),
    Layout("moodle", moodle),
    Layout("blackboard", blackboard),
    Layout("brightspace", brightspace),
    Layout("gradescope", gradescope),
)}
CHOICES = ("auto", "plain", *LAYOUTS)
"""What ``--layout`` accepts."""


def _kept(listing: Listing, base: Parts) -> tuple[list[str], list[str]]:
    """The entries of a download's folder that count: not an operating system's or a tool's litter
    (``.DS_Store``, ``__MACOSX/`` from a Mac's zip, hidden folders)."""
    files, folders = _root_entries(listing, base)
    return [name for name in files if not LITTER.match(name)], [name for name in folders if searched(name)]


def _detect(listing: Listing, base: Parts, forced: str | None) -> tuple[Layout | None, list[HandIn]]:
    files, folders = _kept(listing, base)
    best: tuple[Layout | None, list[HandIn], int] = (None, [], 0)
    for candidate in LAYOUTS.values():
        if forced not in (None, candidate.name):
            continue
        hand_ins = candidate.claim(listing, base)
        claimed = len({entry for hand_in in hand_ins for entry in hand_in.entries})
        if claimed > best[2]:
            best = (candidate, hand_ins, claimed)
    layout, hand_ins, claimed = best
    if not claimed or (forced is None and claimed * 2 < len(files) + len(folders)):
        return None, []
    return layout, hand_ins


def detect(listing: Listing, forced: str | None = None) -> tuple[Layout | None, list[HandIn], Parts]:
    """The layout of a download, its students' attempts, and the folder it is in; (None, [], ()) for a
    plain folder. A download that sits alone inside one folder (beside litter) is found there.
    ``forced``: the layout to use, whatever fits best (and named even when nothing fits it)."""
    base: Parts = ()
    while True:
        layout, hand_ins = _detect(listing, base, forced)
        if layout is not None:
            return layout, hand_ins, base
        files, folders = _kept(listing, base)
        if len(folders) != 1 or files or (*base, folders[0]) not in listing.folders:
            return (LAYOUTS[forced] if forced else None), [], ()
        base = (*base, folders[0])


def submissions(listing: Listing, layout: Layout, hand_ins: list[HandIn], filename: str,
                attempts: str) -> list[Submission]:
    """One submission per student (``attempts="latest"``) or per attempt (``"all"``), each carrying the
    student's identity; the report of a latest attempt names the attempts not graded."""
    by_student: dict[str, list[HandIn]] = {}
    for hand_in in hand_ins:
        by_student.setdefault(hand_in.key, []).append(hand_in)
    found = []
    for tries in by_student.values():
        tries.sort(key=lambda hand_in: hand_in.order)
        for number, hand_in in enumerate(tries, 1):
            if attempts != "all" and number < len(tries):
                continue
            identifier = f"{hand_in.id}_attempt{number}" if attempts == "all" and len(tries) > 1 else hand_in.id
            submission = pick(listing, hand_in.where, hand_in.files, filename, display(identifier), hand_in.student,
                              hand_in.own_folder)
            if len(tries) > 1 and attempts != "all":
                earlier = ", ".join(t.student.attempt or display(t.student.entry) for t in tries[:-1])
                earlier_ones = "the earlier one" if len(tries) == 2 else "the earlier ones"
                note = (f"the latest of {len(tries)} attempts in the {layout.title} download was graded; "
                        f"{earlier_ones} ({earlier}) {'was' if len(tries) == 2 else 'were'} not "
                        "(--attempts all grades each)")
                submission = dataclasses.replace(submission, selection=f"{submission.selection}; {note}"
                                                 if submission.selection else note)
            found.append(submission)
    return found
