"""JsonFileStore beyond the contract: the files, damage, faults, crashes and two processes."""

import contextlib
import json
import logging
import os
import random
import re
import shutil
import signal
import time
import uuid
import zlib
from pathlib import Path

import attrs
import pytest

from conftest import FakeClock
from debitor_core import (
    Category,
    ConcurrencyConflict,
    CorruptStore,
    CustomerBook,
    CustomFieldDefinition,
    StorageError,
    StoreLocked,
    UnsupportedFormatVersion,
    ValidationError,
)
from debitor_core._converter import make_converter
from debitor_core._invoice import Invoice
from debitor_core.storage import (
    JsonFileStore,
    JsonStoreStatus,
    MissingSnapshot,
    SqliteStore,
    _journal,
    _snapshot,
)
from debitor_core.storage._json import _compaction, _journal_file
from debitor_core.storage._json._journal_file import JournalFile
from debitor_core.storage._lock import InterProcessLock, LockTimeout
from debitor_core.testing import sample_customer, sample_records

GOLDEN = Path(__file__).resolve().parent / "golden"
HEADER = re.compile(
    r'\{"format":"debitor-core/book","version":4,"store_id":"[0-9a-f-]{36}",'
    r'"generation":(\d+),"revision":(\d+),'
    r'"checksum":"[0-9a-f]{8}",\n'
)


def add(store, *customers):
    with store.transaction() as tx:
        for customer in customers:
            tx.add(customer)


def leftovers(folder):
    """Temporary files a write left behind."""
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def seal(path, data):
    """Write ``data`` as a snapshot with a valid checksum, as a faulty writer would."""
    keys = ("categories", "custom_fields", "customers", "records")
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    header, body = _snapshot.encode(
        store_id=data.get("store_id", "00000000-0000-4000-8000-000000000000"),
        generation=data.get("generation", 1),
        revision=data["revision"],
        last_number=data["last_number"],
        sections=[(key, dumps(data[key])) for key in keys],
    )
    path.write_bytes(header + body)


def stored(path):
    """The snapshot's data as JSON."""
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def path(tmp_path):
    return tmp_path / "book.json"


class TestFiles:
    def test_snapshot_is_readable_json_with_a_header(self, path):
        """The snapshot starts with a header line (format, version, generation, revision, checksum), then one customer per line."""
        store = JsonFileStore(path)
        add(store, sample_customer(1), sample_customer(2))
        store.compact()
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
        assert ("debitor-core/book", 4, 2, 1) == (
            data["format"],
            data["version"],
            len(data["customers"]),
            data["revision"],
        )
        assert ("2", "1") == HEADER.match(text).groups()
        assert '"name":"SIA Bērziņš & Ko — Ωμέγα 王"' in text
        assert 2 == sum(1 for line in text.splitlines() if line.startswith('  {"id"'))

    def test_checksum_covers_the_whole_file(self, path):
        """The header's checksum is the CRC-32 of the file with its own digits as zeros."""
        JsonFileStore(path)
        raw = path.read_bytes()
        at = raw.index(b'"checksum":"') + len(b'"checksum":"')
        expected = zlib.crc32(raw[:at] + b"00000000" + raw[at + 8 :])
        assert b"%08x" % expected == raw[at : at + 8]

    def test_commits_append_to_the_journal(self, path):
        """A commit adds one checksummed line to the journal; the snapshot stays as it was."""
        store = JsonFileStore(path)
        before = path.read_bytes()
        add(store, sample_customer(1))
        add(store, sample_customer(2))
        lines = store.journal_path.read_bytes().splitlines()
        assert 2 == len(lines)
        assert before == path.read_bytes()
        assert all(re.fullmatch(rb"[0-9a-f]{8}", line.split(b" ", 1)[0]) for line in lines)
        assert [4, 4] == [json.loads(line.split(b" ", 1)[1])["version"] for line in lines]

    def test_compaction_keeps_commits_flat(self, path, monkeypatch):
        """When the journal outgrows the snapshot, it is folded in and emptied."""
        monkeypatch.setattr(_compaction, "_MIN_JOURNAL_BYTES", 2000)
        store = JsonFileStore(path)
        for number in range(1, 8):
            add(store, sample_customer(number))
        assert store.journal_path.stat().st_size < path.stat().st_size
        assert [1, 2, 3, 4, 5, 6, 7] == [c.number for c in JsonFileStore(path).customers()]

    def test_every_snapshot_has_a_new_generation(self, path):
        """Each snapshot written counts one generation up, even when nothing changed."""
        store = JsonFileStore(path)
        store.compact()
        store.compact()
        assert ["1", "2", "3"][-1] == HEADER.match(path.read_text(encoding="utf-8"))[1]
        assert 3 == store.status().generation

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

    def test_a_snapshot_holds_the_latest_customer_whoever_changed_it(self, path):
        """A compaction never writes this process's stale copy of a customer another changed."""
        first, second = JsonFileStore(path), JsonFileStore(path)
        customer = sample_customer(1)
        add(first, customer, sample_customer(2))
        changed = attrs.evolve(second.get(customer.id), name="Changed", version=2)
        with second.transaction() as tx:
            tx.update(changed, expected_version=1)
        first.compact()
        snapshot = json.loads(path.read_text(encoding="utf-8"))["customers"]
        assert ["Changed", sample_customer(2).name] == [c["name"] for c in snapshot]
        assert changed == JsonFileStore(path).get(customer.id)

    def test_commits_and_snapshots_write_the_same_json_as_the_converter(self, path):
        """The snapshot's customers are exactly what the converter makes of them."""
        store = JsonFileStore(path)
        customers = [sample_customer(n) for n in (1, 2, 3)]
        add(store, *customers[:2])
        store.compact()
        add(store, customers[2])
        with store.transaction() as tx:
            tx.update(attrs.evolve(customers[0], name="Renamed", version=2), expected_version=1)
        store.compact()
        expected = [make_converter().unstructure(c) for c in store.customers()]
        assert expected == json.loads(path.read_text(encoding="utf-8"))["customers"]

    def test_closed_store(self, path):
        """A closed store refuses work, reads included, with a clear error."""
        store = JsonFileStore(path)
        store.close()
        with pytest.raises(StorageError, match="closed"), store.transaction():
            pass
        with pytest.raises(StorageError, match="is closed; open it again"):
            store.count()
        assert "<JsonFileStore" in repr(store)

    def test_with_block_closes_the_store(self, path):
        """`with JsonFileStore(path) as store:` closes the store at the end of the block."""
        with JsonFileStore(path) as store:
            add(store, sample_customer(1))
        with pytest.raises(StorageError, match="closed"):
            store.count()
        assert 1 == JsonFileStore(path).count()

    def test_writes_refuse_what_loading_would_refuse(self, path):
        """A record that breaks a structural invariant is refused when written: ValidationError, nothing stored."""
        store = JsonFileStore(path)
        broken = sample_customer(1, name="", version=0)
        with pytest.raises(ValidationError) as info:
            add(store, broken)
        assert [("name", "integrity.empty"), ("version", "integrity.version")] == [
            (p.path, p.code) for p in info.value.problems
        ]
        with pytest.raises(ValidationError, match="outside the range 1 to 9,007,199,254,740,992"):
            add(store, sample_customer(2**63 - 1))
        assert (0, 0) == (JsonFileStore(path).count(), store.revision())


