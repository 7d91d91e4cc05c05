"""JsonFileStore beyond the contract: the files, damage, faults, crashes and two processes."""

import json
import os
import random
import shutil
import signal
import time
import uuid
from pathlib import Path

import attrs
import pytest

from conftest import FakeClock
from debitor_core import (
    ConcurrencyConflict,
    CorruptStore,
    CustomerBook,
    StorageError,
    StoreLocked,
    UnsupportedFormatVersion,
)
from debitor_core._invoice import Invoice
from debitor_core.storage import JsonFileStore, _json
from debitor_core.storage._lock import InterProcessLock
from debitor_core.testing import sample_customer

GOLDEN = Path(__file__).resolve().parent / "golden"


def add(store, *customers):
    with store.transaction() as tx:
        for customer in customers:
            tx.add(customer)


def leftovers(folder):
    """Temporary files a write left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def path(tmp_path):
    return tmp_path / "book.json"


class TestFiles:
    def test_snapshot_is_readable_json_with_an_envelope(self, path):
        """The snapshot names its format and version, one customer per line."""
        store = JsonFileStore(path)
        add(store, sample_customer(1), sample_customer(2))
        store.compact()
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        assert ("debitor-core/book", 2, 2) == (
            data["format"],
            data["version"],
            len(data["customers"]),
        )
        assert '"name":"SIA Bērziņš & Ko — Ωμέγα 王"' in text
        assert 2 == sum(1 for line in text.splitlines() if line.startswith('  {"id"'))

    def test_commits_append_to_the_journal(self, path):
        """A commit adds one checksummed line to the journal; the snapshot stays as it was."""
        store = JsonFileStore(path)
        before = path.read_bytes()
        add(store, sample_customer(1))
        add(store, sample_customer(2))
        lines = store.journal_path.read_bytes().splitlines()
        assert 2 == len(lines)
        assert before == path.read_bytes()
        assert all(len(line.split(b" ", 1)[0]) == 8 for line in lines)

    def test_compaction_keeps_commits_flat(self, path, monkeypatch):
        """When the journal outgrows the snapshot, it is folded in and emptied."""
        monkeypatch.setattr(_json, "_MIN_JOURNAL_BYTES", 2000)
        store = JsonFileStore(path)
        for number in range(1, 8):
            add(store, sample_customer(number))
        assert store.journal_path.stat().st_size < path.stat().st_size
        assert [1, 2, 3, 4, 5, 6, 7] == [c.number for c in JsonFileStore(path).customers()]

    def test_no_handle_is_held_between_operations(self, path):
        """The files can be moved away between operations (no open handle keeps them)."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        open_files = {str(fd.resolve()) for fd in Path("/proc/self/fd").iterdir() if fd.exists()}
        assert not {str(path), str(path) + ".journal"} & open_files

    def test_other_process_changes_are_seen(self, path):
        """A second store on the same files sees the first one's commits, compactions included."""
        first, second = JsonFileStore(path), JsonFileStore(path)
        add(first, sample_customer(1))
        assert [1] == [c.number for c in second.customers()]
        first.compact()
        add(first, sample_customer(2))
        assert 2 == second.revision()
        add(second, sample_customer(3))
        assert [1, 2, 3] == [c.number for c in first.customers()]

    def test_closed_store(self, path):
        """A closed store refuses work with a clear error."""
        store = JsonFileStore(path)
        store.close()
        with pytest.raises(StorageError, match="closed"), store.transaction():
            pass
        assert "<JsonFileStore" in repr(store)


