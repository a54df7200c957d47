"""Casus lifecycle: create, list mine, read, close."""

from __future__ import annotations

import uuid
from datetime import date
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Select, Uuid, and_, bindparam, func
from sqlalchemy import select as sa_select
from sqlalchemy.orm import aliased
from sqlmodel import col

from app.access.policy import Actie
from app.access.service import authorize, authorize_system, fade_moment, visible_since
from app.accounts.models import Account, Organisatie
from app.audit.recorder import Uitkomst
from app.casus import membership
from app.casus.models import NAAM_VELD, Casus, Rol, naam_in
from app.casus.schemas import (
    CasusCreate,
    CasusOut,
    CasusPagina,
    CasusSamenvatting,
    PersoonOut,
    Zoekvraag,
)
from app.context import Context
from app.crypto.fields import birthdate_index, name_index
from app.crypto.service import AFSLUITREDEN, TOELICHTING, search_keys
from app.db import among_ids, utcnow
from app.enums import CasusRol, CasusStatus
from app.errors import Conflict, Validatiefout
from app.form.validation import Fout, validate
from app.handreiking.models import Revisie
from app.regie.queries import handover_open
from app.research.kenmerken import kenmerken
from app.research.models import Moment
from app.research.vragenlijst_service import invite_members


def create(ctx: Context, data: CasusCreate) -> CasusOut:
    """Start a casus on the current form version; the creator becomes its regievoerder."""
    authorize_system(ctx, Actie.CASUS_AANMAKEN)
    formulier = ctx.formulieren[ctx.formulieren.standaard]
    kop = _header(data)
    fouten = validate(formulier, {"kop": kop})
    if data.jeugdige.geboortedatum > date.today():
        fouten.append(Fout("kop.jeugdige.geboortedatum", "De geboortedatum ligt in de toekomst."))
    if fouten:
        raise Validatiefout([f.as_dict() for f in fouten])
    casus = Casus(
        formulierversie=formulier.versie,
        gemeente=data.gemeente,
        status=CasusStatus.AANGEMAAKT,
        revisie=1,
        kenmerken=kenmerken(formulier, {"kop": kop}),
        **search_keys(ctx.keyring, kop),
    )
    kluis = ctx.kluis(formulier.versie)
    verzegeld = kluis.seal(casus.id, {"kop": kop})
    casus.naam = naam_in(verzegeld)
    ctx.session.add(casus)
    ctx.session.flush()
    ctx.session.add(
        Rol(
            casus_id=casus.id,
            account_id=ctx.actor.account_id,
            rol=CasusRol.REGIEVOERDER,
            toegevoegd_door_id=ctx.actor.account_id,
        )
    )
    ctx.session.add(
        Revisie(
            casus_id=casus.id,
            nummer=1,
            formulierversie=formulier.versie,
            inhoud=verzegeld,
            auteur_id=ctx.actor.account_id,
            toelichting=kluis.seal_text(casus.id, TOELICHTING, "Casus aangemaakt"),
            sleutel=ctx.keyring.current,
        )
    )
    ctx.session.flush()
    ctx.audit.annotate(casus_id=casus.id, velden=["kop"], revisie=1)
    return casus_out(ctx, casus)


def _header(data: CasusCreate) -> dict[str, Any]:
    return {
        "gemeente": data.gemeente,
        "jeugdige": {
            "naam": data.jeugdige.naam,
            "geboortedatum": data.jeugdige.geboortedatum.isoformat(),
            **({"bsn": data.jeugdige.bsn} if data.jeugdige.bsn else {}),
        },
        "indicaties": data.indicaties,
        "startdatum": date.today().isoformat(),
    }


def read(ctx: Context, casus_id: uuid.UUID) -> CasusOut:
    return casus_out(ctx, authorize(ctx, Actie.CASUS_LEZEN, casus_id, handeling="casus.lezen"))


def casus_out(ctx: Context, casus: Casus) -> CasusOut:
    """An authorized casus as it is shown: with everyone on it."""
    rollen = membership.active_roles(ctx.session, casus.id)
    regievoerder = next(r for r in rollen if r.rol is CasusRol.REGIEVOERDER)
    return CasusOut(
        id=casus.id,
        gemeente=casus.gemeente,
        status=casus.status,
        formulierversie=casus.formulierversie,
        regievoerder=regievoerder,
        revisie=casus.revisie,
        rollen=rollen,
        aangemaakt_op=casus.aangemaakt_op,
        gewijzigd_op=casus.gewijzigd_op,
    )