class TestOpening:
    def test_missing_folder_is_refused(self, tmp_path):
        """A missing folder is refused (a typo must not start a new, empty book); nothing is created."""
        path = tmp_path / "typo" / "book.json"
        with pytest.raises(StorageError) as info:
            JsonFileStore(path)
        assert (
            f"The folder {tmp_path / 'typo'} does not exist, so the book {path} cannot be "
            "opened or created there. Check the path, or create the folder first (or pass "
            "create_folder=True)."
        ) == str(info.value)
        assert [] == list(tmp_path.iterdir())

    def test_create_folder_on_request(self, tmp_path):
        """create_folder=True makes the missing folders."""
        path = tmp_path / "new" / "deeper" / "book.json"
        add(JsonFileStore(path, create_folder=True), sample_customer(1))
        assert 1 == JsonFileStore(path).count()

    def test_a_file_where_the_folder_should_be(self, tmp_path):
        """A file in place of the folder is named in the message."""
        (tmp_path / "data").write_text("not a folder", encoding="utf-8")
        with pytest.raises(StorageError, match="is not a folder, so the book"):
            JsonFileStore(tmp_path / "data" / "book.json", create_folder=True)

    def test_sqlite_database_is_recognised(self, tmp_path):
        """An SQLite database opened as a JSON book says which store to use, and leaves nothing behind."""
        path = tmp_path / "book.db"
        add(SqliteStore(path), sample_customer(1))
        before = sorted(p.name for p in tmp_path.iterdir())
        content = path.read_bytes()
        with pytest.raises(StorageError) as info:
            JsonFileStore(path)
        assert (
            f"The file {path} is an SQLite database, not a JSON book: open it with "
            f"SqliteStore({str(path)!r}). It was left as it is."
        ) == str(info.value)
        assert not isinstance(info.value, CorruptStore)
        assert before == sorted(p.name for p in tmp_path.iterdir())
        assert content == path.read_bytes()

    def test_refusing_to_open_leaves_no_files(self, path):
        """A book that cannot be opened gets no lock file and no journal from the attempt."""
        path.write_bytes(b"{not json")
        with pytest.raises(CorruptStore):
            JsonFileStore(path)
        assert ["book.json"] == sorted(p.name for p in path.parent.iterdir())

    def test_folder_in_place_of_the_book(self, path):
        """A folder where the book should be is a StorageError sentence, not IsADirectoryError."""
        path.mkdir()
        with pytest.raises(StorageError) as info:
            JsonFileStore(path)
        assert f"The book {path} cannot be opened: {path} is a folder" in str(info.value)
        assert isinstance(info.value.__cause__, IsADirectoryError)

    @pytest.mark.parametrize("suffix", [".journal", ".lock"])
    def test_folder_in_place_of_the_journal_or_lock(self, path, suffix):
        """A folder where the journal or lock file should be is a StorageError sentence."""
        blocked = path.with_name(path.name + suffix)
        blocked.mkdir()
        with pytest.raises(StorageError) as info:
            JsonFileStore(path)
        assert (
            f"The book {path} cannot be locked: {blocked} is a folder, where a file is "
            "needed; move the folder away."
        ) == str(info.value)
        assert [blocked.name] == sorted(p.name for p in path.parent.iterdir())

    def test_permission_denied_is_a_sentence(self, path, monkeypatch):
        """A journal the process may not open is a StorageError sentence, not PermissionError."""
        JsonFileStore(path)
        real_open = os.open

        def guarded(name, flags, *args):
            if str(name).endswith(".journal"):
                raise PermissionError(13, "Permission denied", str(name))
            return real_open(name, flags, *args)

        monkeypatch.setattr(os, "open", guarded)
        with pytest.raises(StorageError) as info:
            JsonFileStore(path)
        assert (
            f"The book {path} cannot be locked: permission to use {path}.journal was denied; "
            "check who owns it and its permissions."
        ) == str(info.value)

    def test_permission_denied_for_real(self, unprivileged):
        """A journal without write permission is a StorageError sentence (run as nobody)."""

        def check(folder):
            folder.mkdir()
            path = folder / "book.json"
            add(JsonFileStore(path), sample_customer(1))
            path.with_name("book.json.journal").chmod(0o444)
            with pytest.raises(StorageError, match=r"permission to use .* was denied"):
                JsonFileStore(path)

        unprivileged(check)


class TestMissingSnapshot:
    def test_journal_without_its_snapshot_is_refused(self, path):
        """A snapshot moved aside while the journal holds commits: refused, nothing destroyed."""
        store = JsonFileStore(path)
        for number in range(1, 11):
            add(store, sample_customer(number))
        journal = store.journal_path.read_bytes()
        path.rename(path.with_name("elsewhere.json"))
        with pytest.raises(MissingSnapshot) as info:
            JsonFileStore(path)
        assert (
            f"The book {path} is missing, but its journal {path}.journal holds "
            f"{len(journal):,} bytes of commits. Nothing was changed. If the book file was "
            "moved or renamed, put it back; otherwise restore it from a backup. To start a "
            "new, empty book here instead, move the journal aside first."
        ) == str(info.value)
        assert isinstance(info.value, CorruptStore)
        assert not path.exists()
        assert journal == store.journal_path.read_bytes()
        path.with_name("elsewhere.json").rename(path)
        assert 10 == JsonFileStore(path).count()

    def test_snapshot_removed_while_open(self, path):
        """A snapshot that disappears while the store is open is reported, and not recreated."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        path.unlink()
        with pytest.raises(MissingSnapshot, match="has disappeared while it was open"):
            store.count()
        with pytest.raises(MissingSnapshot), store.transaction():
            pass
        assert not path.exists()

    def test_snapshot_removed_while_open_after_a_compaction(self, path):
        """With nothing in the journal, the message says only what is missing and what to do."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        store.compact()
        path.unlink()
        with pytest.raises(MissingSnapshot) as info:
            store.count()
        assert (
            f"The book {path} has disappeared while it was open. Nothing was changed. If it "
            "was moved or renamed, put it back; otherwise restore it from a backup."
        ) == str(info.value)

    def test_an_empty_journal_alone_starts_a_new_book(self, path):
        """An empty journal without a snapshot holds nothing to lose: a new book starts."""
        path.with_name("book.json.journal").write_bytes(b"")
        assert 0 == JsonFileStore(path).count()


