"""Fictitious demo data (the contract's accounts and casussen), loaded through the real services."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from app.access.policy import load_policy
from app.accounts.models import Account, Organisatie
from app.audit.recorder import AuditRecorder
from app.auth.tokens import load_actor
from app.casus import membership
from app.casus import service as casus_service
from app.casus.schemas import BetrokkeneIn, CasusCreate, JeugdigeIn
from app.config import Settings
from app.context import Context
from app.crypto.service import keyring_for
from app.db import unit_of_work
from app.enums import Grondslag, OrganisatieType, Systeemrol
from app.form.definition import load_formulieren
from app.handreiking import service as handreiking_service
from app.handreiking.schemas import HandreikingIn
from app.research.vragenlijst import load_vragenlijsten

P = [Systeemrol.PROFESSIONAL.value]
ORGANISATIES = [
    ("Gemeente Enschede", OrganisatieType.GEMEENTE),
    ("Gemeente Hengelo", OrganisatieType.GEMEENTE),
    ("Jeugdbescherming Oost (fictief)", OrganisatieType.GECERTIFICEERDE_INSTELLING),
    ("Zorggroep De Linde (fictief)", OrganisatieType.ZORGAANBIEDER),
    ("Basisschool De Esch (fictief)", OrganisatieType.ONDERWIJS),
    ("Kennispunt Twente", OrganisatieType.OVERIG),
    ("Functioneel beheer Regie", OrganisatieType.OVERIG),
]
ACCOUNTS = [
    ("a.jansen", "Anna Jansen", "Gemeente Enschede", "jeugdconsulent", P),
    ("b.bakker", "Bram Bakker", "Jeugdbescherming Oost (fictief)", "gezinsvoogd", P),
    ("c.visser", "Carla Visser", "Zorggroep De Linde (fictief)", "behandelaar", P),
    ("d.smit", "Dirk Smit", "Basisschool De Esch (fictief)", "intern begeleider", P),
    ("e.mulder", "Eva Mulder", "Gemeente Hengelo", "wijkcoach", P),
    ("o.kennis", "Olaf Kennis", "Kennispunt Twente", "onderzoeker", [Systeemrol.ONDERZOEKER.value]),
    (
        "f.beheer",
        "Fleur Beheer",
        "Functioneel beheer Regie",
        "functioneel beheerder",
        [Systeemrol.BEHEERDER.value],
    ),
]


def load_demo(settings: Settings, engine: Engine) -> bool:
    """Load the demo once; returns False when it was already there (idempotent)."""
    with unit_of_work(engine) as session:
        if session.exec(select(Account).where(Account.gebruikersnaam == "a.jansen")).first():
            return False
        _accounts(session)
        session.flush()
        audit = AuditRecorder(request_id="regie-demo", clientadres=None)
        make = _contexts(settings, session, audit)
        _casus_sem(make)
        _casus_lotte(make)
        _casus_closed(make)
        audit.write(session)
    return True


def _accounts(session: Session) -> None:
    orgs = {naam: Organisatie(naam=naam, type=soort) for naam, soort in ORGANISATIES}
    session.add_all(orgs.values())
    session.flush()
    for gebruikersnaam, naam, org, titel, rollen in ACCOUNTS:
        session.add(
            Account(
                gebruikersnaam=gebruikersnaam,
                naam=naam,
                organisatie_id=orgs[org].id,
                functietitel=titel,
                systeemrollen=rollen,
            )
        )


def _contexts(settings: Settings, session: Session, audit: AuditRecorder) -> Any:
    """A context maker per demo actor, all recording into one audit trail like real requests."""
    policy = load_policy(settings.policy_file)
    formulieren = load_formulieren(settings.extra_form_dir, settings.form_version)
    keyring = keyring_for(settings)
    vragenlijsten = load_vragenlijsten()

    def make(gebruikersnaam: str) -> Context:
        actor = load_actor(session, gebruikersnaam)
        audit.identify(actor)
        return Context(
            session=session,
            actor=actor,
            audit=audit,
            policy=policy,
            formulieren=formulieren,
            settings=settings,
            keyring=keyring,
            vragenlijsten=vragenlijsten,
        )

    return make


def _save(ctx: Context, casus_id: Any, inhoud: dict[str, Any], toelichting: str) -> dict[str, Any]:
    current = handreiking_service.read(ctx, casus_id)
    merged = {**current.inhoud, **inhoud}
    handreiking_service.save(
        ctx,
        casus_id,
        basis=current.revisie,
        data=HandreikingIn(inhoud=merged, toelichting=toelichting),
    )
    return merged


def _new(ctx: Context, gemeente: str, naam: str, geboren: date, indicaties: list[str]) -> Any:
    data = CasusCreate(
        gemeente=gemeente,
        jeugdige=JeugdigeIn(naam=naam, geboortedatum=geboren),
        indicaties=indicaties,
    )
    return casus_service.create(ctx, data).id


def _add(
    ctx: Context,
    casus_id: Any,
    gebruikersnaam: str,
    rol: str = "betrokkene",
    grondslag: Grondslag | None = None,
) -> None:
    """Add a professional: on the consent recorded in the plan, or on a legal ground."""
    data = BetrokkeneIn(gebruikersnaam=gebruikersnaam, rol=rol, grondslag=grondslag)
    membership.add_role(ctx, casus_id, data)


def _casus_sem(make: Any) -> None:
    """a.jansen leads; b.bakker and c.visser are betrokkenen; the plan grows over three MDOs."""
    anna = make("a.jansen")
    casus_id = _new(anna, "Enschede", "Sem de Vries", date(2012, 4, 17), ["OB4a"])
    _save(anna, casus_id, {"afstemming": SEM_TOESTEMMING}, "Toestemming van de ouders")
    _add(anna, casus_id, "b.bakker")
    _add(anna, casus_id, "c.visser")
    _save(anna, casus_id, SEM_STAP_1_2, "Eerste MDO: betrokkenen en hulpvraag")
    _save(make("c.visser"), casus_id, SEM_STAP_3_4, "Doelen en taakverdeling aangevuld")
    _save(anna, casus_id, SEM_STAP_5_7, "Tweede MDO: regie, afstemming en borging")


def _casus_lotte(make: Any) -> None:
    """b.bakker leads; d.smit helps, e.mulder follows the process (procesregie)."""
    bram = make("b.bakker")
    casus_id = _new(bram, "Hengelo", "Lotte Kramer", date(2009, 11, 2), ["OB3c"])
    # An ondertoezichtstelling: sharing is part of the gezinsvoogd's legal task.
    _add(bram, casus_id, "d.smit", grondslag=Grondslag.JEUGDBESCHERMINGSMAATREGEL)
    _add(bram, casus_id, "e.mulder", "volger", grondslag=Grondslag.JEUGDBESCHERMINGSMAATREGEL)
    _save(bram, casus_id, LOTTE, "Eerste MDO")
    _save(make("d.smit"), casus_id, {"afspraken": LOTTE_AFSPRAKEN}, "Afspraken school toegevoegd")


def _casus_closed(make: Any) -> None:
    """A finished casus: read-only, kept for its members and the research figures."""
    carla = make("c.visser")
    casus_id = _new(carla, "Hengelo", "Noah Peters", date(2014, 6, 30), ["OB3b"])
    toestemming = {
        "gegeven_door": "Linda Peters",
        "datum": "2026-03-02",
        "organisatietypen": ["onderwijs"],
        "reikwijdte": "Wat school nodig heeft voor de begeleiding in de klas.",
    }
    _save(carla, casus_id, {"afstemming": {"toestemmingen": [toestemming]}}, "Toestemming")
    _add(carla, casus_id, "d.smit")
    _save(carla, casus_id, NOAH, "Slot-MDO")
    casus_service.close(carla, casus_id, "Doelen behaald; begeleiding via school loopt door.")


# Given in the first MDO, before anyone else joins: the kinds of organisation the ouders agree to.
SEM_TOESTEMMING: dict[str, Any] = {
    "toestemmingen": [
        {
            "gegeven_door": "Mirjam de Vries",
            "datum": "2026-09-01",
            "organisatietypen": ["gecertificeerde_instelling", "zorgaanbieder", "onderwijs"],
            "reikwijdte": "Het hele plan, behalve de zorgen over de veiligheid thuis.",
        }
    ]
}
SEM_DOEL = {
    "doel": "Sem gaat weer elke dag naar school",
    "status": "lopend",
    "termijn": "2027-03-01",
}
SEM_STAP_1_2: dict[str, Any] = {
    "betrokkenheid": {
        "ouders": [
            {"naam": "Mirjam de Vries", "relatie": "moeder", "gezag": True},
            {"naam": "Peter de Vries", "relatie": "vader", "gezag": True},
        ],
        "netwerk": [{"naam": "Oma Ria", "relatie": "oma", "bijdrage": "Vangt Sem op na school."}],
        "ontbreekt": "De huisarts is nog niet betrokken; Anna nodigt haar uit.",
    },
    "situatie": {
        "hulpvraag_jeugdige": "Ik wil weer gewoon naar school en minder ruzie thuis.",
        "hulpvraag_ouders": "We willen dat Sem rust vindt en dat iemand het overzicht houdt.",
        "hulpvraag_professionals": "Schoolverzuim en spanningen thuis; hulp loopt langs elkaar.",
        "krachten": "Sem is creatief; ouders zijn betrokken; oma is een steun.",
        "zorgen": "Sem zit sinds drie maanden vaak thuis.",
        "veiligheidsrisico": False,
    },
}
SEM_STAP_3_4: dict[str, Any] = {
    "doelen": {
        "doelen": [
            SEM_DOEL,
            {"doel": "Minder ruzie thuis", "status": "open", "merkbaar_aan": "Rustiger avonden"},
        ]
    },
    "taakverdeling": {
        "taken": [
            {
                "wie": "Carla Visser",
                "soort": "professional",
                "organisatietype": "zorgaanbieder",
                "bijdrage": "Wekelijkse behandeling met Sem.",
                "bij_doelen": "doel 1 en 2",
            },
            {"wie": "Mirjam de Vries", "soort": "ouder", "bijdrage": "Brengt Sem naar school."},
        ],
        "dubbele_hulp": False,
    },
}
SEM_STAP_5_7: dict[str, Any] = {
    "regie": {
        "betekenis": "Anna houdt het overzicht en zorgt dat afspraken worden nagekomen.",
        "procesregie": {"wie": "Anna Jansen", "organisatietype": "gemeente"},
        "inhoudelijke_regie": [
            {"onderdeel": "Behandeling", "wie": "Carla Visser", "organisatietype": "zorgaanbieder"}
        ],
        "mandaat": "Kleine wijzigingen in de planning; geen nieuwe hulp zonder MDO.",
    },
    "afstemming": {
        **SEM_TOESTEMMING,
        "informeert_ouders": "Anna Jansen",
        "overlegfrequentie": "zeswekelijks",
        "escalatie": "Eerst bespreken in het MDO, daarna de teamleiders.",
    },
    "borging": {
        "volgende_mdo": "2027-01-12",
        "evaluatieritme": "zeswekelijks",
        "signaaltypen": ["crisis", "hulpvraag_verandert"],
        "overdracht": "Warme overdracht in een gezamenlijk gesprek met ouders.",
    },
    "afspraken": {
        "afspraken": [
            {
                "wat": "Rooster voor schoolgang opstellen",
                "wie": "Dirk Smit",
                "onderdeel": "taakverdeling",
                "termijn": "2026-12-15",
            },
            {
                "wat": "Ouders wekelijks bellen",
                "wie": "Anna Jansen",
                "onderdeel": "communicatie-ouders",
            },
        ]
    },
}
LOTTE: dict[str, Any] = {
    "situatie": {
        "hulpvraag_professionals": "Lotte loopt vast op school en thuis.",
        "veiligheidsrisico": True,
        "veiligheid_toelichting": "Zorgen over de thuissituatie.",
    },
    "borging": {"volgende_mdo": "2026-12-01", "evaluatieritme": "maandelijks"},
}
LOTTE_AFSPRAKEN: dict[str, Any] = {
    "afspraken": [{"wat": "Aangepast lesrooster", "wie": "Dirk Smit", "onderdeel": "taakverdeling"}]
}
NOAH: dict[str, Any] = {
    "situatie": {
        "hulpvraag_professionals": "Angstklachten rond school.",
        "veiligheidsrisico": False,
    },
    "doelen": {"doelen": [{"doel": "Noah gaat zelfstandig naar school", "status": "behaald"}]},
}
