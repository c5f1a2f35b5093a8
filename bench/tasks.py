"""How long the daily staff tasks take, over HTTP, against a running server.

    LOAD_PASSWORD=… .venv/bin/python bench/tasks.py --url http://127.0.0.1:8000 \\
        --host acme.localhost --client-id 4242 --rounds 15 [--markdown FILE]

One logged-in staff user with the change permission (the tenant's admin user),
one request at a time, as the browser sends them: the client-name autocomplete,
a date preset, the filtered sum, opening and saving an inline edit (on the contracts
page, and on the client detail with its figures and history), a bulk
deactivate of one page (asked, then confirmed) and its activate back, a saved
view, a dry run of a CSV import, the client detail with its change history, and
the admin's search by client id, change form and save. Writes are undone by the
next round (amounts alternate, bulk changes are reversed), so the data stays as
seeded. Prints each task's median and p95 in ms beside the 300 ms a save may take.

`--bulk-rows 10000` adds a bulk deactivate and activate of about that many
contracts, ticked as "all contracts matching the filters": the filter is an amount
range found by bisection on the summary's exact count (at most that many, the
bulk limit being 10,000). Every round deactivates them all, then activates them
all; the contracts of the range that were inactive at the start are deactivated
again by id at the end, so the data ends as seeded.
"""

import argparse
import csv
import http.client
import io
import os
import re
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import Target, login, percentile

SAVE_TARGET_MS = 300


