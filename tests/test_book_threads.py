"""CustomerBook under threads: readers see each customer's old or new state, never neither.

Real threads, with the scheduler nudged so that rare interleavings become common: the
writer lets the other threads run at each line of the library's own code (a trace
function), and each reader, after its book has looked at the store's revision, stalls
for a random while (a store wrapper). A read that checked the revision before a commit
thus ends anywhere in the middle of the writer's work, which in production happens
once in millions of reads. Randomness is seeded; the writer waits for every reader to
finish a loop after each round, so reads overlap writes in every round.
"""

import random
import sys
import threading
import time

import pytest

from debitor_core import CustomerBook, NotFound
from debitor_core.storage import InMemoryStore

STABLE = 8
READERS = 2
QUIET = (  # modules that hold no state of the book: validation, folding, helpers, storage
    "_form.py",
    "_rules.py",
    "_postal.py",
    "_fields.py",
    "_terms.py",
    "_model.py",
    "_text.py",
    "_util.py",
)


def yield_at_each_line(frame, _event, _arg):
    """A trace function: at each line of the library's own code, let other threads run."""
    name = frame.f_code.co_filename
    if "debitor_core" not in name or "storage" in name or name.endswith(QUIET):
        return None

    def local(_frame, event, _arg):
        if event == "line":
            time.sleep(0)
        return local

    return local


class StallingStore(InMemoryStore):
    """An in-memory store whose readers stall a random while after reading the revision."""

    def __init__(self):
        super().__init__()
        self.readers = threading.local()

    def revision(self):
        revision = super().revision()
        rng = getattr(self.readers, "rng", None)
        if rng is not None:
            for _ in range(rng.randrange(24)):
                time.sleep(0)
        return revision


class Readers:
    """Threads that check a book's promises in a loop while the test writes."""

    def __init__(self, book, *, shrinking=False):
        self.book = book
        self.stable = book.customers(archived=None).items
        self.shrinking = shrinking  # whether len() may go down (merges delete)
        self.failures = []
        self.loops = [0] * READERS
        self.progress = threading.Condition()
        self.done = False
        self.threads = [threading.Thread(target=self.read, args=(i,)) for i in range(READERS)]

    def check(self, seen):
        book = self.book
        for customer in self.stable:
            try:
                assert book.get(customer.id).id == customer.id
                assert book.get_by_number(customer.number).id == customer.id
            except NotFound as exc:
                self.failures.append(f"missed customer {customer.number}: {exc}")
        count = len(book)
        if count < STABLE or (count < seen and not self.shrinking):
            self.failures.append(f"len() went from {seen} to {count}")
        found = {c.number for c in book.search("stable", archived=None)}
        missing = {c.number for c in self.stable} - found
        if missing:
            self.failures.append(f"search missed {sorted(missing)}")
        return count

    def read(self, index):
        self.book.store.readers.rng = random.Random(index)
        seen = 0
        while not self.done:
            seen = self.check(seen)
            with self.progress:
                self.loops[index] += 1
                self.progress.notify_all()

    def run(self, rounds, write_round):
        """Run ``write_round(i)`` for each round, with the readers looping alongside."""
        for thread in self.threads:
            thread.start()
        tracer = sys.gettrace()  # coverage's, when it measures
        sys.settrace(yield_at_each_line)
        try:
            for round_ in range(rounds):
                start = min(self.loops)
                write_round(round_)
                with self.progress:
                    self.progress.wait_for(lambda: min(self.loops) > start)  # noqa: B023
        finally:
            sys.settrace(tracer)
            self.done = True
            for thread in self.threads:
                thread.join()
        return self.failures


def stable_book(clock):
    book = CustomerBook(StallingStore(), clock=clock)
    book.create_category("Retail")
    book.register_many(
        [{"name": f"Stable {i}", "address": {"country": "LV"}} for i in range(STABLE)]
    )
    return book


@pytest.fixture(params=[20, pytest.param(400, marks=pytest.mark.slow)])
def rounds(request):
    """How many rounds of writes: enough to fail without the fix in CI, more under slow."""
    return request.param


class TestReadersDuringWrites:
    def test_updates_archives_and_registrations(self, clock, rounds):
        """Reads during updates, archiving and registrations never miss a customer."""
        book = stable_book(clock)
        readers = Readers(book)

        def write_round(round_):
            customer = readers.stable[round_ % STABLE]
            version = book.get(customer.id).version
            book.update(customer.id, {"contact_person": f"P {round_}"}, expected_version=version)
            book.archive(customer.id)
            book.restore(customer.id)
            book.register({"name": f"New {round_}", "address": {"country": "LV"}})

        assert [] == readers.run(rounds, write_round)
        assert STABLE + rounds == len(book)
        assert all(loops >= rounds for loops in readers.loops)

    def test_categories_and_merges(self, clock, rounds):
        """Reads during category changes and merges of other customers never miss one."""
        book = stable_book(clock)
        readers = Readers(book, shrinking=True)

        def write_round(round_):
            customer = readers.stable[round_ % STABLE]
            book.categorise(customer.id, add=["Retail"])
            keep = book.register({"name": f"Keep {round_}", "address": {"country": "LV"}})
            gone = book.register({"name": f"Gone {round_}", "address": {"country": "LV"}})
            book.merge(keep.id, gone.id)
            book.categorise(customer.id, remove=["Retail"])

        assert [] == readers.run(rounds, write_round)
        assert STABLE + rounds == len(book)
