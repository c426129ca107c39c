"""CSV imports end to end: the real NYC file, re-imports, broken rows, uploads, permissions,
the progress page and the CLI.

The real file lives in ../shared/data beside the clone (CI has it); elsewhere its
tests are skipped loudly, and under CI=true they fail.
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

import matchmaker.config
from matchmaker.imports import services
from matchmaker.imports.nyc import REQUIRED_COLUMNS
from matchmaker.models import ImportRun, Opportunity, Role
from tests.conftest import require_service

NYC_CSV = (Path(matchmaker.config.PROJECT_ROOT).parent / "shared" / "data"
           / "nyc-service-volunteer-opportunities.csv")
HEADER = [*REQUIRED_COLUMNS, "hours"]


@pytest.fixture
def nyc_bytes() -> bytes:
    require_service("the NYC data file", NYC_CSV.is_file(), f"expected it at {NYC_CSV}")
    return NYC_CSV.read_bytes()


def good(oid: str, **overrides) -> dict[str, str]:
    cells = {
        "opportunity_id": oid, "title": f"Help out {oid}", "summary": "Sort <b>food</b> &amp; smile",
        "vol_requests": "5", "category_desc": "Health", "org_title": "Pantry",
        "locality": "{'longitude': '-73.97', 'latitude': '40.67', 'human_address': "
                    "'{\"address\": \"1 Main St\", \"city\": \"Brooklyn\", \"state\": \"NY\", "
                    "\"zip\": \"11215\"}'}",
        "Postcode": "11215", "recurrence_type": "onetime", "start_date_date": "June 01 2011",
        "end_date_date": "June 01 2011", "hours": "2",
    }
    cells.update(overrides)
    return cells


def csv_bytes(rows: list[dict[str, str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def data_rows(raw: bytes) -> int:
    return sum(1 for _ in csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


@pytest.fixture
def importer(session, make_org, make_user):
    """import_(raw) -> the finished ImportRun, for one organization."""
    owner = make_user(role=Role.ORGANIZER)
    org = make_org(name="Import Org", owner=owner)

    def import_(raw: bytes, filename: str = "file.csv") -> ImportRun:
        run = services.create_run(session, org, owner, filename, raw)
        session.commit()
        return services.run_import(session, run.id)

    import_.org = org
    import_.owner = owner
    return import_


def opportunity_count(session, org) -> int:
    return session.scalar(select(func.count()).select_from(Opportunity)
                          .where(Opportunity.organization_id == org.id))


# --- the service ---------------------------------------------------------------------------

def test_the_real_file_imports_every_usable_row_and_reimports_without_duplicates(
        session, importer, nyc_bytes, capsys):
    rows = data_rows(nyc_bytes)
    assert rows == 665
    started = time.perf_counter()
    run = importer(nyc_bytes, "nyc.csv")
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\n[imports] the real NYC file ({rows} rows) imported in {elapsed:.2f} s")

    assert run.status == "done" and run.total_rows == run.processed_rows == rows
    assert run.created_count + run.skipped_count == rows
    assert run.skipped_count == len(run.problems) and run.skipped_count <= 5
    assert opportunity_count(session, importer.org) == run.created_count
    # Every skipped line is reported with a specific reason (these three have no place).
    assert {p["line"] for p in run.problems} == {20, 251, 456}
    for problem in run.problems:
        assert problem["reason"].startswith("no place:"), problem
    assert "“112112” is not a 5-digit ZIP code" in run.problems[-1]["reason"]
    assert run.payload == ""

    imported = session.scalars(select(Opportunity).where(
        Opportunity.organization_id == importer.org.id)).all()
    assert all(o.status == "draft" and o.lat is not None and o.source_key.startswith("nyc:")
               for o in imported)
    assert all(len(o.occurrences) == 1 for o in imported)
    many = session.scalar(select(Opportunity).where(Opportunity.source_key == "nyc:5137"))
    assert many.place_label == "New York, NY 10001"  # postcode-only: geocoded

    again = importer(nyc_bytes, "nyc.csv")
    assert again.created_count == 0
    assert again.updated_count == run.created_count
    assert again.skipped_count == run.skipped_count
    assert opportunity_count(session, importer.org) == run.created_count


def test_a_broken_row_in_the_middle_does_not_stop_the_rest(session, importer):
    raw = csv_bytes([
        good("1"),
        good("2", title=""),
        good("3", start_date_date="the 32nd of Smarch"),
        good("4", summary="line one\nline two\nline three"),  # a quoted multi-line field
        good("5", locality="{'latitude': 'nan', 'longitude': 'nan'}", Postcode="00000"),
        good("1", title="Duplicate id"),
        good("6", vol_requests="99"),
    ])
    run = importer(raw)
    assert run.status == "done" and run.total_rows == run.processed_rows == 7
    assert (run.created_count, run.skipped_count) == (3, 4)
    # Row 4's summary spans three physical lines, so row 5 starts on line 8.
    assert run.problems == [
        {"line": 3, "reason": "no title"},
        {"line": 4, "reason": "unreadable date: “the 32nd of Smarch” is not a date we can read"},
        {"line": 8, "reason": "no place: ZIP code 00000 could not be found, and there are "
                              "no usable coordinates"},
        {"line": 9, "reason": "the same opportunity_id as line 2 (only the first is imported)"},
    ]
    assert opportunity_count(session, importer.org) == 3
    four = session.scalar(select(Opportunity).where(Opportunity.source_key == "nyc:4"))
    assert "line one\nline two" in four.description
    six = session.scalar(select(Opportunity).where(Opportunity.source_key == "nyc:6"))
    assert six.capacity == 50
    one = session.scalar(select(Opportunity).where(Opportunity.source_key == "nyc:1"))
    assert one.title == "Help out 1" and one.description.startswith("Sort food & smile")


def test_a_run_is_not_imported_twice(session, importer):
    run = importer(csv_bytes([good("1")]))
    assert services.run_import(session, run.id).created_count == 1  # left as it was
    assert opportunity_count(session, importer.org) == 1


def test_future_rows_validate_against_now(session, importer):
    run = importer(csv_bytes([good("f", start_date_date="January 05 2099")]))
    assert run.skipped_count == 1
    assert "more than two years away" in run.problems[0]["reason"]


# --- the upload form --------------------------------------------------------------------------

def new_url(org) -> str:
    return f"/organizations/{org.slug}/imports/new"


def upload(client, csrf, org, raw: bytes, filename: str = "opps.csv"):
    token = csrf(new_url(org))
    return client.post(new_url(org), data={"csrf_token": token,
                                           "file": (io.BytesIO(raw), filename)},
                       content_type="multipart/form-data")


def test_an_organizer_uploads_and_sees_the_report(session, client, csrf, login_as, importer):
    login_as(importer.owner)
    page = client.get(new_url(importer.org))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and "<h1>" in html
    response = upload(client, csrf, importer.org,
                      csv_bytes([good("1"), good("2", title=""), good("3")]))
    assert response.status_code == 303
    run = session.scalar(select(ImportRun).where(ImportRun.organization_id == importer.org.id))
    assert response.headers["Location"].endswith(
        f"/organizations/{importer.org.slug}/imports/{run.id}")
    # Inline mode: the job ran after the upload's commit.
    report = client.get(response.headers["Location"])
    html = report.get_data(as_text=True)
    assert report.status_code == 200 and run.status == "done"
    assert 'http-equiv="refresh"' not in html
    assert '<progress id="import-bar" max="3" value="3">' in html
    assert "<td>3</td><td>no title</td>" in html
    assert opportunity_count(session, importer.org) == 2


def test_the_progress_page_refreshes_itself_while_running(session, client, login_as, importer):
    run = ImportRun(organization_id=importer.org.id, filename="big.csv", status="running",
                    total_rows=600, processed_rows=150, created_count=140, skipped_count=10,
                    problems=[])
    session.add(run)
    session.commit()
    login_as(importer.owner)
    html = client.get(f"/organizations/{importer.org.slug}/imports/{run.id}").get_data(
        as_text=True)
    head = html.split("</head>")[0]
    assert '<meta http-equiv="refresh" content="2">' in head
    assert '<progress id="import-bar" max="600" value="150">' in html
    assert "150 of 600 rows read" in html and "Importing…" in html


@pytest.mark.parametrize("raw, filename, words", [
    (b"", "empty.csv", "This file is empty"),
    (b"   \n", "blank.csv", "This file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "photo.csv", "binary data"),
    ("title,summary\nCafé,x\n".encode("latin-1"), "latin.csv", "not saved as UTF-8"),
    (b"PK\x03\x04", "opps.xlsx", "spreadsheet file, not a CSV file"),
    (b"name,when\nBob,today\n", "other.csv", "Missing: opportunity_id, title"),
    (",".join(HEADER).encode() + b"\n", "header-only.csv", "no rows of opportunities"),
])
def test_bad_files_are_refused_with_a_clear_400(session, client, csrf, login_as, importer,
                                                raw, filename, words):
    login_as(importer.owner)
    response = upload(client, csrf, importer.org, raw, filename)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert words in html
    assert 'class="error" id="file-error"' in html
    assert session.scalar(select(func.count()).select_from(ImportRun)) == 0


def test_no_file_chosen_is_a_400(client, csrf, login_as, importer):
    login_as(importer.owner)
    token = csrf(new_url(importer.org))
    response = client.post(new_url(importer.org), data={"csrf_token": token},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Please choose the CSV file to import." in response.get_data(as_text=True)


def test_a_huge_file_gets_a_kind_413(session, client, csrf, login_as, importer):
    login_as(importer.owner)
    raw = csv_bytes([good("1")]) + b"x" * (services.MAX_BYTES + 100_000)
    response = upload(client, csrf, importer.org, raw)
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "This file is too large. The most we can take is 5 MB." in html
    assert session.scalar(select(func.count()).select_from(ImportRun)) == 0


def test_a_file_just_over_the_service_limit_is_refused_too(session, importer):
    with pytest.raises(services.ImportFileError, match="too large"):
        services.create_run(session, importer.org, None, "a.csv", b"x" * (services.MAX_BYTES + 1))


# --- who may import -----------------------------------------------------------------------------

def test_only_the_organizations_organizers_may_import_or_look(
        session, client, csrf, login_as, importer, make_org, make_user):
    run = importer(csv_bytes([good("1")]))
    show = f"/organizations/{importer.org.slug}/imports/{run.id}"
    other = make_org(name="Someone Else")
    other_organizer = make_user(role=Role.ORGANIZER)
    from matchmaker.models import Membership

    session.add(Membership(organization_id=other.id, user_id=other_organizer.id,
                           role="organizer"))
    session.commit()

    anonymous = client.get(new_url(importer.org))
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert client.get(show).status_code == 302

    for who in (other_organizer, make_user(role=Role.RESIDENT)):
        login_as(who)
        assert client.get(new_url(importer.org)).status_code == 403
        assert client.get(show).status_code == 403
        token = csrf("/")  # the sign-out form on any page carries one
        response = client.post(new_url(importer.org), data={
            "csrf_token": token, "file": (io.BytesIO(csv_bytes([good("9")])), "a.csv")},
            content_type="multipart/form-data")
        assert response.status_code == 403

    # The other organization's organizer cannot reach this run through their own slug either.
    login_as(other_organizer)
    assert client.get(f"/organizations/{other.slug}/imports/{run.id}").status_code == 404
    assert client.get("/organizations/no-such-org/imports/new").status_code == 404
    assert opportunity_count(session, importer.org) == 1


# --- the command line ---------------------------------------------------------------------------

@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["import-opportunities", *args])


def test_cli_imports_and_prints_progress(session, cli, importer, tmp_path):
    path = tmp_path / "opps.csv"
    path.write_bytes(csv_bytes([good(str(n)) for n in range(1, 61)] + [good("x", title="")]))
    result = cli("--org", importer.org.slug, "--as", importer.owner.email, str(path))
    assert result.exit_code == 0, result.output
    assert "importing 61 rows from opps.csv" in result.output
    assert "50/61 rows" in result.output and "61/61 rows (100%)" in result.output
    assert "60 created, 0 updated, 1 skipped" in result.output
    assert "line 62: no title" in result.output
    again = cli("--org", importer.org.slug, str(path))
    assert "0 created, 60 updated, 1 skipped" in again.output


@pytest.mark.parametrize("args, words", [
    (["--org", "nope", "{file}"], "no organization with the slug 'nope'"),
    (["--org", "{org}", "--as", "who@example.org", "{file}"], "no account with the email"),
    (["--org", "{org}", "{missing}"], "No such file or directory"),
    (["--org", "{org}", "{bad}"], "Missing: opportunity_id"),
])
def test_cli_bad_input_is_one_line_and_non_zero(session, cli, importer, tmp_path, args, words):
    good_file = tmp_path / "ok.csv"
    good_file.write_bytes(csv_bytes([good("1")]))
    bad_file = tmp_path / "bad.csv"
    bad_file.write_bytes(b"a,b\n1,2\n")
    values = {"{file}": str(good_file), "{org}": importer.org.slug,
              "{missing}": str(tmp_path / "missing.csv"), "{bad}": str(bad_file)}
    result = cli(*[values.get(a, a) for a in args])
    assert result.exit_code != 0
    assert words in result.output
    assert "Traceback" not in result.output
    assert session.scalar(select(func.count()).select_from(ImportRun)) == 0


def test_cli_refuses_someone_who_does_not_run_the_org(session, cli, importer, make_user,
                                                      tmp_path):
    path = tmp_path / "ok.csv"
    path.write_bytes(csv_bytes([good("1")]))
    resident = make_user(role=Role.RESIDENT)
    result = cli("--org", importer.org.slug, "--as", resident.email, str(path))
    assert result.exit_code != 0 and "is not an organizer of" in result.output
