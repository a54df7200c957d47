"""Domain errors: what a service raises on purpose, each with the HTTP meaning it carries.

Free of the web framework, so the command line (export, audit, keys) loads them without it;
`app.problems` turns them into answers.
"""

from __future__ import annotations

from typing import Any


class RegieFout(Exception):
    """Base of every error a service raises on purpose; carries its HTTP meaning."""

    status = 500
    code = "interne_fout"
    title = "Er ging iets mis"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra
        self.headers: dict[str, str] = {}


class NietGeauthenticeerd(RegieFout):
    status, code, title = 401, "niet_geauthenticeerd", "Niet aangemeld"


class Geweigerd(RegieFout):
    status, code, title = 403, "geweigerd", "Geen toestemming"


class NietGevonden(RegieFout):
    status, code, title = 404, "niet_gevonden", "Niet gevonden"


class CasusNietGevonden(NietGevonden):
    """Raised both for a missing casus and for one the caller has no active role on."""

    code, title = "casus_niet_gevonden", "Casus niet gevonden"

    def __init__(self) -> None:
        super().__init__("Er is geen casus met dit kenmerk waartoe u toegang heeft.")


class Conflict(RegieFout):
    status, code, title = 409, "conflict", "Conflict"


class CasusAfgesloten(Conflict):
    code, title = "casus_afgesloten", "Casus is afgesloten"

    def __init__(self) -> None:
        super().__init__("Deze casus is afgesloten en kan niet meer gewijzigd worden.")


class Versieconflict(RegieFout):
    status, code, title = 412, "versieconflict", "De handreiking is intussen gewijzigd"


class VersieVereist(RegieFout):
    status, code, title = 428, "versie_vereist", "Versie ontbreekt"


class NietIngericht(RegieFout):
    """A feature needs configuration this installation does not have (e.g. a research key)."""

    status, code, title = 503, "niet_ingericht", "Niet ingericht"


class Verlopen(RegieFout):
    """A personal link that expired, was used or was withdrawn: gone, and it will not return."""

    status, code, title = 410, "verlopen", "Deze link werkt niet meer"


class DatabaseOnbereikbaar(RegieFout):
    """The database did not answer (stopped, restarting, unreachable): nothing was saved, and
    the same request may simply be sent again in a moment."""

    status, code, title = 503, "database_onbereikbaar", "Even niet beschikbaar"

    def __init__(self) -> None:
        super().__init__(
            "De database is even niet bereikbaar. Er is niets opgeslagen; probeer het over een "
            "paar seconden opnieuw."
        )


class SleutelGebruikt(RegieFout):
    """An idempotency key sent again with other content (or by someone else): not a retry."""

    status, code, title = 422, "sleutel_gebruikt", "Deze sleutel is al gebruikt"

    def __init__(self) -> None:
        super().__init__(
            "Met deze Idempotency-Key is al een andere wijziging opgeslagen. Gebruik voor elke "
            "nieuwe wijziging een nieuwe sleutel; stuur dezelfde sleutel alleen mee met een "
            "herhaling van precies hetzelfde verzoek."
        )


class Validatiefout(RegieFout):
    """Invalid input; `errors` names each field by its path in the handreiking."""

    status, code, title = 422, "validatiefout", "De invoer is niet geldig"

    def __init__(self, errors: list[dict[str, str]], detail: str | None = None) -> None:
        super().__init__(detail or f"{len(errors)} veld(en) niet geldig.", errors=errors)
