"""Deterministic demo data, bulk-loaded through data_access.bulk_load (COPY into
PostgreSQL, LOAD DATA into MySQL).

The same seed and end date always give the same rows: client ids are 1..N and
every random choice comes from one `random.Random(seed)`.
"""

import datetime
import io
import random
import tempfile
import unicodedata
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from data_access import bulk_load
from tenancy.models import Tenant

FIRST_NAMES = [
    "Ana",
    "Bruno",
    "Carla",
    "Diego",
    "Elena",
    "Fabio",
    "Gabriela",
    "Hugo",
    "Inés",
    "Joaquín",
    "Karla",
    "Luis",
    "María",
    "Nicolás",
    "Olivia",
    "Pablo",
    "Quentin",
    "Rosa",
    "Sofía",
    "Tomás",
    "Úrsula",
    "Valentina",
    "William",
    "Ximena",
    "Yago",
    "Zoe",
    "João",
    "Beatriz",
    "Camila",
    "Renata",
    "Mateus",
    "Lucía",
    "Martín",
    "Chloé",
    "Søren",
    "Ingrid",
    "Aiko",
    "Ravi",
    "Mei",
    "Omar",
]
LAST_NAMES = [
    "Silva",
    "Santos",
    "González",
    "Rodríguez",
    "Fernández",
    "López",
    "Martínez",
    "Pérez",
    "Gómez",
    "Díaz",
    "Souza",
    "Costa",
    "Oliveira",
    "Pereira",
    "Almeida",
    "Müller",
    "Schmidt",
    "Smith",
    "Johnson",
    "Brown",
    "Rossi",
    "Russo",
    "Dubois",
    "Moreau",
    "Novak",
    "Kowalski",
    "Jensen",
    "Nakamura",
    "Tanaka",
    "Kim",
    "Patel",
    "Haddad",
    "Núñez",
    "Álvarez",
    "Ibáñez",
    "Castro",
]
COMPANY_WORDS = [
    "Andes",
    "Atlas",
    "Boreal",
    "Cobalt",
    "Delta",
    "Ember",
    "Fjord",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
    "Kestrel",
    "Lumen",
    "Meridian",
    "Nimbus",
    "Orchid",
    "Pampa",
    "Quartz",
    "Ribera",
    "Sierra",
    "Tierra",
    "Umbra",
    "Vértice",
    "Willow",
    "Zenith",
]
COMPANY_SUFFIXES = ["S.A.", "Ltda.", "SpA", "GmbH", "Ltd", "Inc.", "S.L.", "SAS", "& Co."]
# Weighted so that a few countries hold most clients, as in real books.
COUNTRIES = [
    ("CL", 20), ("BR", 18), ("ES", 14), ("MX", 10), ("AR", 8), ("US", 7), ("PT", 5),
    ("CO", 5), ("PE", 4), ("DE", 3), ("FR", 2), ("GB", 2), ("UY", 1), ("IT", 1),
]  # fmt: skip
CONTRACT_KINDS = [
    "Maintenance agreement", "Software licence", "Consulting retainer", "Support plan",
    "Supply contract", "Service level agreement", "Lease", "Implementation project",
]  # fmt: skip
YEARS_OF_HISTORY = 5
SHARE_WITHOUT_CONTRACTS = 0.1
SHARE_INACTIVE_CONTRACTS = 0.15
CHUNK = 100_000


@dataclass(frozen=True, slots=True)
class SeedResult:
    clients: int
    contracts: int
    clients_without_contracts: int


class TenantNotEmpty(Exception):
    pass


def _client_rows(rng: random.Random, count: int, until: datetime.date):
    codes, weights = zip(*COUNTRIES, strict=True)
    start = datetime.datetime.combine(
        until - datetime.timedelta(days=365 * YEARS_OF_HISTORY), datetime.time(), datetime.UTC
    )
    span = YEARS_OF_HISTORY * 365 * 86400
    for client_id in range(1, count + 1):
        if rng.random() < 0.4:
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_SUFFIXES)}"
        else:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        local = (
            unicodedata.normalize("NFKD", name.lower().replace(" ", ".").replace("&", "and"))
            .encode("ascii", "ignore")
            .decode()
        )
        local = "".join(ch for ch in local if ch.isalnum() or ch == ".").strip(".")
        yield (
            client_id,
            name,
            f"{local}.{client_id}@example.com",
            rng.choices(codes, weights)[0],
            rng.random() > 0.1,
            start + datetime.timedelta(seconds=rng.randrange(span)),
        )


