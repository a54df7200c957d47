"""Scenario: an MDO morning — 40 MDOs at once, 6 people each, saving every few seconds (9.5).

At the largest size of the run, 40 casussen get a regievoerder and five betrokkenen each (240
accounts of their own). For `--belasting-seconden` (default five minutes) every person, on their
own connection, reads the handreiking, writes one field of their own (each of the six owns a
different step's text) and saves it with If-Match, then pauses 3–7 s; on 412 they read again
and retry, as the web page's merge does. Afterwards every casus is read back: each person's last
saved text must be in it (no lost update), and its revision must have grown by exactly the
number of saves answered 200 (none lost, none doubled). Any other answer counts as an error.
The floor (benchmarks/floor.py, the same storage work in plain SQL) gets the same morning on 40
other casussen, after Regie, under the same uvicorn with as many worker processes as there are
cores (the production shape: several processes on one database); save latency is measured at
the client, which shares the machine.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from sqlalchemy import Engine
from sqlmodel import col, select

from app import generator
from app.accounts.models import Account, Organisatie
from app.auth.tokens import issue_dev_token
from app.config import Omgeving as Modus
from app.config import Settings
from app.db import unit_of_work
from app.enums import Systeemrol
from app.form.definition import Formulier, VeldType, load_formulieren
from benchmarks import floor
from benchmarks.common import Omgeving, Resultaat
from benchmarks.requests import _dsn, _q
from benchmarks.server import served

T = TypeVar("T")
SCENARIO = "MDO-ochtend"
MDOS, MENSEN = 40, 6
PAUZE_S = (3.0, 7.0)
# As in production: one app process per core, on one database (both sides alike).
WORKERS = max(1, len(os.sched_getaffinity(0)))
# Idle connections are dropped by the client before uvicorn's keep-alive (5 s) closes them,
# so no request is sent on a connection the server is closing (a browser would retry it).
KEEPALIVE_S = 2.0
MAX_POGINGEN = 20
P50, P99 = 2.0, 3.0
# Below KLEIN casussen (`make test`) the morning only proves it works: two MDOs, a few seconds.
KLEIN = 1000
PROEF_MDOS, PROEF_S = 2, 4.0
JSON = {"Content-Type": "application/json"}
REGIE_PAD, VLOER_PAD = "/api/v1/casussen/{}/handreiking", "/casussen/{}/handreiking"


@dataclass(frozen=True)
class Tafel:
    """One MDO: its casus and the bearer headers of its six people (regievoerder first)."""

    casus: str
    mensen: tuple[dict[str, str], ...]


@dataclass
class Telling:
    """What one morning produced, as the clients saw it."""

    tijden: list[float] = field(default_factory=list)
    conflicten: int = 0
    fouten: list[str] = field(default_factory=list)
    laatste: dict[tuple[str, int], str] = field(default_factory=dict)
    opgeslagen: Counter[str] = field(default_factory=Counter)
    verloren: list[str] = field(default_factory=list)
    seconden: float = 0.0


@dataclass(frozen=True)
class Kant:
    """How one side is read and written: Regie's envelope, or the floor's bare document."""

    pad: str
    regie: bool

    def document(self, response: httpx.Response) -> dict[str, dict[str, object]]:
        data = response.json()
        return data["inhoud"] if self.regie else data  # type: ignore[no-any-return]

    def body(self, document: dict[str, dict[str, object]]) -> bytes:
        if self.regie:
            return json.dumps({"inhoud": document, "toelichting": "Tijdens het MDO."}).encode()
        return json.dumps(document).encode()


def meet(omgeving: Omgeving) -> list[Resultaat]:
    """The morning on Regie, then on its floor, at the run's largest size only (it is long)."""
    if not omgeving.grootste:
        return []
    proef = omgeving.casussen < KLEIN
    mdos, seconden = (PROEF_MDOS, PROEF_S) if proef else (MDOS, omgeving.belasting_s)
    settings = omgeving.settings.model_copy(update={"env": Modus.DEV})
    formulier = _formulier(settings)
    velden = _velden(formulier)
    env = {**omgeving.env(), "REGIE_ENV": Modus.DEV.value}
    tag = f"{omgeving.backend}-{omgeving.casussen}"
    logs = omgeving.workdir / f"ochtend-{tag}.log", omgeving.workdir / f"ochtend-vloer-{tag}.log"
    with served("app.main:create_app", env, logs[0], factory=True, workers=WORKERS) as url:
        accounts = _accounts(omgeving.engine, "regie", mdos)
        regie_tafels = _tafels(url, settings, formulier, accounts)
        vloer_tafels = _tafels(url, settings, formulier, _accounts(omgeving.engine, "vloer", mdos))
        regie = _draai(lambda: _ochtend(url, Kant(REGIE_PAD, True), regie_tafels, velden, seconden))
    vloer_env = {**env, floor.DATABASE_ENV: _dsn(settings), floor.ACCOUNT_ENV: accounts[0][0]}
    with served("benchmarks.floor:app", vloer_env, logs[1], workers=WORKERS) as url:
        kant = Kant(VLOER_PAD, False)
        _draai(lambda: _beginstand(url, kant, vloer_tafels, formulier))
        vloer = _draai(lambda: _ochtend(url, kant, vloer_tafels, velden, seconden))
    return _resultaten(omgeving, mdos, regie, vloer)


