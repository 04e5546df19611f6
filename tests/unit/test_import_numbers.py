"""Customer numbers an import range holds: used in order, never twice, kept in its checkpoint."""

from __future__ import annotations

from clientele.domain.imports.numbers import NumberPool


def test_numbers_are_used_in_the_order_they_were_reserved():
    pool = NumberPool()
    pool.add(range(10, 13))
    pool.add(range(20, 22))

    assert list(pool) == [10, 11, 12, 20, 21] and len(pool) == 5
    assert list(pool.after_using(2)) == [12, 20, 21]
    assert list(pool.after_using(4)) == [21]
    assert list(pool.after_using(5)) == [] and pool.after_using(5).as_checkpoint() == []


def test_a_reservation_that_continues_the_last_block_extends_it():
    pool = NumberPool([range(1, 4)])
    pool.add(range(4, 6))

    assert pool.as_checkpoint() == [[1, 6]]


def test_what_is_left_round_trips_through_the_checkpoint():
    left = NumberPool([range(5, 8), range(30, 40)]).after_using(1)

    assert NumberPool.from_checkpoint({"numbers": left.as_checkpoint()}) == left
    assert list(NumberPool.from_checkpoint({"numbers": left.as_checkpoint()}))[:3] == [6, 7, 30]


def test_a_checkpoint_written_before_pools_holds_one_block():
    assert list(NumberPool.from_checkpoint({"numbers_next": 41, "numbers_end": 44})) == [41, 42, 43]
    assert list(NumberPool.from_checkpoint({"offset": 0})) == []
