"""The search rules (API.md §14): folding, words, identifiers, multi-word matching."""

from __future__ import annotations

import pytest

from clientele.domain.search import terms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Müller Logistik GmbH", ["muller", "logistik", "gmbh"]),
        ("  O'Brien & Sons, Ltd.", ["obrien", "sons", "ltd"]),
        ("Smith-Jones", ["smith", "jones"]),
        ("STRASSE Straße", ["strasse", "strasse"]),
        ("\uff26\uff55\uff4c\uff4c \ufb01ne", ["full", "fine"]),  # fullwidth letters, a ligature
        ("Ærø Łódź", ["ærø", "łodz"]),
        ("___", []),
    ],
)
def test_words_fold_case_accents_and_punctuation(text, expected):
    assert terms.words(text) == expected


def test_customer_words_are_distinct_across_fields_and_capped():
    customer = {"name": "John Smith", "first_name": "John", "last_name": "Smith", "company_name": "Acme"}
    assert terms.customer_words(customer) == ("john", "smith", "acme")
    many = {"name": " ".join(f"w{index}" for index in range(100))}
    assert len(terms.customer_words(many)) == terms.MAX_WORDS


def test_identifiers_are_normalized_like_queries():
    customer = {
        "code": " AB-1 ",
        "external_id": "CRM-9",
        "emails": ["Ops@Example.COM"],
        "phones": ["+61 2 9876 5432", "12-34"],
        "mobile": "0412 345 678",
        "number": 42,
    }
    assert terms.customer_identifiers(customer) == (
        ("code", "ab-1"),
        ("external_id", "crm-9"),
        ("email", "ops@example.com"),
        ("phone", "61298765432"),
        ("phone", "0412345678"),
        ("number", "42"),
    )
    assert terms.query_identifiers("ab-1") == ("ab-1",)
    assert terms.query_identifiers("(0412) 345-678") == ("(0412) 345-678", "0412345678")
    assert terms.query_identifiers("0042") == ("0042", "42")
    assert terms.identifier_matches(terms.query_identifiers("OPS@example.com"), customer)
    assert not terms.identifier_matches(terms.query_identifiers("ops@example"), customer)


@pytest.mark.parametrize(
    ("q", "words", "matches"),
    [
        (["jo"], ["john", "smith"], True),
        (["jo", "jo"], ["john", "johnson"], True),
        (["jo", "jo"], ["john", "smith"], False),
        (["smi", "jo"], ["john", "smith"], True),
        (["j", "jo"], ["jo", "x"], False),
        (["j", "jo"], ["jo", "jx"], True),
        ([], ["john"], False),
    ],
)
def test_each_word_of_q_starts_a_different_word(q, words, matches):
    assert terms.Query(tuple(q), ()).matches_words(words) is matches


def test_the_lead_word_and_the_representative():
    query = terms.parse("jo smith")
    assert query.lead == "smith"
    assert terms.parse("jo").representative(["johnson", "john", "bob"]) == "john"
    assert terms.parse("").lead is None