def _draai(maak: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on a fresh event loop in a thread of its own: the caller may already be
    inside a running loop (in `make test`, Playwright's sync API keeps one in the main thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(maak())).result()


def _formulier(settings: Settings) -> Formulier:
    formulieren = load_formulieren(settings.extra_form_dir, settings.form_version)
    return formulieren[formulieren.standaard]


def _velden(formulier: Formulier) -> list[tuple[str, str]]:
    """Six long-text fields outside the kop, one per person at the table."""
    velden = [
        (sectie.sleutel, veld.sleutel)
        for sectie in formulier.secties
        if sectie.sleutel != "kop"
        for veld in sectie.velden
        if veld.type is VeldType.LANGETEKST
    ]
    if len(velden) < MENSEN:
        raise RuntimeError(f"het formulier heeft minder dan {MENSEN} lange tekstvelden")
    return velden[:MENSEN]


def _accounts(engine: Engine, soort: str, mdos: int) -> list[tuple[str, str]]:
    """Six professionals per MDO, made for this morning: (account id, gebruikersnaam)."""
    with unit_of_work(engine) as session:
        organisatie = session.exec(
            select(Organisatie.id).where(col(Organisatie.actief)).order_by(col(Organisatie.naam))
        ).first()
        if organisatie is None:
            raise RuntimeError("geen actieve organisatie: genereer eerst casussen")
        accounts = [
            Account(
                gebruikersnaam=f"ochtend.{soort}.{uuid.uuid4().hex[:8]}.{i}.{j}",
                naam=f"Deelnemer {i}-{j}",
                organisatie_id=organisatie,
                systeemrollen=[Systeemrol.PROFESSIONAL.value],
            )
            for i in range(mdos)
            for j in range(MENSEN)
        ]
        session.add_all(accounts)
        session.flush()
        return [(str(a.id), a.gebruikersnaam) for a in accounts]


def _tafels(
    url: str, settings: Settings, formulier: Formulier, accounts: list[tuple[str, str]]
) -> list[Tafel]:
    """Per MDO a casus started by its regievoerder, with the five others as betrokkenen and
    a fully filled handreiking (≈ 20 KB, like generated casussen), all through Regie's API."""
    tafels = []
    with httpx.Client(base_url=url, timeout=60) as http:
        for i in range(0, len(accounts), MENSEN):
            namen = [naam for _, naam in accounts[i : i + MENSEN]]
            mensen = tuple(
                {"Authorization": f"Bearer {issue_dev_token(settings, n, 86400)}"} for n in namen
            )
            document = generator._document(random.Random(i), formulier)  # noqa: S311
            kop: dict[str, Any] = document["kop"]
            jeugdige = {k: kop["jeugdige"][k] for k in ("naam", "geboortedatum")}
            casus_in = {
                "gemeente": kop["gemeente"],
                "jeugdige": jeugdige,
                "indicaties": kop["indicaties"],
            }
            nieuw = http.post("/api/v1/casussen", json=casus_in, headers=mensen[0])
            casus = _ok(nieuw, 201).json()["id"]
            for naam in namen[1:]:
                # The generated plan's consent need not cover this organisation: a ground does.
                rol = {"gebruikersnaam": naam, "rol": "betrokkene", "grondslag": "wettelijke_taak"}
                _ok(http.post(f"/api/v1/casussen/{casus}/betrokkenen", json=rol, headers=mensen[0]))
            huidig = _ok(http.get(REGIE_PAD.format(casus), headers=mensen[0]))
            body = Kant(REGIE_PAD, True).body(document)
            headers = {**mensen[0], "If-Match": huidig.headers["etag"], **JSON}
            _ok(http.put(REGIE_PAD.format(casus), content=body, headers=headers))
            tafels.append(Tafel(casus, mensen))
    return tafels


def _ok(response: httpx.Response, *status: int) -> httpx.Response:
    if response.status_code not in (status or (200, 201)):
        request = response.request
        raise RuntimeError(
            f"{request.method} {request.url}: {response.status_code} {response.text}"
        )
    return response


async def _beginstand(url: str, kant: Kant, tafels: list[Tafel], formulier: Formulier) -> None:
    """The floor stores what it is sent: give its casussen a plain document to start from."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        for i, tafel in enumerate(tafels):
            huidig = await http.get(kant.pad.format(tafel.casus))
            document = generator._document(random.Random(i), formulier)  # noqa: S311
            headers = {"If-Match": _ok(huidig).headers["etag"]}
            body = kant.body(document)
            _ok(await http.put(kant.pad.format(tafel.casus), content=body, headers=headers))


async def _ochtend(
    url: str, kant: Kant, tafels: list[Tafel], velden: list[tuple[str, str]], seconden: float
) -> Telling:
    """Everyone at every table at once, each on a connection of their own, until time is up."""
    telling = Telling()
    limieten = httpx.Limits(
        max_connections=None, max_keepalive_connections=None, keepalive_expiry=KEEPALIVE_S
    )
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limieten) as http:
        begin = {t.casus: await _revisie(http, kant, t) for t in tafels}
        start = time.monotonic()
        einde = start + seconden
        await asyncio.gather(
            *(
                _persoon(http, kant, tafel, j, velden[j], einde, telling)
                for tafel in tafels
                for j in range(MENSEN)
            )
        )
        telling.seconden = time.monotonic() - start
        for tafel in tafels:
            await _controleer(http, kant, tafel, velden, begin[tafel.casus], telling)
    return telling


async def _revisie(http: httpx.AsyncClient, kant: Kant, tafel: Tafel) -> int:
    response = _ok(await http.get(kant.pad.format(tafel.casus), headers=tafel.mensen[0]))
    return _nummer(response.headers["etag"])


async def _persoon(
    http: httpx.AsyncClient,
    kant: Kant,
    tafel: Tafel,
    j: int,
    veld: tuple[str, str],
    einde: float,
    telling: Telling,
) -> None:
    """One person at one MDO: write their own field every few seconds until the end."""
    rnd = random.Random(f"{tafel.casus}-{j}")  # noqa: S311
    await asyncio.sleep(rnd.uniform(0, min(PAUZE_S[1], einde - time.monotonic())))
    n = 0
    while time.monotonic() < einde:
        n += 1
        waarde = f"Deelnemer {j}, wijziging {n}: {rnd.random():.6f}"
        try:
            await _opslaan(http, kant, tafel, j, veld, waarde, telling)
        except httpx.HTTPError as exc:
            telling.fouten.append(f"{type(exc).__name__}: {exc}")
        await asyncio.sleep(max(0.0, min(rnd.uniform(*PAUZE_S), einde - time.monotonic())))


async def _opslaan(
    http: httpx.AsyncClient,
    kant: Kant,
    tafel: Tafel,
    j: int,
    veld: tuple[str, str],
    waarde: str,
    telling: Telling,
) -> None:
    """Read, change one field, save with If-Match; on 412 read again and retry."""
    pad, headers = kant.pad.format(tafel.casus), tafel.mensen[j] if kant.regie else {}
    for _ in range(MAX_POGINGEN):
        gelezen = await http.get(pad, headers=headers)
        if gelezen.status_code != 200:
            telling.fouten.append(f"lezen {gelezen.status_code}: {gelezen.text[:200]}")
            return
        document = kant.document(gelezen)
        _eigen_laatste(telling, tafel, j, document[veld[0]][veld[1]])
        document[veld[0]][veld[1]] = waarde
        etag = gelezen.headers["etag"]
        extra = {"If-Match": etag, **JSON}
        begin = time.perf_counter()
        antwoord = await http.put(pad, content=kant.body(document), headers={**headers, **extra})
        duur = (time.perf_counter() - begin) * 1000
        if antwoord.status_code == 200:
            if _nummer(antwoord.headers["etag"]) != _nummer(etag) + 1:
                telling.verloren.append(f"{tafel.casus}: na {etag} kwam {antwoord.headers['etag']}")
            telling.tijden.append(duur)
            telling.laatste[(tafel.casus, j)] = waarde
            telling.opgeslagen[tafel.casus] += 1
            return
        if antwoord.status_code != 412:
            telling.fouten.append(f"opslaan {antwoord.status_code}: {antwoord.text[:200]}")
            return
        telling.conflicten += 1
    telling.fouten.append(f"opslaan: {MAX_POGINGEN} conflicten na elkaar")


def _nummer(etag: str) -> int:
    return int(etag.strip('"'))


def _eigen_laatste(telling: Telling, tafel: Tafel, j: int, gelezen: object) -> None:
    """Read your own writes: what this person saved last must be what they read now (no one
    else writes their field; a stale save that overwrote it is caught the moment it happened)."""
    verwacht = telling.laatste.get((tafel.casus, j))
    if verwacht is not None and gelezen != verwacht:
        telling.verloren.append(f"{tafel.casus} deelnemer {j}: las {gelezen!r}, niet {verwacht!r}")


async def _controleer(
    http: httpx.AsyncClient,
    kant: Kant,
    tafel: Tafel,
    velden: list[tuple[str, str]],
    begin: int,
    telling: Telling,
) -> None:
    """Each person's last saved text is in the casus, and every 200 made exactly one revision."""
    response = _ok(await http.get(kant.pad.format(tafel.casus), headers=tafel.mensen[0]))
    document, revisie = kant.document(response), _nummer(response.headers["etag"])
    for j, (sectie, sleutel) in enumerate(velden):
        verwacht = telling.laatste.get((tafel.casus, j))
        if verwacht is not None and document[sectie][sleutel] != verwacht:
            telling.verloren.append(f"{tafel.casus} deelnemer {j}: {verwacht!r} ontbreekt")
    if revisie - begin != telling.opgeslagen[tafel.casus]:
        telling.verloren.append(
            f"{tafel.casus}: {revisie - begin} revisies voor {telling.opgeslagen[tafel.casus]} "
            "opgeslagen wijzigingen"
        )


def _resultaten(omgeving: Omgeving, mdos: int, regie: Telling, vloer: Telling) -> list[Resultaat]:
    b, n = omgeving.backend, omgeving.casussen
    naam = f"{mdos} MDO's × {MENSEN}"
    goed = not regie.fouten and not regie.verloren and bool(regie.tijden)
    toelichting = "\n".join([_verslag("Regie", regie), _verslag("vloer", vloer)])
    p50 = (_q(regie.tijden, 0.5), _q(vloer.tijden, 0.5))
    p99 = (_q(regie.tijden, 0.99), _q(vloer.tijden, 0.99))
    per_s = (len(regie.tijden) / regie.seconden, len(vloer.tijden) / vloer.seconden)
    return [
        Resultaat(SCENARIO, f"opslaan p50, {naam}", b, n, *p50, "ms", f"≤ {P50:g}× vloer",
                  p50[0] <= P50 * p50[1], toelichting),
        Resultaat(SCENARIO, f"opslaan p99, {naam}", b, n, *p99, "ms",
                  f"≤ {P99:g}× vloer; 0 fouten, 0 verloren", goed and p99[0] <= P99 * p99[1],
                  toelichting),
        Resultaat(SCENARIO, f"opgeslagen per seconde, {naam}", b, n, *per_s, "/s",
                  "geen fouten, geen verloren wijziging", goed, ""),
    ]  # fmt: skip


def _verslag(kant: str, telling: Telling) -> str:
    fouten = "; ".join(telling.fouten[:5]) or "geen"
    verloren = "; ".join(telling.verloren[:5]) or "geen"
    return (
        f"{kant}: {len(telling.tijden)} opgeslagen in {telling.seconden:.0f} s, "
        f"{telling.conflicten} keer 412 en opnieuw gelezen, {len(telling.fouten)} fouten "
        f"({fouten}), {len(telling.verloren)} verloren of dubbel ({verloren})"
    )
