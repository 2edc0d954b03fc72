from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from actions.parsing import (
    ChargeHint,
    TimePreference,
    from_spanish,
    match_medication,
    names_a_time,
    parse_charge_hint,
    parse_date_of_birth,
    parse_full_name,
    parse_time_preference,
    parse_zip_code,
    split_move_request,
)

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize("text", [
    "03/12/1984", "3/12/1984", "3-12-84", "March 12 1984", "march 12, 1984", "1984-03-12",
    "mar 12 84", "12th of March 1984", "my dob is 03/12/1984", "born 3.12.1984", "Mar. 12th, 1984",
])
def test_dates_of_birth_as_patients_type_them(text: str) -> None:
    assert parse_date_of_birth(text, TODAY) == date(1984, 3, 12)


@pytest.mark.parametrize("text", [
    "March 17, 1990", "03/17/1990", "17/03/1990", "17 March 1990", "1990/03/17", "03171990",
    "19900317", "031790", "mar 17 90", "the 17th of march, 1990", "3 17 1990",
])
def test_the_prompts_example_and_its_variants(text: str) -> None:
    assert parse_date_of_birth(text, TODAY) == date(1990, 3, 17)


@pytest.mark.parametrize("text", ["March 12", "how much do i owe", "12/31/2030", "", "1984",
                                  "13/45/1984", "1/1/1850", "12345678", "999999"])
def test_not_a_date_of_birth(text: str) -> None:
    assert parse_date_of_birth(text, TODAY) is None


def test_names_and_zips() -> None:
    assert parse_full_name("My name is Maria Lopez") == "Maria Lopez"
    assert parse_full_name("it's james carter") == "james carter"
    assert parse_full_name("maria") is None
    assert parse_full_name("02139") is None
    assert parse_zip_code("zip is 02139") == "02139"
    assert parse_zip_code("02139-4307") == "02139"
    assert parse_zip_code("0213") is None


# --- medications ---------------------------------------------------------------------------

MEDS: list[tuple[int, str, str | None]] = [
    (11, "Lisinopril", "blood pressure"), (12, "Atorvastatin", "cholesterol"),
    (13, "Metformin", "blood sugar"),
]


@pytest.mark.parametrize("text,expected", [
    ("lisinopril", [11]), ("Lisinopril 10 mg please", [11]), ("lisinoprl", [11]),
    ("lisnopril", [11]), ("lisin", [11]), ("atorvastatn", [12]), ("atorva", [12]),
    ("metforman", [13]), ("METFORMIN", [13]),
    ("my blood pressure pill", [11]), ("the pressure one", [11]), ("my bp meds", [11]),
    ("cholesterol med", [12]), ("cholestrol pills", [12]), ("the statin", [12]),
    ("diabetes medicine", [13]), ("sugar pills", [13]),
    ("my blood pill", [11, 13]),  # ambiguous: both purposes mention blood
    ("lisinopril and atorvastatin", [11, 12]), ("both of them", [11, 12, 13]),
    ("vitamin d", []), ("refill please", []), ("my medication", []), ("information", []),
    ("", []),
])
def test_medications_as_patients_name_them(text: str, expected: list[int]) -> None:
    assert match_medication(text, MEDS) == expected


def test_medications_without_a_purpose_on_file() -> None:
    meds: list[tuple[int, str, str | None]] = [(1, "Levothyroxine", None), (2, "Sertraline", None)]
    assert match_medication("levothyroxin", meds) == [1]
    assert match_medication("my thyroid pill", meds) == []


# --- time preferences ----------------------------------------------------------------------

NY = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=NY)  # a Friday


def ny(month: int, day: int, hour: int = 0, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=NY)