class TestDamage:
    @pytest.mark.parametrize(
        ("content", "reason"),
        [
            (
                b'{"format": "debitor-core/book", "version": 1, "revision": 0, "customers": [',
                "not complete, valid JSON",
            ),
            (b"\xff\xfe garbage", "not complete, valid JSON"),
            (b'{"hello": "world"}', "not a debitor-core book"),
            (b'{"format": "debitor-core/book", "version": "one"}', "not a version number"),
            (
                (
                    b'{"format": "debitor-core/book", "version": 1, "revision": 0, "last_number": 0,'
                    b' "categories": [], "custom_fields": [], "customers": [{"id": "nope"}]}'
                ),
                "a record in it is not valid",
            ),
        ],
    )
    def test_corrupt_snapshot_is_reported_and_left_alone(self, path, content, reason):
        """A damaged snapshot raises CorruptStore saying how to recover, and is not touched."""
        path.write_bytes(content)
        with pytest.raises(CorruptStore) as info:
            JsonFileStore(path)
        assert reason in str(info.value)
        assert "Restore it from a backup" in str(info.value)
        assert content == path.read_bytes()

    def test_damaged_record_is_reported_when_read(self, path):
        """Records are built when first read; a damaged one then raises CorruptStore."""
        store = JsonFileStore(path)
        add(store, sample_customer(1), sample_customer(2))
        store.compact()
        text = path.read_text(encoding="utf-8").replace(
            '"created":"2026-', '"created":"yesterday-', 1
        )
        path.write_text(text, encoding="utf-8")
        reopened = JsonFileStore(path)
        assert 2 == reopened.count()
        with pytest.raises(CorruptStore, match="the record of customer 1 is not valid"):
            reopened.get_by_number(1)
        assert "Koks" not in repr(reopened.get_by_number(2))

    @pytest.mark.parametrize("number", ['"7"', "0", "true"])
    def test_bad_customer_numbers(self, path, number):
        """A customer number that is not a positive whole number is damage."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        store.compact()
        text = path.read_text(encoding="utf-8").replace('"number":1', f'"number":{number}', 1)
        path.write_text(text, encoding="utf-8")
        with pytest.raises(CorruptStore, match="not a positive whole number"):
            JsonFileStore(path)

    def test_newer_version(self, path):
        """A file from a newer format version is refused and left alone."""
        content = json.dumps({"format": "debitor-core/book", "version": 99}).encode()
        path.write_bytes(content)
        with pytest.raises(UnsupportedFormatVersion, match="format version 99"):
            JsonFileStore(path)
        assert content == path.read_bytes()

    def test_torn_last_line_is_ignored_then_cut_off(self, path):
        """A crash mid-append leaves a torn line: the store opens without it and writes on."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        with store.journal_path.open("ab") as fh:
            fh.write(b'1234abcd {"revision":2,"ops":[{"op":"add"')
        reopened = JsonFileStore(path)
        assert [1] == [c.number for c in reopened.customers()]
        add(reopened, sample_customer(2))
        assert [1, 2] == [c.number for c in JsonFileStore(path).customers()]

    def test_damaged_last_line_with_newline_is_ignored(self, path):
        """A last line whose checksum fails is a torn write, not damage."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        with store.journal_path.open("ab") as fh:
            fh.write(b'00000000 {"revision":2,"ops":[]}\n')
        assert 1 == JsonFileStore(path).revision()

    def test_damage_inside_the_journal(self, path):
        """A bad line followed by good ones is damage: CorruptStore, files untouched."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        add(store, sample_customer(2))
        journal = store.journal_path.read_bytes()
        broken = journal.replace(b'"number":1', b'"number":7', 1)
        store.journal_path.write_bytes(broken)
        with pytest.raises(CorruptStore, match="journal line at byte 0"):
            JsonFileStore(path)
        assert broken == store.journal_path.read_bytes()

    @pytest.mark.parametrize(
        ("record", "reason"),
        [
            ({"revision": 5, "ops": []}, "skips from revision 0 to 5"),
            ({"ops": []}, "has no revision number"),
            ({"revision": 1, "ops": [{"op": "explode"}]}, "cannot be applied"),
            (
                {"revision": 1, "ops": [{"op": "delete", "id": str(uuid.uuid4())}]},
                "cannot be applied",
            ),
            ([1, 2], "not a JSON object"),
        ],
    )
    def test_impossible_journal_entries(self, path, record, reason):
        """Journal entries that cannot follow the snapshot are reported as damage."""
        JsonFileStore(path)
        body = json.dumps(record).encode()
        line = b"%08x %s\n" % (__import__("zlib").crc32(body), body)
        (path.parent / "book.json.journal").write_bytes(line + line)
        with pytest.raises(CorruptStore, match=reason):
            JsonFileStore(path)

    def test_snapshot_removed_while_open(self, path):
        """A snapshot that disappears while the store is open is reported."""
        store = JsonFileStore(path)
        path.unlink()
        with pytest.raises(CorruptStore, match="disappeared"):
            store.count()

    def test_unreadable_snapshot(self, path):
        """An unreadable snapshot raises StorageError, not OSError."""
        path.mkdir()
        with pytest.raises(StorageError, match="cannot be opened"):
            JsonFileStore(path)


