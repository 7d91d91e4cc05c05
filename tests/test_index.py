"""Folding for search, new ids, and the in-memory state's operations."""

import os
import sys
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from debitor_core._text import _FOLD, fold
from debitor_core._util import new_id
from debitor_core.storage._memory import StoreState


class TestFold:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Bērziņš", "berzins"),
            ("SIA", "sia"),
            ("Straße", "strasse"),
            ("ẞ", "ss"),
            ("Ærø", "aero"),
            ("ﬁrma", "firma"),
            ("\u210camburg", "hamburg"),  # black-letter H: NFKD gives "H", folded again
            ("e\u0301", "e"),  # a combining accent typed on its own
            ("Łódź", "lodz"),
        ],
    )
    def test_examples(self, text, expected):
        assert fold(text) == expected

    @given(st.text(), st.data())
    def test_the_fold_of_a_part_is_part_of_the_fold(self, text, data):
        """Search relies on this: a folded query found in a folded name."""
        start = data.draw(st.integers(0, len(text)))
        end = data.draw(st.integers(start, len(text)))
        assert fold(text[start:end]) in fold(text)

    @given(st.text())
    def test_folding_twice_changes_nothing(self, text):
        assert fold(fold(text)) == fold(text)

    def test_a_full_table_still_folds(self, monkeypatch):
        """Past its limit the table stops growing but keeps folding correctly."""
        monkeypatch.setattr(type(_FOLD), "LIMIT", 0)
        size = len(_FOLD)
        assert fold("Ǆ\u1e9e") == "dzss"
        assert len(_FOLD) == size


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


def test_state_refuses_an_unknown_operation():
    """A journal naming anything but a write cannot call other methods."""
    with pytest.raises(ValueError, match="unknown operation 'get'"):
        StoreState().apply(("get", uuid.uuid4()))
