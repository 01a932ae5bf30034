"""A small closed-loop HTTP load generator for the benchmarks (not a test).

Each client is a process with one keep-alive connection that sends prepared GET requests
back to back for a fixed time and records each latency; it reads responses with a minimal
HTTP/1.1 parser (Content-Length or chunked), so the client costs little CPU next to the
servers it measures. The same client measures every server, so ratios are fair.
"""

from __future__ import annotations

import multiprocessing
import socket
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import quote


@dataclass
class Measurement:
    """Throughput and latency of one run."""

    requests: int
    errors: int
    seconds: float
    latencies: list[float]

    @property
    def rate(self) -> float:
        """Successful requests per second."""
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        """Latency percentile in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] * 1000

    def summary(self) -> dict[str, float]:
        """q/s, p50, p95, p99 (ms), requests and errors."""
        return {"qps": self.rate, "p50": self.percentile(0.5), "p95": self.percentile(0.95),
                "p99": self.percentile(0.99), "requests": self.requests, "errors": self.errors,
                "mean_ms": statistics.fmean(self.latencies) * 1000 if self.latencies else 0.0}


def get_request(host: str, port: int, path: str, query: str, accept: str) -> bytes:
    """A prepared ``GET path?query=…`` request."""
    return (f"GET {path}?query={quote(query, safe='')} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Accept: {accept}\r\nAccept-Encoding: identity\r\n\r\n").encode()


def post_request(host: str, port: int, path: str, query: str, accept: str) -> bytes:
    """A prepared ``POST path`` of an HTML form (``query=…``), as YASGUI sends it."""
    body = f"query={quote(query, safe='')}".encode()
    return (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: {accept}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nAccept-Encoding: identity\r\n\r\n").encode() + body


def _read_response(sock: socket.socket, buffer: bytearray) -> int:
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(262144)
        if not chunk:
            raise ConnectionError("closed")
        buffer += chunk
    end = buffer.index(b"\r\n\r\n")
    head = bytes(buffer[:end]).split(b"\r\n")
    del buffer[:end + 4]
    status = int(head[0].split()[1])
    length, chunked = None, False
    for line in head[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            chunked = True
    if length is not None:
        while len(buffer) < length:
            chunk = sock.recv(262144)
            if not chunk:
                raise ConnectionError("closed")
            buffer += chunk
        del buffer[:length]
    elif chunked:
        while True:
            while b"\r\n" not in buffer:
                buffer += sock.recv(262144)
            line_end = buffer.index(b"\r\n")
            size = int(bytes(buffer[:line_end]).split(b";")[0], 16)
            while len(buffer) < line_end + 2 + size + 2:
                buffer += sock.recv(262144)
            del buffer[:line_end + 2 + size + 2]
            if size == 0:
                break
    return status


def _connect(host: str, port: int) -> socket.socket | None:
    try:
        sock = socket.create_connection((host, port), timeout=120)
    except OSError:
        time.sleep(0.05)
        return None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _client(host: str, port: int, requests: Sequence[bytes], until: float,
            results: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    latencies: list[float] = []
    errors, index = 0, 0
    sock, buffer = _connect(host, port), bytearray()
    try:
        while time.monotonic() < until:
            if sock is None:
                errors += 1
                sock, buffer = _connect(host, port), bytearray()
                continue
            request = requests[index % len(requests)]
            index += 1
            started = time.perf_counter()
            try:
                sock.sendall(request)
                status = _read_response(sock, buffer)
            except (ConnectionError, OSError, ValueError):
                errors += 1
                sock.close()
                sock, buffer = _connect(host, port), bytearray()
                continue
            latencies.append(time.perf_counter() - started)
            if status != 200:
                errors += 1
    finally:
        if sock is not None:
            sock.close()
        results.put((latencies, errors))  # always report, so the parent never waits forever


def run_http(host: str, port: int, requests: Sequence[bytes], clients: int,
             seconds: float) -> Measurement:
    """``clients`` processes, each sending its share of ``requests`` in a loop for ``seconds``."""
    context = multiprocessing.get_context("fork")
    results: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    started = time.monotonic()
    until = started + seconds
    shares = [list(requests[i::clients]) or list(requests) for i in range(clients)]
    processes = [context.Process(target=_client, args=(host, port, share, until, results))
                 for share in shares]
    for process in processes:
        process.start()
    collected = [results.get() for _ in processes]
    for process in processes:
        process.join()
    elapsed = time.monotonic() - started
    latencies = [x for lat, _ in collected for x in lat]
    return Measurement(len(latencies) + sum(e for _, e in collected),
                       sum(e for _, e in collected), elapsed, latencies)


def warm(host: str, port: int, requests: Sequence[bytes], passes: int = 4) -> None:
    """Send every request ``passes`` times, each on a new connection, so that every worker
    of a multi-process server likely saw it (and cached its answer) before a measurement."""
    for _ in range(passes):
        for request in requests:
            sock = _connect(host, port)
            if sock is None:
                continue
            with sock:
                sock.sendall(request)
                _read_response(sock, bytearray())


def run_threads(action: Callable[[str], object], queries: Sequence[str], clients: int,
                seconds: float) -> Measurement:
    """The in-process counterpart: ``clients`` threads calling ``action`` for ``seconds``."""
    import threading

    until = time.monotonic() + seconds
    collected: list[tuple[list[float], int]] = []
    lock = threading.Lock()

    def worker(share: Sequence[str]) -> None:
        latencies, errors, index = [], 0, 0
        while time.monotonic() < until:
            query = share[index % len(share)]
            index += 1
            started = time.perf_counter()
            try:
                action(query)
            except Exception:  # a load generator counts every failure, whatever its kind
                errors += 1
            latencies.append(time.perf_counter() - started)
        with lock:
            collected.append((latencies, errors))

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(list(queries[i::clients]) or queries,))
               for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies = [x for lat, _ in collected for x in lat]
    return Measurement(len(latencies), sum(e for _, e in collected), elapsed, latencies)
