"""wrk as the load generator (the issue's instrument): C, two threads, so the client costs a fraction of
a core where Python threads cost one. ``bench/run.py`` uses it when ``wrk`` is on PATH (``apt-get install
wrk``; BENCH_CLIENT=python forces the Python client of ``bench/load.py``).

Each run gets a file of prepared requests (method, path, JSON body; one per line). wrk's threads take
the lines round robin (thread t the lines t, t+T, …), each in order, and say how many they sent, so a
caller drawing from a finite list (applications to accept) can hand the unsent ones to the next run.
Reads cycle through their lines; writes never repeat one (a thread that runs out stops and the run
reports it as ``exhausted``). Latency percentiles are wrk's own (from its histogram, per run).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench.load import LoadResult

THREADS = 2  # one per core: wrk's threads are event loops, two saturate 16 connections easily

_SCRIPT = r"""
local reqfile, cyclic, nthreads, token = %(reqfile)s, %(cyclic)s, %(threads)d, %(token)s
local threads, counter = {}, 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  statuses, sent, exhausted, reqs = {}, 0, 0, {}
  local headers = {["Authorization"] = "Token " .. token, ["Content-Type"] = "application/json",
                   ["Host"] = "127.0.0.1"}
  local i = 0
  for line in io.lines(reqfile) do
    if i %% nthreads == tid then
      local m, p, b = line:match("^(%%u+)\t([^\t]*)\t(.*)$")
      if b == "" then b = nil end
      reqs[#reqs + 1] = wrk.format(m, p, headers, b)
    end
    i = i + 1
  end
  spare = wrk.format("GET", "/api/v1/_bench/floor/", headers, nil)
end

function request()
  if sent >= #reqs then
    if cyclic and #reqs > 0 then
      sent = 0
    else
      exhausted = exhausted + 1
      wrk.thread:stop()
      return spare
    end
  end
  sent = sent + 1
  return reqs[sent]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local st, used, ex = {}, {}, 0
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses")) do st[tostring(code)] = (st[tostring(code)] or 0) + n end
    used[#used + 1] = t:get("sent")
    ex = ex + t:get("exhausted")
  end
  local parts = {}
  for code, n in pairs(st) do parts[#parts + 1] = string.format('"%%s": %%d', code, n) end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "errors": %%d, "exhausted": %%d, "statuses": {%%s}, ' ..
    '"p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "used": [%%s]}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, ex, table.concat(parts, ", "),
    latency:percentile(50), latency:percentile(95), latency:percentile(99), table.concat(used, ", ")))
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for these (ASCII) values


def run_wrk(port: int, token: str, requests: list[tuple[str, str, dict | None]], *, concurrency: int = 16,
            seconds: float = 10.0, cyclic: bool = False) -> tuple[LoadResult, list[int]]:
    """Drive ``requests`` at ``concurrency`` connections for ``seconds``; returns the result and the indices
    of ``requests`` that were sent (for non-cyclic runs: the rest may be reused)."""
    assert concurrency <= 64, "bounded load only"
    threads = min(THREADS, concurrency)
    with tempfile.TemporaryDirectory() as tmp:
        reqfile, script = Path(tmp) / "requests.tsv", Path(tmp) / "load.lua"
        with reqfile.open("w") as fh:
            for method, path, body in requests:
                fh.write(f"{method}\t{path}\t{json.dumps(body, separators=(',', ':')) if body is not None else ''}\n")
        script.write_text(_SCRIPT % {"reqfile": _lua_string(str(reqfile)), "cyclic": "true" if cyclic else "false",
                                     "threads": threads, "token": _lua_string(token)})
        out = subprocess.run(["wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{seconds:g}s",
                              "--timeout", "30s", "-s", str(script), f"http://127.0.0.1:{port}"],
                             capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    data = json.loads(line.removeprefix("WRKJSON "))
    statuses = {int(k): v for k, v in data["statuses"].items()}
    counted = sum(statuses.values())
    result = LoadResult(counted, data["errors"] + data["exhausted"], data["duration_us"] / 1e6, [], statuses,
                        percentiles={50: data["p50_us"] / 1000, 95: data["p95_us"] / 1000, 99: data["p99_us"] / 1000},
                        client="wrk")
    sent = []
    for t, used in enumerate(data["used"]):
        sent += [t + threads * i for i in range(used)]
    return result, sent
