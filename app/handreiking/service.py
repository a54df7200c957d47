"""The living document: read the current revision, save the next one, look back."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, insert, update
from sqlmodel import SQLModel, col, select

from app.access.policy import Actie
from app.access.service import authorize, authorize_edit, authorize_plan, check_own_words
from app.accounts.service import persons
from app.casus.models import Casus, naam_in
from app.casus.schemas import PersoonOut
from app.casus.toestemming import LIJST as TOESTEMMING_LIJST
from app.casus.toestemming import NL
from app.casus.toestemming import SECTIE as TOESTEMMING_SECTIE
from app.context import Context
from app.crypto.service import TOELICHTING, search_keys
from app.db import utcnow
from app.enums import CasusStatus
from app.errors import NietGevonden, SleutelGebruikt, Validatiefout, Versieconflict
from app.form.completeness import progress
from app.form.diff import verschil
from app.form.validation import validate
from app.handreiking.mdo import agreed_revisions
from app.handreiking.models import Mdo, Revisie
from app.handreiking.schemas import (
    HandreikingIn,
    HandreikingOut,
    RevisieOut,
    RevisieSamenvatting,
    VerschilOut,
    Voortgang,
    Wijziging,
)
from app.research.kenmerken import kenmerken


def read(ctx: Context, casus_id: uuid.UUID) -> HandreikingOut:
    inzage = authorize_plan(ctx, casus_id, handeling="handreiking.lezen")
    return current(ctx, inzage.casus, inzage.revisie)


def print_view(ctx: Context, casus_id: uuid.UUID) -> HandreikingOut:
    """The current plan for printing: the same right as reading, but its own audited handeling.

    A printed copy leaves the system's control, so the toegangslog must show who printed which
    revision, not just that someone looked.
    """
    inzage = authorize_plan(ctx, casus_id, handeling="handreiking.afdrukken")
    ctx.audit.annotate(revisie=inzage.casus.revisie)
    return current(ctx, inzage.casus, inzage.revisie)


def current(ctx: Context, casus: Casus, revisie: Revisie | None) -> HandreikingOut:
    """The current revision of an authorized casus (as `authorize_plan` loads it), decrypted,
    with its progress per section."""
    inhoud = ctx.kluis(casus.formulierversie).open(casus.id, _own_current(casus, revisie).inhoud)
    formulier = ctx.formulieren[casus.formulierversie]
    return HandreikingOut(
        formulierversie=casus.formulierversie,
        revisie=casus.revisie,
        inhoud=inhoud,
        voortgang=[Voortgang(**v) for v in progress(formulier, inhoud)],
    )


@dataclass(frozen=True)
class Opgeslagen:
    """The revision a save wrote, or (`herhaald`) the one an earlier try with its key wrote."""

    nummer: int
    herhaald: bool = False


def save(
    ctx: Context,
    casus_id: uuid.UUID,
    *,
    basis: int,
    data: HandreikingIn,
    sleutel: str | None = None,
) -> Opgeslagen:
    """Write revision basis+1, or refuse because someone saved after `basis`.

    Someone who may change only their own words (an ouder, the jeugdige) saves the same way;
    a save that changes any other field is refused whole (403), before anything is written.

    `authorize_edit` holds the casus row until commit (PostgreSQL: FOR UPDATE; SQLite: the
    write lock), so the conditional UPDATE is the optimistic check: when it moves no row, someone
    saved after `basis` and nothing has been written, so a caller may catch the conflict and
    go on in the same transaction (the web merge does). The unique (casus_id, nummer)
    constraint is the last line of defence: should the revisions ever run ahead of their
    casus, the INSERT fails and the whole request is rolled back.
    Identifying and free-text values are sealed before they reach the database.

    `sleutel` (an idempotency key) makes a retry safe when the first answer was lost: the same
    author sending the same content with the same key gets the revision the first try wrote,
    not a second revision nor a conflict. The same key with other content is refused. Two tries
    with one key at once cannot both miss it: the second looks only once the first has
    committed, because of the same lock.
    """
    recht = authorize_edit(ctx, casus_id, handeling="handreiking.opslaan")
    casus = recht.casus
    if sleutel is not None and (eerder := _earlier_try(ctx, casus, sleutel, data)) is not None:
        return eerder
    if casus.revisie != basis:
        # Judged before the fields: against a newer plan, someone else's changes would look
        # like this author's (the row is held since authorize_edit, so this is final).
        raise _stale(ctx, casus_id)
    formulier = ctx.formulieren[casus.formulierversie]
    fouten = validate(formulier, data.inhoud)
    if fouten:
        raise Validatiefout([f.as_dict() for f in fouten])
    basisrevisie = _own_current(casus, recht.revisie)
    vorige = ctx.kluis(casus.formulierversie).open(casus_id, basisrevisie.inhoud)
    paden = [w["pad"] for w in verschil(vorige, data.inhoud)]
    check_own_words(ctx, formulier, recht, paden)
    return _write(ctx, casus, basis, data, paden, sleutel)


def add_consent(
    ctx: Context, casus_id: uuid.UUID, *, basis: int, organisatietypen: list[str], reikwijdte: str
) -> Opgeslagen:
    """Append one consent item given by the actor (an ouder, the jeugdige) to step 6, as the
    next revision, stamped here with who gave it (as whom they are on the casus) and today's
    date: neither can be chosen, so the family cannot backdate consent or give it in another's
    name. Nothing else in the plan changes, and no earlier item can be changed or removed.

    Sent twice (a double click, an answer lost), the second finds the first in the revision
    right after its basis and answers with that one (`herhaald`), rather than a conflict that
    would have the person give it a third time.
    """
    casus = authorize(ctx, Actie.TOESTEMMING_GEVEN, casus_id, handeling="toestemming.geven")
    rij = {
        "gegeven_door": ctx.actor.naam,
        "datum": datetime.now(NL).date().isoformat(),
        "organisatietypen": organisatietypen,
        "reikwijdte": reikwijdte.replace("\r\n", "\n").strip(),
    }
    _check_consent(rij)
    if casus.revisie != basis:
        if _already_given(ctx, casus, basis, rij):
            return Opgeslagen(basis + 1, herhaald=True)
        raise _stale(ctx, casus_id)
    inhoud = ctx.kluis(casus.formulierversie).open(casus_id, _revision(ctx, casus).inhoud)
    nieuw = {**inhoud, TOESTEMMING_SECTIE: {**(inhoud.get(TOESTEMMING_SECTIE) or {})}}
    nieuw[TOESTEMMING_SECTIE][TOESTEMMING_LIJST] = [*_consents(inhoud), rij]
    fouten = validate(ctx.formulieren[casus.formulierversie], nieuw)
    if fouten:
        raise Validatiefout([f.as_dict() for f in fouten])
    paden = [w["pad"] for w in verschil(inhoud, nieuw)]
    data = HandreikingIn(inhoud=nieuw, toelichting="Toestemming gegeven door " + ctx.actor.naam)
    return _write(ctx, casus, basis, data, paden, None)


def _check_consent(rij: dict[str, Any]) -> None:
    """What the form cannot say about one item: at least one kind, a text that fits."""
    fouten = []
    if not rij["organisatietypen"]:
        fouten.append({"pad": "organisatietypen", "melding": "Kies minstens één soort."})
    if len(rij["reikwijdte"]) > MAX_REIKWIJDTE:
        melding = f"Gebruik hoogstens {MAX_REIKWIJDTE} tekens."
        fouten.append({"pad": "reikwijdte", "melding": melding})
    if fouten:
        raise Validatiefout(fouten)


def _consents(inhoud: Mapping[str, Any]) -> list[Any]:
    return list((inhoud.get(TOESTEMMING_SECTIE) or {}).get(TOESTEMMING_LIJST) or [])


def _already_given(ctx: Context, casus: Casus, basis: int, rij: dict[str, Any]) -> bool:
    """Whether this actor's own revision right after `basis` appended this very item."""
    try:
        volgende = _revision(ctx, casus, basis + 1)
    except NietGevonden:
        return False
    if volgende.auteur_id != ctx.actor.account_id:
        return False
    inhoud = ctx.kluis(volgende.formulierversie).open(casus.id, volgende.inhoud)
    items = _consents(inhoud)
    return bool(items) and items[-1] == rij


