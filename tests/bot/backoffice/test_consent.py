"""The language on file for a texting number (the carrier keywords are answered in it)."""

from datetime import date

from sqlalchemy.orm import Session

from bot.backoffice.consent import preferred_language
from bot.backoffice.models import Patient


def test_the_language_on_file_for_a_number(seeded: Session) -> None:
    assert preferred_language(seeded, "+15555550104") == "es"  # Rosa Martínez
    assert preferred_language(seeded, "+15555550101") == "en"
    assert preferred_language(seeded, "+15555559999") is None  # no patient's
    # A patient added without one is in English.
    seeded.add(Patient(mrn="MRNT1", first_name="Ana", last_name="Example",
                       date_of_birth=date(1990, 1, 1), phone="+15555550120", zip_code="33125"))
    seeded.flush()
    assert preferred_language(seeded, "+15555550120") == "en"
