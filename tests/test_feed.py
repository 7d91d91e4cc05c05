"""The change set a store's feed answers with."""

import uuid

from debitor_core.storage import ChangeFeed, ChangeSet
from debitor_core.testing import sample_customer


class TestChangeSet:
    def test_empty(self):
        """A change set with nothing in it says so; any change makes it non-empty."""
        assert ChangeSet("s", 3, 3).empty
        assert not ChangeSet("s", 3, 4, customers=(sample_customer(),)).empty
        assert not ChangeSet("s", 3, 4, deleted=(uuid.uuid4(),)).empty
        assert not ChangeSet("s", 3, 4, categories=True).empty
        assert not ChangeSet("s", 3, 4, custom_fields=True).empty

    def test_repr(self):
        """The repr counts what changed, without personal data."""
        changes = ChangeSet("s", 3, 5, customers=(sample_customer(),), deleted=(uuid.uuid4(),))
        assert "<ChangeSet 3->5: 1 customers, 1 deleted, 0 records>" == repr(changes)

    def test_protocol_is_optional(self):
        """A store without the feed's methods is not a ChangeFeed (the book reloads instead)."""

        class Bare:
            pass

        assert not isinstance(Bare(), ChangeFeed)