def _write(
    ctx: Context,
    casus: Casus,
    basis: int,
    data: HandreikingIn,
    paden: list[str],
    sleutel: str | None,
) -> Opgeslagen:
    """Write revision basis+1 of a casus whose row the caller holds; a conditional UPDATE, so
    a save after `basis` (or a closing) makes this one stale instead. The INSERT itself links
    the revision to the casus' open MDO, if any (`_NIEUWE_REVISIE`)."""
    casus_id = casus.id
    kluis = ctx.kluis(casus.formulierversie)
    nummer = basis + 1
    ctx.audit.annotate(velden=paden, revisie=nummer)
    verzegeld = kluis.seal(casus_id, data.inhoud)
    changes = {**_casus_changes(ctx, casus, nummer, data.inhoud), "naam": naam_in(verzegeld)}
    moved = ctx.session.execute(_VOLGENDE_REVISIE, {**changes, "w_id": casus_id, "w_basis": basis})
    if cast(CursorResult[Any], moved).rowcount != 1:
        raise _stale(ctx, casus_id)
    ctx.session.execute(
        _NIEUWE_REVISIE,
        {
            "id": uuid.uuid4(),
            "casus_id": casus_id,
            "nummer": nummer,
            "formulierversie": casus.formulierversie,
            "inhoud": verzegeld,
            "auteur_id": ctx.actor.account_id,
            "tijdstip": utcnow(),
            "toelichting": kluis.seal_text(casus_id, TOELICHTING, data.toelichting),
            "sleutel": ctx.keyring.current,
            "mdo_van": casus_id,
            "idempotentie_sleutel": sleutel,
        },
    )
    return Opgeslagen(nummer)


