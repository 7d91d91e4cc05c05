"""Helpers shared by the book and the stores: new ids, sorted lists, decimals."""

import decimal
import os
import sys
import uuid

import pytest

from debitor_core._util import insert_sorted, merge_unique, new_id, read_decimal, remove_sorted


class TestNewId:
    def test_random_version_4(self):
        ids = {new_id() for _ in range(2000)}  # more than one batch
        assert len(ids) == 2000
        assert {(i.version, i.variant) for i in ids} == {(4, uuid.RFC_4122)}

    @pytest.mark.skipif(sys.platform == "win32", reason="no fork on Windows")
    def test_a_forked_child_does_not_repeat_the_parent(self):
        new_id()  # the parent now holds spare ids
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # pragma: no cover - runs in the child
            os.write(write, new_id().bytes)
            os._exit(0)
        os.close(write)
        _, status = os.waitpid(child, 0)
        child_id = uuid.UUID(bytes=os.read(read, 16))
        os.close(read)
        assert status == 0
        assert child_id != new_id()


class TestSortedLists:
    @pytest.mark.parametrize(
        ("numbers", "number", "expected"),
        [([], 3, [3]), ([1, 2], 3, [1, 2, 3]), ([1, 4], 3, [1, 3, 4]), ([2], 1, [1, 2])],
    )
    def test_insert(self, numbers, number, expected):
        """insert_sorted keeps the list sorted (appending in the usual case)."""
        insert_sorted(numbers, number)
        assert expected == numbers

    @pytest.mark.parametrize(
        ("numbers", "number", "expected"),
        [([1, 2, 3], 2, [1, 3]), ([1, 3], 2, [1, 3]), ([], 1, []), ([1], 5, [1])],
    )
    def test_remove(self, numbers, number, expected):
        """remove_sorted takes the number out if it is there."""
        remove_sorted(numbers, number)
        assert expected == numbers

    def test_merge_unique(self):
        """Sorted lists merge into one sorted run, each number once."""
        assert [1, 2, 3, 5] == list(merge_unique([[1, 3], [2, 3, 5], []]))
        assert [4, 6] == list(merge_unique([[4, 6]]))


class TestReadDecimal:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("1.50", decimal.Decimal("1.50")),
            (7, decimal.Decimal(7)),
            (0.5, decimal.Decimal("0.5")),
            (decimal.Decimal(2), decimal.Decimal(2)),
            (True, None),
            ("abc", None),
            ("NaN", None),
            ("Infinity", None),
            (None, None),
            (object(), None),
        ],
    )
    def test_examples(self, value, expected):
        """Numbers and their text become decimals; anything else (or infinite) is None."""
        assert expected == read_decimal(value)
