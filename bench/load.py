"""Load against a running Contrata server: a realistic mix of staff traffic.

    .venv/bin/python bench/load.py --url http://127.0.0.1:8000 --host acme.localhost \\
        --clients 64 --seconds 60 [--new-connections] [--only table] \\
        [--outage-pid PID --outage-at 20 --outage-for 15]

Each of --clients threads loops until --seconds have passed, picking a request
from the mix: table fragments (HTMX) with random filters, sorts and pages; the
five panels; a client's detail page; API pages with a bearer token. Requests
reuse one keep-alive connection per thread, or open a new one each time with
--new-connections. --outage-pid stops that process (SIGSTOP: a hung MySQL) at
--outage-at seconds and resumes it --outage-for seconds later.

Prints, per endpoint: requests, req/s, p50/p95/p99 in ms, and non-2xx/3xx or
failed requests, and writes the same as JSON with --json.

The staff login and the API token come from the environment (LOAD_USERNAME,
LOAD_PASSWORD, LOAD_TOKEN); `make run` prints the demo logins, and a token is
created in the tenant's admin.
"""

import argparse
import http.client
import json
import os
import random
import re
import signal
import statistics
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

COUNTRIES = ["", "", "", "CL", "BR", "ES", "AR", "MX", "PT", "US", "DE"]
SORTS = ["name", "-name", "email", "country", "-created", "contracts", "-contracts", "total"]
SORTS += ["-total", "-total", "-total"]
SEARCHES = ["", "", "", "", "silva", "ana", "gomez", "tech", "ma"]
PANELS = ["kpis", "top", "countries", "monthly", "health"]
# endpoint: weight
MIX = {"table": 50, "panel": 25, "detail": 10, "api": 15}


@dataclass
class Target:
    scheme: str
    netloc: str
    host: str
    cookie: str = ""
    token: str = ""
    max_client_id: int = 100_000


@dataclass
class Results:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    statuses: dict[str, dict[int, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int))
    )
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, endpoint: str, status: int | None, seconds: float) -> None:
        with self.lock:
            self.latencies[endpoint].append(seconds)
            if status is None or status >= 400:
                self.errors[endpoint] += 1
            self.statuses[endpoint][status or 0] += 1


def _connection(target: Target) -> http.client.HTTPConnection:
    cls = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    return cls(target.netloc, timeout=30)


def _filters(rng: random.Random) -> dict[str, str]:
    params = {"q": rng.choice(SEARCHES), "country": rng.choice(COUNTRIES)}
    if rng.random() < 0.15:
        params["min_total"] = str(rng.choice([1000, 5000, 20000]))
    if rng.random() < 0.1:
        params["active"] = rng.choice(["yes", "no"])
    return {k: v for k, v in params.items() if v}


def request_for(rng: random.Random, target: Target) -> tuple[str, str, dict[str, str]]:
    """(endpoint, path, headers) of one request of the mix."""
    endpoint = rng.choices(list(MIX), weights=list(MIX.values()))[0]
    headers = {"Host": target.host, "Cookie": target.cookie}
    if endpoint == "table":
        params = _filters(rng) | {"sort": rng.choice(SORTS)}
        params["page"] = str(rng.choice([1, 1, 1, 2, 3, 10, 100]))
        headers |= {"HX-Request": "true", "HX-Current-URL": f"http://{target.host}/"}
        return endpoint, "/?" + urlencode(params), headers
    if endpoint == "panel":
        headers |= {"HX-Request": "true"}
        return endpoint, f"/panels/{rng.choice(PANELS)}/?" + urlencode(_filters(rng)), headers
    if endpoint == "detail":
        return endpoint, f"/clients/{rng.randint(1, target.max_client_id)}/", headers
    params = {"page": str(rng.randint(1, 50)), "sort": rng.choice(["name", "-total", "-created"])}
    path = rng.choice(["/api/clients/", "/api/clients/amounts/", "/api/clients/stats/"])
    api_headers = {"Host": target.host, "Authorization": f"Bearer {target.token}"}
    return endpoint, path + "?" + urlencode(params), api_headers


def worker(
    target: Target, results: Results, deadline: float, seed: int, fresh: bool, fixed: str | None
) -> None:
    rng = random.Random(seed)
    connection = None
    while time.monotonic() < deadline:
        if fixed:
            endpoint, path = "fixed", fixed
            headers = {"Host": target.host, "Cookie": target.cookie, "HX-Request": "true"}
        else:
            endpoint, path, headers = request_for(rng, target)
        if fresh:
            headers = headers | {"Connection": "close"}
        if connection is None or fresh:
            connection = _connection(target)
        started = time.monotonic()
        status = None
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
            if fresh or response.will_close:
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = None
        results.add(endpoint, status, time.monotonic() - started)


