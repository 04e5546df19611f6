"""What a customer is found by, and what a `q` asks for (API.md §14), as plain rules (no I/O).

Words: the words of `name`, `company_name`, `first_name` and `last_name`, folded (Unicode NFKD,
combining marks dropped, case-folded: "Müller" -> "muller"), apostrophes removed ("O'Brien" ->
"obrien") and split at every other character that is not a letter or digit ("Smith-Jones" ->
"smith", "jones"). A customer matches a `q` of words when each word of `q` is a prefix of a
different one of its words.

Identifiers: `code`, `external_id` and `emails` compared ignoring case; phones (`phones`, `mobile`,
`fax`) by their digits when there are at least 6; the `number`. A customer matches when `q`
equals one of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WORD_FIELDS = ("name", "company_name", "first_name", "last_name")
# What one customer indexes at most: its first MAX_WORDS distinct words, each cut at MAX_WORD_LENGTH
# characters (a query word is cut the same way), so one customer version fits one transaction.
MAX_WORDS = 30
MAX_WORD_LENGTH = 40
MIN_PHONE_DIGITS = 6
# Identifier kinds, in the order identifier matches are listed.
IDENTIFIER_KINDS = ("code", "external_id", "email", "phone", "number")

_APOSTROPHES = str.maketrans("", "", "'\u2019\u02bc`\u00b4")
_WORD = re.compile(r"[^\W_]+")
_PHONE_CHARACTERS = re.compile(r"[0-9 +().x-]+")


def fold(text: str) -> str:
    """Case, accents and compatibility forms folded: "Ǆemal MÜLLER" -> "dzemal muller"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return unicodedata.normalize("NFKC", stripped).casefold()


def words(text: str) -> list[str]:
    """The folded words of `text`, in order (repeats kept), each at most MAX_WORD_LENGTH characters."""
    return [word[:MAX_WORD_LENGTH] for word in _WORD.findall(fold(text).translate(_APOSTROPHES))]


def folded_name(name: str) -> str:
    """The name as search orders it: its folded words joined by single spaces."""
    return " ".join(words(name))


def customer_words(customer: Mapping[str, Any]) -> tuple[str, ...]:
    """The distinct words a customer is found by (at most MAX_WORDS), in the order its fields give them."""
    found: dict[str, None] = {}
    for field in WORD_FIELDS:
        value = customer.get(field)
        if isinstance(value, str):
            for word in words(value):
                found.setdefault(word)
    return tuple(found)[:MAX_WORDS]


def _digits(text: str) -> str:
    return "".join(char for char in text if char.isascii() and char.isdigit())


def customer_identifiers(customer: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """(kind, value) pairs a `q` must equal, values normalized as `query_identifiers` normalizes `q`."""
    found: dict[tuple[str, str], None] = {}
    for kind in ("code", "external_id"):
        value = customer.get(kind)
        if isinstance(value, str) and value.strip():
            found.setdefault((kind, value.strip().casefold()))
    for email in customer.get("emails") or ():
        if isinstance(email, str) and email.strip():
            found.setdefault(("email", email.strip().casefold()))
    phones = [*(customer.get("phones") or ()), customer.get("mobile"), customer.get("fax")]
    for phone in phones:
        if isinstance(phone, str) and len(digits := _digits(phone)) >= MIN_PHONE_DIGITS:
            found.setdefault(("phone", digits))
    number = customer.get("number")
    if number is not None and not isinstance(number, bool):
        found.setdefault(("number", str(int(number))))
    return tuple(found)


def query_identifiers(q: str) -> tuple[str, ...]:
    """The identifier values `q` may equal: itself ignoring case, and its digits when it reads as a phone."""
    text = q.strip()
    values: dict[str, None] = {}
    if text:
        values.setdefault(text.casefold())
    if _PHONE_CHARACTERS.fullmatch(text) and len(digits := _digits(text)) >= MIN_PHONE_DIGITS:
        values.setdefault(digits)
    if text.isascii() and text.isdigit():
        values.setdefault(str(int(text)))
    return tuple(values)


def identifier_matches(q_values: Iterable[str], customer: Mapping[str, Any]) -> bool:
    wanted = set(q_values)
    return any(value in wanted for _kind, value in customer_identifiers(customer))


def words_match(q_words: Sequence[str], customer_words: Sequence[str]) -> bool:
    """Each word of `q_words` is a prefix of a different word of `customer_words` (a matching, found by search)."""
    candidates = [[index for index, word in enumerate(customer_words) if word.startswith(q)] for q in q_words]
    # The most constrained query words first keeps the search tiny (queries have a few words).
    order = sorted(range(len(q_words)), key=lambda position: len(candidates[position]))

    def assign(position: int, used: frozenset[int]) -> bool:
        if position == len(order):
            return True
        return any(assign(position + 1, used | {index}) for index in candidates[order[position]] if index not in used)

    return assign(0, frozenset())


@dataclass(frozen=True)
class Query:
    """A `q`, as the index is asked: its words, the word the index is read by, and its identifier values."""

    words: tuple[str, ...]
    identifiers: tuple[str, ...]

    @property
    def lead(self) -> str | None:
        """The word whose prefix range is read: the longest (the most selective, as a rule), the first of ties."""
        return max(self.words, key=len) if self.words else None

    def representative(self, customer_words: Sequence[str]) -> str | None:
        """The word of a customer its name match is listed under: the least word the lead is a prefix of.

        A customer with two words starting with the lead ("John Johnson" for "jo") has an item for each;
        only the one under its representative is listed, so it appears once.
        """
        lead = self.lead
        if lead is None:
            return None
        return min((word for word in customer_words if word.startswith(lead)), default=None)

    def matches_words(self, customer_words: Sequence[str]) -> bool:
        return bool(self.words) and words_match(self.words, customer_words)


def parse(q: str) -> Query:
    return Query(words=tuple(words(q)), identifiers=query_identifiers(q))


def matcher(q: str) -> Callable[[Mapping[str, Any]], bool]:
    """Whether a customer item matches `q` (words or an identifier), decided on the item alone."""
    query = parse(q)

    def matches(customer: Mapping[str, Any]) -> bool:
        return query.matches_words(customer_words(customer)) or identifier_matches(query.identifiers, customer)

    return matches
