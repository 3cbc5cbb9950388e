"""Render var/bench/results.json as bench/RESULTS.md, with each target marked PASS or MISS.

The "Targets (issue 15)" table comes first (and is what bench/run.py prints). A MISS names its note:
a line of "## Notes" containing the row's tag, e.g. ``[repayment]``, says why (with the profile).
Notes come from results.json's "notes" when set, else are kept from the existing RESULTS.md, so they
can be edited there; so are the sections of parts not in results.json.
"""

from __future__ import annotations

import math
from pathlib import Path

GET_FLOOR, POST_FLOOR = "floor GET /api/v1/_bench/floor/", "floor POST /api/v1/_bench/floor-post/"
# (tag, results label, call as the issue names it); reads against the GET floor, writes against the POST floor
READS = (("pledge-detail", "GET /api/v1/pledges/{id}/", "`GET /api/v1/pledges/{id}/` (bank)"),
         ("pledge-list", "GET /api/v1/pledges/", "`GET /api/v1/pledges/` (bank)"),
         ("applications-applicant", "GET /api/v1/applications/ (applicant)", "`GET /api/v1/applications/` (applicant)"),
         ("applications-clerk", "GET /api/v1/applications/ (clerk)", "`GET /api/v1/applications/` (clerk)"))
WRITES = (("register", "POST /api/v1/pledges/", "`POST /api/v1/pledges/` (bank)"),
          ("repayment", "POST /api/v1/pledges/{id}/repayments/", "`POST /api/v1/pledges/{id}/repayments/` (bank)"),
          ("transition", "POST /api/v1/applications/{id}/transitions/accept/",
           "`POST /api/v1/applications/{id}/transitions/accept/` (clerk)"))
PAIRS = (("banks-at-once", "two banks registering", "two banks registering at once"),
         ("regions-at-once", "two regions accepting", "two regions accepting at once"))
PAIR_FLOOR = "POST floor, two banks"
LIGHT = ", 1 + 1 connections"  # bench/run.py: the same pairs below the CPU's limit
SYNTH_SIZE = 200_000


