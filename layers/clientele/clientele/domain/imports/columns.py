"""Import CSV columns: which field a header names, and a row's cells as the body the API's models validate.

Header names match canonical column names or their aliases case-insensitively,
ignoring surrounding whitespace and the characters space, `_`, `-` and `.`
(API.md §6). The aliases are the names other systems' exports use.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_origin

from clientele.domain.csvio.records import HeaderError, unescape_cell
from clientele.domain.customers.addresses import AddressFields
from clientele.domain.customers.fields import CustomerCreation

# The objects of CustomerCreation that address columns fill, and each one's column prefix.
ADDRESS_OBJECTS = {"address": "address_", "billing_address": "billing_"}
_NOT_IMPORTED = frozenset({"metadata", "default_shipping_address_id", "default_billing_address_id", *ADDRESS_OBJECTS})

_CUSTOMER_FIELDS = tuple(name for name in CustomerCreation.model_fields if name not in _NOT_IMPORTED)
_ADDRESS_FIELDS = tuple(AddressFields.model_fields)

CUSTOMER_COLUMNS: tuple[str, ...] = (
    *_CUSTOMER_FIELDS,
    *(prefix + name for prefix in ADDRESS_OBJECTS.values() for name in _ADDRESS_FIELDS),
)
SKU_COLUMNS = ("customer_sku", "product_id")

BOOLEAN_COLUMNS = frozenset(
    name for name, info in CustomerCreation.model_fields.items() if name in _CUSTOMER_FIELDS and info.annotation is bool
)
LIST_COLUMNS = frozenset(
    name for name in _CUSTOMER_FIELDS if get_origin(CustomerCreation.model_fields[name].annotation) is list
)
LIST_SEPARATOR = ";"
_BOOLEANS = {"true": True, "yes": True, "y": True, "1": True, "false": False, "no": False, "n": False, "0": False}

# --- aliases ---------------------------------------------------------------------------

# Other names of customer columns. `number` is read-only, so no alias leads to it.
CUSTOMER_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("user_code", "customer_code", "CompanyNumber", "client_code", "account_code"),
    "external_id": ("ExternalId", "external_ref", "external_reference"),
    "name": ("customer_name", "full_name", "display_name"),
    "first_name": ("firstname", "given_name", "forename"),
    "last_name": ("lastname", "surname", "family_name"),
    "company_name": ("company", "CompanyName", "business_name"),
    "emails": ("email", "email_address", "e-mail"),
    "phones": ("phone", "phone_number", "telephone"),
    "mobile": ("mobile_phone", "mobile_number", "cell_phone"),
    "fax": ("fax_number",),
    "tax_id": ("abn", "vat_number", "tax_number"),
    "tax_branch": ("abn_branch",),
    "gender": ("sex",),
    "newsletter_subscribed": ("newsletter", "accepts_email_marketing"),
    "shipping_profile_id": ("shipping_profile",),
    "password_expired": ("customer_password_expired",),
    "organization_id": ("organisation_id",),
}

# Other names of address fields, used after any prefix of ADDRESS_PREFIXES.
ADDRESS_ALIASES: dict[str, tuple[str, ...]] = {
    "line1": ("address", "address1", "address_line", "street", "street1", "street_address"),
    "line2": ("address2", "street2"),
    "city": ("suburb", "town"),
    "state": ("province", "province_code", "region"),
    "postal_code": ("zip", "zipcode", "zip_code", "post_code", "postcode"),
    "country": ("country_code",),
    "company_name": ("company",),
    "first_name": ("firstname",),
    "last_name": ("lastname", "surname"),
}

# Prefixes naming each address object; "" means a bare location column (`city`, `zip`) is the first address.
ADDRESS_PREFIXES: dict[str, tuple[str, ...]] = {
    "address": ("address_", "shipping_", "shipping_address_", "default_address_", ""),
    "billing_address": ("billing_", "billing_address_"),
}
# Only these address fields may go without a prefix: a bare `email` or `phone` is the customer's.
_BARE_ADDRESS_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")

SKU_ALIASES: dict[str, tuple[str, ...]] = {
    "customer_sku": ("sku", "customer_item_code", "customer_part_number"),
    "product_id": ("product", "productid", "internal_product_id"),
}


def header_key(name: str) -> str:
    """What a header name is matched on: case, surrounding whitespace, spaces, `_`, `-` and `.` ignored."""
    return "".join(char for char in name.strip().casefold() if char not in " _-.")


def _add(table: dict[str, str], name: str, column: str) -> None:
    key = header_key(name)
    if table.setdefault(key, column) != column:
        raise ValueError(f"header {name!r} would name both {table[key]} and {column}")


def _address_names(field: str) -> tuple[str, ...]:
    return (field, *ADDRESS_ALIASES.get(field, ()))


def _customer_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for column in CUSTOMER_COLUMNS:
        _add(table, column, column)
    for column, aliases in CUSTOMER_ALIASES.items():
        for alias in aliases:
            _add(table, alias, column)
    for target, prefixes in ADDRESS_PREFIXES.items():
        for field in _ADDRESS_FIELDS:
            column = ADDRESS_OBJECTS[target] + field
            for prefix in prefixes:
                if prefix or field in _BARE_ADDRESS_FIELDS:
                    for name in _address_names(field):
                        _add(table, prefix + name, column)
    return table


def _sku_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for column in SKU_COLUMNS:
        _add(table, column, column)
        for alias in SKU_ALIASES[column]:
            _add(table, alias, column)
    return table


_CUSTOMER_LOOKUP = _customer_lookup()
_SKU_LOOKUP = _sku_lookup()

# --- header mapping ------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMap:
    columns: dict[int, str]  # file column index -> canonical name
    names: dict[str, str]  # canonical name -> header name as written in the file
    unknown: list[str]  # header names that matched nothing, once each, in file order
    duplicates: list[str]  # header names ignored: an earlier column maps to the same canonical name
    width: int  # number of header cells; a row's non-empty cells beyond it are a problem


def _map_header(names: list[str], lookup: dict[str, str]) -> ColumnMap:
    columns: dict[int, str] = {}
    shown: dict[str, str] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    for index, written in enumerate(names):
        name = written.strip()
        column = lookup.get(header_key(name))
        if column is None:
            if name not in unknown:
                unknown.append(name)
        elif column in shown:
            if name not in duplicates:
                duplicates.append(name)
        else:
            columns[index] = column
            shown[column] = name
    if not columns:
        raise HeaderError("no_known_column", "no column of the header is a known column name")
    return ColumnMap(columns, shown, unknown, duplicates, len(names))


def map_customer_header(names: list[str]) -> ColumnMap:
    return _map_header(names, _CUSTOMER_LOOKUP)


def map_sku_header(names: list[str]) -> ColumnMap:
    column_map = _map_header(names, _SKU_LOOKUP)
    missing = [column for column in SKU_COLUMNS if column not in column_map.names]
    if missing:
        raise HeaderError("missing_column", f"the header has no {missing[0]} column")
    return column_map


# --- rows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellProblem:
    column: str  # header name as written in the file ("" for the row as a whole)
    code: str
    message: str


def _cell(cells: list[str], index: int) -> str:
    # Missing trailing cells are empty.
    return unescape_cell(cells[index]) if index < len(cells) else ""


def _too_many_cells(cells: list[str], column_map: ColumnMap) -> list[CellProblem]:
    extra = cells[column_map.width :]
    if any(extra):
        message = f"the row has {len(cells)} cells but the header has {column_map.width} columns"
        return [CellProblem("", "too_many_cells", message)]
    return []


def _list_items(value: str) -> list[str]:
    return [item.strip() for item in value.split(LIST_SEPARATOR) if item.strip()]


def _place(body: dict[str, Any], column: str, value: Any) -> None:
    """Put the value where the column belongs: the body, or its address or billing_address object."""
    for target, prefix in ADDRESS_OBJECTS.items():
        if column.startswith(prefix):
            body.setdefault(target, {})[column.removeprefix(prefix)] = value
            return
    body[column] = value


def customer_body(cells: list[str], column_map: ColumnMap) -> tuple[dict[str, Any], list[CellProblem]]:
    """The row as a CustomerCreation body holding its non-empty cells (an empty cell means no value)."""
    body: dict[str, Any] = {}
    problems = _too_many_cells(cells, column_map)
    for index, column in column_map.columns.items():
        value: Any = _cell(cells, index)
        if not value:
            continue
        if column in BOOLEAN_COLUMNS:
            value = _BOOLEANS.get(value.strip().casefold())
            if value is None:
                problems.append(
                    CellProblem(column_map.names[column], "invalid_boolean", "must be true/false, yes/no, y/n or 1/0")
                )
                continue
        elif column in LIST_COLUMNS:
            value = _list_items(value)
            if not value:  # only separators and spaces: no value either
                continue
        _place(body, column, value)
    return body, problems


def sku_body(cells: list[str], column_map: ColumnMap) -> tuple[dict[str, Any], list[CellProblem]]:
    """The row as a SKU mapping body; cells are kept exactly, an empty one is left out so it reads as missing."""
    body = {column: _cell(cells, index) for index, column in column_map.columns.items()}
    return {column: value for column, value in body.items() if value}, _too_many_cells(cells, column_map)


def _pointer_parts(pointer: str) -> list[str]:
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer.split("/")[1:]]


def column_for_pointer(pointer: str, column_map: ColumnMap) -> str | None:
    """The file's header name for a field a validation error points at (JSON Pointer), if a column holds it."""
    parts = _pointer_parts(pointer)
    if not parts:
        return None
    column = parts[0]
    if column in ADDRESS_OBJECTS:
        if len(parts) < 2:
            return None
        column = ADDRESS_OBJECTS[column] + parts[1]
    return column_map.names.get(column)
