"""A bounded HTTP load generator for loopback only: N threads, fixed duration, http.client."""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# A request factory: worker index, sequence number -> (method, path, body or None)
Factory = Callable[[int, int], tuple[str, str, dict | None]]


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    statuses: dict[int, int]
    percentiles: dict[int, float] = field(default_factory=dict)  # wrk's own, when it drove the run
    client: str = "python"

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if self.percentiles and not self.latencies_ms:
            return self.percentiles.get(p, float("nan"))
        if not self.latencies_ms:
            return float("nan")
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(p / 100 * len(data)))]


def run_load(port: int, token: str, factory: Factory, *, concurrency: int = 16, seconds: float = 10.0,
             max_requests: int | None = None) -> LoadResult:
    assert concurrency <= 64, "bounded load only"
    seq = itertools.count()
    deadline = time.monotonic() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = [0]
    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json", "Host": "127.0.0.1"}

    def worker(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        local: list[float] = []
        local_status: dict[int, int] = {}
        while time.monotonic() < deadline:
            n = next(seq)
            if max_requests is not None and n >= max_requests:
                break
            method, path, body = factory(index, n)
            payload = json.dumps(body).encode() if body is not None else None
            started = time.perf_counter()
            try:
                conn.request(method, path, body=payload, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                with lock:
                    errors[0] += 1
                continue
            local.append(1000 * (time.perf_counter() - started))
            local_status[response.status] = local_status.get(response.status, 0) + 1
        conn.close()
        with lock:
            latencies.extend(local)
            for k, v in local_status.items():
                statuses[k] = statuses.get(k, 0) + v

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return LoadResult(len(latencies), errors[0], elapsed, latencies, statuses)
