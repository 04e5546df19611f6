"""A transaction knows which items its actions touch, its absorbed units' actions included."""

import pytest

from clientele.config import get_settings
from clientele.store.kernel.transactions import Transaction


@pytest.fixture(autouse=True)
def table(monkeypatch):
    monkeypatch.setenv("TABLE_NAME", "clientele-unit")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _unit(pk: str) -> Transaction:
    unit = Transaction()
    unit.put({"pk": pk, "sk": "A", "name": "x"}, tag="put", condition="attribute_not_exists(pk)")
    unit.update({"pk": pk, "sk": "B"}, tag="update", update="SET #n = :n", names={"#n": "n"}, values={":n": 1})
    unit.delete({"pk": pk, "sk": "C"}, tag="delete", return_old=True)
    unit.check({"pk": pk, "sk": "D"}, tag="check", condition="attribute_exists(pk)")
    return unit


def test_item_keys_name_every_action_and_absorbed_ones():
    combined = _unit("P1")
    combined.absorb(_unit("P2"), prefix="second|")

    assert len(combined) == 8
    assert combined.item_keys() == {(pk, sk) for pk in ("P1", "P2") for sk in "ABCD"}