@pytest.mark.parametrize("text,start,end,part,asap", [
    ("next tuesday afternoon", ny(12, 1), ny(12, 2), "afternoon", False),
    ("after the 14th", ny(12, 15), ny(12, 29), None, False),
    ("mornings", NOW, NOW + timedelta(days=14), "morning", False),
    ("asap", NOW, NOW + timedelta(days=14), None, True),
    ("As soon as possible, mornings", NOW, NOW + timedelta(days=14), "morning", True),
    ("first available", NOW, NOW + timedelta(days=14), None, True),
    ("any time next week", ny(11, 30), ny(12, 7), None, False),
    ("next week in the evening", ny(11, 30), ny(12, 7), "evening", False),
    ("friday", ny(12, 4), ny(12, 5), None, False),  # today is Friday: the next one
    ("dec 10", ny(12, 10), ny(12, 11), None, False),
    ("Dec 10th in the morning please", ny(12, 10), ny(12, 11), "morning", False),
    ("12/10 at 4", ny(12, 10), ny(12, 11), "afternoon", False),
    ("tomorrow", ny(11, 28), ny(11, 29), None, False),
    ("today", NOW, ny(11, 28), None, False),
    ("weds", ny(12, 2), ny(12, 3), None, False),
    ("thursday at 3:30pm", ny(12, 3), ny(12, 4), "afternoon", False),
    ("the 3rd", ny(12, 3), ny(12, 4), None, False),
    ("the 30th", ny(11, 30), ny(12, 1), None, False),
    ("before tuesday", NOW, ny(12, 1), None, False),
    ("after dec 10", ny(12, 11), ny(12, 25), None, False),
    ("after next week", ny(12, 7), ny(12, 21), None, False),
    ("this week", NOW, ny(11, 30), None, False),
    ("in two weeks", ny(12, 11), ny(12, 18), None, False),
    ("december", ny(12, 1), ny(1, 1, year=2027), None, False),
    ("jan 5", ny(1, 5, year=2027), ny(1, 6, year=2027), None, False),
    ("after work", NOW, NOW + timedelta(days=14), "evening", False),
    ("whenever works", NOW, NOW + timedelta(days=14), None, False),
    ("2", NOW, NOW + timedelta(days=14), None, False),  # a numbered choice, not a date
    ("hello", NOW, NOW + timedelta(days=14), None, False),
    ("", NOW, NOW + timedelta(days=14), None, False),
])
def test_time_preferences(text: str, start: datetime, end: datetime, part: str | None,
                          asap: bool) -> None:
    pref = parse_time_preference(text, NOW, NY)
    assert (pref.start, pref.end, pref.part_of_day, pref.asap) == (start, end, part, asap)


MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=NY)


@pytest.mark.parametrize("text,day", [
    ("next tuesday", date(2026, 12, 8)),  # next week's, not tomorrow
    ("next monday", date(2026, 12, 7)),
    ("next sunday", date(2026, 12, 13)),
    ("tuesday", date(2026, 12, 1)),  # the coming one
    ("this tuesday", date(2026, 12, 1)),
    ("tomorrow", date(2026, 12, 1)),
])
def test_a_named_day_on_a_monday_and_the_day_said_back(text: str, day: date) -> None:
    pref = parse_time_preference(text, MONDAY, NY)
    assert (pref.start, pref.end, pref.day) == (
        max(MONDAY, datetime.combine(day, datetime.min.time(), NY)),
        datetime.combine(day + timedelta(days=1), datetime.min.time(), NY), day)


def test_only_a_single_named_day_is_said_back() -> None:
    assert parse_time_preference("next week", MONDAY, NY).day is None
    assert parse_time_preference("after next tuesday", MONDAY, NY).day is None
    assert parse_time_preference("asap", MONDAY, NY).day is None
    assert TimePreference(start=MONDAY, end=MONDAY, part_of_day=None, asap=False).day is None


def test_time_preference_is_in_the_clinic_zone_whatever_now_is() -> None:
    pref = parse_time_preference("next tuesday afternoon", NOW.astimezone(UTC), NY)
    assert pref.start.tzinfo == NY and pref.end.tzinfo == NY
    assert (pref.start, pref.part_of_day) == (ny(12, 1), "afternoon")
    # Late evening in New York is already tomorrow in UTC: "tomorrow" is still NY's.
    late = datetime(2026, 11, 27, 23, 30, tzinfo=NY)
    assert parse_time_preference("tomorrow", late.astimezone(UTC), NY).start == ny(11, 28)


def test_time_preference_uses_the_clinic_zone_by_default() -> None:
    pref = parse_time_preference("dec 10", NOW.astimezone(UTC))
    assert pref.start == ny(12, 10) and pref.start.utcoffset() == timedelta(hours=-5)


def test_time_windows_never_start_in_the_past() -> None:
    pref = parse_time_preference("this friday", NOW, NY)
    assert pref.start >= NOW


# --- charges -------------------------------------------------------------------------------


@pytest.mark.parametrize("text,hint", [
    ("the $85 lab fee", ChargeHint(8500, None, "the lab fee")),
    ("what's the $85.40 charge", ChargeHint(8540, None, "what s the charge")),
    ("the one from March", ChargeHint(None, 3, "the one from")),
    ("40 dollars copay from may", ChargeHint(4000, 5, "copay")),
    ("$1,200 bill in sept", ChargeHint(120000, 9, "bill in")),
    ("may I ask about the lab work", ChargeHint(None, None, "may i ask about the lab work")),
    ("", ChargeHint(None, None, None)),
])
def test_charge_hints(text: str, hint: ChargeHint) -> None:
    assert parse_charge_hint(text) == hint


