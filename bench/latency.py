"""What each interaction costs a user, over HTTP, against a running server.

    LOAD_PASSWORD=… .venv/bin/python bench/latency.py --url http://127.0.0.1:8000 \\
        --host bench-l.localhost --rounds 30 [--baseline-url http://127.0.0.1:8001] \\
        [--markdown docs/bench/latency-L.md]

One logged-in staff user, one request at a time (keep-alive), so the figures are
latencies, not throughput (bench/load.py measures throughput). Each round sends
every interaction once, in a shuffled order, so load from other processes falls
on all of them alike. With --baseline-url a second server (another checkout on the
same databases) gets the same request right after, and both columns come from the
same run.

The interactions are the ones whose cost must not grow with the tenant: the full
page, the table fragment under every sort in both directions, under each filter
(aggregate filters included) and on a deep page, each panel, the contracts page
under every sort and its summary (exact count and sum), a client's detail and an
API page. Each prints its median and p95 in ms beside its target at the size
given (--size): at L p95 ≤ 50 ms and the full page ≤ 100 ms; at XL p95 ≤ 150 ms,
the table's first pages (every sort, no filter) ≤ 60 ms and the full page
≤ 150 ms. --size also picks the deep page (2,000 at L, 20,000 at XL) unless
--deep-page names one.
"""

import argparse
import http.client
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import Target, login, percentile

CLIENT_SORTS = ["name", "email", "country", "created", "contracts", "total"]
CONTRACT_SORTS = ["title", "client", "amount", "signed", "status"]
PANELS = ["kpis", "top", "countries", "monthly", "health"]

# size: (every interaction's p95, table first pages, full page, deep page), ms
TARGETS = {"L": (50, 50, 100, 2_000), "XL": (150, 60, 150, 20_000)}


@dataclass(frozen=True)
class Interaction:
    name: str
    path: str
    fragment: bool = False  # sent as HTMX
    api: bool = False
    target_ms: float = 50


def interactions(*, client_id: int, deep_page: int, size: str = "L") -> list[Interaction]:
    every, first_page, full_page, _ = TARGETS[size]
    found = [Interaction("full page", "/", target_ms=full_page)]
    for key in CLIENT_SORTS:
        for sort in (key, f"-{key}"):
            found.append(
                Interaction(
                    f"table sort={sort}", f"/?sort={sort}", fragment=True, target_ms=first_page
                )
            )
    filters = {
        "country=CL, -total": {"country": "CL", "sort": "-total"},
        "active=no": {"active": "no"},
        "search silva": {"q": "silva"},
        "min_total=5000, contracts": {"min_total": "5000", "sort": "contracts"},
        "min_total=5000, name": {"min_total": "5000", "sort": "name"},
        "max_total=100, -created": {"max_total": "100", "sort": "-created"},
        f"page {deep_page}": {"page": str(deep_page)},
        f"page {deep_page}, total": {"page": str(deep_page), "sort": "total"},
    }
    for label, params in filters.items():
        found.append(
            Interaction(f"table {label}", "/?" + urlencode(params), fragment=True, target_ms=every)
        )
    for panel in PANELS:
        found.append(
            Interaction(f"panel {panel}", f"/panels/{panel}/", fragment=True, target_ms=every)
        )
    for key in CONTRACT_SORTS:
        for sort in (key, f"-{key}"):
            found.append(
                Interaction(f"contracts sort={sort}", f"/contracts/?sort={sort}", target_ms=every)
            )
    found.append(
        Interaction(
            "contracts summary (count and sum)",
            "/contracts/summary/",
            fragment=True,
            target_ms=every,
        )
    )
    found.append(Interaction("client detail", f"/clients/{client_id}/", target_ms=every))
    found.append(
        Interaction(
            "API clients page 2", "/api/clients/?page=2&sort=-total", api=True, target_ms=every
        )
    )
    return found


def fetch(
    connection: http.client.HTTPConnection, target: Target, step: Interaction
) -> tuple[float, int]:
    headers = {"Host": target.host, "Cookie": target.cookie}
    if step.fragment:
        headers |= {"HX-Request": "true", "HX-Current-URL": f"http://{target.host}{step.path}"}
    if step.api:
        headers["Accept"] = "application/json"
    started = time.perf_counter()
    connection.request("GET", step.path, headers=headers)
    response = connection.getresponse()
    response.read()
    return (time.perf_counter() - started) * 1000, response.status


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--baseline-url", help="a second server, timed in the same rounds")
    parser.add_argument("--host", default="acme.localhost", help="the tenant's Host header")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--client-id", type=int, default=4242)
    parser.add_argument("--size", choices=sorted(TARGETS), default="L", help="targets of")
    parser.add_argument("--deep-page", type=int, help="default: 2000 at L, 20000 at XL")
    parser.add_argument("--markdown", help="write the table to this file too")
    args = parser.parse_args()
    deep_page = args.deep_page or TARGETS[args.size][3]

    servers = {"product": args.url} | ({"baseline": args.baseline_url} if args.baseline_url else {})
    targets, connections = {}, {}
    for label, url in servers.items():
        parts = urlsplit(url)
        targets[label] = Target(parts.scheme, parts.netloc, args.host)
        targets[label].cookie = login(
            targets[label], os.environ.get("LOAD_USERNAME", "staff"), os.environ["LOAD_PASSWORD"]
        )
        connections[label] = http.client.HTTPConnection(parts.netloc, timeout=60)

    steps = interactions(client_id=args.client_id, deep_page=deep_page, size=args.size)
    times: dict[tuple[str, str], list[float]] = {}
    failures: dict[tuple[str, str], int] = {}
    rng = random.Random(0)
    for round_number in range(args.rounds + 1):  # round 0 warms every process up
        rng.shuffle(steps)
        for step in steps:
            for label in servers:
                elapsed, status = fetch(connections[label], targets[label], step)
                if round_number:
                    times.setdefault((step.name, label), []).append(elapsed)
                    failures[(step.name, label)] = failures.get((step.name, label), 0) + (
                        status != 200
                    )

    header = "| interaction | target ms |" + "".join(
        f" {label} median / p95 ms |" for label in servers
    )
    lines = [header, "|---|---:|" + "---:|" * len(servers)]
    for step in interactions(client_id=args.client_id, deep_page=deep_page, size=args.size):
        cells = []
        for label in servers:
            values = times[(step.name, label)]
            p95 = percentile(values, 0.95)
            flag = " ✗" if p95 > step.target_ms else ""
            if failed := failures[(step.name, label)]:
                flag += f" ({failed} not 200)"
            cells.append(f" {statistics.median(values):.1f} / {p95:.1f}{flag} |")
        lines.append(f"| {step.name} | ≤ {step.target_ms:.0f} |" + "".join(cells))
    print("\n".join(lines))
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write(
                f"{args.rounds} rounds, host {args.host}, targets at {args.size}; "
                "✗ marks a p95 over its target.\n\n"
            )
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
