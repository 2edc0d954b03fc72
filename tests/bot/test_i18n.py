import string
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.i18n import (
    FORMATS,
    WORDS,
    count_words,
    language_or_default,
    money,
    say_date,
    say_moment,
    say_opening,
    without_accents,
    words,
)

NY = ZoneInfo("America/New_York")
TODAY = date(2026, 12, 7)


@pytest.mark.parametrize("moment,english,spanish", [
    (datetime(2026, 12, 8, 10, 30, tzinfo=NY), "Tue, Dec 8 at 10:30 AM",
     "martes 8 de diciembre, 10:30 a. m."),
    (datetime(2026, 12, 9, 14, 5, tzinfo=NY), "Wed, Dec 9 at 2:05 PM",
     "miércoles 9 de diciembre, 2:05 p. m."),
    (datetime(2027, 1, 2, 0, 15, tzinfo=NY), "Sat, Jan 2 at 12:15 AM",
     "sábado 2 de enero, 12:15 a. m."),
    (datetime(2026, 12, 14, 12, 0, tzinfo=NY), "Mon, Dec 14 at 12:00 PM",
     "lunes 14 de diciembre, 12:00 p. m."),
])
def test_a_moment_in_each_language(moment: datetime, english: str, spanish: str) -> None:
    assert say_moment(moment, "en") == english
    assert say_moment(moment, "es") == spanish


def test_a_day_with_the_year_only_when_it_is_another() -> None:
    assert say_date(date(2026, 12, 13), TODAY, "en") == "Dec 13"
    assert say_date(date(2027, 3, 1), TODAY, "en") == "Mar 1, 2027"
    assert say_date(date(2026, 12, 13), TODAY, "es") == "13 de diciembre"
    assert say_date(date(2027, 3, 1), TODAY, "es") == "1 de marzo de 2027"


def test_dollars_read_the_same_in_both_languages() -> None:
    for language in ("en", "es"):
        assert money(12540, language) == "$125.40"
        assert money(123456789, language) == "$1,234,567.89"
        assert money(-500, language) == "-$5.00"
        assert money(7, language) == "$0.07"


def test_counts_follow_each_languages_plural_rule() -> None:
    assert [count_words("time.minutes", n, "en") for n in (1, 3)] == ["1 minute", "3 minutes"]
    assert [count_words("time.minutes", n, "es") for n in (1, 3)] == ["1 minuto", "3 minutos"]
    assert count_words("auth.tries", 1, "es") == "1 vez más"


def test_an_unknown_language_is_english_and_a_missing_word_falls_back() -> None:
    assert language_or_default("fr") == language_or_default(None) == "en"
    assert words("button.agent", "fr") == "Talk to a person"
    assert words("billing.plan_title", "es", months=3, monthly="$10.00") == (
        "3 meses, $10.00 al mes")


def test_every_language_has_every_word_with_the_same_placeholders() -> None:
    """A word added in English alone would show English in a Spanish conversation."""
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    assert set(WORDS) == set(FORMATS)
    for language, table in WORDS.items():
        assert set(table) == set(WORDS["en"]), language
        for key, text in table.items():
            assert fields(text) == fields(WORDS["en"][key]), (language, key)


def test_accents_are_folded_for_matching() -> None:
    assert without_accents("explíqueme cuánto debo, señora") == "expliqueme cuanto debo, senora"


@pytest.mark.parametrize(("opening", "english", "spanish"), [
    (datetime(2026, 12, 7, 21, 30, tzinfo=NY), "today at 9:30 PM", "hoy a las 9:30 p. m."),
    (datetime(2026, 12, 8, 8, 0, tzinfo=NY), "tomorrow at 8 AM", "mañana a las 8:00 a. m."),
    (datetime(2026, 12, 12, 13, 0, tzinfo=NY), "Saturday at 1 PM",
     "el sábado a la 1:00 p. m."),
])
def test_when_a_closed_team_opens(opening: datetime, english: str, spanish: str) -> None:
    # Monday Dec 7, 2026, 8 PM in the clinic (01:00 UTC on the 8th: the clinic's day counts).
    at = datetime(2026, 12, 8, 1, 0, tzinfo=ZoneInfo("UTC"))
    assert say_opening(opening, at) == english
    assert say_opening(opening, at, "es") == spanish
