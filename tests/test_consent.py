"""Consent as a ledger: grants and withdrawals per channel; opt-in contact decisions."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FakeClock
from debitor_core import ConsentChannel, CustomerBook, NotFound, ValidationError

KOKS = {"name": "SIA Koks", "address": {"country": "LV"}}


class TestMayContact:
    def test_opt_in(self, book):
        """A channel never granted is not allowed."""
        koks = book.register(KOKS)
        assert [False] * 4 == [book.may_contact(koks.id, c) for c in ConsentChannel]

    def test_grant_and_withdraw(self, book):
        """The last grant or withdrawal of a channel decides; other channels stay as they were."""
        koks = book.register(KOKS)
        book.record_consent(koks.id, "email", given=True, source="signup form", wording="v1")
        book.record_consent(koks.id, ConsentChannel.SMS, given=True)
        book.record_consent(koks.id, "email", given=False, source="phone call")
        assert (False, True, False) == (
            book.may_contact(koks.id, "email"),
            book.may_contact(str(koks.id), "sms"),
            book.view().may_contact(koks.id, "post"),
        )

    def test_the_past_is_kept(self, book):
        """Every grant and withdrawal stays in the ledger, with time, source and wording."""
        koks = book.register({**KOKS, "consent": {"email": True, "source": "shop checkout"}})
        book.record_consent(koks.id, "email", given=False, source="phone call", wording="v2")
        ledger = book.get(koks.id).consents
        assert [
            (ConsentChannel.EMAIL, True, "shop checkout", None),
            (ConsentChannel.EMAIL, False, "phone call", "v2"),
        ] == [(c.channel, c.given, c.source, c.wording) for c in ledger]
        assert ledger[0].at < ledger[1].at

    def test_bad_input(self, book):
        """An unknown channel or a bad wording is refused; nothing is recorded."""
        koks = book.register(KOKS)
        with pytest.raises(ValidationError):
            book.may_contact(koks.id, "pigeon")
        with pytest.raises(ValidationError):
            book.record_consent(koks.id, "pigeon", given=True)
        with pytest.raises(ValidationError):
            book.record_consent(koks.id, "email", given=True, wording="x" * 201)
        with pytest.raises(ValidationError):
            book.record_consent(koks.id, "email", given=True, wording="bad\x00")
        with pytest.raises(NotFound):
            book.may_contact("nobody", "email")
        assert () == book.get(koks.id).consents

    def test_recorded_in_history(self, book):
        """A consent record is a change of the customer, with its author."""
        koks = book.register(KOKS)
        book.record_consent(koks.id, "post", given=True, author="anna")
        entry = book.history(koks.id)[-1]
        assert ("anna", ["consents"]) == (entry.author, list(entry.changes))


@settings(max_examples=50)
@given(
    st.lists(
        st.tuples(st.sampled_from(list(ConsentChannel)), st.booleans()),
        max_size=12,
    )
)
def test_state_is_the_last_record_per_channel(records):
    """may_contact equals the last grant or withdrawal of each channel (False if none)."""
    book = CustomerBook(clock=FakeClock())
    koks = book.register(KOKS)
    expected = dict.fromkeys(ConsentChannel, False)
    for channel, given_ in records:
        book.record_consent(koks.id, channel, given=given_)
        expected[channel] = given_
    assert expected == {c: book.may_contact(koks.id, c) for c in ConsentChannel}
