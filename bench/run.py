"""Clients-table and panels benchmark: naive vs product vs raw-SQL floor.

    DATABASE_URL=postgres://…/contrata_bench CONTRACTS_DATABASE_URL=mysql://…/contrata_bench \\
        .venv/bin/python bench/run.py --sizes S,M,L

Creates and migrates the databases named in the environment (their names must
contain "bench": the run provisions tenants and replaces their data), seeds a
bench tenant and a noise tenant of the same size per size (reused when already
seeded identically), times every scenario and writes docs/bench/results.{md,json,png}.

With --sharded-url spider://…/contrata_bench (and CONTRACTS_SHARD_URLS naming the
shards), the same tenants' contracts are also seeded on that sharded topology, and
each scenario's product and floor are timed there too, right after the single
server, checked to answer the same.
"""

import argparse
import cProfile
import datetime
import io
import json
import os
import platform
import pstats
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_config.settings")
# Time what production runs: no DEBUG query log, which also slows every cursor.
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
# Seeding and its deletes are maintenance statements, as under manage.py: not the
# request timeouts (a 10M-row delete outlasts 2 s).
os.environ.setdefault("CONTRACTS_READ_TIMEOUT", "3600")
os.environ.setdefault("CONTRACTS_WRITE_TIMEOUT", "3600")

import dj_database_url  # noqa: E402
import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.db.utils import load_backend  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from bench import report  # noqa: E402
from bench.scenarios import Context, Scenario, bare_connections, scenarios  # noqa: E402
from data_access.models import Client, Contract  # noqa: E402
from data_access.sharding import spider  # noqa: E402
from demo.seeding import seed_tenant  # noqa: E402
from tenancy.models import Tenant  # noqa: E402
from tenancy.services import ensure_public_tenant, provision_tenant  # noqa: E402

UNTIL = datetime.date(2026, 6, 30)  # last signing date of the seeded data
SIZES = {
    # name: (clients, contracts, deep page by name, repeats product/floor, repeats naive)
    "S": (1_000, 10_000, 20, 50, 10),
    "M": (10_000, 100_000, 200, 30, 5),
    "L": (100_000, 1_000_000, 2_000, 20, 3),
    "XL": (1_000_000, 10_000_000, 20_000, 10, 2),
}
SEEDS = {"S": 11, "M": 12, "L": 13, "XL": 14}
# The noise tenant's size: the same as the bench tenant's, but L beside XL.
NOISE = {"XL": "L"}
APPROACHES = ("naive", "product", "floor")
SHARDED_APPROACHES = ("product", "floor")
OUT = ROOT / "docs" / "bench"
BREAKDOWN_RUNS = 5


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- Set-up ---------------------------------------------------------------------------


def check_databases(sharded_url: str | None) -> None:
    names = [settings.DATABASES[alias]["NAME"] for alias in ("default", "mysql")]
    if sharded_url:
        names.append(sharded_url.rsplit("/", 1)[-1])
    if not all("bench" in name for name in names):
        sys.exit(f"refusing to run on databases {names}: their names must contain 'bench'")


def create_databases(contracts_url: str) -> None:
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "databases.py"),
            "create",
            os.environ["DATABASE_URL"],
            contracts_url,
        ],
        check=True,
    )


def migrate() -> None:
    create_databases(os.environ["CONTRACTS_DATABASE_URL"])
    call_command("migrate_schemas", shared=True, interactive=False, verbosity=0)
    call_command("migrate", database="mysql", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)  # the cache the served product uses
    ensure_public_tenant(domain="localhost")


@contextmanager
def contracts_at(url: str) -> Iterator[None]:
    """The "mysql" alias points at another contracts database (the sharded topology's
    head) for the block; the same settings otherwise."""
    real = connections["mysql"]
    config = dj_database_url.parse(url)
    settings_dict = {**real.settings_dict, **{k: config[k] for k in CONNECTION_KEYS}}
    other = load_backend(config["ENGINE"]).DatabaseWrapper(settings_dict, "mysql")
    connections["mysql"] = other
    try:
        yield
    finally:
        connections["mysql"] = real
        other.close()


CONNECTION_KEYS = ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT")