class TestVersions:
    @pytest.mark.parametrize("version", [1, 2])
    def test_golden_files(self, tmp_path, version):
        """The golden book of every version (snapshot and journal) opens with every record."""
        for name in (f"book-v{version}.json", f"book-v{version}.json.journal"):
            shutil.copy(GOLDEN / name, tmp_path / name)
        store = JsonFileStore(tmp_path / f"book-v{version}.json")
        customers = list(store.customers())
        assert [(1, "SIA Bērziņš un Partneri", 2), (2, "Anna Ozola", 1), (3, "Koks GmbH", 1)] == [
            (c.number, c.name, c.version) for c in customers
        ]
        assert customers[0] == attrs.evolve(
            sample_customer(1, id=uuid.UUID(int=101), categories=(uuid.UUID(int=1),)),
            name="SIA Bērziņš un Partneri",
            version=2,
        )
        assert customers[1].archived
        assert ["Wholesalers"] == [c.name for c in store.categories()]
        assert [("tier", ("Gold", "Silver"))] == [(f.key, f.choices) for f in store.custom_fields()]
        assert (2 + version, 3) == (store.revision(), store.last_number())
        invoices = store.records(Invoice)
        assert ([] if version == 1 else [(1, "Welcome")]) == [
            (i.number, i.lines[0].description) for i in invoices
        ]

    def test_version_1_is_upgraded_in_place(self, tmp_path):
        """A version-1 book is rewritten as version 2 (with records) and the original kept."""
        for name in ("book-v1.json", "book-v1.json.journal"):
            shutil.copy(GOLDEN / name, tmp_path / name)
        path = tmp_path / "book-v1.json"
        JsonFileStore(path)
        data = json.loads(path.read_text(encoding="utf-8"))
        assert (2, ["delivery", "invoice", "payment", "reminder"]) == (
            data["version"],
            sorted(data["records"]),
        )
        backup = tmp_path / "book-v1.json.v1.bak"
        assert (GOLDEN / "book-v1.json").read_bytes() == backup.read_bytes()
        assert 3 == len(JsonFileStore(path).customers())

    def test_migration_chain(self, tmp_path, monkeypatch):
        """An older file is upgraded through the chain, the original kept as a backup."""
        for name in ("book-v1.json", "book-v1.json.journal"):
            shutil.copy(GOLDEN / name, tmp_path / name)
        seen = []

        def rename_everyone(data):
            seen.append(len(data.get("customers", [])))
            for record in data.get("customers", []):
                record["name"] = record["name"].upper()
            return data

        monkeypatch.setattr(_json, "FORMAT_VERSION", 3)
        monkeypatch.setitem(_json.MIGRATIONS, 2, rename_everyone)
        path = tmp_path / "book-v1.json"
        store = JsonFileStore(path)
        assert ["SIA BĒRZIŅŠ UN PARTNERI", "ANNA OZOLA", "KOKS GMBH"] == [
            c.name for c in store.customers()
        ]
        assert [2, 1, 1] == seen  # the snapshot, then each journal record wrapped alone
        assert 3 == json.loads(path.read_text(encoding="utf-8"))["version"]
        assert (GOLDEN / "book-v1.json").read_bytes() == (
            tmp_path / "book-v1.json.v1.bak"
        ).read_bytes()
        assert 0 == store.journal_path.stat().st_size


