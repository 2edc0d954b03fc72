from datetime import date

import pytest

from actions.parsing import parse_date_of_birth, parse_full_name, parse_zip_code

TODAY = date(2026, 11, 27)


@pytest.mark.parametrize("text", [
    "03/12/1984", "3/12/1984", "3-12-84", "March 12 1984", "march 12, 1984", "1984-03-12",
    "mar 12 84", "12th of March 1984", "my dob is 03/12/1984", "born 3.12.1984", "Mar. 12th, 1984",
])
def test_dates_of_birth_as_patients_type_them(text: str) -> None:
    assert parse_date_of_birth(text, TODAY) == date(1984, 3, 12)


@pytest.mark.parametrize("text", ["March 12", "how much do i owe", "12/31/2030", "", "1984",
                                  "13/45/1984", "1/1/1850"])
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