def migrate_sharded(url: str) -> None:
    """Create and migrate the sharded topology's database: its migrated tables become
    Spider tables over the shards (data_access.sharding.backend)."""
    create_databases(url)
    with contracts_at(url):
        call_command("migrate", database="mysql", interactive=False, verbosity=0)


def _signature(size: str, clients: int, contracts: int, seed: int) -> str:
    return f"bench {size}: {clients} clients, {contracts} contracts, seed {seed}, until {UNTIL}"


def ensure_seeded(
    schema: str, size: str, clients: int, contracts: int, seed: int, *, seeding: dict
) -> Tenant:
    """The tenant, provisioned and holding exactly this data set (seeded if not).
    `seeding` gets the seconds a seeding took, under the schema's name, and each
    phase's seconds under "<schema> phases"."""
    tenant = provision_tenant(
        schema_name=schema,
        name=schema,
        admin_username="bench",
        admin_password=secrets.token_urlsafe(16),
    ).tenant
    signature = _signature(size, clients, contracts, seed)
    with schema_context(schema):
        have_clients = Client.objects.count()
    have_contracts = Contract.unscoped.filter(tenant_id=tenant.pk).count()
    if (tenant.name, have_clients, have_contracts) == (signature, clients, contracts):
        log(f"{schema}: reusing {clients} clients / {contracts} contracts")
        return tenant
    log(f"{schema}: seeding {clients} clients / {contracts} contracts")
    started = time.perf_counter()
    phases: dict[str, float] = {}
    seed_tenant(
        tenant=tenant,
        clients=clients,
        contracts=contracts,
        seed=seed,
        until=UNTIL,
        replace=True,
        timings=phases,
    )
    # seed_tenant leaves fresh statistics and the clients' visibility map behind
    # (VACUUM ANALYZE, ANALYZE TABLE): index-only scans from the first request.
    Tenant.objects.filter(pk=tenant.pk).update(name=signature)
    tenant.name = signature
    seeding[schema] = round(time.perf_counter() - started, 1)
    seeding[f"{schema} phases"] = {name: round(seconds, 1) for name, seconds in phases.items()}
    log(f"{schema}: seeded in {seeding[schema]:.1f} s ({seeding[f'{schema} phases']})")
    return tenant


# --- Measuring ------------------------------------------------------------------------------


