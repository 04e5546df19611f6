"""Import columns (API.md §6): header names and aliases, rows as API bodies, error pointers back to columns."""

from __future__ import annotations

import pytest

from clientele.domain.csvio.records import HeaderError
from clientele.domain.customers.addresses import AddressFields
from clientele.domain.customers.fields import CustomerCreation
from clientele.domain.imports.columns import (
    BOOLEAN_COLUMNS,
    CUSTOMER_COLUMNS,
    LIST_COLUMNS,
    SKU_COLUMNS,
    CellProblem,
    ColumnMap,
    column_for_pointer,
    customer_body,
    header_key,
    map_customer_header,
    map_sku_header,
    sku_body,
)
from clientele.domain.kernel.validation import validate


def canonical(name: str) -> str | None:
    """The column a lone header name maps to (None when unknown)."""
    try:
        column_map = map_customer_header([name])
    except HeaderError:
        return None
    return column_map.columns[0]


def body_of(header: list[str], row: list[str]) -> dict:
    body, problems = customer_body(row, map_customer_header(header))
    assert problems == []
    return body


def problems_of(header: list[str], row: list[str]) -> list[tuple[str, str]]:
    return [(problem.column, problem.code) for problem in customer_body(row, map_customer_header(header))[1]]


# --- the columns ---------------------------------------------------------------------


def test_customer_columns_are_the_writable_fields_then_both_addresses():
    not_imported = {
        "metadata",
        "default_shipping_address_id",
        "default_billing_address_id",
        "address",
        "billing_address",
    }
    fields = [name for name in CustomerCreation.model_fields if name not in not_imported]
    addresses = [f"{prefix}_{name}" for prefix in ("address", "billing") for name in AddressFields.model_fields]
    assert list(CUSTOMER_COLUMNS) == fields + addresses
    assert {"code", "external_id", "password", "password_expired", "newsletter_subscribed", "store_credit"} <= set(
        fields
    )
    assert {"address_line1", "address_postal_code", "address_email", "billing_line1", "billing_country"} <= set(
        CUSTOMER_COLUMNS
    )
    assert not {"number", "id", "metadata", "address", "billing_address"} & set(CUSTOMER_COLUMNS)


def test_boolean_and_list_columns():
    assert sorted(BOOLEAN_COLUMNS) == ["allow_credit_limit", "hide_price", "newsletter_subscribed", "password_expired"]
    assert sorted(LIST_COLUMNS) == ["default_shipping_methods", "emails", "phones"]


def test_every_column_has_its_own_key():
    assert len({header_key(column) for column in CUSTOMER_COLUMNS}) == len(CUSTOMER_COLUMNS)


@pytest.mark.parametrize("column", CUSTOMER_COLUMNS)
def test_every_canonical_name_maps_to_itself(column):
    assert canonical(column) == column


# --- header matching -------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["external_id", "External Id", "ExternalId", "EXTERNAL-ID", "external.id", "  external_id\t", "ext_ernal id"],
)
def test_names_match_ignoring_case_whitespace_and_separators(name):
    assert canonical(name) == "external_id"


@pytest.mark.parametrize(
    ("name", "column"),
    [
        ("user_code", "code"),
        ("customer_code", "code"),
        ("CompanyNumber", "code"),
        ("Customer Code", "code"),
        ("zip", "address_postal_code"),
        ("ZipCode", "address_postal_code"),
        ("post_code", "address_postal_code"),
        ("postcode", "address_postal_code"),
        ("postal_code", "address_postal_code"),
        ("email", "emails"),
        ("E-mail", "emails"),
        ("phone", "phones"),
        ("ExternalId", "external_id"),
        ("address", "address_line1"),
        ("address1", "address_line1"),
        ("Address Line 1", "address_line1"),
        ("address_line", "address_line1"),  # vendor 001
        ("street", "address_line1"),
        ("address2", "address_line2"),
        ("city", "address_city"),
        ("suburb", "address_city"),
        ("state", "address_state"),
        ("country", "address_country"),
        ("company", "company_name"),
        ("CompanyName", "company_name"),
        ("firstname", "first_name"),
        ("First Name", "first_name"),
        ("lastname", "last_name"),
        ("surname", "last_name"),
        ("abn", "tax_id"),  # vendor 001
        ("abn_branch", "tax_branch"),
        ("sex", "gender"),
        ("shipping_profile", "shipping_profile_id"),
        ("customer_password_expired", "password_expired"),
        ("newsletter", "newsletter_subscribed"),
        ("Status", "status"),  # vendor 002's PascalCase
        ("Type", "type"),
        ("Fax", "fax"),
        ("BillingAddress.Street", "billing_line1"),  # vendor 002's nested BillingAddress, flattened
        ("BillingAddress.Zip", "billing_postal_code"),
        ("BillingAddress.City", "billing_city"),
        ("Billing Zip", "billing_postal_code"),
        ("billing_address", "billing_line1"),
        ("billing_email", "billing_email"),
        ("Shipping City", "address_city"),
        ("address_zip", "address_postal_code"),
        ("address_line_1", "address_line1"),
        ("address_email", "address_email"),
        ("Default Address Zip", "address_postal_code"),
    ],
)
def test_aliases(name, column):
    assert canonical(name) == column


