"""The .ics builder: parsed back with icalendar, times right across daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar

from matchmaker.signups.ics import CalendarEvent, build_calendar

STAMP = datetime(2030, 1, 1, tzinfo=UTC)


def _event(uid="signup-1@example.org", start=datetime(2030, 3, 9, 14, 0, tzinfo=UTC),
           end=datetime(2030, 3, 9, 16, 0, tzinfo=UTC), **kw):
    return CalendarEvent(uid=uid, title="Sort food", starts_at=start, ends_at=end,
                         timezone="America/New_York", location="Park Slope",
                         description="Details: https://x/opportunities/1",
                         url="https://x/opportunities/1", **kw)


def test_event_has_vtimezone_and_local_times_on_both_sides_of_dst():
    # 2030-03-10 is the US spring-forward Sunday: 09:00 local is 14:00Z before, 13:00Z after.
    before = _event("a@x", datetime(2030, 3, 9, 14, tzinfo=UTC),
                    datetime(2030, 3, 9, 16, tzinfo=UTC))
    after = _event("b@x", datetime(2030, 3, 16, 13, tzinfo=UTC),
                   datetime(2030, 3, 16, 15, tzinfo=UTC))
    cal = Calendar.from_ical(build_calendar([before, after], stamp=STAMP))
    [tz] = cal.walk("VTIMEZONE")
    assert str(tz["TZID"]) == "America/New_York"
    events = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    for uid in ("a@x", "b@x"):
        start = events[uid].decoded("DTSTART")
        assert (start.hour, start.minute) == (9, 0)
        assert events[uid]["DTSTART"].params["TZID"] == "America/New_York"
    assert events["a@x"].decoded("DTSTART").astimezone(UTC).hour == 14
    assert events["b@x"].decoded("DTSTART").astimezone(UTC).hour == 13
    assert events["a@x"].decoded("DTEND").hour == 11
    assert str(events["a@x"]["LOCATION"]) == "Park Slope"
    assert "opportunities/1" in str(events["a@x"]["DESCRIPTION"])


def test_uid_is_stable_and_file_is_deterministic():
    one = build_calendar([_event()], stamp=STAMP)
    two = build_calendar([_event()], stamp=STAMP)
    assert one == two
    [event] = Calendar.from_ical(one).walk("VEVENT")
    assert str(event["UID"]) == "signup-1@example.org"


def test_small_act_is_an_all_day_event_on_its_do_by_day():
    # Window ends at local midnight after the do-by day (05:00Z in winter).
    item = _event(start=datetime(2030, 1, 1, 12, tzinfo=UTC),
                  end=datetime(2030, 1, 16, 5, tzinfo=UTC), all_day=True)
    [event] = Calendar.from_ical(build_calendar([item], stamp=STAMP)).walk("VEVENT")
    assert event.decoded("DTSTART") == date(2030, 1, 15)
    assert event.decoded("DTEND") == date(2030, 1, 16)


def test_empty_feed_is_still_a_valid_calendar():
    cal = Calendar.from_ical(build_calendar([], name="mine", stamp=STAMP))
    assert cal.walk("VEVENT") == [] and str(cal["X-WR-CALNAME"]) == "mine"