def _contract_clients(rng: random.Random, clients: int, contracts: int) -> list[int]:
    """Client ids for each contract: some clients get none, some get many."""
    with_contracts = [c for c in range(1, clients + 1) if rng.random() >= SHARE_WITHOUT_CONTRACTS]
    if not with_contracts or not contracts:
        return []
    weights = [rng.paretovariate(1.5) for _ in with_contracts]
    chosen = with_contracts[:contracts]  # everyone kept gets at least one
    chosen += rng.choices(with_contracts, weights, k=contracts - len(chosen))
    return chosen


def _write_contracts(
    rng: random.Random,
    client_ids: list[int],
    until: datetime.date,
    out: io.TextIOBase,
    *,
    first_number: int,
) -> None:
    """Tab-separated CONTRACT_COLUMNS lines. The amount is the float rounded to
    cents as Decimal.quantize would (half-even on its exact value), written
    directly: this loop is the seeding's Python cost per contract."""
    days = YEARS_OF_HISTORY * 365
    signed = [(until - datetime.timedelta(days=n)).isoformat() for n in range(days)]
    lognormal, randrange, choice, uniform = (
        rng.lognormvariate,
        rng.randrange,
        rng.choice,
        rng.random,
    )
    lines = []
    for number, client_id in enumerate(client_ids, start=first_number):
        amount = max(50, round(lognormal(8.0, 1.1), 2))
        day = signed[randrange(days)]
        kind = choice(CONTRACT_KINDS)
        active = 0 if uniform() < SHARE_INACTIVE_CONTRACTS else 1
        lines.append(f"{client_id}\t{kind} #{number}\t{amount:.2f}\t{day}\t{active}\n")
    out.write("".join(lines))


def seed_tenant(
    *,
    tenant: Tenant,
    clients: int,
    contracts: int,
    seed: int,
    until: datetime.date | None = None,
    replace: bool = False,
    progress: Callable[[int], None] = lambda rows: None,
    timings: dict[str, float] | None = None,
) -> SeedResult:
    """Fill one tenant with `clients` clients and `contracts` contracts.

    Rows are loaded first and the secondary indexes built after them (see
    data_access.bulk_load); `timings` gets each phase's seconds."""
    until = until or datetime.date.today()
    rng = random.Random(seed)
    if bulk_load.tenant_has_data(tenant=tenant):
        if not replace:
            raise TenantNotEmpty(f"tenant {tenant.schema_name} already has data (use --replace)")
        bulk_load.clear_tenant(tenant=tenant)
    timings = {} if timings is None else timings
    bulk_load.copy_clients(
        tenant=tenant, rows=_client_rows(rng, clients, until), last_id=clients, timings=timings
    )
    progress(clients)

    client_ids = _contract_clients(rng, clients, contracts)

    def load_chunk(load: Callable[[str], None], path: str, rows: int) -> None:
        load(path)
        progress(rows)

    # Python writes chunk n+1 while MySQL loads chunk n.
    with (
        bulk_load.contract_loader(tenant=tenant, rows=len(client_ids), timings=timings) as load,
        ThreadPoolExecutor(max_workers=1) as loader,
    ):
        pending: Future | None = None
        for start in range(0, len(client_ids), CHUNK):
            chunk = client_ids[start : start + CHUNK]
            with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as out:
                _write_contracts(rng, chunk, until, out, first_number=start + 1)
            if pending is not None:
                pending.result()
            pending = loader.submit(load_chunk, load, out.name, len(chunk))
        if pending is not None:
            pending.result()
    return SeedResult(
        clients=clients,
        contracts=len(client_ids),
        clients_without_contracts=clients - len(set(client_ids)),
    )