def _mark(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _report_lines(report: dict) -> list[str]:
    lines = ["SQL floor = the report's selectors evaluated alone, in one process. *In-process* = building and "
             "rendering the report in that same warm process (what the report itself costs beside its SQL; the "
             "≤3× target is marked on it). *Command* = `manage.py budget_report` as a user runs it, in its own "
             "process, so it also pays interpreter start-up and imports (the *startup* column: a process that only "
             "starts Django and imports the report's modules). All medians of 3.", "",
             "| database | applications | SQL floor (s) | format | in-process (s) | ÷ SQL | command (s) | startup (s) | "
             "command ÷ (SQL+startup) | peak RSS (MB) | ≤3× SQL floor | ≤10 s | ≤500 MB |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|---|"]
    by_backend: dict[str, list[dict]] = {}
    for entry in report.values():
        if not isinstance(entry, dict) or "formats" not in entry:
            continue
        by_backend.setdefault(entry["backend"], []).append(entry)
        sql = entry["sql_floor"]["seconds"]
        startup = entry["sql_floor"].get("startup_seconds")
        floor = sql + (startup or 0.0)
        shown = f"{startup:.2f}" if startup is not None else "—"
        inproc = entry["sql_floor"].get("inprocess", {})
        for fmt, r in entry["formats"].items():
            ratio = r["seconds"] / floor if floor else float("inf")
            own = inproc.get(fmt, {}).get("seconds")
            own_shown, own_ratio = (f"{own:.2f}", f"{own / sql:.1f}×") if own is not None else ("—", "—")
            within = own is not None and own <= 3 * sql
            lines.append(f"| {entry['backend']} | {entry['size']:,} | {sql:.3f} | {fmt} | {own_shown} | {own_ratio} | "
                         f"{r['seconds']:.2f} | {shown} | {ratio:.1f}× | {r['peak_rss_mb']:.0f} | {_mark(within)} | "
                         f"{_mark(r['seconds'] <= 10)} | {_mark(r['peak_rss_mb'] <= 500)} |")
    lines += ["", "Scaling (largest ÷ smallest database, same backend; target: 50× the data ≤ 4× the time):", ""]
    for backend, entries in by_backend.items():
        entries.sort(key=lambda e: e["size"])
        small, large = entries[0], entries[-1]
        if small is large:
            continue
        growth = large["size"] / small["size"]
        for fmt in large["formats"]:
            t = large["formats"][fmt]["seconds"] / small["formats"][fmt]["seconds"]
            lines.append(f"- {backend} {fmt}: {growth:.0f}× the data → {t:.1f}× the time "
                         f"{_mark(t <= 4) if growth >= 50 else '(data ratio below 50×: indicative only)'}")
    lines += ["", "Data build times (generate_synthetic, loans = applications / 4):", ""]
    for entry in report.values():
        if isinstance(entry, dict) and "build" in entry:
            b = entry["build"]
            lines.append(f"- {entry['backend']} {b['applications']:,} applications: {b['generate_seconds']} s — {b['rows']}")
    return lines


def _waits(w: dict | None) -> str:
    if not w:
        return "—"
    tables = ", ".join(f"{t} {n:.2f}" for t, n in w["tables"])
    return f"{w['mean_waiting']:.2f} ({w['share_with_waiter']:.0%} of samples{'; ' + tables if tables else ''})"


def _api_lines(api: dict) -> list[str]:
    get_floor = api.get(GET_FLOOR, {}).get("rps", 0)
    post_floor = api.get(POST_FLOOR, {}).get("rps", 0)
    lines = [f"Backend {api['backend']}, {api['size']:,} applications; gunicorn {api['workers']} sync workers "
             f"(production settings); {api['concurrency']} concurrent loopback connections ({_client(api)} on the same "
             f"machine); {api['seconds']} s each, {api.get('rounds', 1)} rounds round robin (req/s: the median round; "
             + ("latencies: the median over the rounds of wrk's per-round percentile). " if _client(api) == "wrk" else
                "latencies pooled over the rounds). ") + "Reads are compared with the GET floor, writes with the POST floor "
             "(the registration body validated by plain DRF fields, no database). *Lock waits*: PostgreSQL backends "
             "seen waiting on a lock (mean, sampled every 50 ms; the tables their statements name, mean per sample).",
             "", "| endpoint | requests | req/s | ÷ floor | p50 ms | p95 ms | p99 ms | statuses | lock waits |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for label, r in api.items():
        if not isinstance(r, dict) or "rps" not in r:
            continue
        floor = post_floor if "POST" in label else get_floor
        share = f"{r['rps'] / floor:.0%}" if floor else "—"
        lines.append(f"| {label} | {r['requests']:,} | {r['rps']:.0f} | {share} | {r['p50_ms']:.1f} | "
                     f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['statuses']} | {_waits(r.get('lock_waits'))} |")
    concurrent = api.get("concurrent") or {}
    if concurrent:
        lines += ["", "Unrelated writes at once: each side alone, then both sides together, at the connections per "
                  "side the load names (8 when it names none). The POST floor's pair "
                  "(no database, no locks) shows what sharing this machine's cores and workers alone costs.", "",
                  "| load | side | alone req/s | together req/s | together ÷ alone (median round) | p99 ms alone | p99 ms together | "
                  "statuses together | lock waits together |", "|---|---|---:|---:|---:|---:|---:|---|---|"]
        for label, entry in concurrent.items():
            for side, r in entry["sides"].items():
                a, t = r["alone"], r["together"]
                lines.append(f"| {label} | {side} | {a['rps']:.0f} | {t['rps']:.0f} | {r['ratio']:.0%} | "
                             f"{a['p99_ms']:.1f} | {t['p99_ms']:.1f} | {t['statuses']} | {_waits(entry.get('lock_waits'))} |")
    return lines


def _synth_lines(synth: dict) -> list[str]:
    return [f"`{synth['command']}` on a fresh PostgreSQL database (migrated first; dropped afterwards), "
            f"`/usr/bin/time`: {synth['seconds']} s wall, peak RSS {synth['peak_rss_mb']} MB — {synth['rows']}"]



def _pages_lines(pages: dict) -> list[str]:
    lines = [f"Backend {pages['backend']}, {pages['size']:,} applications; Django test client in-process, 20 requests each.",
             "", "| page | p50 ms | p95 ms | queries | status | p95 ≤ 200 ms |", "|---|---:|---:|---:|---:|---|"]
    for label, r in pages["pages"].items():
        lines.append(f"| {label} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['queries']} | {r['status']} | "
                     f"{_mark(r['p95_ms'] <= 200)} |")
    lines += ["", "API list query counts (page_size 20 vs 100; equal = fixed number of queries):", "",
              "| endpoint | queries @20 | queries @100 | fixed |", "|---|---:|---:|---|"]
    for label, counts in pages["api_queries"].items():
        a, b = counts["20"] if "20" in counts else counts[20], counts["100"] if "100" in counts else counts[100]
        lines.append(f"| {label} | {a[0]} (HTTP {a[1]}) | {b[0]} (HTTP {b[1]}) | {_mark(a[0] == b[0])} |")
    return lines


# --- targets ---------------------------------------------------------------------------------------

def _ok(value: float, limit: float, above: bool = True) -> bool:
    return not math.isnan(value) and (value >= limit if above else value <= limit)


def _errors(r: dict) -> int:
    """Requests that failed: transport errors and non-2xx statuses."""
    return r.get("errors", 0) + sum(n for code, n in r.get("statuses", {}).items() if not 200 <= int(code) < 300)


def _pair_rows(rows: list[dict], tag: str, call: str, entry: dict, floor_share: float | None) -> None:
    for side, r in entry["sides"].items():
        a, t = r["alone"], r["together"]
        bad = _errors(a) + _errors(t)
        rows.append({
            "tag": tag, "call": f"{call}: {side}",
            "measured": f"{r['ratio']:.0%} of alone ({t['rps']:.0f} of {a['rps']:.0f} req/s)"
                        + (f" ({bad:,} failed)" if bad else ""),
            "target": "≥ 80 % of its rate alone",
            "floor": f"{r['ratio'] / floor_share:.2f}× the floor pair's {floor_share:.0%}" if floor_share else "—",
            "p99": f"{t['p99_ms']:.0f} ms", "ok": not bad and _ok(r["ratio"], 0.8)})


def target_rows(data: dict) -> list[dict]:
    """One row per target of issue 15 from one mode's results: call, measured, target, ÷ floor, p99, ok."""
    rows = []
    api = data.get("api") if isinstance(data.get("api"), dict) and "error" not in data.get("api", {}) else None

    def missing(tag, call, target):
        rows.append({"tag": tag, "call": call, "measured": "not measured", "target": target, "floor": "—",
                     "p99": "—", "ok": None})

    for group, floor_label, share, target in ((READS, GET_FLOOR, 0.6, "≥ 60 % of the GET floor, p99 ≤ 100 ms"),
                                              (WRITES, POST_FLOOR, 0.5, "≥ 50 % of the POST floor, p99 ≤ 100 ms")):
        for tag, label, call in group:
            r = (api or {}).get(label)
            floor = (api or {}).get(floor_label, {}).get("rps", 0)
            if not r or not floor:
                missing(tag, call, target)
                continue
            ratio, bad = r["rps"] / floor, _errors(r)
            measured = f"{r['rps']:.0f} req/s" + (f" ({bad:,} failed)" if bad else "")
            rows.append({"tag": tag, "call": call, "measured": measured, "target": target,
                         "floor": f"{ratio:.0%} of {floor:.0f}", "p99": f"{r['p99_ms']:.0f} ms",
                         "ok": not bad and _ok(ratio, share) and _ok(r["p99_ms"], 100, above=False)})
    concurrent = (api or {}).get("concurrent") or {}
    for suffix, how in (("", "8 + 8 connections"), (LIGHT, "1 + 1 connections")):
        floor_pair = concurrent.get(PAIR_FLOOR + suffix, {}).get("sides", {})
        floor_share = (sum(s["ratio"] for s in floor_pair.values()) / len(floor_pair)) if floor_pair else None
        for tag, label, call in PAIRS:
            entry = concurrent.get(label + suffix)
            if not entry:
                if not suffix:
                    missing(tag, call, "each ≥ 80 % of its rate alone")
                continue
            _pair_rows(rows, tag + ("-light" if suffix else ""), f"{call} ({how})", entry, floor_share)
    synth = data.get("synth")
    call, target = "`generate_synthetic` at 200,000 applications / 50,000 loans", "≤ 90 s on PostgreSQL"
    if not synth or "error" in synth:
        missing("synth", call, target)
    else:
        full = synth["applications"] == SYNTH_SIZE
        rows.append({"tag": "synth", "call": call, "target": target, "floor": "—", "p99": "—",
                     "measured": f"{synth['seconds']:.0f} s" + ("" if full else
                                                                f" at {synth['applications']:,} (not the target size)"),
                     "ok": synth["seconds"] <= 90 if full else None})
    return rows


def _tagged(notes: list[str], tag: str) -> bool:
    return any(f"[{tag}]" in note for note in notes)


def _mark_of(row: dict, notes: list[str], link: bool) -> str:
    if row["ok"] is None:
        return "—"
    if row["ok"]:
        return "PASS"
    where = "[notes](#notes)" if link else "notes"
    return (f"MISS, see [{row['tag']}] in {where}" if _tagged(notes, row["tag"])
            else f"MISS, no note [{row['tag']}] in {where} yet")


def _client(api: dict) -> str:
    clients = {r.get("client") for r in api.values() if isinstance(r, dict) and "rps" in r}
    return "wrk" if clients == {"wrk"} else "Python threads" if clients <= {"python", None} else "mixed"


def _pick_mode(results: dict) -> str | None:
    """The full run's figures when it measured any target, else the small run's."""
    for mode in ("full", "small"):
        data = results.get(mode) or {}
        if any(part in data for part in ("api", "synth")):
            return mode
    return None


def _targets_lines(results: dict, notes: list[str], link: bool = True) -> list[str]:
    mode = _pick_mode(results)
    if mode is None:
        return ["Not measured yet: `bench/run.py --only api` (and `--only synth`)."]
    data = results[mode]
    api = data.get("api") or {}
    where = (f"From the {mode} run" + (" (`--small`: a small database and short runs, indicative only)"
                                        if mode == "small" else ""))
    if "backend" in api:
        where += (f"; API on {api['backend']} at {api['size']:,} applications, {api.get('at', '?')}, "
                  f"{api['concurrency']} connections (the pairs: 8 + 8, and 1 + 1), client {_client(api)}")
    where += ". *÷ floor*: the call's rate as a share of its bare floor; for the pairs, the ratio beside the POST "
    where += "floor's own pair (what sharing the cores and workers costs with no database)."
    lines = [where, "", "| call | measured | target | ÷ floor | p99 | result |", "|---|---|---|---|---|---|"]
    for row in target_rows(data):
        lines.append(f"| {row['call']} | {row['measured']} | {row['target']} | {row['floor']} | {row['p99']} | "
                     f"{_mark_of(row, notes, link)} |")
    return lines


def targets_table(results: dict) -> str:
    """The targets as bench/run.py prints them at the end (the same table as in RESULTS.md)."""
    notes = results.get("notes") or []
    if not notes:
        notes = _sections(Path(__file__).with_name("RESULTS.md")).get("## Notes", {}).get("lines", [])
    return "\n".join(["## Targets (issue 15)", "", *_targets_lines(results, notes, link=False)])


# --- the file ----------------------------------------------------------------------------------------

def _sections(path: Path) -> dict[str, dict]:
    """An existing RESULTS.md as {"## heading": {"lines": [...], "parts": {"### heading": [...]}}}."""
    if not path.exists():
        return {}
    out: dict[str, dict] = {}
    current, part = None, None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current, part = out.setdefault(line.strip(), {"lines": [], "parts": {}}), None
        elif line.startswith("### ") and current is not None:
            part = current["parts"].setdefault(line.strip(), [])
        elif part is not None:
            part.append(line)
        elif current is not None:
            current["lines"].append(line)
    return out


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    while lines and not lines[0].strip():
        lines = lines[1:]
    return lines


def write_results(results: dict, path: Path) -> None:
    old = _sections(path)
    notes = [f"- {note}" for note in results.get("notes") or []] or _trim(old.get("## Notes", {}).get("lines", []))
    lines = ["# Benchmark results", "", "Written by `bench/run.py` (`make bench`, `make bench-small`); "
             "raw numbers in `var/bench/results.json`. Sections of parts not measured since are kept as they were.", ""]
    lines += ["## Targets (issue 15)", "", *_targets_lines(results, notes), ""]
    if notes:
        lines += ["## Notes", "", *notes, ""]
    known = {"## Notes", "## Targets (issue 15)", "## full run", "## small run"}
    for heading, kept in old.items():  # sections written by hand
        if heading not in known:
            lines += [heading, *kept["lines"]] + [x for h, body in kept["parts"].items() for x in [h, *body]]
            lines = _trim(lines) + [""]
    renders = (("report", _report_lines), ("api", _api_lines), ("pages", _pages_lines), ("synth", _synth_lines))
    for mode in ("full", "small"):
        heading = f"## {mode} run"
        data, kept = results.get(mode), old.get(heading)
        if not data:
            if kept:
                lines += [heading, *kept["lines"]] + [x for h, body in kept["parts"].items() for x in [h, *body]]
                lines = _trim(lines) + [""]
            continue
        m = data["machine"]
        lines += [heading, "", f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; "
                  f"Python {m['python']}; load average at the last run's start "
                  f"{', '.join(f'{x:.1f}' for x in m['load'])}; {m['at']}.", ""]
        for part, render in renders:
            sub = f"### {part}"
            if part not in data:
                if kept and sub in kept["parts"]:
                    lines += [sub, *_trim(kept["parts"][sub]), ""]
                continue
            lines += [sub, ""]
            if "at" in data[part]:
                lines += [f"Measured {data[part]['at']}.", ""]
            if "error" in data[part]:
                lines += ["Failed:", "", "```", data[part]["error"][-1500:], "```", ""]
                continue
            lines += render(data[part]) + [""]
    path.write_text("\n".join(_trim(lines)) + "\n", encoding="utf-8")
