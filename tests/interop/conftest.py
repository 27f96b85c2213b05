from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support import free_port


@pytest.fixture(autouse=True)
def _drop_dir(settings: Any, tmp_path: Path) -> Path:
    settings.SINAU_HR_DROP_DIR = str(tmp_path / "hr-drop")
    settings.SINAU_XAPI_LRS_URL = ""
    return tmp_path / "hr-drop"


class FakeLRS:
    """A real HTTP server on loopback that answers 503 to the first ``fail_first`` requests,
    then stores each statement under its id (204), as an LRS does for PUT /statements."""

    def __init__(self, fail_first: int = 0) -> None:
        self.fail_first = fail_first
        self.requests = 0
        self.received: list[str] = []  # statement ids, once per stored PUT (duplicates too)
        self.stored: dict[str, Any] = {}
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self.answer = 204  # once up: 204 stored; 409 would refuse the statement


@pytest.fixture
def lrs(settings: Any) -> Iterator[FakeLRS]:
    state = FakeLRS()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - base signature
            pass

        def do_PUT(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with state.lock:
                state.requests += 1
                failing = state.requests <= state.fail_first
                state.headers.append({k.lower(): v for k, v in self.headers.items()})
                if not failing and state.answer == 204:
                    statement_id = parse_qs(urlsplit(self.path).query)["statementId"][0]
                    state.received.append(statement_id)
                    state.stored[statement_id] = json.loads(body)
            self.send_response(503 if failing else state.answer)
            self.send_header("Content-Length", "0")
            self.end_headers()

    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.SINAU_XAPI_LRS_URL = f"http://127.0.0.1:{port}/xapi"
    settings.SINAU_XAPI_LRS_USER = "sinau"
    settings.SINAU_XAPI_LRS_PASSWORD = "rahasia"  # noqa: S105 - the test LRS's
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
