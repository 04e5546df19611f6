"""RFC 7396 JSON Merge Patch: applying one, and the body model that describes one."""

from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, create_model


def apply(target: Any, patch: Any) -> Any:
    """Absent keys stay, null removes, objects merge recursively, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply(result.get(key), value)
    return result


def patch_model(model: type[BaseModel], name: str, doc: str) -> type[BaseModel]:
    """The merge-patch body of `model`: every field optional, null clears it (derived, so it can't drift)."""
    # Optional[]: `annotation | None` fails to type-check, as pydantic types an annotation as possibly None.
    # dict[str, Any]: create_model() takes the fields as keyword arguments next to its own typed options.
    fields: dict[str, Any] = {
        field: (Optional[info.annotation], None)  # noqa: UP045
        for field, info in model.model_fields.items()
    }
    return create_model(name, __doc__=doc, __config__=ConfigDict(extra="forbid"), **fields)
