"""The backend of docs/custom-storage.md passes the storage contract."""

import re
from pathlib import Path

from debitor_core.testing import StoreContract

PAGE = Path(__file__).resolve().parent.parent / "docs" / "custom-storage.md"
namespace: dict[str, object] = {"__name__": "docs_custom_storage"}
for block in re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)[:1]:
    exec(compile(block, str(PAGE), "exec"), namespace)  # noqa: S102 - our own documentation
KeyValueStore = namespace["KeyValueStore"]


class TestDocumentedKeyValueStore(StoreContract):
    durable = True
    multiprocess = False  # a dict lives in one process

    def make_store(self):
        return KeyValueStore({})

    def reopen(self, store):
        return KeyValueStore(store.data)
