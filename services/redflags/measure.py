"""One region's flags measured from its published records (and its own payments' due dates),
and its stored rows replaced by them.

Every indicator is self-contained per region: the per-procurement ones read one record, the
repeat winner counts one buyer's awards (a buyer is a region), the late payment reads the
region's own payments. So a region is measured alone, bound to itself, and nothing another
region publishes changes its flags.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import service as contracts
from services.kit import workdays
from services.kit.settings import get_settings
from services.opendata import service as opendata
from services.redflags.indicators import Due, Flag, Process, flags
from services.tendering import service as tendering

JOB = "redflags.measure"

# (ocid, indicator, n): the flag's place among its procurement's flags of one indicator.
Key = tuple[str, str, int]


@dataclass(frozen=True)
class Row:
    """A stored flag as the table holds it (``detected_at`` aside)."""

    procurement_id: str
    year: int
    title: str
    value: Decimal
    threshold: Decimal
    unit: str
    supplier: str | None
    amount: Decimal | None
    instalment: int | None


# A flag measured again with another value (a payment a day later) keeps when it was found.
_UPSERT = text(
    "INSERT INTO red_flags (tenant_id, ocid, indicator, n, procurement_id, year, title, value,"
    " threshold, unit, supplier, amount, instalment, detected_at)"
    " VALUES (:tenant, :ocid, :indicator, :n, CAST(:procurement_id AS uuid), :year, :title,"
    " :value, :threshold, :unit, :supplier, :amount, :instalment, now())"
    " ON CONFLICT (tenant_id, ocid, indicator, n) DO UPDATE SET"
    " procurement_id = EXCLUDED.procurement_id, year = EXCLUDED.year, title = EXCLUDED.title,"
    " value = EXCLUDED.value, threshold = EXCLUDED.threshold, unit = EXCLUDED.unit,"
    " supplier = EXCLUDED.supplier, amount = EXCLUDED.amount, instalment = EXCLUDED.instalment"
)


def today() -> date:
    return workdays.local_date(datetime.now(UTC))


async def compute(session: AsyncSession, tenant: str, on: date) -> dict[Key, Row]:
    """What the region's published records and payments say, as of the day ``on``."""
    records = await opendata.published_records(session, tenant)
    records = [r for r in records if r.tenant == tenant]
    ceilings = await tendering.published_ceilings(session, [r.procurement_id for r in records])
    processes = [
        Process(r.tenant, r.ocid, r.compiled, ceilings.get(r.procurement_id)) for r in records
    ]
    ocid_of = {r.procurement_id: r.ocid for r in records}
    procurement_of = {r.ocid: str(r.procurement_id) for r in records}
    dues: dict[str, list[Due]] = defaultdict(list)
    for payment in await contracts.payment_dues(session, tenant):
        ocid = ocid_of.get(payment.procurement_id)
        if ocid is not None:  # a payment of a procurement never published has no record
            dues[ocid].append(Due(payment.instalment_seq, payment.due, payment.paid_on))
    settings = get_settings()
    share = Decimal(settings.red_flag_winner_share_percent) / 100
    found = flags(processes, share, settings.red_flag_winner_min_awards, dues, on)
    return _keyed(found, procurement_of)


def _keyed(found: list[Flag], procurement_of: dict[str, str]) -> dict[Key, Row]:
    rows: dict[Key, Row] = {}
    seen: dict[tuple[str, str], int] = defaultdict(int)
    for f in found:
        n = seen[(f.ocid, f.indicator.value)]
        seen[(f.ocid, f.indicator.value)] += 1
        rows[(f.ocid, f.indicator.value, n)] = Row(
            procurement_of[f.ocid],
            f.year,
            f.title,
            f.value,
            f.threshold,
            f.unit.value,
            f.supplier,
            f.amount,
            f.instalment,
        )
    return rows


async def kept(session: AsyncSession, tenant: str) -> dict[Key, Row]:
    """What the table holds for the region now."""
    rows = await session.execute(
        text(
            "SELECT ocid, indicator, n, procurement_id, year, title, value, threshold, unit,"
            " supplier, amount, instalment FROM red_flags WHERE tenant_id = :tenant"
        ),
        {"tenant": tenant},
    )
    return {
        (r.ocid, r.indicator, r.n): Row(
            str(r.procurement_id),
            r.year,
            r.title,
            r.value,
            r.threshold,
            r.unit,
            r.supplier,
            r.amount,
            r.instalment,
        )
        for r in rows
    }


async def measure(session: AsyncSession, tenant: str, on: date | None = None) -> dict[Key, Row]:
    """Make the region's rows what its records say now; what they say. Only a row that
    differs is written and a flag found again keeps its ``detected_at``, so a replayed or
    duplicated job changes nothing."""
    # One measure of a region at a time: the second waits, then finds the first's rows.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext('red_flags:' || :tenant))"),
        {"tenant": tenant},
    )
    computed = await compute(session, tenant, on or today())
    before = await kept(session, tenant)
    params = {"tenant": tenant}
    for ocid, indicator, n in [key for key in before if key not in computed]:
        await session.execute(
            text(
                "DELETE FROM red_flags WHERE tenant_id = :tenant AND ocid = :ocid"
                " AND indicator = :indicator AND n = :n"
            ),
            {**params, "ocid": ocid, "indicator": indicator, "n": n},
        )
    changed = [key for key in computed if before.get(key) != computed[key]]
    if changed:
        await session.execute(
            _UPSERT,
            [
                {**params, "ocid": key[0], "indicator": key[1], "n": key[2], **vars(computed[key])}
                for key in changed
            ],
        )
    await session.execute(
        text(
            "INSERT INTO red_flags_measured (tenant_id, measured_at) VALUES (:tenant, now())"
            " ON CONFLICT (tenant_id) DO UPDATE SET measured_at = EXCLUDED.measured_at"
        ),
        params,
    )
    return computed