class TestChangeDetection:
    def test_compaction_seen_though_the_file_system_says_nothing_changed(self, path, monkeypatch):
        """Another writer's compaction is seen when the new snapshot has the old inode, size and time."""
        writer = JsonFileStore(path)
        customer = sample_customer(1, name="Name A")
        add(writer, customer)
        writer.compact()
        reader = JsonFileStore(path)
        assert "Name A" == reader.get_by_number(1).name
        before = path.stat()
        with writer.transaction() as tx:
            tx.update(attrs.evolve(customer, name="Name B", version=2), expected_version=1)
        writer.compact()
        assert before.st_size == path.stat().st_size
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
        real_stat = Path.stat

        def reused_inode(self, **kwargs):
            # A file system with one-second times that reused the inode, as ext3, FAT,
            # HFS+ and some network file systems do.
            result = real_stat(self, **kwargs)
            if self == path:
                fields = list(result)[:10]
                fields[1] = before.st_ino
                extra = {"st_mtime_ns": before.st_mtime_ns, "st_atime_ns": before.st_atime_ns}
                return os.stat_result(fields, {**extra, "st_ctime_ns": result.st_ctime_ns})
            return result

        monkeypatch.setattr(Path, "stat", reused_inode)
        assert ("Name B", 2) == (reader.get_by_number(1).name, reader.revision())

    def test_readers_do_not_wait_for_the_lock_when_nothing_changed(self, path):
        """A reader that finds the files unchanged reads without taking the lock."""
        writer = JsonFileStore(path)
        add(writer, sample_customer(1))
        reader = JsonFileStore(path, timeout=0.01)
        assert 1 == reader.count()
        other = InterProcessLock(reader.lock_path, timeout=1)
        other.acquire()
        try:
            assert (1, 1) == (reader.count(), reader.revision())
        finally:
            other.release()


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
                    b'{"format": "debitor-core/book", "version": 2, "revision": 0, "last_number": 0,'
                    b' "categories": [], "custom_fields": [], "customers": [{"id": "nope"}],'
                    b' "records": {}}'
                ),
                "a record in it is not valid",
            ),
            (
                b'{"format": "debitor-core/book", "version": 3, "revision": 0}',
                "its first line is not the header debitor-core writes",
            ),
            (
                b'{"format": "debitor-core/book", "version": 2, "revision": 0, "last_number": 0}',
                "it has no 'categories' key",
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

    def test_an_edit_fails_the_checksum(self, path):
        """A snapshot changed outside debitor-core (an edit, a flipped bit) is refused with advice."""
        store = JsonFileStore(path)
        add(store, sample_customer(1, name="Riga"))
        store.compact()
        edited = path.read_bytes().replace(b'"Riga"', b'"Rigc"')
        path.write_bytes(edited)
        with pytest.raises(CorruptStore) as info:
            JsonFileStore(path)
        assert (
            f"The book {path} cannot be read: its checksum does not match its content, so it "
            "was changed after it was written. The file was left exactly as it is. Restore it "
            "from a backup, or move it (and its .journal) aside to start a new book; the "
            "journal holds the most recent changes as one JSON line per commit. If you edited "
            "the file on purpose, accept the edit with JsonFileStore.reseal(path), which "
            "checks every record first."
        ) == str(info.value)
        assert edited == path.read_bytes()

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            ({"name": 12345}, "the record of customer 1 is not valid"),
            ({"name": ""}, "customer 1 is damaged: name: The text is empty."),
            ({"version": -3}, "version: The version is -3; versions start at 1."),
            ({"archived": "false"}, "the record of customer 1 is not valid"),
            ({"name": "Anna\x00"}, "name: The text contains the control character U+0000."),
            ({"name": "Anna\ud800"}, "name: The text contains the control character U+D800."),
            ({"name": "x" * 201}, "name: The text is 201 characters long; at most 200"),
            ({"created": "2026-11-26T09:30:15"}, "the record of customer 1 is not valid"),
            (
                {
                    "attachments": [
                        {
                            "file_name": "../../../etc/passwd",
                            "media_type": "text/plain",
                            "size": -5,
                            "sha256": "AB" * 32,
                            "added": "2026-11-26T09:30:15+00:00",
                        }
                    ]
                },
                (
                    "attachments[0].file_name: '../../../etc/passwd' is not a plain file name "
                    "(one without a folder, not . or ..) (and 2 more problems). The file"
                ),
            ),
        ],
    )
    def test_structural_damage_is_refused_when_read(self, path, change, message):
        """A record that breaks an invariant (though its checksum is right) is refused, naming it."""
        store = JsonFileStore(path)
        add(store, sample_customer(1), sample_customer(2))
        store.compact()
        data = stored(path)
        data["customers"][0].update(change)
        seal(path, data)
        reopened = JsonFileStore(path)
        assert 2 == reopened.count()
        with pytest.raises(CorruptStore, match=re.escape(message)):
            reopened.get_by_number(1)
        assert "Koks" not in repr(reopened.get_by_number(2))

    @pytest.mark.parametrize("number", ['"7"', "0", "true", str(2**53 + 1), "-1"])
    def test_bad_customer_numbers(self, path, number):
        """A customer number that is not a whole number from 1 to 2**53 is damage, found on opening."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        store.compact()
        data = stored(path)
        data["customers"][0]["number"] = json.loads(number)
        seal(path, data)
        with pytest.raises(CorruptStore, match="is not a whole number from 1 to 9,007,199,254"):
            JsonFileStore(path)

    @pytest.mark.parametrize(
        ("section", "record", "message"),
        [
            ("categories", {"id": str(uuid.UUID(int=1)), "name": " "}, "category ' '"),
            ("custom_fields", {"key": "Bad Key", "label": "X"}, "custom field 'Bad Key'"),
            ("last_number", -1, "its last_number -1 is not a whole number from 0"),
            ("last_number", 2**53 + 1, "its last_number 9007199254740993 is not a whole number"),
        ],
    )
    def test_damaged_definitions_and_counters(self, path, section, record, message):
        """Categories, custom fields and the counters are checked on opening, each named."""
        JsonFileStore(path)
        data = stored(path)
        if isinstance(data[section], list):
            data[section].append(record)
        else:
            data[section] = record
        seal(path, data)
        with pytest.raises(CorruptStore, match=re.escape(message)):
            JsonFileStore(path)

    def test_counters_of_an_older_format(self, path):
        """The counters of a book in an older format (no checksum) are checked too."""
        data = {"format": "debitor-core/book", "version": 2, "revision": "5", "last_number": 0}
        path.write_text(
            json.dumps(
                {**data, "categories": [], "custom_fields": [], "customers": [], "records": {}}
            ),
            encoding="utf-8",
        )
        with pytest.raises(CorruptStore, match="its revision '5' is not a whole number from 0"):
            JsonFileStore(path)

    def test_damaged_record_in_the_journal(self, path):
        """A journal entry whose record breaks an invariant is refused, naming the record."""
        store = JsonFileStore(path)
        customer = sample_customer(1)
        add(store, customer)
        body = json.dumps(
            {
                "revision": 2,
                "version": 3,
                "ops": [
                    {
                        "op": "update",
                        "customer": {
                            **json.loads(store.journal_path.read_bytes()[9:])["ops"][0]["customer"],
                            "version": 0,
                        },
                        "expected_version": 1,
                    }
                ],
            }
        ).encode()
        with store.journal_path.open("ab") as fh:
            fh.write(b"%08x %s\n" % (zlib.crc32(body), body))
        with pytest.raises(CorruptStore, match="customer 1 is damaged: version: The version is 0"):
            JsonFileStore(path)

    def test_newer_version(self, path):
        """A file from a newer format version is refused and left alone."""
        content = json.dumps({"format": "debitor-core/book", "version": 99}).encode()
        path.write_bytes(content)
        with pytest.raises(UnsupportedFormatVersion, match="format version 99"):
            JsonFileStore(path)
        assert content == path.read_bytes()

    def test_newer_version_in_the_header(self, path):
        """A header of a newer version is refused before its checksum is looked at."""
        content = (
            b'{"format":"debitor-core/book","version":5,"generation":1,"revision":0,'
            b'"checksum":"00000000",\n "future": true\n}\n'
        )
        path.write_bytes(content)
        with pytest.raises(UnsupportedFormatVersion, match="format version 5"):
            JsonFileStore(path)

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

    def test_whole_line_without_its_line_feed_is_torn(self, path):
        """A line written whole but for its line feed never returned: it is skipped."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        add(store, sample_customer(2))
        journal = store.journal_path.read_bytes()
        store.journal_path.write_bytes(journal[:-1])
        assert [1] == [c.number for c in JsonFileStore(path).customers()]

    def test_complete_last_line_with_a_bad_checksum_is_damage(self, path):
        """Only an unterminated last line counts as torn: a whole one that fails its checksum is damage."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        size = store.journal_path.stat().st_size
        with store.journal_path.open("ab") as fh:
            fh.write(b'00000000 {"revision":2,"ops":[]}\n')
        with pytest.raises(CorruptStore) as info:
            JsonFileStore(path)
        assert f"journal line at byte {size}: the line does not match its checksum" in str(
            info.value
        )

    def test_damaged_line_feed_of_the_last_line_is_damage(self, path):
        """A last line whose line feed was damaged is not a torn write: CorruptStore."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        add(store, sample_customer(2))
        journal = bytearray(store.journal_path.read_bytes())
        journal[-1] ^= 0x01
        store.journal_path.write_bytes(bytes(journal))
        with pytest.raises(CorruptStore, match="the line is whole but its line feed is damaged"):
            JsonFileStore(path)

    def test_zeros_after_a_crash_are_torn(self, path):
        """Zeros a crash left where the last line's end should be are a torn write."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        add(store, sample_customer(2))
        journal = store.journal_path.read_bytes()
        store.journal_path.write_bytes(journal[:-1] + b"\x00")
        assert [1] == [c.number for c in JsonFileStore(path).customers()]

    def test_unknown_journal_version(self, path):
        """A journal line of a newer format version is UnsupportedFormatVersion."""
        store = JsonFileStore(path)
        body = b'{"revision":1,"version":7,"ops":[]}'
        store.journal_path.write_bytes(b"%08x %s\n" % (zlib.crc32(body), body))
        with pytest.raises(UnsupportedFormatVersion, match="format version 7"):
            JsonFileStore(path)

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
            ({"revision": 1, "version": "3", "ops": []}, "has no format version"),
            ({"revision": 1, "ops": [{"op": "explode"}]}, "cannot be applied"),
            (
                {"revision": 1, "ops": [{"op": "delete", "id": str(uuid.uuid4())}]},
                "cannot be applied",
            ),
            ([1, 2], "is not a JSON object"),
            (
                {
                    "revision": 1,
                    "ops": [{"op": "delete_category", "id": str(uuid.uuid4())}],
                },
                "cannot be applied",
            ),
            (
                {
                    "revision": 1,
                    "ops": [
                        {
                            "op": "put_record",
                            "kind": "invoice",
                            "record": {},
                            "expected_version": "1",
                        }
                    ],
                },
                "cannot be applied",
            ),
        ],
    )
    def test_impossible_journal_entries(self, path, record, reason):
        """Journal entries that cannot follow the snapshot are reported as damage."""
        JsonFileStore(path)
        body = json.dumps(record).encode()
        line = b"%08x %s\n" % (zlib.crc32(body), body)
        (path.parent / "book.json.journal").write_bytes(line + line)
        with pytest.raises(CorruptStore, match=reason):
            JsonFileStore(path)

    def test_checksummed_line_that_is_not_json(self, path):
        """A line with a right checksum but no JSON was written by a broken writer: damage."""
        JsonFileStore(path)
        body = b"{not json"
        (path.parent / "book.json.journal").write_bytes(b"%08x %s\n" % (zlib.crc32(body), body))
        with pytest.raises(CorruptStore, match="journal line at byte 0 is not JSON"):
            JsonFileStore(path)

    def test_journal_cut_short_while_open(self, path):
        """A journal that shrinks under an open store (not by a compaction) is damage."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        store.journal_path.write_bytes(b"")
        with pytest.raises(CorruptStore, match="was cut short by something other than"):
            store.count()


