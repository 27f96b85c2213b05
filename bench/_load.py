"""Closed-loop HTTP load for the benchmarks: client threads with keep-alive connections,
each asking a *maker* for its next request, measured in a window after a warm-up, with the
server's CPU read around that window. ``bench.catalogue``, ``bench.heartbeat`` and
``bench.quiz`` measure their pages and a bare view with it, in the same run."""

from __future__ import annotations

import http.client
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from bench.catalogue import (
    BARE_PATH,
    MAX_REQUESTS_PER_THREAD,
    MEASURE_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
    REQUESTS_PER_CONNECTION,
    WARMUP_SECONDS,
    Phase,
    Target,
    cpu_seconds,
    worker_pids,
)


@dataclass
class Call:
    """One request, what answer counts as success, and what to do with the answer (a
    player keeping the ticket it is handed, say)."""

    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    expect: tuple[int, ...] = (200,)
    answered: Callable[[bytes], None] | None = None


Maker = Callable[[], Call]


def bare_maker() -> Maker:
    return lambda: Call("GET", BARE_PATH)


def fixed_maker(path: str, headers: dict[str, str]) -> Maker:
    return lambda: Call("GET", path, headers=headers)


def _client_thread(
    port: int,
    make: Maker,
    label: str,
    window: tuple[float, float],
    stop: threading.Event,
    latencies: list[float],
    sizes: list[int],
    failures: list[str],
) -> None:
    measure_from, until = window
    conn: http.client.HTTPConnection | None = None
    try:
        for number in range(MAX_REQUESTS_PER_THREAD):
            if stop.is_set() or time.perf_counter() >= until:
                return
            if conn is None or number % REQUESTS_PER_CONNECTION == 0:
                if conn is not None:
                    conn.close()
                conn = http.client.HTTPConnection(
                    "127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS
                )
            call = make()
            started = time.perf_counter()
            conn.request(call.method, call.path, body=call.body or None, headers=call.headers)
            response = conn.getresponse()
            content = response.read()
            finished = time.perf_counter()
            if response.status not in call.expect:
                raise RuntimeError(f"{call.path} answered {response.status}: {content[:200]!r}")
            if call.answered is not None:
                call.answered(content)
            if measure_from <= started and finished <= until:
                latencies.append(finished - started)
                sizes.append(len(content))
    except Exception as error:  # reported by the main thread, which stops the run
        failures.append(f"{label}: {type(error).__name__}: {error}")
        stop.set()
    finally:
        if conn is not None:
            conn.close()


def measure(
    server: subprocess.Popen[bytes], port: int, target: Target, makers: Sequence[Maker]
) -> Phase:
    """One phase: a thread per maker, ``WARMUP_SECONDS`` unmeasured, then
    ``MEASURE_SECONDS`` measured; a failing request ends the run."""
    stop = threading.Event()
    latencies: list[list[float]] = [[] for _ in makers]
    sizes: list[list[int]] = [[] for _ in makers]
    failures: list[str] = []
    start = time.perf_counter()
    window = (start + WARMUP_SECONDS, start + WARMUP_SECONDS + MEASURE_SECONDS)
    threads = [
        threading.Thread(
            target=_client_thread,
            args=(port, make, target.label, window, stop, latencies[i], sizes[i], failures),
            name=f"bench-client-{i}",
        )
        for i, make in enumerate(makers)
    ]
    workers = worker_pids(server)
    for thread in threads:
        thread.start()
    # CPU is read around the measured window only, as the requests are. Waiting on the
    # event, so that a failing request ends the phase at once.
    stop.wait(max(window[0] - time.perf_counter(), 0))
    client_cpu_before, server_cpu_before = time.process_time(), cpu_seconds(workers)
    stop.wait(max(window[1] - time.perf_counter(), 0))
    client_cpu, server_cpu_after = time.process_time(), cpu_seconds(workers)
    for thread in threads:
        thread.join(timeout=WARMUP_SECONDS + MEASURE_SECONDS + 2 * REQUEST_TIMEOUT_SECONDS)
        if thread.is_alive():
            stop.set()
            raise SystemExit(f"{target.label}: a client thread did not finish")
    if failures:
        more = f" (and {len(failures) - 1} more)" if len(failures) > 1 else ""
        raise SystemExit(failures[0] + more)
    server_cpu = None
    if server_cpu_before is not None and server_cpu_after is not None:
        server_cpu = server_cpu_after - server_cpu_before
    if worker_pids(server) != workers:
        raise SystemExit(f"{target.label}: gunicorn replaced a worker during the phase")
    samples = [latency for per_thread in latencies for latency in per_thread]
    body_sizes = [size for per_thread in sizes for size in per_thread]
    if not samples:
        raise SystemExit(f"{target.label}: no request completed in the measured window")
    return Phase(
        target=target,
        requests=len(samples),
        seconds=MEASURE_SECONDS,
        latencies=samples,
        response_bytes=round(sum(body_sizes) / len(body_sizes)),
        client_cpu_seconds=client_cpu - client_cpu_before,
        server_cpu_seconds=server_cpu,
    )