def time_runs(function, ctx: Context, *, repeat: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        function(ctx)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        function(ctx)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def time_interleaved(functions: dict, ctx: Context, *, repeat: int, warmup: int) -> dict:
    """Alternate the approaches run by run, so load from other processes hits both alike."""
    for _ in range(warmup):
        for function in functions.values():
            function(ctx)
    timings: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            started = time.perf_counter()
            function(ctx)
            timings[name].append((time.perf_counter() - started) * 1000)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


class QueryTimer:
    """An execute wrapper: each statement's time, measured around the driver call."""

    def __init__(self, db: str) -> None:
        self.db = db
        self.queries: list[tuple[str, float, str, int]] = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            self.queries.append((self.db, elapsed, sql, len(params or ())))


def sql_breakdown(function, ctx: Context) -> dict:
    """The median of a few product runs split into SQL time per database and the rest."""
    runs = []
    for _ in range(BREAKDOWN_RUNS):
        timers = {"pg": QueryTimer("pg"), "mysql": QueryTimer("mysql")}
        with (
            connections["default"].execute_wrapper(timers["pg"]),
            connections["mysql"].execute_wrapper(timers["mysql"]),
        ):
            started = time.perf_counter()
            function(ctx)
            total = (time.perf_counter() - started) * 1000
        runs.append((total, timers))
    total, timers = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
    pg_ms = sum(q[1] for q in timers["pg"].queries)
    my_ms = sum(q[1] for q in timers["mysql"].queries)

    def short(sql: str, n_params: int) -> str:
        sql = " ".join(sql.split())
        sql = sql if len(sql) <= 200 else f"{sql[:200]}… ({len(sql)} chars)"
        return f"{sql} [{n_params} params]" if n_params else sql

    return {
        "total_ms": round(total, 3),
        "postgresql_queries": len(timers["pg"].queries),
        "postgresql_ms": round(pg_ms, 3),
        "mysql_queries": len(timers["mysql"].queries),
        "mysql_ms": round(my_ms, 3),
        "python_ms": round(total - pg_ms - my_ms, 3),
        "queries": [
            {"db": db, "ms": round(ms, 3), "sql": short(sql, n)}
            for timer in timers.values()
            for db, ms, sql, n in timer.queries
        ],
    }


def profile_top(function, ctx: Context, *, lines: int = 18) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(3):
        function(ctx)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(lines)
    # Keep the table, drop the machine's paths.
    text = out.getvalue().replace(str(ROOT) + os.sep, "").replace(sys.prefix, "<venv>")
    return text.replace(sys.base_prefix, "<python>")


def run_sharded(
    scenario: Scenario, ctx: Context, *, url: str, expected: object, repeat: int
) -> dict:
    """Product and floor of a scenario on the sharded topology: the same answer as
    the single server, then timed like it."""
    with contracts_at(url):
        for name in SHARDED_APPROACHES:
            if (answer := scenario.approaches[name](ctx)) != expected:
                log(f"  sharded {name}: {str(answer)[:400]}")
                raise SystemExit(f"{scenario.name}: the sharded topology answers differently")
        timings = time_interleaved(
            {name: scenario.approaches[name] for name in SHARDED_APPROACHES},
            ctx,
            repeat=repeat,
            warmup=3,
        )
        breakdown = sql_breakdown(scenario.approaches["product"], ctx)
    entry: dict = {
        name: {
            "median_ms": round(statistics.median(timings[name]), 3),
            "p95_ms": round(percentile(timings[name], 0.95), 3),
            "runs": len(timings[name]),
        }
        for name in SHARDED_APPROACHES
    }
    entry["breakdown"] = breakdown
    return entry


def run_scenario(scenario: Scenario, ctx: Context, *, repeat: int, naive_repeat: int) -> dict:
    results = {name: fn(ctx) for name, fn in scenario.approaches.items()}
    agree = results["naive"] == results["product"] == results["floor"]
    if not agree:
        for name in APPROACHES:
            log(f"  {name}: {str(results[name])[:400]}")
        raise SystemExit(f"{scenario.name}: the approaches disagree; timings would be meaningless")
    entry: dict = {
        "name": scenario.name,
        "label": scenario.label,
        "first_page": scenario.first_page,
    }
    timings = time_interleaved(
        {name: scenario.approaches[name] for name in ("product", "floor")},
        ctx,
        repeat=repeat,
        warmup=3,
    )
    timings["naive"] = time_runs(scenario.approaches["naive"], ctx, repeat=naive_repeat, warmup=1)
    for name in APPROACHES:
        entry[name] = {
            "median_ms": round(statistics.median(timings[name]), 3),
            "p95_ms": round(percentile(timings[name], 0.95), 3),
            "runs": len(timings[name]),
        }
    entry["product_over_floor"] = round(
        entry["product"]["median_ms"] / entry["floor"]["median_ms"], 2
    )
    entry["naive_over_product"] = round(
        entry["naive"]["median_ms"] / entry["product"]["median_ms"], 1
    )
    entry["breakdown"] = sql_breakdown(scenario.approaches["product"], ctx)
    entry["answer"] = results["product"]
    return entry


def tenant_sets(size: str) -> list[tuple[str, str, int, int, int]]:
    """(schema, size, clients, contracts, seed) of the size's tenants, the noise one
    first: a large tenant then loads into a table smaller than itself, so its
    indexes are built after its rows (data_access.bulk_load)."""
    noise = NOISE.get(size, size)
    return [
        (f"noise_{size.lower()}", noise, *SIZES[noise][:2], SEEDS[size] + 100),
        (f"bench_{size.lower()}", size, *SIZES[size][:2], SEEDS[size]),
    ]


def seed_size(size: str, *, seeding: dict) -> Tenant:
    """Both tenants of the size, seeded or reused; the bench tenant."""
    return [ensure_seeded(*tenant_set, seeding=seeding) for tenant_set in tenant_sets(size)][-1]


def bench_size(size: str, *, profile: bool, sharded_url: str | None) -> dict:
    clients, contracts, deep_page, repeat, naive_repeat = SIZES[size]
    seeding: dict = {"single": {}, "sharded": {}}
    tenant = seed_size(size, seeding=seeding["single"])
    sharded_ctx = None
    if sharded_url:
        with contracts_at(sharded_url):
            # Same clients (reloaded identically), contracts loaded on each tenant's shard.
            seed_size(size, seeding=seeding["sharded"])
            sharded_ctx = Context(tenant, UNTIL, *bare_connections(tenant))
    pg, my = bare_connections(tenant)
    ctx = Context(tenant=tenant, today=UNTIL, pg=pg, my=my)
    entries = []
    try:
        for scenario in scenarios(deep_page=deep_page):
            log(f"{size} {scenario.name}")
            entry = run_scenario(scenario, ctx, repeat=repeat, naive_repeat=naive_repeat)
            if profile:
                entry["profile"] = profile_top(scenario.approaches["product"], ctx)
            answer = entry.pop("answer")
            log(
                f"  naive {entry['naive']['median_ms']:.1f} ms, product "
                f"{entry['product']['median_ms']:.2f} ms, floor {entry['floor']['median_ms']:.2f} ms"
            )
            if sharded_ctx is not None:
                entry["sharded"] = run_sharded(
                    scenario, sharded_ctx, url=sharded_url, expected=answer, repeat=repeat
                )
                log(
                    f"  sharded: product {entry['sharded']['product']['median_ms']:.2f} ms, "
                    f"floor {entry['sharded']['floor']['median_ms']:.2f} ms"
                )
            entries.append(entry)
    finally:
        for context in (ctx, sharded_ctx):
            if context is not None:
                context.pg.close()
                context.my.close()
    return {
        "size": size,
        "clients": clients,
        "contracts": contracts,
        "tenants": 2,
        "noise": NOISE.get(size, size),
        "seeding_s": seeding,
        "scenarios": entries,
    }


def environment() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    with connections["mysql"].cursor() as cursor:
        cursor.execute("SELECT VERSION()")
        my_version = cursor.fetchone()[0]
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": pg_version,
        "mariadb": my_version,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "debug": settings.DEBUG,
        "tenant_limit_set_calls": getattr(settings, "TENANT_LIMIT_SET_CALLS", False),
        "code": code_version(),
    }