def _everything(store):
    """What a store holds, in a form to compare."""
    return (
        list(store.customers()),
        list(store.categories()),
        list(store.custom_fields()),
        [list(store.records(type(r))) for r in sample_records(sample_customer())],
        store.last_number(),
        store.revision(),
    )


def _sample_book(folder):
    """A compacted book with every kind of record, then four commits in its journal."""
    path = folder / "book.json"
    store = JsonFileStore(path, fsync=False)
    customer = sample_customer(1)
    add(store, customer, sample_customer(2, notes=()))
    with store.transaction() as tx:
        for record in sample_records(customer):
            tx.put_record(record, expected_version=None)
    store.compact()
    for number in (3, 4):
        add(store, sample_customer(number))
    with store.transaction() as tx:
        tx.update(attrs.evolve(customer, name="Changed", version=2), expected_version=1)
    with store.transaction() as tx:
        tx.delete(customer.id)
    return path, _everything(store)


def flip_sweep(folder, flips, seed):
    """Flip one bit at a time in the snapshot or the journal; count what opening made of it.

    Returns:
        How many flips were tried, and how many opened with the same content, were
        refused (CorruptStore or UnsupportedFormatVersion), or changed content silently.
    """
    path, expected = _sample_book(folder)
    originals = {p: p.read_bytes() for p in (path, path.with_name("book.json.journal"))}
    rng = random.Random(seed)
    outcomes = {"same": 0, "refused": 0, "silent": []}
    for trial in range(flips):
        target = list(originals)[trial % 2]
        damaged = bytearray(originals[target])
        offset, bit = rng.randrange(len(damaged)), rng.randrange(8)
        damaged[offset] ^= 1 << bit
        for file, content in originals.items():
            file.write_bytes(bytes(damaged) if file == target else content)
        try:
            seen = _everything(JsonFileStore(path, fsync=False))
        except (CorruptStore, UnsupportedFormatVersion):
            outcomes["refused"] += 1
        else:
            if seen == expected:
                outcomes["same"] += 1
            else:
                outcomes["silent"].append((target.name, offset, bit))
    return outcomes


class TestBitFlips:
    def test_no_flipped_bit_changes_content_silently(self, tmp_path):
        """Single bit flips in the snapshot and the journal are refused; none changes content."""
        outcomes = flip_sweep(tmp_path, flips=240, seed=10)
        assert [] == outcomes["silent"]
        assert 240 == outcomes["same"] + outcomes["refused"]

    @pytest.mark.slow
    def test_no_flipped_bit_changes_content_silently_long(self, tmp_path):
        """The same, for 4,000 flips."""
        outcomes = flip_sweep(tmp_path, flips=4000, seed=11)
        assert [] == outcomes["silent"]
        assert 4000 == outcomes["same"] + outcomes["refused"]


class TestReseal:
    def test_an_edit_made_on_purpose_is_accepted(self, path):
        """After reseal(), a snapshot a person edited opens with the edit."""
        store = JsonFileStore(path)
        add(store, sample_customer(1, name="Riga"))
        store.compact()
        path.write_bytes(path.read_bytes().replace(b'"Riga"', '"Rīga, Latvia"'.encode()))
        with pytest.raises(CorruptStore):
            JsonFileStore(path)
        JsonFileStore.reseal(path)
        assert "Rīga, Latvia" == JsonFileStore(path).get_by_number(1).name
        assert "3" == HEADER.match(path.read_text(encoding="utf-8"))[1]

    def test_any_formatting_is_accepted(self, path):
        """A snapshot re-indented by an editor is resealed into the store's own layout."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        store.compact()
        path.write_text(json.dumps(stored(path), indent=4), encoding="utf-8")
        JsonFileStore.reseal(path)
        assert HEADER.match(path.read_text(encoding="utf-8"))
        assert [sample_customer(1).name] == [c.name for c in JsonFileStore(path).customers()]

    def test_broken_content_is_still_refused(self, path):
        """Reseal checks every record and lists the problems; the file is left as it is."""
        store = JsonFileStore(path)
        add(store, sample_customer(1), sample_customer(2))
        store.compact()
        data = stored(path)
        data["customers"][0]["name"] = ""
        data["customers"][1]["version"] = 0
        content = json.dumps(data).encode()
        path.write_bytes(content)
        with pytest.raises(CorruptStore) as info:
            JsonFileStore.reseal(path)
        assert (
            f"The book {path} cannot be resealed: customer 1: name: The text is empty; "
            "customer 2: version: The version is 0; versions start at 1. Correct these and "
            "reseal again; the file was left as it is."
        ) == str(info.value)
        assert content == path.read_bytes()

    def test_the_journal_is_folded_in(self, path):
        """Commits in the journal are applied on top of the edit, and the journal is emptied."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        store.compact()
        add(store, sample_customer(2))
        path.write_bytes(path.read_bytes().replace(b'"last_number": 1', b'"last_number": 5'))
        JsonFileStore.reseal(path)
        reopened = JsonFileStore(path)
        assert ([1, 2], 5, 0) == (
            [c.number for c in reopened.customers()],
            reopened.last_number(),
            reopened.journal_path.stat().st_size,
        )

    def test_a_record_of_the_wrong_shape_is_refused(self, path):
        """A record reseal cannot even build (a name that is a number) is named, nothing written."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        store.compact()
        data = stored(path)
        data["customers"][0]["name"] = 12345
        path.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(CorruptStore, match="the record of customer 1 is not valid"):
            JsonFileStore.reseal(path)

    def test_a_reseal_that_cannot_be_written(self, path, monkeypatch):
        """If the resealed snapshot cannot be written, the old file stays and the error says why."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        store.compact()
        monkeypatch.setattr(
            Path,
            "replace",
            lambda *_: (_ for _ in ()).throw(OSError(28, "No space left on device")),
        )
        before = path.read_bytes()
        with pytest.raises(StorageError, match="could not be resealed: the system reported"):
            JsonFileStore.reseal(path)
        assert before == path.read_bytes()

    def test_nothing_to_reseal(self, path):
        """Resealing a missing book or an SQLite database is refused with a sentence."""
        with pytest.raises(StorageError, match="There is no book at"):
            JsonFileStore.reseal(path)
        assert [] == list(path.parent.iterdir())
        add(SqliteStore(path), sample_customer(1))
        with pytest.raises(StorageError, match="is an SQLite database"):
            JsonFileStore.reseal(path)