def login(target: Target, username: str, password: str) -> str:
    """The session cookie of a staff login."""
    connection = _connection(target)
    connection.request("GET", "/login/", headers={"Host": target.host})
    response = connection.getresponse()
    page = response.read().decode()
    csrf_cookie = re.search(r"csrftoken=([^;]+)", response.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if not (csrf_cookie and token):
        raise SystemExit("login page without a CSRF token")
    body = urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1)}
    )
    connection.request(
        "POST",
        "/login/",
        body=body,
        headers={
            "Host": target.host,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie.group(1)}",
            "Referer": f"{target.scheme}://{target.host}/login/",
        },
    )
    response = connection.getresponse()
    response.read()
    session = re.search(r"sessionid=([^;]+)", response.getheader("Set-Cookie") or "")
    if response.status != 302 or not session:
        raise SystemExit(f"login failed ({response.status}): check LOAD_USERNAME/LOAD_PASSWORD")
    return f"sessionid={session.group(1)}; csrftoken={csrf_cookie.group(1)}"


def _outage(pid: int, at: float, duration: float, log: list[str]) -> None:
    time.sleep(at)
    os.kill(pid, signal.SIGSTOP)
    log.append(f"process {pid} stopped at {at:.0f} s")
    time.sleep(duration)
    os.kill(pid, signal.SIGCONT)
    log.append(f"process {pid} resumed at {at + duration:.0f} s")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(results: Results, seconds: float) -> dict[str, dict]:
    rows = {}
    everything = [v for values in results.latencies.values() for v in values]
    for endpoint, values in [*sorted(results.latencies.items()), ("all", everything)]:
        if not values:
            continue
        errors = (
            sum(results.errors.values()) if endpoint == "all" else results.errors.get(endpoint, 0)
        )
        rows[endpoint] = {
            "requests": len(values),
            "per_second": round(len(values) / seconds, 1),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "errors": errors,
        }
        if endpoint != "all":
            rows[endpoint]["statuses"] = dict(results.statuses[endpoint])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--host", default="acme.localhost", help="the tenant's Host header")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--new-connections", action="store_true")
    parser.add_argument("--only", choices=list(MIX), help="one endpoint instead of the mix")
    parser.add_argument(
        "--path", help="one fixed path instead of the mix (e.g. the default table fragment)"
    )
    parser.add_argument("--max-client-id", type=int, default=100_000)
    parser.add_argument("--outage-pid", type=int)
    parser.add_argument("--outage-at", type=float, default=20)
    parser.add_argument("--outage-for", type=float, default=15)
    parser.add_argument("--json", help="write the figures to this file too")
    args = parser.parse_args()
    if args.only:
        MIX.update({name: int(name == args.only) for name in MIX})

    url = urlsplit(args.url)
    target = Target(url.scheme, url.netloc, args.host, max_client_id=args.max_client_id)
    target.cookie = login(
        target, os.environ.get("LOAD_USERNAME", "staff"), os.environ["LOAD_PASSWORD"]
    )
    target.token = os.environ.get("LOAD_TOKEN", "")

    results = Results()
    outage_log: list[str] = []
    deadline = time.monotonic() + args.seconds
    threads = [
        threading.Thread(
            target=worker,
            args=(target, results, deadline, seed, args.new_connections, args.path),
        )
        for seed in range(args.clients)
    ]
    if args.outage_pid:
        threads.append(
            threading.Thread(
                target=_outage,
                args=(args.outage_pid, args.outage_at, args.outage_for, outage_log),
                daemon=True,
            )
        )
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads[: args.clients]:
        thread.join()
    elapsed = time.monotonic() - started

    rows = report(results, elapsed)
    mode = "new connection per request" if args.new_connections else "keep-alive"
    print(f"{args.clients} clients, {elapsed:.0f} s, {mode}; {' '.join(outage_log)}")
    print(f"{'endpoint':<8} {'requests':>8} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} errors")
    for endpoint, row in rows.items():
        print(
            f"{endpoint:<8} {row['requests']:>8} {row['per_second']:>7} {row['p50_ms']:>7} "
            f"{row['p95_ms']:>7} {row['p99_ms']:>7} {row['errors']}"
            + (f"  {row['statuses']}" if row.get("errors") and "statuses" in row else "")
        )
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"clients": args.clients, "mode": mode, "endpoints": rows}, out, indent=2)


if __name__ == "__main__":
    main()