def reopen(ctx: Context, casus_id: uuid.UUID) -> CasusOut:
    """Reopen a closed casus: an explicit, audited step back to an editable plan."""
    casus = authorize(ctx, Actie.CASUS_HEROPENEN, casus_id, handeling="casus.heropenen")
    if casus.status is not CasusStatus.AFGESLOTEN:
        raise Conflict("Deze casus is niet afgesloten.")
    casus.status = CasusStatus.ACTIEF
    casus.afgesloten_op = None
    casus.afsluitreden = None
    casus.gewijzigd_op = utcnow()
    ctx.session.add(casus)
    ctx.session.flush()
    ctx.audit.annotate(velden=["status"])
    return casus_out(ctx, casus)


def list_mine(ctx: Context, *, pagina: int, per_pagina: int, zoek: Zoekvraag) -> CasusPagina:
    """The casussen the actor has an active role on, most recently changed first.

    Searching by the jeugdige's name or date of birth compares blind indexes: the query value is
    hashed with the same key, so the database never sees it (and the access log drops query
    strings, see app/logs.py). A closed casus past its visibility period is left out, as it is
    for every read.
    """
    lijst = _lijst(
        ctx.session.get_bind().dialect.name, naam=bool(zoek.naam), geboren=bool(zoek.geboortedatum)
    )
    params: dict[str, Any] = {
        "ik": ctx.actor.account_id,
        "zichtbaar_sinds": fade_moment(ctx),
    }
    if zoek.naam:
        params["zoek_naam"] = name_index(ctx.keyring, zoek.naam)
    if zoek.geboortedatum:
        geboren = zoek.geboortedatum.isoformat()
        params["zoek_geboortedatum"] = birthdate_index(ctx.keyring, geboren)
    rows = ctx.session.execute(
        lijst.pagina, {**params, "overslaan": (pagina - 1) * per_pagina, "aantal": per_pagina}
    ).all()
    # The total rides along with the page (a window is counted before LIMIT and OFFSET): one
    # query fewer. Only a page past the end has no row to carry it; an empty first page means 0.
    if rows or pagina == 1:
        totaal = rows[0].totaal if rows else 0
    else:
        totaal = ctx.session.execute(lijst.totaal, params).scalar_one()
    koppen = _headlines(ctx, {row.id: (row.formulierversie, row.naam) for row in rows})
    ctx.audit.record(
        "casussen.lijst",
        Uitkomst.TOEGESTAAN,
        kenmerken={"aantal": len(rows), "gezocht": bool(zoek.naam or zoek.geboortedatum)},
    )
    for row in rows:  # each listed casus showed its jeugdige's name: in its toegangslog too
        ctx.audit.record("casus.in_lijst", Uitkomst.TOEGESTAAN, casus_id=row.id)
    return CasusPagina(
        resultaten=[
            CasusSamenvatting(
                id=row.id,
                gemeente=row.gemeente,
                status=row.status,
                mijn_rol=row.rol,
                regievoerder=_lead(row),
                revisie=row.revisie,
                gewijzigd_op=row.gewijzigd_op,
                jeugdige_naam=koppen.get(row.id),
                volgende_mdo=row.volgende_mdo,
            )
            for row in rows
        ],
        pagina=pagina,
        per_pagina=per_pagina,
        totaal=totaal,
    )


# What a list row shows: columns, not whole casus objects (their research projection is big).
_LIJSTKOLOMMEN = (
    col(Casus.id),
    col(Casus.gemeente),
    col(Casus.status),
    col(Casus.revisie),
    col(Casus.gewijzigd_op),
    col(Casus.volgende_mdo),
    col(Casus.formulierversie),
    col(Casus.naam),
)


class _Lijst(NamedTuple):
    pagina: Select[Any]
    totaal: Select[int]