class TestCompactionFailures:
    def test_failed_compactions_back_off(self, path, monkeypatch, clock):
        """After n failed compactions in a row, the next attempt waits 2**n commits."""
        monkeypatch.setattr(_compaction, "_MIN_JOURNAL_BYTES", 10)
        store = JsonFileStore(path, clock=clock)
        attempts = []
        commit = 0

        def read_only(*_args):
            attempts.append(commit)
            raise PermissionError(13, "Permission denied", str(path.parent))

        monkeypatch.setattr(Path, "replace", read_only)
        for commit in range(1, 21):
            add(store, sample_customer(commit))
        assert [1, 4, 9, 18] == attempts
        assert 20 == JsonFileStore(path, clock=clock).count()

    def test_status_reports_the_failure(self, path, monkeypatch, clock, caplog):
        """status() and the debitor_core.storage logger tell the host app what is going on."""
        monkeypatch.setattr(_compaction, "_MIN_JOURNAL_BYTES", 10)
        store = JsonFileStore(path, clock=clock)
        assert JsonStoreStatus(path, path.stat().st_size, 0, 0, 1) == store.status()
        monkeypatch.setattr(
            Path,
            "replace",
            lambda *_: (_ for _ in ()).throw(
                PermissionError(13, "Permission denied", str(path.parent))
            ),
        )
        with caplog.at_level(logging.WARNING, logger="debitor_core.storage"):
            add(store, sample_customer(1))
        status = store.status()
        error = (
            f"The book {path} could not be compacted: permission to use {path.parent} was "
            "denied; check who owns it and its permissions."
        )
        assert (1, error, clock.now) == (
            status.compaction_failures,
            status.last_compaction_error,
            status.last_compaction_failed_at,
        )
        assert status.journal_bytes == store.journal_path.stat().st_size > 0
        logged = (
            f"{error} The journal {path}.journal keeps every commit "
            f"({status.journal_bytes:,} bytes); the next attempt comes after 2 more commits."
        )
        assert [logged] == [r.getMessage() for r in caplog.records]
        monkeypatch.undo()
        monkeypatch.setattr(_compaction, "_MIN_JOURNAL_BYTES", 10)
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="debitor_core.storage"):
            store.compact()
        assert [f"The book {path} was compacted again after 1 failed attempts."] == [
            r.getMessage() for r in caplog.records
        ]
        after = store.status()
        assert (0, 0, error) == (
            after.compaction_failures,
            after.journal_bytes,
            after.last_compaction_error,
        )

    def test_read_only_folder_for_real(self, monkeypatch, clock, unprivileged):
        """In a read-only folder commits still land in the journal; status shows the failure."""
        monkeypatch.setattr(_compaction, "_MIN_JOURNAL_BYTES", 10)

        def check(folder):
            folder.mkdir()
            path = folder / "book.json"
            store = JsonFileStore(path, clock=clock)
            add(store, sample_customer(1))
            folder.chmod(0o555)
            try:
                for number in range(2, 6):  # the journal outgrows twice the snapshot
                    add(store, sample_customer(number))
                status = store.status()
            finally:
                folder.chmod(0o755)
            assert (True, True) == (
                status.compaction_failures >= 1,
                (status.last_compaction_error or "").startswith(
                    f"The book {path} could not be compacted: permission"
                ),
            )
            assert 5 == JsonFileStore(path, clock=clock).count()

        unprivileged(check)


class TestLinksAndNeighbours:
    def test_symlinked_book_is_written_through(self, tmp_path):
        """Compaction replaces the file a link points to and keeps the link."""
        data = tmp_path / "data"
        data.mkdir()
        target = data / "real.json"
        link = tmp_path / "book.json"
        link.symlink_to(target)
        store = JsonFileStore(link)
        add(store, sample_customer(1), sample_customer(2))
        store.compact()
        assert link.is_symlink()
        assert 2 == len(stored(target)["customers"])
        assert (data / "real.json.journal", data / "real.json.lock") == (
            store.journal_path,
            store.lock_path,
        )
        assert ([], []) == (leftovers(tmp_path), leftovers(data))
        assert [1, 2] == [c.number for c in JsonFileStore(target).customers()]

    def test_a_sibling_books_temporary_files_are_kept(self, tmp_path):
        """Opening book `a` removes its own stale temporaries, never those of book `a.b`."""
        JsonFileStore(tmp_path / "a")
        JsonFileStore(tmp_path / "a.b")
        own = tmp_path / ".a.4242.deadbeef.tmp"
        sibling = tmp_path / ".a.b.4242.deadbeef.tmp"
        for stale in (own, sibling):
            stale.write_bytes(b"half a snapshot")
        JsonFileStore(tmp_path / "a")
        assert [sibling.name] == leftovers(tmp_path)
        JsonFileStore(tmp_path / "a.b")
        assert [] == leftovers(tmp_path)

    def test_stale_temporary_files_are_removed(self, path):
        """A snapshot temporary left by a killed process is removed by the next opener."""
        JsonFileStore(path)
        stale = path.parent / ".book.json.999999.deadbeef.tmp"
        stale.write_bytes(b"half a snapshot")
        other = path.parent / "unrelated.tmp"
        other.write_bytes(b"not ours")
        JsonFileStore(path)
        assert ["unrelated.tmp"] == leftovers(path.parent)


