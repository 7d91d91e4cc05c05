"""Book promises across real processes: idempotency keys and the shared outbox.

One registration per idempotency key, and workers sharing the welcome-invoice outbox
without conflicts or double sends.
"""

import datetime as dt
import multiprocessing
import traceback

from conftest import FakeClock
from debitor_core import Branding, CustomerBook, LineTemplate, WelcomeInvoicePolicy
from debitor_core.storage import SqliteStore

POLICY = WelcomeInvoicePolicy(Branding("SIA Koks"), lines=(LineTemplate("Setup", "10.00"),))
FORM = {"name": "Anna Ozola", "address": {"country": "LV"}, "consent": {"email": True}}
PROCESSES = 4


def context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class FileOutbox:
    """A sender that appends each idempotency key to a file (one line per hand-over)."""

    def __init__(self, path):
        self.path = path

    def send(self, invoice, *, idempotency_key):  # noqa: ARG002 - the sender's signature
        with open(self.path, "a", encoding="utf-8") as out:  # noqa: PTH123 - an append
            out.write(idempotency_key + "\n")


def register(path, start, results):
    try:
        book = CustomerBook(SqliteStore(path), clock=FakeClock())
        start.wait()
        results.put(("ok", str(book.register(FORM, idempotency_key="the-form").id)))
    except BaseException:  # noqa: BLE001 - reported to the parent
        results.put(("error", traceback.format_exc()))


def deliver(path, outbox, now, start, results):
    try:
        book = CustomerBook(
            SqliteStore(path), clock=FakeClock(), welcome=POLICY, sender=FileOutbox(outbox)
        )
        start.wait()
        results.put(("ok", len(book.deliver_pending(now=now))))
    except BaseException:  # noqa: BLE001 - reported to the parent
        results.put(("error", traceback.format_exc()))


def run(target, *args):
    ctx = context()
    start, results = ctx.Event(), ctx.Queue()
    children = [ctx.Process(target=target, args=(*args, start, results)) for _ in range(PROCESSES)]
    for child in children:
        child.start()
    start.set()
    outcomes = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(timeout=120)
    return outcomes


class TestProcesses:
    def test_one_registration_per_key(self, tmp_path):
        """Processes registering the same form with one key at once store one customer."""
        path = tmp_path / "book.sqlite"
        SqliteStore(path).close()
        outcomes = run(register, path)
        assert [] == [o for kind, o in outcomes if kind == "error"]
        assert 1 == len({o for _, o in outcomes})
        with CustomerBook(SqliteStore(path), clock=FakeClock()) as book:
            assert 1 == len(book)

    def test_workers_share_the_outbox(self, tmp_path):
        """Delivering processes at once: none fails, every invoice is handed over once."""
        path = tmp_path / "book.sqlite"
        outbox = tmp_path / "outbox.txt"
        clock = FakeClock()
        with CustomerBook(SqliteStore(path), clock=clock, welcome=POLICY) as book:
            made = book.register_many([{**FORM, "name": f"Client {n}"} for n in range(40)])
        now = clock.now + dt.timedelta(minutes=1)
        outcomes = run(deliver, path, outbox, now)
        assert [] == [o for kind, o in outcomes if kind == "error"]
        sent = outbox.read_text(encoding="utf-8").split()
        assert sorted(f"welcome-invoice-{c.id}" for c in made) == sorted(sent)
        assert 40 == sum(o for _, o in outcomes)
        with CustomerBook(SqliteStore(path), clock=FakeClock()) as book:
            assert [] == book.pending_deliveries()