class TestFaults:
    @pytest.mark.parametrize("failing", ["fsync", "write"])
    def test_failed_commit_changes_nothing(self, path, monkeypatch, failing):
        """If the disk fails mid-commit, the commit raises StorageError and leaves no trace."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        before = store.journal_path.read_bytes()

        def broken(*_args, **_kwargs):
            raise OSError(28, "No space left on device")

        if failing == "fsync":
            monkeypatch.setattr(_json, "_sync_data", broken)
        else:
            monkeypatch.setattr(_json.JsonFileStore, "_append", lambda *_: broken())
        with pytest.raises(StorageError, match="nothing was committed"):
            add(store, sample_customer(2))
        monkeypatch.undo()
        assert [1] == [c.number for c in store.customers()]
        assert before == store.journal_path.read_bytes()
        assert [1] == [c.number for c in JsonFileStore(path).customers()]
        assert [] == leftovers(path.parent)

    def test_failed_serialisation_changes_nothing(self, path, monkeypatch):
        """If a record cannot be serialised, nothing is written."""
        store = JsonFileStore(path)

        def broken(*_args):
            raise TypeError("cannot serialise")

        monkeypatch.setattr(store, "_encode_op", broken)
        with pytest.raises(TypeError):
            add(store, sample_customer(1))
        assert 0 == store.count()
        assert 0 == JsonFileStore(path).count()

    @pytest.mark.parametrize("failing", ["replace", "fsync"])
    def test_failed_compaction_keeps_the_old_snapshot(self, path, monkeypatch, failing):
        """A compaction that fails leaves the old snapshot and the journal, and no temp files."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        snapshot = path.read_bytes()

        def broken(*_args, **_kwargs):
            raise OSError(5, "Input/output error")

        target = (Path, "replace") if failing == "replace" else (os, "fsync")
        monkeypatch.setattr(*target, broken)
        with pytest.raises(StorageError, match="could not be compacted"):
            store.compact()
        monkeypatch.undo()
        assert snapshot == path.read_bytes()
        assert [] == leftovers(path.parent)
        assert [1] == [c.number for c in JsonFileStore(path).customers()]

    def test_automatic_compaction_failure_keeps_the_commit(self, path, monkeypatch):
        """A commit whose compaction fails still stands: the journal holds it."""
        monkeypatch.setattr(_json, "_MIN_JOURNAL_BYTES", 10)
        store = JsonFileStore(path)
        monkeypatch.setattr(Path, "replace", lambda *_: (_ for _ in ()).throw(OSError(5, "EIO")))
        add(store, sample_customer(1))
        monkeypatch.undo()
        assert [1] == [c.number for c in JsonFileStore(path).customers()]
        assert [] == leftovers(path.parent)

    def test_lock_timeout(self, path):
        """A lock held elsewhere for too long gives StoreLocked with advice."""
        store = JsonFileStore(path, timeout=0.05)
        other = InterProcessLock(store.lock_path, timeout=1)
        other.acquire()
        with pytest.raises(StoreLocked, match="Try again later"):
            add(store, sample_customer(1))
        other.release()
        add(store, sample_customer(1))
        assert 1 == store.count()


def _child_commits(path, start, pipe_w, min_journal):
    """In a forked child: commit customers one by one, reporting each after it returned."""
    _json._MIN_JOURNAL_BYTES = min_journal
    store = JsonFileStore(path)
    number = start
    while True:
        add(store, sample_customer(number, name=f"Customer {number}"))
        os.write(pipe_w, b"%d\n" % number)
        number += 1