@pytest.mark.parametrize(("text", "which", "when"), [
    ("I need to reschedule my appointment to next Tuesday afternoon",
     "i need to reschedule my appointment to", "next tuesday afternoon"),
    ("move my appointment with Dr. Shah to Friday morning",
     "move my appointment with dr. shah to", "friday morning"),
    ("reschedule asap", "reschedule", "asap"),
    ("can you reschedule my appointment as soon as possible please",
     "can you reschedule my appointment please", "as soon as possible"),
    ("push my appt to next week", "push my appt to", "next week"),
    ("i need to move my appointment to after the 15th", "i need to move my appointment to",
     "after the 15th"),
    ("reschedule, next tuesday afternoon", "reschedule,", "next tuesday afternoon"),
    ("my car broke down, can we reschedule for tomorrow",
     "my car broke down, can we reschedule for", "tomorrow"),
    ("i can't make it thursday, how about friday", "i can't make it thursday, how about",
     "friday"),
    ("can i come in friday instead of wednesday", "wednesday", "friday"),
    ("move my appointment to friday instead of wednesday",
     "move my appointment to instead of wednesday", "friday"),
    ("reschedule my appointment on the 3rd to next week",
     "reschedule my appointment on the 3rd to", "next week"),
    ("Move it to Friday. Thanks!", "move it to . thanks!", "friday"),
    ("would it be possible to move my appointment to sometime next week?",
     "would it be possible to move my appointment to ?", "sometime next week"),
    # A day that only says which appointment is not a wish for a new time.
    ("reschedule my appointment on the 3rd", "reschedule my appointment on the 3rd", None),
    ("i can't make it on thursday can we do another day",
     "i can't make it on thursday can we do another day", None),
    ("i need to reschedule my appointment next week",
     "i need to reschedule my appointment next week", None),
    ("change my telehealth visit to a later time", "change my telehealth visit to a later time",
     None),
    ("i need to reschedule", "i need to reschedule", None),
    ("/appointment_reschedule", "", None),
])
def test_what_a_request_to_move_already_says(text: str, which: str, when: str | None) -> None:
    assert split_move_request(text) == (which, when)


def test_the_answer_to_which_one_names_the_appointment() -> None:
    """"Dr. Kim, Thursday" is the Thursday appointment; only "to ..." says when instead."""
    assert split_move_request("dr kim, thursday", clauses=False) == ("dr kim, thursday", None)
    assert split_move_request("the one with dr kim, to friday", clauses=False) == (
        "the one with dr kim, to", "friday")


def test_the_wish_taken_from_a_request_reads_as_a_time() -> None:
    now = datetime(2026, 11, 27, 15, tzinfo=UTC)  # a Friday
    tz = ZoneInfo("America/New_York")
    wish = parse_time_preference(
        split_move_request("I need to reschedule my appointment to next Tuesday afternoon")[1]
        or "", now, tz)
    assert (wish.start, wish.end, wish.part_of_day) == (
        datetime(2026, 12, 1, tzinfo=tz), datetime(2026, 12, 2, tzinfo=tz), "afternoon")


@pytest.mark.parametrize("text", ["12 de marzo de 1984", "nací el 12 de marzo del 1984",
                                  "marzo 12 de 1984", "12 de Marzo, 1984"])
def test_dates_of_birth_in_spanish(text: str) -> None:
    assert parse_date_of_birth(text, date(2026, 12, 7)) == date(1984, 3, 12)


@pytest.mark.parametrize("text,start,end,part,asap", [
    ("el martes en la tarde", ny(12, 1), ny(12, 2), "afternoon", False),
    ("el próximo martes", ny(12, 8), ny(12, 9), None, False),  # next week's, as in English
    ("mañana en la mañana", ny(12, 1), ny(12, 2), "morning", False),
    ("la próxima semana", ny(12, 7), ny(12, 14), None, False),
    ("lo antes posible", MONDAY, MONDAY + timedelta(days=14), None, True),
    ("después del 14 de diciembre", ny(12, 15), ny(12, 29), None, False),
    ("el viernes por la manana", ny(12, 4), ny(12, 5), "morning", False),
    ("el día 14", ny(12, 14), ny(12, 15), None, False),
])
def test_time_preferences_in_spanish(text: str, start: datetime, end: datetime,
                                     part: str | None, asap: bool) -> None:
    pref = parse_time_preference(text, MONDAY, NY)
    assert (pref.start, pref.end, pref.part_of_day, pref.asap) == (start, end, part, asap)


@pytest.mark.parametrize("text", ["la próxima semana", "lo antes posible",
                                  "el próximo martes en la tarde", "mañana", "el lunes",
                                  "el viernes por la mañana"])
def test_spanish_times_name_a_time(text: str) -> None:
    """What the reschedule question's answer is read as, whatever the classifier said."""
    assert names_a_time(text)


@pytest.mark.parametrize("text", ["cuánto debo", "quiero hablar con una persona", "gracias"])
def test_spanish_requests_name_no_time(text: str) -> None:
    assert not names_a_time(text)


def test_english_is_read_as_it_was() -> None:
    assert from_spanish("next tuesday afternoon") == "next tuesday afternoon"
    assert from_spanish("March 12, 1984") == "March 12, 1984"
