"""Who is signed in, and what of the book they may read.

The guide keeps private notes visible only to the business owner and the users they
grant access. The app has two demo users: the owner, who has the grant, and an
assistant, who has not. A real host app takes its users from its own sign-in; only
`User.sees_private` matters to the screens.

`reader_for` is the one place that decides what a user reads: the library's read-only
view of the book (`CustomerBook.view`), with private data for users who have the grant
and without it for the others. A view has no writing methods, so a screen that reads
cannot write by mistake, and a view without the grant cannot hand out a private value.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from debitor_core import BookView, CustomerBook

__all__ = ["USERS", "User", "reader_for"]


@attrs.frozen
class User:
    """A signed-in user.

    Attributes:
        name: The user's id, recorded as the author of notes and changes.
        title: How the app shows the user.
        sees_private: Whether the user has the private-data grant (private notes,
            attachments and personal-data custom fields).
    """

    name: str
    title: str
    sees_private: bool


USERS: Mapping[str, User] = {
    "owner": User("owner", "Anna (owner)", sees_private=True),
    "assistant": User("assistant", "Pēteris (assistant)", sees_private=False),
}
"""The demo users, by name."""


def reader_for(book: CustomerBook, user: User) -> BookView:
    """What ``user`` reads the book through: the one place private data is kept back."""
    return book.view(private=user.sees_private)