def _crash_round(path, rng):
    """Start a committing child and SIGKILL it at a random moment; return what it acknowledged.

    The moment is counted in commits, not in seconds, so that a loaded machine kills
    as late in the child's work as an idle one: wait for a random number of
    acknowledgements, then for a random sliver of the next commit.
    """
    start = JsonFileStore(path).last_number() + 1
    wait_for = rng.randrange(4)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child is killed, so coverage never sees it end
        os.close(read_end)
        try:
            _child_commits(path, start, write_end, rng.choice([512, 4096, 65536]))
        finally:
            os._exit(1)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        lines = [fh.readline() for _ in range(wait_for)]
        assert all(lines), "the child died before acknowledging a commit"
        time.sleep(rng.uniform(0, 0.002))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        acknowledged = [int(n) for n in b"".join(lines).split() + fh.read().split()]
    return start, acknowledged, wait_for


def crash_loop(path, rounds, seed):
    """Kill a committing child ``rounds`` times; check after each that nothing was lost.

    Returns:
        The number of commits the children were sure to have acknowledged (the kill
        waited for them), so a caller can check that the loop really committed.
    """
    rng = random.Random(seed)
    expected_last = 0
    awaited = 0
    for _ in range(rounds):
        start, acknowledged, wait_for = _crash_round(path, rng)
        awaited += wait_for
        numbers = [c.number for c in JsonFileStore(path).customers()]
        # Exactly a prefix: every acknowledged commit, plus at most the one in flight.
        assert numbers == list(range(1, len(numbers) + 1))
        last_acknowledged = acknowledged[-1] if acknowledged else start - 1
        assert last_acknowledged <= len(numbers) <= last_acknowledged + 1
        assert len(numbers) >= expected_last
        expected_last = len(numbers)
        assert [] == leftovers(path.parent)
    assert expected_last >= awaited
    return awaited


class TestCrashes:
    def test_crash_loop(self, path):
        """A child killed at random moments never leaves a store that fails to open or loses a commit."""
        assert crash_loop(path, rounds=100, seed=1) > 0

    @pytest.mark.slow
    def test_crash_loop_long(self, path):
        """The same, for 1,000 rounds."""
        assert crash_loop(path, rounds=1000, seed=2) > 0


def _child_registers(path, tag, count):
    book = CustomerBook(JsonFileStore(path), clock=FakeClock())
    for i in range(count):
        book.register({"name": f"{tag} {i}", "address": {"country": "LV"}})
    shared = book.get_by_number(1)
    for i in range(count):
        while True:
            current = book.get(shared.id)
            try:
                book.add_note(current.id, f"{tag} {i}", expected_version=current.version)
                break
            except ConcurrencyConflict:
                continue  # someone else changed it: read again and retry


class TestTwoProcesses:
    def test_two_writers(self, path):
        """Two processes registering and updating at once: every commit lands, none is lost."""
        CustomerBook(JsonFileStore(path), clock=FakeClock()).register(
            {"name": "Shared", "address": {"country": "LV"}}
        )
        pids = []
        for tag in ("left", "right"):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - runs in the child
                try:
                    _child_registers(path, tag, 30)
                    os._exit(0)
                except BaseException:  # noqa: BLE001 - any failure must end the child with 1
                    os._exit(1)
            pids.append(pid)
        assert [0, 0] == [os.waitpid(pid, 0)[1] for pid in pids]
        book = CustomerBook(JsonFileStore(path), clock=FakeClock())
        assert list(range(1, 62)) == [c.number for c in book.customers()]
        assert 60 == len(book.get_by_number(1).notes)
        names = {c.name for c in book.customers()}
        assert {f"{t} {i}" for t in ("left", "right") for i in range(30)} | {"Shared"} == names


class TestLeftovers:
    def test_stale_temporary_files_are_removed(self, path):
        """A snapshot temporary left by a killed process is removed by the next opener."""
        JsonFileStore(path)
        stale = path.parent / ".book.json.999999.deadbeef.tmp"
        stale.write_bytes(b"half a snapshot")
        other = path.parent / "unrelated.tmp"
        other.write_bytes(b"not ours")
        JsonFileStore(path)
        assert ["unrelated.tmp"] == leftovers(path.parent)
