"""Closed vocabularies shared by models, policy and schemas ("Eén taal")."""

from enum import StrEnum


class OrganisatieType(StrEnum):
    GEMEENTE = "gemeente"
    GECERTIFICEERDE_INSTELLING = "gecertificeerde_instelling"
    ZORGAANBIEDER = "zorgaanbieder"
    ONDERWIJS = "onderwijs"
    HUISARTS = "huisarts"
    OVERIG = "overig"


class Systeemrol(StrEnum):
    """Roles not tied to a casus; `professional` may start casussen and be added to them."""

    PROFESSIONAL = "professional"
    BEHEERDER = "beheerder"
    ONDERZOEKER = "onderzoeker"


class CasusRol(StrEnum):
    """A person's role on one casus; this, not their local title, decides access."""

    REGIEVOERDER = "regievoerder"
    BETROKKENE = "betrokkene"
    VOLGER = "volger"
    # Invited people without an organisation: they hold an account of their own (no system
    # role, no organisation) with one role, on the one casus they were invited to.
    OUDER = "ouder"
    JEUGDIGE = "jeugdige"


class Grondslag(StrEnum):
    """A legal ground to share a casus with a professional without the family's consent."""

    # A child protection order (OTS, voogdij): the gecertificeerde instelling's legal task.
    JEUGDBESCHERMINGSMAATREGEL = "jeugdbeschermingsmaatregel"
    # Safety: the Meldcode huiselijk geweld en kindermishandeling (e.g. Veilig Thuis).
    MELDCODE = "meldcode"
    # Another task the law gives an organisation (e.g. an inquiry by the Raad voor de
    # Kinderbescherming).
    WETTELIJKE_TAAK = "wettelijke_taak"


class CasusStatus(StrEnum):
    AANGEMAAKT = "aangemaakt"
    ACTIEF = "actief"
    AFGESLOTEN = "afgesloten"


class Formaat(StrEnum):
    """The anonymised export's file formats (here, not in the export, so the command line can
    offer the choice without loading the research code)."""

    CSV = "csv"
    JSONL = "jsonl"
