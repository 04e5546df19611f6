"""Turns pydantic's validation errors into the API's field errors (JSON Pointer, code, message)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from clientele.domain.kernel.errors import FieldError, ValidationFailed

if TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

_TYPE_NAMES = {
    "string_type": "a string",
    "bool_type": "a boolean",
    "int_type": "an integer",
    "list_type": "an array",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
}


def pointer(path: Iterable[str | int]) -> str:
    """RFC 6901 JSON Pointer for a path of keys and indexes."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def _path(loc: tuple[Any, ...]) -> list[str | int]:
    # pydantic reports a dict key's own error as (..., key, "[key]"): point at the key.
    return [part for part in loc if part != "[key]"]


def _code_and_message(error: Mapping[str, Any]) -> tuple[str, str]:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return "required", "is required"
    if kind == "extra_forbidden":
        return "unknown_field", "is not a field of this resource"
    if kind in _TYPE_NAMES:
        return "invalid_type", f"must be {_TYPE_NAMES[kind]}"
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return "blank", "must not be empty (send null to clear an optional field)"
        return "too_short", f"must be at least {ctx.get('min_length')} characters"
    if kind == "string_too_long":
        return "too_long", f"must be at most {ctx.get('max_length')} characters"
    if kind == "too_long":
        return "too_many_items", f"must have at most {ctx.get('max_length')} items"
    if kind == "literal_error":
        return "invalid_choice", f"must be one of {ctx.get('expected')}"
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        bound = next(iter(ctx.values()), "")
        word = {"greater_than_equal": "at least", "less_than_equal": "at most"}.get(kind, kind.replace("_", " "))
        return "out_of_range", f"must be {word} {bound}"
    if kind in {"int_parsing", "bool_parsing", "datetime_from_date_parsing", "datetime_parsing", "timezone_aware"}:
        expected = {"int_parsing": "an integer", "bool_parsing": "true or false"}.get(
            kind, "an RFC 3339 timestamp with a time zone"
        )
        return "invalid_format", f"must be {expected}"
    if kind == "none_required" or kind.endswith("_type"):
        return "invalid_type", "has the wrong type"
    # Our own PydanticCustomError codes carry their message already.
    return kind, error["msg"]


def field_errors(error: ValidationError, prefix: tuple[str | int, ...] = ()) -> list[FieldError]:
    result = []
    for item in error.errors(include_url=False, include_input=False):
        code, message = _code_and_message(item)
        result.append(FieldError(code=code, message=message, pointer=pointer((*prefix, *_path(item["loc"])))))
    return result


def parameter_errors(errors: Iterable[dict[str, Any]]) -> list[FieldError]:
    """Errors of query parameters (pydantic error dicts whose loc ends with the parameter's name)."""
    result = []
    for item in errors:
        code, message = _code_and_message(item)
        result.append(FieldError(code=code, message=message, parameter=str(item["loc"][-1])))
    return result


def validate[M: BaseModel](
    model: type[M], data: Any, *, extra_errors: Sequence[FieldError] = (), at: tuple[str | int, ...] = ()
) -> M:
    """Validate `data` with `model`; every broken rule (and `extra_errors`) in one ValidationFailed.

    `at` is where `data` sits in the request body (pointers start there).
    """
    from pydantic import ValidationError

    try:
        instance = model.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed([*extra_errors, *field_errors(error, at)]) from None
    if extra_errors:
        raise ValidationFailed(list(extra_errors))
    return instance


def read_only_errors(data: dict[str, Any], read_only: Iterable[str], message: str = "is read-only") -> list[FieldError]:
    return [
        FieldError(code="read_only", message=message, pointer=pointer([name])) for name in read_only if name in data
    ]