def sharded_environment() -> dict:
    """The sharded topology as its head describes it."""
    head = connections["mysql"]
    with head.cursor() as cursor:
        cursor.execute("SELECT VERSION()")
        version = cursor.fetchone()[0]
    shards = spider.partitions(head, Contract._meta.db_table)
    return {
        "head": version,
        "shards": [f"{p.name}: {p.shard.host}:{p.shard.port}/{p.database}" for p in shards],
    }


def code_version() -> str:
    """The commit measured, and whether data_access/ had uncommitted changes."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--", "data_access")
    return f"{commit} + uncommitted changes in data_access/" if dirty else commit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="S,M,L", help="comma-separated: S, M, L, XL")
    parser.add_argument(
        "--seed-only", action="store_true", help="seed (or reuse) the tenants, time nothing"
    )
    parser.add_argument("--no-profile", action="store_true", help="skip the cProfile tables")
    parser.add_argument("--out", type=Path, default=OUT, help="results folder")
    parser.add_argument(
        "--sharded-url",
        help="also time the product on this sharded contracts database (spider://…); "
        "CONTRACTS_SHARD_URLS names its shards",
    )
    args = parser.parse_args()
    sizes = [s.strip().upper() for s in args.sizes.split(",") if s.strip()]
    if unknown := set(sizes) - set(SIZES):
        parser.error(f"unknown sizes {sorted(unknown)}")
    check_databases(args.sharded_url)
    migrate()
    results = {"environment": environment(), "sizes": []}
    if args.sharded_url:
        migrate_sharded(args.sharded_url)
        with contracts_at(args.sharded_url):
            results["environment"]["sharded"] = sharded_environment()
    if args.seed_only:
        for size in sizes:
            seeding: dict = {}
            seed_size(size, seeding=seeding)
            print(json.dumps({size: seeding}))
        return
    for size in sizes:
        results["sizes"].append(
            bench_size(size, profile=not args.no_profile, sharded_url=args.sharded_url)
        )
    args.out.mkdir(parents=True, exist_ok=True)
    report.write(results, args.out)
    log(f"wrote {', '.join(p.name for p in sorted(args.out.glob('results.*')))}")


if __name__ == "__main__":
    main()
