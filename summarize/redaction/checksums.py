"""Check digits of payment cards (Luhn), SNILS and INN: a number whose check digits fail is not one of them."""


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def snils_valid(digits: str) -> bool:
    """11 digits: 9 of the number, 2 of the check sum (weights 9..1, mod 101, 100 and 101 read as 00)."""
    if len(digits) != 11 or not digits.isdigit():
        return False
    number, check = digits[:9], int(digits[9:])
    # Check sums are defined for numbers above 001-001-998; smaller ones were never issued.
    if int(number) <= 1001998:
        return False
    total = sum(int(d) * w for d, w in zip(number, range(9, 0, -1), strict=True))
    expected = total % 101
    return (0 if expected == 100 else expected) == check


_INN_10 = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_valid(digits: str) -> bool:
    """10 digits (an organisation, one check digit) or 12 (a person, two check digits)."""
    if not digits.isdigit() or digits.startswith("00"):
        return False
    if len(digits) == 10:
        return _inn_digit(digits, _INN_10) == int(digits[9])
    if len(digits) == 12:
        return _inn_digit(digits, _INN_11) == int(digits[10]) and _inn_digit(digits, _INN_12) == int(digits[11])
    return False
