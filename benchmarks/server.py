"""A real ``pathway serve`` (gunicorn) on a free loopback port, and a keep-alive client."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pathway.people.users import create_user
from pathway.store.db import unit_of_work

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def admin_token(url: str) -> str:
    with unit_of_work(url) as session:
        _user, token = create_user(session, f"bench admin {time.time_ns()}", "admin")
    return token


class Client:
    """One keep-alive HTTP/1.1 connection; answers (status, parsed JSON or text)."""

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def request(self, method: str, path: str, body: dict[str, Any] | None = None
                ) -> tuple[int, Any]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, payload, headers)
            response = self.connection.getresponse()
        except (ConnectionError, http.client.HTTPException):
            # The server closed an idle keep-alive connection: reconnect once.
            self.connection.close()
            self.connection.request(method, path, payload, headers)
            response = self.connection.getresponse()
        data = response.read()
        kind = response.getheader("Content-Type", "")
        return response.status, json.loads(data) if "json" in kind else data.decode()

    def get(self, path: str) -> Any:
        status, body = self.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path} answered {status}: {body}")
        return body

    def close(self) -> None:
        self.connection.close()


@contextmanager
def serving(url: str, log: Path) -> Iterator[Server]:
    server = Server(url, log)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


class Server:
    def __init__(self, url: str, log: Path) -> None:
        self.port = free_port()
        env = {**os.environ, "DATABASE_URL": url}
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [str(BIN / "pathway"), "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pathway serve exited with {self.process.returncode}; "
                                   f"see {self.log.name}")
            try:
                client = Client(self.port)
                status, _ = client.request("GET", "/api/v1/health")
                client.close()
                if status == 200 and len(self.workers()) >= 1:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("pathway serve did not answer /api/v1/health in time")

    def workers(self) -> list[int]:
        """The gunicorn worker processes: the master's children."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def workers_rss(self) -> int:
        """Resident memory of all workers together, in bytes (VmRSS from /proc)."""
        total = 0
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