class TestVersions:
    @pytest.mark.parametrize("version", [1, 2, 3, 4])
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
        assert (min(2 + version, 4), 3) == (store.revision(), store.last_number())
        invoices = store.records(Invoice)
        assert ([] if version == 1 else [(1, "Welcome")]) == [
            (i.number, i.lines[0].description) for i in invoices
        ]

    @pytest.mark.parametrize("version", [1, 2, 3])
    def test_older_versions_are_upgraded_in_place(self, tmp_path, version):
        """An older book is rewritten in the current format, the originals kept beside it."""
        for name in (f"book-v{version}.json", f"book-v{version}.json.journal"):
            shutil.copy(GOLDEN / name, tmp_path / name)
        path = tmp_path / f"book-v{version}.json"
        JsonFileStore(path)
        data = stored(path)
        assert (
            4,
            [
                "definition_change",
                "delivery",
                "erasure",
                "forward",
                "history",
                "invoice",
                "payment",
                "registration",
                "reminder",
            ],
        ) == (
            data["version"],
            sorted(data["records"]),
        )
        assert HEADER.match(path.read_text(encoding="utf-8"))
        for name in (f"book-v{version}.json", f"book-v{version}.json.journal"):
            kept = tmp_path / f"{name}.v{version}.bak"
            assert (GOLDEN / name).read_bytes() == kept.read_bytes()
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

        monkeypatch.setattr(_snapshot, "FORMAT_VERSION", 5)
        monkeypatch.setitem(_snapshot.MIGRATIONS, 4, rename_everyone)
        path = tmp_path / "book-v1.json"
        store = JsonFileStore(path)
        assert ["SIA BĒRZIŅŠ UN PARTNERI", "ANNA OZOLA", "KOKS GMBH"] == [
            c.name for c in store.customers()
        ]
        assert [2, 1, 1] == seen  # the snapshot, then each journal record wrapped alone
        assert 5 == stored(path)["version"]
        assert (GOLDEN / "book-v1.json").read_bytes() == (
            tmp_path / "book-v1.json.v1.bak"
        ).read_bytes()
        assert 0 == store.journal_path.stat().st_size

    def test_upgrade_that_cannot_be_written(self, tmp_path, monkeypatch):
        """An older book in a folder that cannot be written is a StorageError, unchanged."""
        for name in ("book-v2.json", "book-v2.json.journal"):
            shutil.copy(GOLDEN / name, tmp_path / name)
        monkeypatch.setattr(
            Path,
            "write_bytes",
            lambda *_: (_ for _ in ()).throw(OSError(28, "No space left on device")),
        )
        with pytest.raises(
            StorageError, match=r"is in an older format \(version 2\) and must be upgraded"
        ):
            JsonFileStore(tmp_path / "book-v2.json")
        monkeypatch.undo()
        assert (GOLDEN / "book-v2.json").read_bytes() == (tmp_path / "book-v2.json").read_bytes()


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
            monkeypatch.setattr(_journal_file, "sync_data", broken)
        else:
            monkeypatch.setattr(JournalFile, "append", lambda *_: broken())
        with pytest.raises(StorageError) as info:
            add(store, sample_customer(2))
        assert (
            f"The commit to {path}.journal failed, so nothing was committed: the system "
            "reported: No space left on device."
        ) == str(info.value)
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

        monkeypatch.setattr(store._codec, "encode_op", broken)
        with pytest.raises(TypeError):
            add(store, sample_customer(1))
        assert 0 == store.count()
        assert 0 == JsonFileStore(path).count()

    @pytest.mark.parametrize("failing", ["replace", "fsync"])
    def test_failed_compaction_keeps_the_old_snapshot(self, path, monkeypatch, failing, clock):
        """A compaction that fails leaves the old snapshot and the journal, and no temp files."""
        store = JsonFileStore(path, clock=clock)
        add(store, sample_customer(1))
        snapshot = path.read_bytes()

        def broken(*_args, **_kwargs):
            raise OSError(5, "Input/output error")

        target = (Path, "replace") if failing == "replace" else (os, "fsync")
        monkeypatch.setattr(*target, broken)
        with pytest.raises(StorageError) as info:
            store.compact()
        assert (
            f"The book {path} could not be compacted: the system reported: Input/output "
            "error. Nothing changed: the journal keeps every commit."
        ) == str(info.value)
        monkeypatch.undo()
        assert snapshot == path.read_bytes()
        assert [] == leftovers(path.parent)
        assert [1] == [c.number for c in JsonFileStore(path).customers()]

    def test_automatic_compaction_failure_keeps_the_commit(self, path, monkeypatch, clock):
        """A commit whose compaction fails still stands: the journal holds it."""
        monkeypatch.setattr(_compaction, "_MIN_JOURNAL_BYTES", 10)
        store = JsonFileStore(path, clock=clock)
        monkeypatch.setattr(Path, "replace", lambda *_: (_ for _ in ()).throw(OSError(5, "EIO")))
        add(store, sample_customer(1))
        monkeypatch.undo()
        assert [1] == [c.number for c in JsonFileStore(path).customers()]
        assert [] == leftovers(path.parent)

    def test_journal_that_cannot_be_emptied(self, path, monkeypatch, caplog):
        """If the journal cannot be emptied after a compaction, its lines are skipped as old."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        monkeypatch.setattr(os, "ftruncate", lambda *_: (_ for _ in ()).throw(OSError(5, "EIO")))
        with caplog.at_level(logging.WARNING, logger="debitor_core.storage"):
            store.compact()
        monkeypatch.undo()
        assert ["could not be emptied"] == [
            "could not be emptied"
            for r in caplog.records
            if "could not be emptied" in r.getMessage()
        ]
        add(store, sample_customer(2))
        assert [1, 2] == [c.number for c in JsonFileStore(path).customers()]

    def test_a_new_journal_is_made_durable(self, path, monkeypatch):
        """When the journal file is made anew, its folder is synced before the commit returns."""
        add(JsonFileStore(path), sample_customer(1))
        JsonFileStore(path).compact()
        path.with_name("book.json.journal").unlink()
        synced = []
        monkeypatch.setattr(_journal_file, "fsync_folder", synced.append)
        store = JsonFileStore(path)
        add(store, sample_customer(2))
        add(store, sample_customer(3))
        assert [path.parent] == synced

    def test_unreadable_snapshot(self, path, monkeypatch):
        """A snapshot that cannot be read is a StorageError sentence, not a raw OSError."""
        JsonFileStore(path)
        monkeypatch.setattr(
            Path, "read_bytes", lambda *_: (_ for _ in ()).throw(OSError(5, "Input/output error"))
        )
        with pytest.raises(StorageError, match="cannot be opened: the system reported: Input"):
            JsonFileStore(path)

    def test_lock_timeout(self, path):
        """A lock held elsewhere for too long gives StoreLocked, never advice to delete the lock."""
        store = JsonFileStore(path, timeout=0.05)
        other = InterProcessLock(store.lock_path, timeout=1)
        other.acquire()
        with pytest.raises(StoreLocked) as info:
            add(store, sample_customer(1))
        assert (
            f"Another process has held the lock on the book {path} for more than 0.05 s. Try "
            "again later: the system releases the lock as soon as that process ends."
        ) == str(info.value)
        assert "delete" not in str(info.value)
        other.release()
        add(store, sample_customer(1))
        assert 1 == store.count()


class TestLocks:
    def test_a_removed_lock_file_is_not_locked_again(self, tmp_path):
        """A lock whose file was removed and made anew locks the new file, so two holders exclude each other."""
        path = tmp_path / "book.lock"
        old, new = InterProcessLock(path, timeout=0.05), InterProcessLock(path, timeout=0.05)
        old.acquire()
        old.release()
        path.unlink()  # a temp cleaner, a sync tool, a person
        new.acquire()
        with pytest.raises(LockTimeout):
            old.acquire()
        new.release()
        old.acquire()
        assert path.exists()

    def test_lock_file_removed_between_uses(self, path):
        """A store that kept the old lock file's descriptor still waits for one holding the new file."""
        first = JsonFileStore(path, timeout=0.05)
        first.lock_path.unlink()
        second = JsonFileStore(path)
        with second.transaction() as tx:
            tx.add(sample_customer(1))
            with pytest.raises(StoreLocked):
                add(first, sample_customer(2))
        add(first, sample_customer(2))
        assert [1, 2] == [c.number for c in JsonFileStore(path).customers()]

    def test_lock_file_removed_while_held(self, path):
        """Removing the lock file while a transaction holds it lets no second writer in."""
        holder, newcomer = JsonFileStore(path), JsonFileStore(path, timeout=0.05)
        with holder.transaction() as tx:
            holder.lock_path.unlink()
            tx.add(sample_customer(1))
            with pytest.raises(StoreLocked):
                add(newcomer, sample_customer(1))
        add(newcomer, sample_customer(2))
        assert [1, 2] == [c.number for c in JsonFileStore(path).customers()]