@pytest.mark.parametrize("name", ["number", "customer_number", "id", "metadata", "notes", "address_number", ""])
def test_read_only_and_foreign_names_are_unknown(name):
    column_map = map_customer_header(["name", name])
    assert column_map.columns == {0: "name"}
    assert column_map.unknown == [name]


def test_a_column_map_records_indexes_written_names_unknown_and_duplicates():
    header = ["Notes", "Name", "E-mail", "notes", "Zip", "email", "Extra", "Name", "Notes", "email"]
    column_map = map_customer_header(header)
    assert column_map == ColumnMap(
        columns={1: "name", 2: "emails", 4: "address_postal_code"},
        names={"name": "Name", "emails": "E-mail", "address_postal_code": "Zip"},
        unknown=["Notes", "notes", "Extra"],
        duplicates=["email", "Name"],
        width=10,
    )


def test_a_customer_header_needs_a_known_column_but_no_particular_one():
    assert map_customer_header(["external_id"]).columns == {0: "external_id"}
    with pytest.raises(HeaderError) as caught:
        map_customer_header(["foo", "bar"])
    assert caught.value.code == "no_known_column"


@pytest.mark.parametrize(
    ("header", "columns"),
    [
        (["customer_sku", "product_id"], {0: "customer_sku", 1: "product_id"}),
        (["Product ID", "Customer SKU"], {0: "product_id", 1: "customer_sku"}),
        (["sku", "product"], {0: "customer_sku", 1: "product_id"}),
        (["SKU", "ProductId", "note"], {0: "customer_sku", 1: "product_id"}),
    ],
)
def test_sku_headers(header, columns):
    assert map_sku_header(header).columns == columns
    assert SKU_COLUMNS == ("customer_sku", "product_id")


@pytest.mark.parametrize(
    ("header", "code", "named"),
    [
        (["note", "other"], "no_known_column", None),
        (["customer_sku", "note"], "missing_column", "product_id"),
        (["product_id"], "missing_column", "customer_sku"),
        (["name", "code"], "no_known_column", None),  # customer columns mean nothing in a SKU file
    ],
)
def test_a_sku_header_needs_both_columns(header, code, named):
    with pytest.raises(HeaderError) as caught:
        map_sku_header(header)
    assert caught.value.code == code
    if named:
        assert named in caught.value.message


# --- customer rows ----------------------------------------------------------------------


def test_cells_are_unescaped_and_otherwise_kept_exactly():
    body = body_of(["name", "code", "external_id", "tax_id"], ["'=Acme", " 00123 ", "'-42", "0001234567890123456789"])
    assert body == {"name": "=Acme", "code": " 00123 ", "external_id": "-42", "tax_id": "0001234567890123456789"}


def test_empty_cells_are_left_out():
    assert body_of(["name", "code", "external_id", "emails"], ["Acme", "", "", ""]) == {"name": "Acme"}


def test_missing_trailing_cells_are_empty():
    assert body_of(["name", "code", "external_id"], ["Acme"]) == {"name": "Acme"}


def test_unknown_and_duplicate_columns_are_ignored():
    assert body_of(["name", "notes", "Name"], ["Acme", "ignored", "also ignored"]) == {"name": "Acme"}


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("true", True),
        ("TRUE", True),
        ("Yes", True),
        ("y", True),
        ("1", True),
        (" yes ", True),
        ("false", False),
        ("False", False),
        ("NO", False),
        ("n", False),
        ("0", False),
    ],
)
@pytest.mark.parametrize("column", sorted(BOOLEAN_COLUMNS))
def test_boolean_cells(column, cell, value):
    assert body_of(["name", column], ["Acme", cell]) == {"name": "Acme", column: value}


@pytest.mark.parametrize("cell", ["maybe", "2", "t", "on", "'true", "yes please"])
def test_other_boolean_cells_are_a_problem(cell):
    header = ["name", "Hide Price"]
    body, problems = customer_body(["Acme", cell], map_customer_header(header))
    assert problems == [CellProblem("Hide Price", "invalid_boolean", problems[0].message)]
    assert "hide_price" not in body


def test_list_cells_are_split_on_semicolons_and_stripped():
    body = body_of(
        ["name", "email", "phones", "default_shipping_methods"],
        ["Acme", "a@example.com; b@example.com ;;", " +61 2 1234 5678 ;", "ship_1;ship_2"],
    )
    assert body == {
        "name": "Acme",
        "emails": ["a@example.com", "b@example.com"],
        "phones": ["+61 2 1234 5678"],
        "default_shipping_methods": ["ship_1", "ship_2"],
    }


