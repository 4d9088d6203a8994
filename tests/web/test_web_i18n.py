import pytest

from web.i18n import MessageError, Translator


@pytest.mark.parametrize(
    ("n", "russian"),
    [
        (0, "0 звонков"),
        (1, "1 звонок"),
        (2, "2 звонка"),
        (4, "4 звонка"),
        (5, "5 звонков"),
        (11, "11 звонков"),
        (12, "12 звонков"),
        (14, "14 звонков"),
        (21, "21 звонок"),
        (22, "22 звонка"),
        (25, "25 звонков"),
        (101, "101 звонок"),
        (111, "111 звонков"),
    ],
)
def test_russian_counts_take_the_one_few_or_many_form(n: int, russian: str) -> None:
    assert Translator("ru").tn("calls_count", n) == russian


def test_english_counts_and_plural_misuse() -> None:
    english = Translator("en")
    assert [english.tn("calls_count", n) for n in (0, 1, 2, 21)] == ["0 calls", "1 call", "2 calls", "21 calls"]
    with pytest.raises(MessageError, match="is a plural: use tn"):
        english.t("calls_count")