# A consent item's text, as the form allows (twente-2020.1: afstemming.toestemmingen.reikwijdte).
MAX_REIKWIJDTE = 2000

# Plain table statements on the save path: it runs for every keystroke pause of an MDO, and
# ORM entities (identity map, unit of work) would only be thrown away at commit.
_CASUS = SQLModel.metadata.tables["casus"]
_REVISIE = SQLModel.metadata.tables["revisie"]


# The statements every save and read runs, built once and run with parameters: composing one
# anew costs about as much as the database takes to answer it.
_EEN_REVISIE = (col(Revisie.casus_id) == bindparam("casus_id")) & (
    col(Revisie.nummer) == bindparam("nummer")
)
_REVISIE_OP_NUMMER = select(Revisie).where(_EEN_REVISIE)
# A new revision belongs to the casus' open MDO, if one is open: the INSERT looks it up itself,
# a round trip less. The casus row is held, so no MDO opens or closes in between.
_OPEN_MDO = (
    select(Mdo.id)
    .where(Mdo.casus_id == bindparam("mdo_van"), col(Mdo.afgerond_op).is_(None))
    .scalar_subquery()
)
_NIEUWE_REVISIE = insert(_REVISIE).values(mdo_id=_OPEN_MDO)
# The casus follows its new revision, unless someone saved after the basis or closed it; the
# columns it sets are the parameters it is run with (bound names apart from the columns').
_VOLGENDE_REVISIE = update(_CASUS).where(
    _CASUS.c.id == bindparam("w_id"),
    _CASUS.c.revisie == bindparam("w_basis"),
    _CASUS.c.status != CasusStatus.AFGESLOTEN,
)


def _earlier_try(
    ctx: Context, casus: Casus, sleutel: str, data: HandreikingIn
) -> Opgeslagen | None:
    """The revision this key already wrote, when it is this author's and holds this content."""
    eerder = ctx.session.exec(
        select(Revisie).where(
            col(Revisie.casus_id) == casus.id, col(Revisie.idempotentie_sleutel) == sleutel
        )
    ).first()
    if eerder is None:
        return None
    kluis = ctx.kluis(eerder.formulierversie)
    gelijk = (
        eerder.auteur_id == ctx.actor.account_id
        and kluis.open(casus.id, eerder.inhoud) == data.inhoud
        and kluis.open_text(casus.id, TOELICHTING, eerder.toelichting) == data.toelichting
    )
    if not gelijk:
        raise SleutelGebruikt()
    ctx.audit.annotate(revisie=eerder.nummer, herhaald=True)
    return Opgeslagen(eerder.nummer, herhaald=True)


def _casus_changes(
    ctx: Context, casus: Casus, nummer: int, inhoud: dict[str, Any]
) -> dict[str, Any]:
    """The casus row follows its newest revision: number, status, gemeente, search keys and the
    research projection (and the sealed name, which the caller takes from the sealed revision)."""
    changes: dict[str, Any] = {"revisie": nummer, "gewijzigd_op": utcnow()}
    changes.update(search_keys(ctx.keyring, inhoud.get("kop")))
    changes["volgende_mdo"] = next_meeting(inhoud)
    changes["kenmerken"] = kenmerken(ctx.formulieren[casus.formulierversie], inhoud)
    if casus.status is CasusStatus.AANGEMAAKT:
        changes["status"] = CasusStatus.ACTIEF
    gemeente = (inhoud.get("kop") or {}).get("gemeente")
    if gemeente:
        changes["gemeente"] = gemeente
    return changes


