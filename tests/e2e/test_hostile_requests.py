"""What a careless or hostile client sends to a real `pathway serve`: long addresses, bodies
streamed past the limit, junk request lines. Each is refused fast and leaves the service up."""

from __future__ import annotations

import contextlib
import json
import socket
import time

import pytest

from tests.e2e.conftest import Server, create_token

pytestmark = pytest.mark.slow


def raw_exchange(server: Server, data: bytes, *, timeout: float = 20) -> tuple[int, bytes]:
    """Send bytes as they are and read the whole answer: (status, body)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as sock:
        # The server may answer and close before reading everything.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(data)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, body


def test_a_long_request_line_is_refused_at_once_and_the_service_stays_up(serve, server_database):
    server = serve(server_database)
    started = time.monotonic()
    status, _ = raw_exchange(server, b"GET /api/v1/health?x=" + b"a" * (4 * 1024 * 1024)
                             + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert status == 414
    assert time.monotonic() - started < 10
    assert server.request("GET", "/api/v1/health/live", timeout=5).status == 200


def test_an_address_within_the_limit_but_too_long_for_the_api_is_a_json_414(serve,
                                                                           server_database):
    server = serve(server_database)
    answer = server.request("GET", "/api/v1/health?x=" + "a" * 6000)
    assert answer.status == 414
    assert answer.body["error"] == "address_too_long"


def test_a_chunked_body_over_the_limit_is_refused_as_with_content_length(serve,
                                                                        server_database):
    server = serve(server_database)
    token = create_token(server_database, "chunky", "admin")
    body = json.dumps({"code": "big-unit", "name": "x" * 100, "kind": "other",
                       "locality": "y" * (400 * 1024)}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 8192]), body[i:i + 8192])
                      for i in range(0, len(body), 8192)) + b"0\r\n\r\n"
    status, answer = raw_exchange(server, (
        b"POST /api/v1/units HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n") + chunks)
    assert status == 413
    assert json.loads(answer)["error"] == "body_too_large"
    assert server.request("GET", "/api/v1/units/big-unit", token=token).status == 404


def test_a_small_chunked_body_is_read_whole(serve, server_database):
    server = serve(server_database)
    token = create_token(server_database, "chunky", "admin")
    body = json.dumps({"code": "small-unit", "name": "Small", "kind": "other"}).encode()
    chunks = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    status, answer = raw_exchange(server, (
        b"POST /api/v1/units HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        b"Authorization: Bearer " + token.encode() + b"\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n") + chunks)
    assert status == 201, answer
    assert json.loads(answer)["code"] == "small-unit"


def test_an_invalid_request_line_is_logged_without_its_query_values(serve, server_database):
    server = serve(server_database)
    raw_exchange(server, b"GET /api/v1/health?secret=Jane-Doe HTTP/9.9\r\nHost: x\r\n\r\n")
    raw_exchange(server, b"BROKEN /api/v1/health?secret=Jane-Doe\r\n\r\n")
    time.sleep(0.5)
    log = server.log()
    assert "Invalid" in log or "invalid" in log
    assert "Jane-Doe" not in log