def _child_commits(path, start, pipe_w, min_journal):
    """In a forked child: commit customers one by one, reporting each after it returned."""
    _compaction._MIN_JOURNAL_BYTES = min_journal
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


def _writer_opening_each_time(path, tag, commits, pipe_w):  # pragma: no cover - in a child
    """In a forked child: open the book anew for each commit, as a command line tool does."""
    for i in range(commits):
        store = JsonFileStore(path, fsync=False, timeout=120)
        with store.transaction() as tx:
            number = store.last_number() + 1
            customer = sample_customer(number, name=f"{tag} {i}")
            tx.add(customer)
        store.close()
        os.write(pipe_w, b"%d %s\n" % (number, customer.id.hex.encode()))


def _delete_forever(lock_path):  # pragma: no cover - in a child, killed by the parent
    while True:
        with contextlib.suppress(FileNotFoundError):
            lock_path.unlink()


def _fork(target, *args):
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            target(*args)
            os._exit(0)
        except BaseException:  # noqa: BLE001 - any failure must end the child with 1
            os._exit(1)
    return pid


def lock_removal_run(path, writers, commits):
    """Writers commit while another process deletes the lock file over and over.

    Returns:
        Each acknowledged commit as ``(number, customer id)``.
    """
    JsonFileStore(path, fsync=False)
    deleter = _fork(_delete_forever, path.with_name(path.name + ".lock"))
    pids, pipes = [], []
    for w in range(writers):
        read_end, write_end = os.pipe()
        pids.append(_fork(_writer_opening_each_time, path, f"w{w}", commits, write_end))
        os.close(write_end)
        pipes.append(read_end)
    acknowledged = []
    for read_end in pipes:
        with os.fdopen(read_end, "rb") as fh:
            acknowledged += [(int(n), uuid.UUID(hex=i.decode())) for n, i in map(bytes.split, fh)]
    statuses = [os.waitpid(pid, 0)[1] for pid in pids]
    os.kill(deleter, signal.SIGKILL)
    os.waitpid(deleter, 0)
    assert [0] * writers == statuses
    return acknowledged


class TestLockRemoval:
    @pytest.mark.parametrize(("writers", "commits"), [(3, 30)])
    def test_writers_while_the_lock_file_is_deleted(self, path, writers, commits):
        """No number is acknowledged twice and no acknowledged commit is lost while the lock file keeps vanishing."""
        acknowledged = lock_removal_run(path, writers, commits)
        numbers = [n for n, _ in acknowledged]
        assert len(numbers) == len(set(numbers)) == writers * commits
        store = JsonFileStore(path)
        assert sorted(acknowledged) == [(c.number, c.id) for c in store.customers()]
        assert writers * commits == store.revision()

    @pytest.mark.slow
    def test_writers_while_the_lock_file_is_deleted_long(self, path):
        """The same, with four writers of 300 commits each."""
        acknowledged = lock_removal_run(path, 4, 300)
        assert sorted(acknowledged) == [(c.number, c.id) for c in JsonFileStore(path).customers()]


class TestFeed:
    """The change feed's JSON parts (its contract runs in tests/test_storage_contract.py)."""

    def test_store_id_in_the_header_kept_across_compactions(self, path):
        """The store id is written in the header and kept by every snapshot after."""
        store = JsonFileStore(path)
        ident = store.store_id()
        add(store, sample_customer(1))
        store.compact()
        assert f'"store_id":"{ident}"' in path.read_text(encoding="utf-8").splitlines()[0]
        assert ident == JsonFileStore(path).store_id() == store.store_id()
        assert ident != JsonFileStore(path.with_name("other.json")).store_id()

    def test_golden_store_id(self, tmp_path):
        """The golden book of format 4 keeps the store id it was written with."""
        for name in ("book-v4.json", "book-v4.json.journal"):
            shutil.copy(GOLDEN / name, tmp_path / name)
        store = JsonFileStore(tmp_path / "book-v4.json")
        assert "a812dfca-fd60-4c74-9768-15dfd66ef309" == store.store_id()
        assert [1, 3] == [c.number for c in store.changes_since(3).customers]
        assert store.changes_since(2) is None  # before the snapshot it loaded

    def test_upgraded_book_gets_a_store_id(self, tmp_path):
        """A book of format 3 gets a store id when it is upgraded, kept from then on."""
        for name in ("book-v3.json", "book-v3.json.journal"):
            shutil.copy(GOLDEN / name, tmp_path / name)
        store = JsonFileStore(tmp_path / "book-v3.json")
        assert HEADER.match((tmp_path / "book-v3.json").read_text(encoding="utf-8"))
        assert store.store_id() == JsonFileStore(tmp_path / "book-v3.json").store_id()

    def test_a_replaced_file_is_another_store(self, tmp_path):
        """A file replaced by another book answers with that book's id, read afresh."""
        path = tmp_path / "book.json"
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        ident = store.store_id()
        other = JsonFileStore(tmp_path / "other.json")
        for number in (1, 2, 3):
            add(other, sample_customer(number))
        other.compact()
        other_id = other.store_id()
        (tmp_path / "other.json").replace(path)
        changes = store.changes_since(1)
        assert (other_id, 3) == (store.store_id(), store.revision())
        assert changes is None or changes.store_id != ident

    def test_own_compaction_keeps_the_history(self, path):
        """After its own compaction the store still tells what changed before it."""
        store = JsonFileStore(path)
        add(store, first := sample_customer(1))
        add(store, second := sample_customer(2))
        store.compact()
        add(store, third := sample_customer(3))
        assert [first, second, third] == list(store.changes_since(0).customers)

    def test_another_process_compaction_starts_the_history_again(self, path):
        """A snapshot another store object wrote is where this one's history starts."""
        reader, writer = JsonFileStore(path), JsonFileStore(path)
        add(writer, sample_customer(1))
        assert 1 == len(reader.changes_since(0).customers)  # read from the journal
        add(writer, sample_customer(2))
        writer.compact()
        add(writer, third := sample_customer(3))
        assert (None, None) == (reader.changes_since(0), reader.changes_since(1))
        assert (third,) == reader.changes_since(2).customers

    def test_retention(self, path):
        """feed_retention bounds the commits the feed looks back over."""
        store = JsonFileStore(path, feed_retention=2)
        for number in (1, 2, 3):
            add(store, sample_customer(number))
        assert (None, [2, 3]) == (
            store.changes_since(0),
            [c.number for c in store.changes_since(1).customers],
        )
        with pytest.raises(ValueError, match="feed_retention"):
            JsonFileStore(path, feed_retention=0)

    @pytest.mark.parametrize("store_id", ["nope", 7, None, "00000000-0000-4000-8000-00000000000A"])
    def test_damaged_store_id(self, path, store_id):
        """A snapshot whose store id is not a UUID in its canonical text is damage."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        store.compact()
        data = stored(path)
        data["store_id"] = store_id
        path.write_text(json.dumps(data), encoding="utf-8")
        with pytest.raises(CorruptStore, match="store_id"):
            JsonFileStore.reseal(path)


def full_book(path):
    """A book with every kind of record, in both files.

    Customers 1 and 2, a category, a custom field and records in the snapshot; customer 3
    and a change to customer 2 in the journal.
    """
    store = JsonFileStore(path)
    first, second = sample_customer(1), sample_customer(2)
    add(store, first, second)
    with store.transaction() as tx:
        tx.put_category(Category(uuid.UUID(int=7), "Wholesalers"))
        tx.put_custom_field(CustomFieldDefinition("tier", "Tier"))
        for record in sample_records(first):
            tx.put_record(record, expected_version=None)
    store.compact()
    add(store, sample_customer(3))
    with store.transaction() as tx:
        tx.update(attrs.evolve(second, name="Anna Ozola", version=2), expected_version=1)
    return store


def files(path):
    """Every file beside the book, by name, with its bytes."""
    return {p.name: p.read_bytes() for p in path.parent.iterdir()}


def resealed_line(line, change):
    """A journal line with its JSON changed by ``change``, sealed as a faulty writer would."""
    [(_, body)], _ = _journal.scan(line)
    record = json.loads(body)
    change(record)
    return _journal.encode(json.dumps(record).encode())


def blank_name(record):
    """Blank the name of the customer a journal line's first operation writes."""
    record["ops"][0]["customer"]["name"] = "   "


