"""18-digit resident ID numbers (居民身份证号码, GB 11643-1999): build and validate.

Layout: 6-digit address code, 8-digit birth date YYYYMMDD, 3-digit sequence (odd = male),
1 check character. Sex codes follow GB/T 2261.1: '1' male, '2' female (DOMAIN.md §3.4).
"""

from __future__ import annotations

import re
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

MALE = "1"
FEMALE = "2"

# Problem codes returned by validate()
FORMAT = "format"
CHECK_DIGIT = "check_digit"
INVALID_DATE = "invalid_date"
BIRTH_DATE_MISMATCH = "birth_date_mismatch"
SEX_MISMATCH = "sex_mismatch"

_SHAPE = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    """The check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError(f"need 17 digits, got {first17!r}")
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def make_id(address_code: str, birth_date: date, seq: int, sex: str) -> str:
    """Build a valid ID. ``seq`` (0..499) is mapped to a 3-digit sequence whose parity encodes ``sex``."""
    if len(address_code) != 6 or not address_code.isdigit():
        raise ValueError(f"address code must be 6 digits, got {address_code!r}")
    if sex not in (MALE, FEMALE):
        raise ValueError(f"sex must be '1' or '2', got {sex!r}")
    number = (seq % 500) * 2 + (1 if sex == MALE else 0)
    first17 = f"{address_code}{birth_date:%Y%m%d}{number:03d}"
    return first17 + check_digit(first17)


def birth_date_of(id_number: str) -> date | None:
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def sex_of(id_number: str) -> str:
    return MALE if int(id_number[16]) % 2 == 1 else FEMALE


def validate(id_number: str | None, birth_date: date | None = None, sex: str | None = None) -> list[str]:
    """Problem codes for ``id_number`` (empty list = valid).

    ``format`` is returned alone (nothing else can be checked). ``birth_date`` and ``sex``, when
    given, are cross-checked against the number.
    """
    if id_number is None or not _SHAPE.match(id_number):
        return [FORMAT]
    problems: list[str] = []
    if check_digit(id_number[:17]) != id_number[17]:
        problems.append(CHECK_DIGIT)
    encoded = birth_date_of(id_number)
    if encoded is None:
        problems.append(INVALID_DATE)
    elif birth_date is not None and encoded != birth_date:
        problems.append(BIRTH_DATE_MISMATCH)
    if sex is not None and sex in (MALE, FEMALE) and sex_of(id_number) != sex:
        problems.append(SEX_MISMATCH)
    return problems


def is_valid(id_number: str | None, birth_date: date | None = None, sex: str | None = None) -> bool:
    return not validate(id_number, birth_date, sex)
