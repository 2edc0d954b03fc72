import pytest

from bot.conversations.choices import chosen, match_choice
from bot.conversations.schemas import Button

YES_NO = [Button(title="Yes", payload="/affirm"), Button(title="No", payload="/deny")]
CANCEL = [Button(title="Yes, cancel it", payload="/affirm"),
          Button(title="Find a new time instead", payload="/appointment_reschedule"),
          Button(title="Keep it", payload="/deny")]
TIMES = [Button(title="Tue, Dec 8 at 9:00 AM", payload='/inform{"slot_id":"11"}'),
         Button(title="Tue, Dec 8 at 2:30 PM", payload='/inform{"slot_id":"12"}'),
         Button(title="Wed, Dec 9 at 10:00 AM", payload='/inform{"slot_id":"13"}'),
         Button(title="None of these", payload="/deny")]


def test_a_number_or_the_words_pick_a_choice() -> None:
    assert match_choice("1", YES_NO) == YES_NO[0]
    assert match_choice(" 2. ", YES_NO) == YES_NO[1]
    assert match_choice("no", YES_NO) == YES_NO[1]
    assert match_choice("3", YES_NO) is None
    assert match_choice("maybe later", YES_NO) is None


@pytest.mark.parametrize(("typed", "index"), [
    ("keep it", 2), ("Keep it.", 2), ("kep it", 2), ("keep it!", 2),
    ("find a new time instead", 1), ("find a new time insted", 1),
    ("yes", 0), ("yeah", 0), ("Sí", 0),
    ("the first one", 0), ("second", 1), ("the last one", 2), ("la tercera", 2),
])
def test_typed_words_close_words_ordinals_and_yes_pick_the_choice(typed: str,
                                                                  index: int) -> None:
    assert match_choice(typed, CANCEL) == CANCEL[index]


@pytest.mark.parametrize("typed", [
    "keep it, I have chest pain",  # a new message: the safety net and classifier read it
    "what is my balance",
    "keep",
    "",
])
def test_what_is_not_plainly_a_choice_goes_to_the_classifier(typed: str) -> None:
    assert match_choice(typed, CANCEL) is None


def test_no_picks_the_choice_that_answers_no() -> None:
    assert match_choice("no", CANCEL) == CANCEL[2]  # "Keep it" is the /deny
    assert match_choice("nope", YES_NO) == YES_NO[1]


def test_ordinals_and_close_times() -> None:
    assert match_choice("the second one", TIMES) == TIMES[1]
    assert match_choice("none of these", TIMES) == TIMES[3]
    assert match_choice("fifth", TIMES) is None
    # Two titles alike: a reply close to both is not guessed.
    assert match_choice("Tue, Dec 8 at", TIMES) is None


def test_a_picked_choice_reads_as_what_the_patient_meant() -> None:
    slot = Button(title="Tue, Dec 1 at 2:00 PM", payload='/inform{"slot_id":"12"}')
    assert chosen(" 2 ", slot) == '2 ("Tue, Dec 1 at 2:00 PM")'
    assert chosen("yes", YES_NO[0]) == "Yes"
    assert chosen("kep it", CANCEL[2]) == 'kep it ("Keep it")'


def test_choices_in_spanish_without_accents() -> None:
    si_no = [Button(title="Sí", payload="/affirm"), Button(title="No", payload="/deny")]
    assert match_choice("si", si_no) == match_choice("SÍ", si_no) == si_no[0]
    assert chosen("si", si_no[0]) == "Sí"
