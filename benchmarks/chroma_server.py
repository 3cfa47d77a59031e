"""A real `chroma run` server on a loopback port, started and stopped by its PID: used by
the integration tests and by the scale benchmark."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServerProcess:
    """`chroma run --path PATH --host 127.0.0.1 --port PORT` as a child process group."""

    def __init__(self, path: Path, port: int | None = None) -> None:
        self.path = Path(path)
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = self.path.parent / f"chroma-{self.port}.log"

    @property
    def pid(self) -> int:
        """The server's process id (raises if it was never started)."""
        if self.proc is None:
            raise RuntimeError("the chroma server is not running")
        return self.proc.pid

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait for its heartbeat."""
        chroma = Path(sys.executable).with_name("chroma")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [str(chroma), "run", "--path", str(self.path), "--host", self.host, "--port", str(self.port)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"http://{self.host}:{self.port}/api/v2/heartbeat", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError(f"chroma server did not start (see {self.log_path})")
            time.sleep(0.2)

    def stop(self) -> None:
        """Terminate the server's process group by PID (kill if it lingers)."""
        if self.proc is not None:
            stop(self.proc)

    def rss_mb(self) -> float:
        """Resident memory of the server and its children, in MB."""
        import psutil

        try:
            root = psutil.Process(self.pid)
            procs = [root, *root.children(recursive=True)]
            return sum(p.memory_info().rss for p in procs) / 2**20
        except psutil.Error:
            return 0.0


@contextmanager
def chroma_server(path: Path, port: int | None = None, timeout: float = 60.0) -> Iterator[tuple[str, int]]:
    """Start `chroma run` on 127.0.0.1, wait for its heartbeat, stop it by its PID on exit."""
    server = ChromaServerProcess(path, port)
    server.start(timeout)
    try:
        yield server.host, server.port
    finally:
        server.stop()


def stop(proc: subprocess.Popen) -> None:
    """Terminate a server's process group by PID (kill if it lingers)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