class Browser:
    """A logged-in session on one keep-alive connection."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.csrf = re.search(r"csrftoken=([^;]+)", target.cookie).group(1)
        self.connection = http.client.HTTPConnection(target.netloc, timeout=120)

    def send(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, str, float]:
        headers = {"Host": self.target.host, "Cookie": self.target.cookie} | (headers or {})
        if method == "POST":
            headers |= {"X-CSRFToken": self.csrf, "Referer": f"http://{self.target.host}/"}
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode(errors="replace")
        return response.status, text, (time.perf_counter() - started) * 1000

    def get(self, path: str, *, htmx: bool = False) -> tuple[int, str, float]:
        return self.send("GET", path, headers={"HX-Request": "true"} if htmx else None)

    def post(self, path: str, fields: list[tuple[str, str]], *, htmx: bool = True):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if htmx:
            headers["HX-Request"] = "true"
        return self.send("POST", path, urlencode(fields).encode(), headers)

    def upload(self, path: str, fields: dict[str, str], name: str, content: bytes):
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
            for key, value in fields.items()
        ]
        body = (
            "".join(parts).encode()
            + (
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                "Content-Type: text/csv\r\n\r\n"
            ).encode()
        )
        body += content + f"\r\n--{boundary}--\r\n".encode()
        return self.send(
            "POST", path, body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        )


def bulk_steps(
    browser: Browser, selection: list[tuple[str, str]], described: str
) -> dict[str, Callable[[int], tuple]]:
    """Deactivate the selection (ask, then confirm), then activate it back."""

    def post(field: str, action: str) -> Callable[[int], tuple]:
        return lambda r: browser.post("/contracts/bulk/", [*selection, (field, action)])

    return {
        f"bulk deactivate: ask ({described})": post("action", "deactivate"),
        f"bulk deactivate: confirm ({described})": post("confirm_action", "deactivate"),
        f"bulk activate: confirm ({described})": post("confirm_action", "activate"),
    }


def tasks(browser: Browser, client_id: int) -> dict[str, Callable[[int], tuple]]:
    status, page, _ = browser.get(f"/contracts/?client={client_id}&per_page=25")
    contract_ids = re.findall(r'name="ids" value="(\d+)"', page)
    if status != 200 or not contract_ids:
        raise SystemExit(f"client {client_id} has no contracts to work on (HTTP {status})")
    first = contract_ids[0]
    _, form, _ = browser.get(f"/contracts/{first}/edit/", htmx=True)
    signed_on = re.search(r'name="signed_on"[^>]*value="([^"]+)"', form).group(1)
    _, change, _ = browser.get(f"/admin/data_access/contract/{first}/change/")
    title = re.search(r'name="title"[^>]*value="([^"]*)"', change).group(1)
    ticked = [("ids", contract_id) for contract_id in contract_ids]
    rows = "client_id,title,amount,signed_on\n" + "".join(
        f"{client_id},Imported {n},{n}.50,2026-01-15\n" for n in range(1, 101)
    )

    def amount(round_number: int) -> str:
        return "1234.50" if round_number % 2 else "1234.75"

    return {
        "autocomplete 'sil'": lambda r: browser.get(
            "/contracts/clients/?client_name=sil", htmx=True
        ),
        "contracts of one client": lambda r: browser.get(
            f"/contracts/?client={client_id}", htmx=True
        ),
        "date preset: this year": lambda r: browser.get("/contracts/?period=this_year", htmx=True),
        "sum of last 12 months": lambda r: browser.get(
            "/contracts/summary/?period=last_12_months", htmx=True
        ),
        "inline edit: open": lambda r: browser.get(f"/contracts/{first}/edit/", htmx=True),
        "inline edit: save": lambda r: browser.post(
            f"/contracts/{first}/edit/",
            [("amount", amount(r)), ("signed_on", signed_on), ("is_active", "on")],
        ),
        "inline edit on the client detail: save": lambda r: browser.post(
            f"/contracts/{first}/edit/?table=client",
            [("amount", amount(r + 1)), ("signed_on", signed_on), ("is_active", "on")],
        ),
        **bulk_steps(browser, ticked, f"{len(ticked)} rows"),
        "saved view: save": lambda r: browser.post(
            "/views/save/",
            [("table", "contracts"), ("name", "Last month"), ("query", "period=last_month")],
            htmx=False,
        ),
        "import: dry run of 100 contracts": lambda r: browser.upload(
            "/import/", {"kind": "contracts"}, "contracts.csv", rows.encode()
        ),
        "client detail with history": lambda r: browser.get(f"/clients/{client_id}/"),
        "admin: contracts of a client id": lambda r: browser.get(
            f"/admin/data_access/contract/?q={client_id}"
        ),
        "admin: open a contract": lambda r: browser.get(
            f"/admin/data_access/contract/{first}/change/"
        ),
        "admin: save a contract": lambda r: browser.post(
            f"/admin/data_access/contract/{first}/change/",
            [
                ("csrfmiddlewaretoken", browser.csrf),
                ("client_id", str(client_id)),
                ("title", title),
                ("amount", amount(r)),
                ("signed_on", signed_on),
                ("is_active", "on"),
            ],
            htmx=False,
        ),
    }


MATCHES = re.compile(r"([\d,.\s\u00a0\u202f]+) contracts? match")


def _count(browser: Browser, params: str) -> int:
    status, text, _ = browser.get(f"/contracts/summary/?{params}", htmx=True)
    found = MATCHES.search(text)
    if status != 200 or not found:
        raise SystemExit(f"no count in the summary for {params} (HTTP {status})")
    return int(re.sub(r"\D", "", found.group(1)))


def bulk_tasks(browser: Browser, rows: int) -> tuple[dict[str, Callable[[int], tuple]], Callable]:
    """Deactivate and activate back the contracts of an amount range that holds at
    most `rows` of them; and what restores the range's inactive ones afterwards."""
    low, high = 0, 10_000_000  # cents
    while high - low > 1:  # the largest max_amount whose range holds at most `rows`
        middle = (low + high) // 2
        if _count(browser, f"max_amount={middle / 100:.2f}") <= rows:
            low = middle
        else:
            high = middle
    filters = [("min_amount", "0"), ("max_amount", f"{low / 100:.2f}")]
    count = _count(browser, urlencode(filters))
    # By amount: the export walks the (tenant, amount, id) index over the range alone.
    status, text, _ = browser.get(
        f"/contracts/export.csv?{urlencode([*filters, ('sort', 'amount')])}"
    )
    if status != 200:
        raise SystemExit(f"could not list the range's contracts (HTTP {status})")
    table = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    inactive = [row["id"] for row in table if row["active"] == "no"]
    selected = [*filters, ("all", "1")]

    def restore() -> None:
        for start in range(0, len(inactive), 100):  # a selection holds at most 100 ids
            ids = [("ids", value) for value in inactive[start : start + 100]]
            status, _, _ = browser.post(
                "/contracts/bulk/", [*ids, ("confirm_action", "deactivate")]
            )
            if status != 200:
                raise SystemExit(f"could not restore the inactive contracts (HTTP {status})")

    return bulk_steps(browser, selected, f"all {count:,} matching"), restore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--host", default="acme.localhost", help="the tenant's Host header")
    parser.add_argument("--client-id", type=int, default=4242)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--bulk-rows",
        type=int,
        default=0,
        help="also deactivate and activate about this many contracts at once (all matching)",
    )
    parser.add_argument("--markdown", help="write the table to this file too")
    args = parser.parse_args()

    url = urlsplit(args.url)
    target = Target(url.scheme, url.netloc, args.host)
    target.cookie = login(
        target, os.environ.get("LOAD_USERNAME", "staff"), os.environ["LOAD_PASSWORD"]
    )
    browser = Browser(target)
    steps = tasks(browser, args.client_id)
    restore = None
    if args.bulk_rows:
        bulk, restore = bulk_tasks(browser, args.bulk_rows)
        steps |= bulk
    times: dict[str, list[float]] = {name: [] for name in steps}
    statuses: dict[str, set[int]] = {name: set() for name in steps}
    for round_number in range(args.rounds + 1):  # round 0 warms the processes up
        for name, step in steps.items():
            status, _, elapsed = step(round_number)
            if round_number:
                times[name].append(elapsed)
                statuses[name].add(status)
    if restore is not None:
        restore()

    lines = ["| task | median ms | p95 ms | answers |", "|---|---:|---:|---|"]
    for name, values in times.items():
        flag = " ✗" if "save" in name and percentile(values, 0.95) > SAVE_TARGET_MS else ""
        lines.append(
            f"| {name} | {statistics.median(values):.0f} | {percentile(values, 0.95):.0f}{flag} "
            f"| {', '.join(str(status) for status in sorted(statuses[name]))} |"
        )
    print("\n".join(lines))
    if args.markdown:
        with open(args.markdown, "w") as out:
            out.write(f"{args.rounds} rounds, host {args.host}, client {args.client_id}.\n\n")
            out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
