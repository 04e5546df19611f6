"""Field types shared by every model: strict JSON types with the API's rules attached.

Every string rejects C0 control characters and DEL, lengths count code
points, and nothing is Unicode-normalized; `trimmed` fields are stripped of
surrounding whitespace first. Rule violations raise PydanticCustomError with
the API's error code, which clientele.domain.kernel.validation turns into pointers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

from annotated_types import GroupedMetadata
from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def _reject_control_characters(value: Any) -> Any:
    if isinstance(value, str) and _CONTROL_CHARACTERS.search(value):
        raise PydanticCustomError("control_character", "must not contain control characters")
    return value


@dataclass(frozen=True, slots=True)
class Text(GroupedMetadata):
    """The rules of a non-empty string of at most `max_length` code points: `Annotated[str, Text(100)]`.

    A metadata group rather than a factory of `Annotated` types, so that type checkers read the
    annotation as `str`; pydantic unpacks the group into the same constraints and validators.
    """

    max_length: int
    trimmed: bool = False
    pattern: str | None = None

    def __iter__(self) -> Iterator[object]:
        yield from StringConstraints(
            strict=True, strip_whitespace=self.trimmed, min_length=1, max_length=self.max_length
        )
        if self.pattern:
            yield AfterValidator(_pattern_check(self.pattern))
        # Last is outermost: it runs before the constraints, as in every other string type here.
        yield BeforeValidator(_reject_control_characters)


def _pattern_check(pattern: str) -> Callable[[str], str]:
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise PydanticCustomError("invalid_format", "has an invalid format")
        return value

    return check


# --- email -------------------------------------------------------------------


def _valid_email(value: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise PydanticCustomError("invalid_email", "must be a valid email address") from error
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


Email = Annotated[
    str,
    StringConstraints(strict=True, max_length=254),
    AfterValidator(_valid_email),
    BeforeValidator(_reject_control_characters),
]


def _no_duplicate_emails(emails: list[str]) -> list[str]:
    seen: set[str] = set()
    for index, email in enumerate(emails):
        if email.casefold() in seen:
            raise PydanticCustomError(
                "duplicate_email", "lists the same address twice (again at index {index})", {"index": index}
            )
        seen.add(email.casefold())
    return emails


EmailList = Annotated[list[Email], Field(max_length=10), AfterValidator(_no_duplicate_emails)]

# --- phones --------------------------------------------------------------------

_PHONE = re.compile(r"[0-9 +().x-]{3,32}")


def _valid_phone(value: str) -> str:
    if not _PHONE.fullmatch(value) or not any(char.isdigit() for char in value):
        raise PydanticCustomError("invalid_phone", "must be 3-32 characters of digits, spaces and + ( ) - . x")
    return value


Phone = Annotated[
    str, StringConstraints(strict=True), AfterValidator(_valid_phone), BeforeValidator(_reject_control_characters)
]
PhoneList = Annotated[list[Phone], Field(max_length=10)]

# --- money ---------------------------------------------------------------------

_MONEY = re.compile(r"[0-9]{1,13}(\.[0-9]{1,2})?")


def _valid_money(value: Any) -> str:
    if not isinstance(value, str) or not _MONEY.fullmatch(value):
        raise PydanticCustomError(
            "invalid_money",
            'must be a non-negative decimal string with at most 13 digits and two decimals, e.g. "12.50"',
        )
    return f"{Decimal(value):.2f}"


Money = Annotated[str, BeforeValidator(_valid_money)]

# --- places and zones --------------------------------------------------------------


def _valid_country(value: str) -> str:
    import pycountry

    if not re.fullmatch(r"[A-Z]{2}", value) or pycountry.countries.get(alpha_2=value) is None:
        raise PydanticCustomError("invalid_country", "must be an upper-case ISO 3166-1 alpha-2 code")
    return value


Country = Annotated[
    str, StringConstraints(strict=True), AfterValidator(_valid_country), BeforeValidator(_reject_control_characters)
]


@cache
def _time_zones() -> frozenset[str]:
    from zoneinfo import available_timezones

    return frozenset(available_timezones())


def _valid_time_zone(value: str) -> str:
    if value not in _time_zones():
        raise PydanticCustomError("invalid_timezone", "must be an IANA time zone name such as Europe/Berlin")
    return value


TimeZone = Annotated[
    str,
    StringConstraints(strict=True, max_length=64),
    AfterValidator(_valid_time_zone),
    BeforeValidator(_reject_control_characters),
]

PostalCode = Annotated[str, Text(20, trimmed=True, pattern=r"[A-Za-z0-9][A-Za-z0-9 -]*")]

# --- metadata ------------------------------------------------------------------

MetadataKey = Annotated[str, Text(40)]
MetadataValue = Annotated[
    str, StringConstraints(strict=True, max_length=500), BeforeValidator(_reject_control_characters)
]
Metadata = Annotated[dict[MetadataKey, MetadataValue], Field(max_length=50)]

# --- customer codes --------------------------------------------------------------

_PLACEHOLDER_CODES = frozenset({"n/a", "na", "none", "null", "tbd", "tba", "unknown", "placeholder"})
_PLACEHOLDER_PATTERN = re.compile(r"0+|-+|[xX]+|\?+")


def _not_placeholder(code: str) -> str:
    if code.casefold() in _PLACEHOLDER_CODES or _PLACEHOLDER_PATTERN.fullmatch(code):
        raise PydanticCustomError("placeholder_code", "is a placeholder value, not a real code")
    return code


CustomerCode = Annotated[str, Text(32, trimmed=True), AfterValidator(_not_placeholder)]

Password = Annotated[
    str,
    StringConstraints(strict=True, min_length=8, max_length=128),
    BeforeValidator(_reject_control_characters),
]


def _positive_money(value: str) -> str:
    if Decimal(value) <= 0:
        raise PydanticCustomError("not_positive", "must be more than zero")
    return value


PositiveMoney = Annotated[str, AfterValidator(_positive_money), BeforeValidator(_valid_money)]

_WEIGHT = re.compile(r"[0-9]{1,9}(\.[0-9]{1,3})?")


def _valid_weight(value: Any) -> str:
    if not isinstance(value, str) or not _WEIGHT.fullmatch(value) or Decimal(value) <= 0:
        raise PydanticCustomError(
            "invalid_decimal", 'must be a decimal string above zero with at most three decimals, e.g. "1.250"'
        )
    return value


PositiveDecimal3 = Annotated[str, BeforeValidator(_valid_weight)]


def _valid_currency(value: Any) -> str:
    import pycountry

    if (
        not isinstance(value, str)
        or not re.fullmatch(r"[A-Z]{3}", value)
        or pycountry.currencies.get(alpha_3=value) is None
    ):
        raise PydanticCustomError("invalid_currency", "must be an upper-case ISO 4217 currency code such as USD")
    return value


Currency = Annotated[str, BeforeValidator(_valid_currency)]


def _valid_date(value: Any) -> str:
    from datetime import date

    if isinstance(value, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        try:
            date.fromisoformat(value)
        except ValueError:
            pass
        else:
            return value
    raise PydanticCustomError("invalid_date", "must be a date as YYYY-MM-DD")


CalendarDate = Annotated[str, BeforeValidator(_valid_date)]
