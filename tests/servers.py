"""Real graph databases for tests: Virtuoso 7 and the Oxigraph server.

Session-scoped pytest fixtures start each store in a private temporary
directory on free loopback ports and stop it at the end. Nothing is mocked.
A missing server binary fails the test run with the install command: it is
never a reason to skip.

Use them from a test module with `from tests.servers import oxigraph, virtuoso`
(`query_oxigraph` and `query_virtuoso` are second, separate stores for the query tests).
`answering` runs a real local HTTP endpoint that gives every request one fixed answer
(a 401, a 403, a body of some content type), for the faults a real store will not produce.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

INSTALL_HINT = "run .ci/install-stores.sh (installs virtuoso-opensource-7-bin and oxigraph)"
VIRTUOSO_USER = "dba"
VIRTUOSO_PASSWORD = "dba"  # the password of a fresh Virtuoso database


@dataclass
class Server:
    """One running store process.

    Attributes:
        name: "virtuoso" or "oxigraph" (the kg.stores preset).
        url: base URL, e.g. http://127.0.0.1:PORT.
        query: the SPARQL query endpoint.
        directory: the store's private directory (database files, logs).
        process: the server process.
        user, password: write credentials (None: the store has no authentication).
        command: the command line that started it (to restart after stop()).
        log: file receiving the server's output.
    """

    name: str
    url: str
    query: str
    directory: Path
    process: subprocess.Popen[bytes]
    command: list[str]
    log: Path
    user: str | None = None
    password: str | None = None

    def stop(self) -> None:
        """Stop the server with SIGTERM (SIGKILL after 20 s) and wait for it."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart(self) -> None:
        """Start the server again on the same port and directory, and wait until it answers."""
        self.stop()
        self.process = _spawn(self.command, self.log, cwd=self.directory)
        _wait_ready(self, timeout=60)


def free_port() -> int:
    """Return a loopback TCP port that is free right now (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: {INSTALL_HINT}", pytrace=False)
    return path


def _spawn(command: list[str], log: Path, *, cwd: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )


def _wait_ready(server: Server, *, timeout: float) -> None:
    """Poll `ASK {}` on the query endpoint until it answers 200, or fail with the log tail."""
    deadline = time.monotonic() + timeout
    probe = f"{server.query}?query=ASK%7B%7D"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(probe, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    tail = server.log.read_text(errors="replace")[-2000:] if server.log.exists() else ""
    server.stop()
    pytest.fail(
        f"{server.name} did not answer on {server.query} within {timeout:g} s; log:\n{tail}",
        pytrace=False,
    )


def start_oxigraph(directory: Path, *, port: int | None = None) -> Server:
    """Start `oxigraph serve` on a free port with its data in `directory`."""
    binary = _binary("oxigraph")
    directory.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    command = [
        binary,
        "serve",
        "--location",
        str(directory / "data"),
        "--bind",
        f"127.0.0.1:{port}",
        "--union-default-graph",
    ]
    log = directory / "oxigraph.log"
    url = f"http://127.0.0.1:{port}"
    server = Server(
        "oxigraph",
        url,
        f"{url}/query",
        directory,
        _spawn(command, log, cwd=directory),
        command,
        log,
    )
    _wait_ready(server, timeout=30)
    return server


def start_virtuoso(directory: Path) -> Server:
    """Start `virtuoso-t` with a fresh database in `directory` on free ports."""
    binary = _binary("virtuoso-t")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "www").mkdir(exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = directory / "virtuoso.ini"
    ini.write_text(
        f"""[Database]
DatabaseFile = {directory}/virtuoso.db
ErrorLogFile = {directory}/virtuoso.log
LockFile = {directory}/virtuoso.lck
TransactionFile = {directory}/virtuoso.trx
xa_persistent_file = {directory}/virtuoso.pxa

[TempDatabase]
DatabaseFile = {directory}/virtuoso-temp.db
TransactionFile = {directory}/virtuoso-temp.trx

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CaseMode = 2
DirsAllowed = ., {directory}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {directory}/www
Charset = UTF-8
""",
        encoding="utf-8",
    )
    command = [binary, "+foreground", "+configfile", str(ini)]
    log = directory / "virtuoso.out"
    url = f"http://127.0.0.1:{http_port}"
    server = Server(
        "virtuoso",
        url,
        f"{url}/sparql",
        directory,
        _spawn(command, log, cwd=directory),
        command,
        log,
        VIRTUOSO_USER,
        VIRTUOSO_PASSWORD,
    )
    _wait_ready(server, timeout=90)
    return server


class _FixedAnswer(BaseHTTPRequestHandler):
    """A SPARQL endpoint giving every request the same answer (the server's status, headers, body), counting them."""

    def do_POST(self) -> None:  # the http.server API names it
        self.server.hits += 1  # type: ignore[attr-defined]
        self.send_response(self.server.status)  # type: ignore[attr-defined]
        for name, value in self.server.headers.items():  # type: ignore[attr-defined]
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(self.server.body)))  # type: ignore[attr-defined]
        self.end_headers()
        self.wfile.write(self.server.body)  # type: ignore[attr-defined]

    do_GET = do_POST

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def answering(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> Iterator[tuple[ThreadingHTTPServer, str]]:
    """Run a real local SPARQL endpoint giving every request this answer; yield it and its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FixedAnswer)
    server.hits, server.status, server.body = 0, status, body  # type: ignore[attr-defined]
    challenge = {"WWW-Authenticate": 'Basic realm="sparql"'} if status == 401 else {}
    server.headers = headers or challenge  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server, f"http://127.0.0.1:{server.server_address[1]}/sparql"
    finally:
        server.shutdown()
        server.server_close()


_RUNNING: dict[str, Server] = {}


def _serve(
    key: str, start: Callable[[Path], Server], factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """Start a server once per session, however many modules import its fixture; stop it at the end.

    A session fixture imported into two test modules is two fixtures to pytest:
    the second one gets the server the first one started.
    """
    if key in _RUNNING:
        yield _RUNNING[key]
        return
    server = _RUNNING[key] = start(factory.mktemp(key))
    try:
        yield server
    finally:
        _RUNNING.pop(key, None)
        server.stop()


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A Virtuoso 7 server with a fresh database (user dba, password dba)."""
    yield from _serve("virtuoso", start_virtuoso, tmp_path_factory)


@pytest.fixture(scope="session")
def oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """An Oxigraph server (no authentication; queries see the union of all graphs)."""
    yield from _serve("oxigraph", start_oxigraph, tmp_path_factory)


@pytest.fixture(scope="session")
def query_virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second Virtuoso 7 that holds only what the query tests push.

    Stored queries read the default graph, which on Virtuoso is the union of
    every graph in the store: graphs other tests push would change the results.
    """
    yield from _serve("query-virtuoso", start_virtuoso, tmp_path_factory)


@pytest.fixture(scope="session")
def query_oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A second Oxigraph server (`--union-default-graph`) holding only what the query tests push."""
    yield from _serve("query-oxigraph", start_oxigraph, tmp_path_factory)
