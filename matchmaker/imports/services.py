"""Importing a CSV file of opportunities: check the upload, then run it row by row.

Two steps, so a web page can show progress:

1. :func:`create_run` reads the uploaded bytes, refuses a file that is not a
   readable CSV with the expected columns (:class:`ImportFileError`, a message
   for the person), and stores an :class:`ImportRun` holding the text.
2. :func:`run_import` (a job, or the CLI) imports each row inside its own
   SAVEPOINT, so one bad row is reported and rolled back while the others stay.
   Progress is committed every :data:`PROGRESS_EVERY` rows; the progress page
   reads those counts. Re-importing updates the rows found by their import key
   (``nyc:<opportunity_id>``) instead of adding new ones.

Line numbers are the file's own (the header is line 1), taken from
``csv.reader.line_num`` so a quoted field spanning lines does not shift them.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from matchmaker.db import utcnow
from matchmaker.geo import GeocoderUnavailable, UnknownPlace, geocode_place
from matchmaker.imports import nyc
from matchmaker.models import ImportRun, Opportunity, Organization, User
from matchmaker.opportunities.recurrence import to_utc
from matchmaker.opportunities.schema import ONE_OFF, OpportunityInput
from matchmaker.opportunities.services import (
    OpportunityError,
    create_opportunity,
    update_opportunity,
)

log = logging.getLogger(__name__)

#: Commit the counts (what the progress page shows) this often.
PROGRESS_EVERY = 25
#: The largest file the upload form takes (the real NYC file is 0.44 MB).
MAX_BYTES = 5 * 1024 * 1024
#: More rows than this is not a neighbourhood's list; it would tie a worker up for long.
MAX_ROWS = 20_000
#: The problems list keeps this many entries (and says how many more there were).
MAX_PROBLEMS = 5_000
FILENAME_MAX = 200

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class ImportFileError(ValueError):
    """The file as a whole cannot be imported; the message says why and what to do."""


# --- step 1: the upload -----------------------------------------------------------------

def decode_upload(raw: bytes, filename: str) -> str:
    """The text of an uploaded CSV file. Raises ImportFileError in plain words."""
    name = (filename or "").lower()
    if name.endswith((".xlsx", ".xls", ".ods", ".numbers")):
        raise ImportFileError(
            "This is a spreadsheet file, not a CSV file. In your spreadsheet program, "
            "choose “Save as” (or “Download”) and pick “CSV UTF-8”, then upload that file.")
    if not raw.strip():
        raise ImportFileError("This file is empty. Please choose the CSV file with your "
                              "opportunities in it.")
    if len(raw) > MAX_BYTES:
        raise ImportFileError(f"This file is too large: the most we can take is "
                              f"{MAX_BYTES // (1024 * 1024)} MB.")
    if b"\x00" in raw[:65536]:
        raise ImportFileError("This does not look like a CSV file (it contains binary data). "
                              "Please upload a file saved as “CSV UTF-8”.")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            "We could not read the letters in this file: it is not saved as UTF-8. "
            "In your spreadsheet program, choose “Save as” and pick “CSV UTF-8”.") from None


def iter_rows(text: str) -> Iterator[tuple[int, dict[str, str | None]]]:
    """(line number of the row's first line, row) for every non-blank data row.

    Raises ImportFileError when the header lacks a required column, and
    ``csv.Error`` for text the csv module cannot read.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise ImportFileError("This file has no header line. The first line must name the "
                              "columns (opportunity_id, title, summary, …).")
    missing = nyc.missing_columns(header)
    if missing:
        raise ImportFileError(
            "This file does not have the columns we need. Missing: " + ", ".join(missing)
            + ". It should be an export of NYC Service volunteer opportunities.")
    names = [h.strip() for h in header]
    line = reader.line_num + 1
    for cells in reader:
        if any(c.strip() for c in cells):
            yield line, dict(zip(names, cells + [""] * (len(names) - len(cells)), strict=False))
        line = reader.line_num + 1


def count_rows(text: str) -> int:
    """How many data rows ``text`` has; checks it can be read at all (ImportFileError)."""
    try:
        total = sum(1 for _ in iter_rows(text))
    except csv.Error as exc:
        raise ImportFileError(f"This file is not a CSV file we can read ({exc}).") from None
    if total == 0:
        raise ImportFileError("This file has the right columns but no rows of opportunities.")
    if total > MAX_ROWS:
        raise ImportFileError(f"This file has {total:,} rows; the most one import takes is "
                              f"{MAX_ROWS:,}. Please split it into smaller files.")
    return total


def create_run(session: Session, organization: Organization, author: User | None,
               filename: str, raw: bytes) -> ImportRun:
    """A queued ImportRun holding the file. Raises ImportFileError (nothing is added then)."""
    text = decode_upload(raw, filename)
    total = count_rows(text)
    run = ImportRun(organization_id=organization.id,
                    created_by_id=author.id if author else None,
                    filename=(filename or "upload.csv")[:FILENAME_MAX], status=QUEUED,
                    total_rows=total, payload=text, problems=[])
    session.add(run)
    session.flush()
    return run


def runs_of(organization: Organization) -> Select:
    """The organization's imports, newest first."""
    return (select(ImportRun).where(ImportRun.organization_id == organization.id)
            .order_by(ImportRun.created_at.desc(), ImportRun.id.desc()))


# --- step 2: the rows ---------------------------------------------------------------------

class RowSkipped(Exception):
    """This row is not imported; ``reason`` goes into the report."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def validation_now(data: OpportunityInput) -> datetime | None:
    """The moment to validate a row against: now, or just before its own date.

    The "already passed" rule is for people typing a new date. An imported row
    from the past is history, kept as it was in a draft that cannot be published
    until someone gives it a new date (``publish`` refuses dates that have passed).
    """
    if data.kind != ONE_OFF or data.start_local is None:
        return None
    try:
        start = to_utc(data.start_local, data.timezone)
    except (ValueError, KeyError):
        return None  # validate() reports the bad time zone
    return start - timedelta(minutes=1) if start < utcnow() else None


def _with_place(session: Session, parsed: nyc.ParsedRow) -> OpportunityInput:
    """The row's data with a point: its own, or its ZIP code geocoded."""
    data = parsed.data
    if data.is_remote or data.lat is not None:
        return data
    try:
        place = geocode_place(session, parsed.place_query)
    except GeocoderUnavailable:
        raise RowSkipped("the place lookup service could not be reached; import the file "
                         "again later to add this row") from None
    except UnknownPlace:
        raise RowSkipped(f"no place: ZIP code {parsed.place_query} could not be found, and "
                         "there are no usable coordinates") from None
    return replace(data, lat=place.latitude, lon=place.longitude,
                   place=data.place or place.label)


def _reason(errors: dict[str, str]) -> str:
    return " ".join(errors.values())


class _Importer:
    """One run's state: the organization, who imports, keys already in the database."""

    def __init__(self, session: Session, run: ImportRun) -> None:
        self.session = session
        self.run = run
        self.organization = session.get(Organization, run.organization_id)
        self.author = session.get(User, run.created_by_id) if run.created_by_id else None
        self.existing: dict[str, int] = dict(session.execute(
            select(Opportunity.source_key, Opportunity.id).where(
                Opportunity.organization_id == run.organization_id,
                Opportunity.source_key.is_not(None))
        ).all())
        self.seen: dict[str, int] = {}

    def import_row(self, line: int, raw: dict) -> str:
        """Save one row; "created" or "updated". Raises RowSkipped."""
        parsed = nyc.parse_row(raw)
        if isinstance(parsed, nyc.RowProblem):
            raise RowSkipped(parsed.reason)
        key = parsed.source_key
        if key in self.seen:
            raise RowSkipped(f"the same opportunity_id as line {self.seen[key]} "
                             "(only the first is imported)")
        self.seen[key] = line
        data = _with_place(self.session, parsed)
        now = validation_now(data)
        try:
            if key in self.existing:
                opp = self.session.get(Opportunity, self.existing[key])
                update_opportunity(self.session, opp, data, now=now)
                return "updated"
            opp = create_opportunity(self.session, self.organization, self.author, data,
                                     source_key=key, now=now)
        except OpportunityError as exc:
            raise RowSkipped(_reason(exc.errors)) from None
        self.existing[key] = opp.id
        return "created"


def _skip(run: ImportRun, line: int, reason: str) -> None:
    run.skipped_count += 1
    if len(run.problems) < MAX_PROBLEMS:
        # A new list: JSON columns notice reassignment, not in-place appends.
        run.problems = [*run.problems, {"line": line, "reason": reason}]


def run_import(session: Session, run_id: int, *,
               on_progress: Callable[[ImportRun], None] | None = None) -> ImportRun | None:
    """Import every row of a queued run, committing progress as it goes.

    Safe to run twice: a run that is already running or done is left alone
    (returns it unchanged), and rows are matched by their import key anyway.
    Returns None when the run no longer exists.
    """
    run = session.get(ImportRun, run_id, with_for_update=True)
    if run is None:
        return None
    if run.status != QUEUED:
        session.rollback()
        return run
    run.status = RUNNING
    run.processed_rows = run.created_count = run.updated_count = run.skipped_count = 0
    run.problems = []
    session.commit()
    try:
        importer = _Importer(session, run)
        for line, raw in iter_rows(run.payload):
            try:
                with session.begin_nested():
                    outcome = importer.import_row(line, raw)
            except RowSkipped as exc:
                _skip(run, line, exc.reason)
            except Exception as exc:
                log.exception("import %s: line %s could not be saved", run.id, line)
                _skip(run, line, f"could not be saved ({type(exc).__name__}); "
                                 "the error has been logged")
            else:
                if outcome == "created":
                    run.created_count += 1
                else:
                    run.updated_count += 1
            run.processed_rows += 1
            if run.processed_rows % PROGRESS_EVERY == 0:
                session.commit()
                if on_progress:
                    on_progress(run)
    except Exception:
        log.exception("import %s failed part-way", run.id)
        session.rollback()
        run = session.get(ImportRun, run_id)
        run.status = FAILED
        run.finished_at = utcnow()
        run.problems = [*run.problems, {"line": 0, "reason": (
            "The import stopped because of an error on our side. The rows counted above "
            "were saved; importing the same file again adds the rest without duplicates.")}]
        session.commit()
        raise
    run.status = DONE
    run.finished_at = utcnow()
    run.payload = ""  # kept only until the job has read it
    session.commit()
    if on_progress:
        on_progress(run)
    return run