def test_a_list_cell_of_only_separators_has_no_value():
    assert body_of(["name", "emails"], ["Acme", " ; ;"]) == {"name": "Acme"}


def test_money_cells_stay_strings():
    assert body_of(["name", "store_credit", "credit_limit"], ["Acme", "12.50", "0100"]) == {
        "name": "Acme",
        "store_credit": "12.50",
        "credit_limit": "0100",
    }


def test_address_cells_build_the_address_objects():
    header = ["name", "Street", "Suburb", "Zip", "Country", "address_email", "billing_line1", "BillingAddress.Zip"]
    row = ["Acme", "1 Main St", "Surry Hills", "02010", "AU", "", "PO Box 5", "2000"]
    assert body_of(header, row) == {
        "name": "Acme",
        "address": {"line1": "1 Main St", "city": "Surry Hills", "postal_code": "02010", "country": "AU"},
        "billing_address": {"line1": "PO Box 5", "postal_code": "2000"},
    }


def test_an_address_with_only_empty_cells_is_left_out():
    assert body_of(["name", "address_line1", "billing_city"], ["Acme", "", ""]) == {"name": "Acme"}


def test_a_full_row_is_a_valid_customer_creation_body():
    header = [
        "Name",
        "Customer Code",
        "ExternalId",
        "Email",
        "Phone",
        "Newsletter",
        "Store Credit",
        "Address",
        "City",
        "Zip",
        "Country",
        "Billing Line1",
        "Billing Country",
    ]
    row = ["Acme", "A-1", "ext-1", "a@example.com;b@example.com", "+61 2 1234", "yes", "12.5"]
    row += ["1 Main St", "Sydney", "2000", "AU", "PO Box 1", "AU"]
    customer = validate(CustomerCreation, body_of(header, row))
    assert customer.emails == ["a@example.com", "b@example.com"]
    assert customer.newsletter_subscribed is True
    assert customer.store_credit == "12.50"
    assert customer.address is not None and customer.address.postal_code == "2000"
    assert customer.billing_address is not None and customer.billing_address.line1 == "PO Box 1"


def test_non_empty_cells_beyond_the_header_are_a_problem():
    assert problems_of(["name", "code"], ["Acme", "A1", "", "surprise"]) == [("", "too_many_cells")]
    assert problems_of(["name", "code"], ["Acme", "A1", "", ""]) == []
    assert problems_of(["name", "notes"], ["Acme", "", "x"]) == [("", "too_many_cells")]


def test_every_problem_of_a_row_is_reported():
    header = ["name", "hide_price", "allow_credit_limit"]
    assert problems_of(header, ["Acme", "maybe", "perhaps", "extra"]) == [
        ("", "too_many_cells"),
        ("hide_price", "invalid_boolean"),
        ("allow_credit_limit", "invalid_boolean"),
    ]


# --- SKU rows --------------------------------------------------------------------------


def test_sku_cells_are_unescaped_but_never_trimmed():
    column_map = map_sku_header(["SKU", "Product"])
    assert sku_body([" 00042 ", "'=prod_1"], column_map) == ({"customer_sku": " 00042 ", "product_id": "=prod_1"}, [])


def test_an_empty_sku_cell_is_left_out_to_read_as_missing():
    column_map = map_sku_header(["customer_sku", "product_id"])
    assert sku_body(["", "prod_1"], column_map) == ({"product_id": "prod_1"}, [])
    assert sku_body(["A-1"], column_map) == ({"customer_sku": "A-1"}, [])


def test_a_sku_row_with_too_many_cells():
    column_map = map_sku_header(["customer_sku", "product_id"])
    body, problems = sku_body(["A-1", "prod_1", "x"], column_map)
    assert body == {"customer_sku": "A-1", "product_id": "prod_1"}
    assert [(problem.column, problem.code) for problem in problems] == [("", "too_many_cells")]


# --- pointers back to columns -------------------------------------------------------------


@pytest.mark.parametrize(
    ("pointer", "column"),
    [
        ("/name", "Customer Name"),
        ("/emails/1", "E-mail"),
        ("/emails", "E-mail"),
        ("/address/postal_code", "Zip"),
        ("/billing_address/line1", "Billing Street"),
        ("/code", None),  # no code column in this file
        ("/address/line1", None),
        ("/address", None),
        ("/metadata/x", None),
        ("", None),
        ("/", None),
    ],
)
def test_column_for_pointer(pointer, column):
    column_map = map_customer_header(["Customer Name", "E-mail", "Zip", "Billing Street"])
    assert column_for_pointer(pointer, column_map) == column


def test_column_for_pointer_in_sku_files():
    column_map = map_sku_header(["SKU", "Product"])
    assert column_for_pointer("/customer_sku", column_map) == "SKU"
    assert column_for_pointer("/product_id", column_map) == "Product"