@cache
def _lijst(dialect: str, *, naam: bool, geboren: bool) -> _Lijst:
    """ "Mijn casussen" as statements built once per dialect and kind of search, run with
    parameters: composing the query anew cost more than the database took to answer it.

    My casussen come by id (see `membership.MIJN_CASUS_IDS`) with my role on each; the page is
    cut first (the total counted over all of them on the way), and only its rows then get
    their regievoerder in the same query: a unique index allows at most one per casus, the
    rules of regie say exactly one (`_lead` holds the list to that).
    """
    mine = (
        sa_select(*_LIJSTKOLOMMEN, col(Rol.rol))
        .join(Rol, col(Rol.casus_id) == col(Casus.id))
        .where(
            among_ids(dialect, col(Casus.id), membership.MIJN_CASUS_IDS),
            col(Rol.account_id) == bindparam("ik", type_=Uuid()),
            col(Rol.tot).is_(None),
            visible_since(bindparam("zichtbaar_sinds")),
        )
    )
    if naam:
        mine = mine.where(col(Casus.zoek_naam) == bindparam("zoek_naam"))
    if geboren:
        mine = mine.where(col(Casus.zoek_geboortedatum) == bindparam("zoek_geboortedatum"))
    pagina = (
        mine.add_columns(func.count().over().label("totaal"))
        .order_by(col(Casus.gewijzigd_op).desc(), col(Casus.id))
        .offset(bindparam("overslaan"))
        .limit(bindparam("aantal"))
        .subquery("pagina")
    )
    leider = aliased(Rol, name="leider")
    met_leider = (
        sa_select(
            pagina,
            col(Account.gebruikersnaam).label("leider_gebruikersnaam"),
            col(Account.naam).label("leider_naam"),
            col(Organisatie.naam).label("leider_organisatie"),
        )
        .outerjoin(
            leider,
            and_(
                col(leider.casus_id) == pagina.c.id,
                col(leider.rol) == CasusRol.REGIEVOERDER,
                col(leider.tot).is_(None),
            ),
        )
        .outerjoin(Account, col(Account.id) == col(leider.account_id))
        .outerjoin(Organisatie, col(Organisatie.id) == col(Account.organisatie_id))
        .order_by(pagina.c.gewijzigd_op.desc(), pagina.c.id)  # a subquery's order is not kept
    )
    return _Lijst(met_leider, sa_select(func.count()).select_from(mine.subquery()))


def _lead(row: Any) -> PersoonOut:
    """The regievoerder of a listed casus. Every casus has one at every moment; a row without
    one means the data broke that rule, and a list must not paper over it."""
    if row.leider_gebruikersnaam is None:
        raise RuntimeError(f"casus {row.id} heeft geen regievoerder")
    return PersoonOut(
        gebruikersnaam=row.leider_gebruikersnaam,
        naam=row.leider_naam,
        organisatie=row.leider_organisatie,
    )


def _headlines(
    ctx: Context, namen: dict[uuid.UUID, tuple[str, str | None]]
) -> dict[uuid.UUID, str | None]:
    """The jeugdige's name of each listed casus (by id: its form version and sealed name).

    The name lives only encrypted, so people recognise their casussen by name without the
    database ever holding it in plaintext; the casus row keeps a copy of the current revision's
    ciphertext, so no document is read for a list.
    """
    return {
        casus_id: ctx.kluis(versie).open_field(casus_id, NAAM_VELD, naam)
        for casus_id, (versie, naam) in namen.items()
    }


def close(ctx: Context, casus_id: uuid.UUID, reden: str) -> CasusOut:
    """Close the casus: read-only from now on; everyone on it is asked the closing questionnaire."""
    casus = authorize(ctx, Actie.CASUS_AFSLUITEN, casus_id, handeling="casus.afsluiten")
    if handover_open(ctx.session, casus_id):
        raise Conflict("Er staat een overdracht open. Rond die eerst af of trek haar in.")
    ctx.audit.annotate(velden=["status", "afsluitreden"])
    now = utcnow()
    casus.status = CasusStatus.AFGESLOTEN
    casus.afgesloten_op = now
    casus.gewijzigd_op = now
    casus.afsluitreden = ctx.kluis(casus.formulierversie).seal_text(casus.id, AFSLUITREDEN, reden)
    ctx.session.add(casus)
    ctx.session.flush()
    invite_members(ctx, casus, Moment.AFSLUITING)
    return casus_out(ctx, casus)
