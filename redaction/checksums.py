"""Check digits of payment cards (Luhn), SNILS and INN: a number whose check digits fail is not one of them."""

from stdnum import luhn
from stdnum.ru import inn


def luhn_valid(digits: str) -> bool:
    return luhn.is_valid(digits)


def snils_valid(digits: str) -> bool:
    """11 digits: 9 of the number, 2 of the check sum (weights 9..1, mod 101, 100 and 101 read as 00).
    Written here because python-stdnum has no SNILS module."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    number, check = digits[:9], int(digits[9:])
    # Check sums are defined for numbers above 001-001-998; smaller ones were never issued.
    if int(number) <= 1001998:
        return False
    total = sum(int(d) * w for d, w in zip(number, range(9, 0, -1), strict=True))
    expected = total % 101
    return (0 if expected == 100 else expected) == check


def inn_valid(digits: str) -> bool:
    """10 digits (an organisation, one check digit) or 12 (a person, two check digits)."""
    # Region code 00 was never issued, so such a number is a coincidence of digits, not an INN; python-stdnum
    # checks only the length and check digits. It also strips spaces, which the digits handed here never hold.
    return digits.isdigit() and not digits.startswith("00") and inn.is_valid(digits)
