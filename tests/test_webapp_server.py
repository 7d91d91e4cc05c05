"""The web example's real server: two worker processes on one book.

``python -m webapp`` (what ``make serve`` runs) with two uvicorn workers on one SQLite
book; plain HTTP from the standard library, no browser. Each worker says who it is in
an ``X-Worker`` header (DEBITOR_WEBAPP_WORKER_HEADER=1).
"""

from __future__ import annotations

import contextlib
import http.client
import urllib.parse

import pytest

from webapp_support import real_server, token

FORM = {
    "action": "save",
    "email": "info@darbnica.lv",
    "phone": "+371 2000 0009",
    "address.street": "Iela 1",
    "address.postal_code": "1050",
    "address.city": "Rīga",
    "address.country": "LV",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with real_server(tmp_path_factory.mktemp("webapp-server")) as base:
        yield base


class Client:
    """A user agent with a cookie: each request on a new connection unless one is given."""

    def __init__(self, base):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.cookie = None

    def connection(self):
        return http.client.HTTPConnection(self.host, self.port, timeout=10)

    def request(self, method, path, body=None, connection=None):
        """Return (status, worker, text)."""
        if connection is None:
            with contextlib.closing(self.connection()) as own:
                return self.request(method, path, body, own)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            data = urllib.parse.urlencode(body)
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        text = response.read().decode()
        if cookie := response.getheader("set-cookie"):
            self.cookie = cookie.split(";", 1)[0]
        return response.status, response.getheader("x-worker"), text

    def sign_in(self):
        _, _, page = self.request("GET", "/signin")
        self.request("POST", "/signin", {"csrf_token": token(page), "user": "owner"})


def test_two_workers_see_each_others_writes(server):
    """A customer saved through one worker process is found at once through the other."""
    client = Client(server)
    client.sign_in()
    workers = set()
    for name in ("Darbnīca Alfa", "Darbnīca Beta"):
        with contextlib.closing(client.connection()) as connection:  # one worker for both
            _, writer, page = client.request("GET", "/customers/new", connection=connection)
            status, same, _ = client.request(
                "POST",
                "/customers/new",
                {**FORM, "name": name, "csrf_token": token(page)},
                connection=connection,
            )
        assert (303, writer) == (status, same)
        for _ in range(200):  # new connections until another worker answers
            _, reader, found = client.request("GET", "/customers?q=" + urllib.parse.quote(name))
            if reader != writer:
                break
        assert reader != writer, "only one worker ever answered"
        assert name in found
        workers |= {writer, reader}
    assert len(workers) == 2


def test_secret_required(tmp_path):
    """Without a secret (and outside development mode) the server refuses to start."""
    import os
    import subprocess
    import sys

    from webapp.devserver import EXAMPLES

    env = {k: v for k, v in os.environ.items() if not k.startswith("DEBITOR_WEBAPP_")}
    env.update(PYTHONPATH=str(EXAMPLES), DEBITOR_WEBAPP_BOOK=str(tmp_path / "b.db"))
    done = subprocess.run(
        [sys.executable, "-m", "webapp", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (2, "") == (done.returncode, done.stdout)
    assert done.stderr.startswith("Set DEBITOR_WEBAPP_SECRET to a long random text")
    assert not (tmp_path / "b.db").exists()
