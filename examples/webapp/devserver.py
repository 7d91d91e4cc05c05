"""Start the real server in a child process: for the browser tests and the screenshots.

`running` starts ``python -m webapp`` (uvicorn, several workers) on a free port of
127.0.0.1, waits until it answers, and stops it (and its workers) at the end.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = ["ServerFailed", "free_port", "running"]

EXAMPLES = Path(__file__).resolve().parent.parent


class ServerFailed(Exception):
    """The server did not start; the message holds what it printed."""


def free_port() -> int:
    """A TCP port of 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _answers(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/signin")
        return connection.getresponse().status == 200  # noqa: PLR2004
    except OSError:
        return False
    finally:
        connection.close()


@contextlib.contextmanager
def running(
    env: Mapping[str, str], *, workers: int = 2, log: Path | None = None, timeout: float = 60
) -> Iterator[str]:
    """Run the server with ``env`` (the ``DEBITOR_WEBAPP_*`` settings) added.

    Args:
        env: Settings for the server, such as ``DEBITOR_WEBAPP_SECRET``.
        workers: Worker processes.
        log: Where the server's output goes (default: discarded).
        timeout: Seconds to wait for the first answer.

    Yields:
        The base URL, such as ``http://127.0.0.1:41234``.

    Raises:
        ServerFailed: the server exited or did not answer in time.
    """
    port = free_port()
    full = {**os.environ, **env, "PYTHONPATH": str(EXAMPLES)}
    command = [sys.executable, "-m", "webapp", "--port", str(port), "--workers", str(workers)]
    sink = log.open("ab") if log is not None else subprocess.DEVNULL
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [*command, "--no-demo"],
        env=full,
        stdout=sink,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        while not _answers(port):
            if server.poll() is not None or time.monotonic() > deadline:
                said = log.read_text(errors="replace")[-2000:] if log is not None else ""
                msg = f"The web app did not start (exit {server.poll()}). {said}"
                raise ServerFailed(msg)
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)  # the server and its workers: a group of ours
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        if log is not None:
            sink.close()  # type: ignore[union-attr]