def next_meeting(inhoud: dict[str, Any]) -> date | None:
    """Step 7's next MDO date, kept on the casus for "Mijn casussen" and the inbox."""
    value = (inhoud.get("borging") or {}).get("volgende_mdo")
    return date.fromisoformat(value) if isinstance(value, str) and value else None


def _stale(ctx: Context, casus_id: uuid.UUID) -> Versieconflict:
    current = ctx.session.exec(select(Casus.revisie).where(Casus.id == casus_id)).one()
    return Versieconflict(
        f"Iemand anders heeft de handreiking intussen opgeslagen (nu revisie {current}). "
        "Haal de nieuwe versie op en voeg uw wijzigingen samen.",
        revisie=current,
    )


def _own_current(casus: Casus, revisie: Revisie | None) -> Revisie:
    """The revision an access decision brought along, only if it is this casus' current one:
    nothing else is ever opened as the plan."""
    if revisie is None or (revisie.casus_id, revisie.nummer) != (casus.id, casus.revisie):
        raise NietGevonden(f"Revisie {casus.revisie} bestaat niet.")
    return revisie


def _revision(ctx: Context, casus: Casus, nummer: int | None = None) -> Revisie:
    """Revision `nummer` of the casus (its current one by default), still sealed."""
    nummer = casus.revisie if nummer is None else nummer
    revisie = ctx.session.exec(
        _REVISIE_OP_NUMMER, params={"casus_id": casus.id, "nummer": nummer}
    ).first()
    if revisie is None:
        raise NietGevonden(f"Revisie {nummer} bestaat niet.")
    return revisie


def _summary(
    ctx: Context, casus: Casus, revisie: Revisie, auteur: PersoonOut, agreed: set[int]
) -> dict[str, Any]:
    kluis = ctx.kluis(casus.formulierversie)
    return {
        "nummer": revisie.nummer,
        "auteur": auteur,
        "tijdstip": revisie.tijdstip,
        "toelichting": kluis.open_text(casus.id, TOELICHTING, revisie.toelichting),
        "vastgesteld": revisie.nummer in agreed,
        "mdo": str(revisie.mdo_id) if revisie.mdo_id else None,
    }


def list_revisions(ctx: Context, casus_id: uuid.UUID) -> list[RevisieSamenvatting]:
    casus = authorize(ctx, Actie.CASUS_LEZEN, casus_id, handeling="revisies.lezen")
    revisies = ctx.session.exec(
        select(Revisie).where(Revisie.casus_id == casus_id).order_by(col(Revisie.nummer))
    ).all()
    auteurs = persons(ctx.session, {r.auteur_id for r in revisies})
    agreed = agreed_revisions(ctx.session, casus_id)
    return [
        RevisieSamenvatting(**_summary(ctx, casus, r, auteurs[r.auteur_id], agreed))
        for r in revisies
    ]


def read_revision(ctx: Context, casus_id: uuid.UUID, nummer: int) -> RevisieOut:
    casus = authorize(ctx, Actie.CASUS_LEZEN, casus_id, handeling="revisie.lezen")
    ctx.audit.annotate(revisie=nummer)
    revisie = _revision(ctx, casus, nummer)
    auteur = persons(ctx.session, {revisie.auteur_id})[revisie.auteur_id]
    return RevisieOut(
        **_summary(ctx, casus, revisie, auteur, agreed_revisions(ctx.session, casus_id)),
        formulierversie=revisie.formulierversie,
        inhoud=ctx.kluis(casus.formulierversie).open(casus_id, revisie.inhoud),
    )


def diff(ctx: Context, casus_id: uuid.UUID, nummer: int, met: int) -> VerschilOut:
    """What changed from revision `met` to revision `nummer`, field by field."""
    casus = authorize(ctx, Actie.CASUS_LEZEN, casus_id, handeling="verschil.lezen")
    ctx.audit.annotate(revisie=nummer, met=met)
    kluis = ctx.kluis(casus.formulierversie)
    oud = kluis.open(casus_id, _revision(ctx, casus, met).inhoud)
    nieuw = kluis.open(casus_id, _revision(ctx, casus, nummer).inhoud)
    return VerschilOut(
        van=met,
        naar=nummer,
        wijzigingen=[Wijziging(**w) for w in verschil(oud, nieuw)],
    )