class TestVerify:
    """verify() reads both files again and checks everything, changing nothing."""

    def test_a_sound_book_passes_and_nothing_changes(self, path):
        """Files byte for byte, the store's state and feed as they were; it works on after."""
        store = full_book(path)
        feed, state, before = store.changes_since(0), store._state, files(path)
        store.verify()
        assert before == files(path)
        assert state is store._state
        assert feed == store.changes_since(0)
        add(store, sample_customer(4))
        assert [1, 2, 3, 4] == [c.number for c in store.customers()]
        assert [1, 2, 3, 4] == [c.number for c in store.changes_since(0).customers]
        store.verify()

    def test_the_stores_own_customers_are_not_built(self, path):
        """A customer not yet read stays unbuilt in the store: verify builds its own copy."""
        full_book(path)
        store = JsonFileStore(path)
        store.verify()
        assert isinstance(store._state.customers[store._state.by_number[1]], dict)

    def test_damaged_snapshot_bytes_after_opening(self, path):
        """A byte changed in the snapshot since it was opened: the checksum, as opening says."""
        store = full_book(path)
        path.write_bytes(path.read_bytes().replace(b'"Wholesalers"', b'"Wholesalerz"'))
        damaged = files(path)
        with pytest.raises(CorruptStore, match="its checksum does not match") as found:
            store.verify()
        with pytest.raises(CorruptStore) as opened:
            JsonFileStore(path)
        assert str(opened.value) == str(found.value)
        assert damaged == files(path)

    def test_damaged_journal_line_after_opening(self, path):
        """A byte changed in a journal line (same size, so no read looks again): found."""
        store = full_book(path)
        journal = store.journal_path.read_bytes()
        store.journal_path.write_bytes(journal.replace(b'"number":3', b'"number":8', 1))
        damaged = files(path)
        with pytest.raises(CorruptStore, match="journal line at byte 0: the line") as found:
            store.verify()
        assert [1, 2, 3] == [c.number for c in store.customers()]  # its copy is as it was
        with pytest.raises(CorruptStore) as opened:
            JsonFileStore(path)
        assert str(opened.value) == str(found.value)
        assert damaged == files(path)

    def test_a_customer_sealed_by_a_faulty_writer(self, path):
        """A customer breaking an invariant, the file's checksum made to match: found.

        Opening builds a customer only when it is read, so it opens; verify builds them all.
        """
        store = full_book(path)
        store.compact()
        data = stored(path)
        data["customers"][0]["name"] = "   "
        seal(path, data)
        damaged = files(path)
        with pytest.raises(CorruptStore, match="customer 1 is damaged: name") as found:
            store.verify()
        reopened = JsonFileStore(path)
        with pytest.raises(CorruptStore) as read:
            reopened.get_by_number(1)
        assert str(read.value) == str(found.value)
        assert damaged == files(path)

    def test_a_journal_line_sealed_by_a_faulty_writer(self, path):
        """A commit of another store whose customer breaks an invariant: found, as opening."""
        store = full_book(path)
        journal = store.journal_path.read_bytes()
        first, second = journal.splitlines(keepends=True)
        store.journal_path.write_bytes(first + resealed_line(second, blank_name))
        with pytest.raises(CorruptStore, match="customer 2 is damaged: name") as found:
            store.verify()
        with pytest.raises(CorruptStore) as opened:
            JsonFileStore(path)
        assert str(opened.value) == str(found.value)

    def test_a_line_the_snapshot_holds_is_checked_too(self, path):
        """A line left by a crash before the journal was emptied: opening skips it, verify not."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        line = store.journal_path.read_bytes()
        store.compact()
        store.journal_path.write_bytes(resealed_line(line, blank_name))
        assert [1] == [c.number for c in JsonFileStore(path).customers()]
        with pytest.raises(CorruptStore, match="customer 1 is damaged: name"):
            store.verify()
        store.journal_path.write_bytes(line)  # as a crash leaves it: sound
        store.verify()

    def test_a_torn_last_line_is_not_damage(self, path):
        """What a crash mid-append leaves is skipped, as opening skips it, and left as it is."""
        store = full_book(path)
        with store.journal_path.open("ab") as fh:
            fh.write(b'1234abcd {"revision":6,"ops":[{"op":"add"')
        before = files(path)
        store.verify()
        assert before == files(path)

    def test_another_stores_commit_is_checked_not_taken_in(self, path):
        """A commit another store made is read and checked; this store catches up as before."""
        store = JsonFileStore(path)
        add(store, sample_customer(1))
        other = JsonFileStore(path)
        add(other, second := sample_customer(2))
        state, offset = store._state, store._journal.offset
        store.verify()
        assert (state, 1, offset) == (store._state, state.revision, store._journal.offset)
        assert [1] == [c.number for c in state.page(0, None)]
        assert (second,) == store.changes_since(1).customers  # read now, from the journal
        with other.transaction() as tx:
            tx.update(attrs.evolve(second, version=2), expected_version=1)
        *earlier, last = store.journal_path.read_bytes().splitlines(keepends=True)
        store.journal_path.write_bytes(b"".join(earlier) + resealed_line(last, blank_name))
        with pytest.raises(CorruptStore, match="customer 2 is damaged: name"):
            store.verify()

    def test_inside_a_transaction(self, path):
        """In this thread's transaction it checks the files as committed, without waiting."""
        store = full_book(path)
        store._timeout = 0.5  # a lock taken twice would be StoreLocked, not a hang
        with store.transaction() as tx:
            tx.add(sample_customer(4))
            store.verify()
            journal = store.journal_path.read_bytes()
            store.journal_path.write_bytes(journal.replace(b'"number":3', b'"number":8', 1))
            with pytest.raises(CorruptStore, match="journal line at byte 0"):
                store.verify()
            store.journal_path.write_bytes(journal)
        store.verify()
        assert [1, 2, 3, 4] == [c.number for c in JsonFileStore(path).customers()]

    def test_a_missing_snapshot_and_a_closed_store(self, path):
        """The snapshot gone since opening is MissingSnapshot; a closed store says it is."""
        store = full_book(path)
        path.unlink()
        with pytest.raises(MissingSnapshot, match="has disappeared"):
            store.verify()
        store.close()
        with pytest.raises(StorageError, match="is closed"):
            store.verify()
