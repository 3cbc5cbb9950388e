"""Render var/bench/results.json as bench/RESULTS.md, with each target marked PASS or MISS."""

from __future__ import annotations

from pathlib import Path

READS = ("GET /api/v1/pledges/", "GET /api/v1/pledges/{id}/", "GET /api/v1/applications/")


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


def _api_lines(api: dict) -> list[str]:
    floor = api.get("floor GET /api/v1/_bench/floor/", {}).get("rps", 0)
    lines = [f"Backend {api['backend']}, {api['size']:,} applications; gunicorn {api['workers']} sync workers; "
             f"{api['concurrency']} concurrent loopback clients (Python threads, same machine); {api['seconds']} s each.",
             "", "| endpoint | requests | req/s | ÷ floor | p50 ms | p95 ms | p99 ms | statuses | target |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for label, r in api.items():
        if not isinstance(r, dict) or "rps" not in r:
            continue
        share = r["rps"] / floor if floor else 0
        targets = [f"p99≤100ms {_mark(r['p99_ms'] <= 100)}"]
        if label in READS:
            targets.append(f"≥50% floor {_mark(share >= 0.5)}")
        if label == "POST /api/v1/pledges/":
            targets.append(f"≥150/s {_mark(r['rps'] >= 150)}")
        lines.append(f"| {label} | {r['requests']:,} | {r['rps']:.0f} | {share:.0%} | {r['p50_ms']:.1f} | "
                     f"{r['p95_ms']:.1f} | {r['p99_ms']:.1f} | {r['statuses']} | {'; '.join(targets)} |")
    return lines


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


def write_results(results: dict, path: Path) -> None:
    lines = ["# Benchmark results", "", "Written by `bench/run.py` (`make bench`, `make bench-small`); "
             "raw numbers in `var/bench/results.json`.", ""]
    if results.get("notes"):
        lines += ["## Notes", ""] + [f"- {note}" for note in results["notes"]] + [""]
    for mode in ("full", "small"):
        data = results.get(mode)
        if not data:
            continue
        m = data["machine"]
        lines += [f"## {mode} run", "", f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM; "
                  f"Python {m['python']}; load average at start {', '.join(f'{x:.1f}' for x in m['load'])}; {m['at']}.", ""]
        for part, render in (("report", _report_lines), ("api", _api_lines), ("pages", _pages_lines)):
            if part not in data:
                continue
            lines += [f"### {part}", ""]
            if "error" in data[part]:
                lines += ["Failed:", "", "```", data[part]["error"][-1500:], "```", ""]
                continue
            lines += render(data[part]) + [""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
