"""The pure row parser: messy NYC cells in, an OpportunityInput or a precise reason out."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from matchmaker import vocab
from matchmaker.imports import cleaning, nyc
from matchmaker.opportunities.schema import validate

LOCALITY = ("{'longitude': '-73.98923530081726', 'latitude': '40.74053152272978', "
            "'human_address': '{\"address\": \"5 22nd St\", \"city\": \"New York\", "
            "\"state\": \"NY\", \"zip\": \"10010\"}'}")


def row(**overrides) -> dict[str, str]:
    base = {
        "opportunity_id": "5008", "vol_requests": "2", "title": "Web designer",
        "summary": "Build a website for an Afghan business", "category_desc":
        "Strengthening Communities", "org_title": "Bpeace", "locality": LOCALITY,
        "region": "NY", "Postcode": "10010", "recurrence_type": "onetime", "hours": "0",
        "start_date_date": "February 01 2011", "end_date_date": "February 01 2011",
        "Latitude": "", "Longitude": "",
    }
    base.update(overrides)
    return base


def parsed(**overrides) -> nyc.ParsedRow:
    result = nyc.parse_row(row(**overrides))
    assert isinstance(result, nyc.ParsedRow), result
    return result


def problem(**overrides) -> str:
    result = nyc.parse_row(row(**overrides))
    assert isinstance(result, nyc.RowProblem), result
    return result.reason


# --- cells ------------------------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("February 24 2011", date(2011, 2, 24)),
    ("Feb 24, 2011", date(2011, 2, 24)),
    ("2011-02-24", date(2011, 2, 24)),
    ("02/24/2011", date(2011, 2, 24)),
    ("  February   24 2011 ", date(2011, 2, 24)),
    ("", None),
])
def test_dates_in_common_spellings(raw, expected):
    assert cleaning.parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["February 30 2011", "soon", "24/24/2011"])
def test_unreadable_date_says_what_it_saw(raw):
    with pytest.raises(cleaning.CellError, match="not a date"):
        cleaning.parse_date(raw)


def test_html_and_entities_are_removed():
    assert cleaning.clean_text("<b>Help</b> &amp;amp; <i>cook</i>&nbsp;!") == "Help & cook !"
    assert cleaning.clean_text("one<br>two<p>three</p>", multiline=True) == "one\ntwo\nthree"
    assert cleaning.clean_text("a\x00b  \t c") == "ab c"


def test_truncate_cuts_at_a_word_with_an_ellipsis():
    cut = cleaning.truncate("word " * 50, 140)
    assert len(cut) <= 140 and cut.endswith("word…")
    assert cleaning.truncate("short", 140) == "short"


@pytest.mark.parametrize("lat, lon, ok", [
    ("40.7", "-73.9", True), ("nan", "-73.9", False), ("40.7", "inf", False),
    ("91", "0", False), ("40", "-181", False), ("0", "0", False), ("x", "1", False),
    (None, None, False),
])
def test_points_are_validated(lat, lon, ok):
    assert (cleaning.valid_point(lat, lon) is not None) is ok


def test_literal_dict_never_evaluates_code():
    assert cleaning.literal_dict("{'a': __import__('os').system('true')}") == {}
    assert cleaning.literal_dict("[1, 2]") == {}
    assert cleaning.literal_dict("{'latitude': '1'}") == {"latitude": "1"}


# --- rows -------------------------------------------------------------------------------

def test_a_good_row_becomes_a_valid_one_off_with_a_pin():
    result = parsed()
    data = result.data
    assert result.source_key == "nyc:5008"
    assert (data.lat, data.lon) == pytest.approx((40.7405315, -73.9892353))
    assert data.place == "5 22nd St, New York, NY 10010"
    assert data.kind == "one_off" and data.start_local == datetime(2011, 2, 1, 10, 0)
    assert data.timezone == "America/New_York"
    assert "Originally posted on NYC Service by Bpeace." in data.description
    assert validate(data, now=datetime(2011, 1, 1).astimezone()) == {}


@pytest.mark.parametrize("category, cause", list(nyc.CATEGORY_CAUSES.items()))
def test_every_category_maps_to_a_known_cause(category, cause):
    assert cause in vocab.CAUSES
    assert parsed(category_desc=category.title(), title="Help out",
                  summary="x").data.causes[0] == cause


def test_keyword_causes_and_skills_are_from_the_vocabularies():
    for key in nyc.KEYWORD_CAUSES.values():
        assert key in vocab.CAUSES
    for key in nyc.KEYWORD_SKILLS.values():
        assert key in vocab.SKILLS
    data = parsed(category_desc="", title="Visit a senior", summary="Spanish translator").data
    assert data.causes == ["older-people"] and data.skills == ["languages"]


def test_blank_category_is_fine():
    assert parsed(category_desc="", title="Help", summary="").data.causes == []


@pytest.mark.parametrize("raw, places", [("99", 50), ("999", 50), ("9999", 50), ("12", 12),
                                          ("", 10), ("0", 10), ("25000", 10000)])
def test_capacity_sentinels_mean_many(raw, places):
    result = parsed(vol_requests=raw)
    assert result.data.capacity == places
    assert bool(result.notes) == (raw not in {"12"})


def test_ongoing_keeps_its_window_in_the_description():
    data = parsed(recurrence_type="ongoing", start_date_date="February 24 2011",
                  end_date_date="February 24 2012").data
    assert data.kind == "one_off" and data.start_local.date() == date(2011, 2, 24)
    assert "any time from 24 February 2011 to 24 February 2012" in data.description


def test_postcode_only_rows_ask_for_geocoding():
    result = parsed(locality="", Postcode="11205")
    assert result.data.lat is None and result.place_query == "11205"
    assert result.data.place == ""  # the geocoder's label is used instead


@pytest.mark.parametrize("locality", [
    "{'longitude': 'nan', 'latitude': 'nan'}", "{'longitude': '-73.9', 'latitude': '95'}",
    "not a dict", "{'latitude': '40.7'}",
])
def test_bad_coordinates_fall_back_to_the_postcode(locality):
    result = parsed(locality=locality, Postcode="10001")
    assert result.data.lat is None and result.place_query == "10001"


def test_the_latitude_columns_are_a_second_source():
    result = parsed(locality="", Latitude="40.71", Longitude="-73.98")
    assert (result.data.lat, result.data.lon) == (40.71, -73.98)


def test_four_digit_zip_gets_its_leading_zero_back():
    assert parsed(locality="", Postcode="2114").place_query == "02114"


@pytest.mark.parametrize("overrides, reason", [
    ({"title": "  <b></b> "}, "no title"),
    ({"opportunity_id": ""}, "no opportunity_id"),
    ({"start_date_date": ""}, "no start date"),
    ({"start_date_date": "someday"}, "unreadable date: “someday” is not a date"),
    ({"recurrence_type": "weekly"}, "recurrence_type “weekly” is neither"),
    ({"locality": "", "Postcode": ""}, "no place: no usable coordinates and no ZIP code"),
    ({"locality": "", "Postcode": "112112"}, "“112112” is not a 5-digit ZIP code"),
])
def test_unusable_rows_say_exactly_why(overrides, reason):
    assert reason in problem(**overrides)


def test_long_titles_are_cut_sensibly():
    data = parsed(title="Volunteer " * 30).data
    assert len(data.title) <= 140 and data.title.endswith("…")


def test_missing_columns_are_named():
    assert nyc.missing_columns(["title", "summary"])[:1] == ["opportunity_id"]
    assert nyc.missing_columns(list(row())) == []
