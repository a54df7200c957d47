"""Every table, imported once so metadata is complete for Alembic and the app."""

from app.accounts.models import Account, Organisatie
from app.audit.models import AuditGebeurtenis, AuditKeten
from app.auth.sessies import Sessie
from app.casus.models import Casus, Rol
from app.deelname.models import Terugkeerlink, Uitnodiging
from app.handreiking.models import Mdo, Revisie
from app.rate_limit import Aanvraagteller
from app.regie.models import Overdracht
from app.research.models import Onderzoeksplan, VragenlijstAntwoord, VragenlijstUitnodiging

__all__ = [
    "Aanvraagteller",
    "Account",
    "AuditGebeurtenis",
    "AuditKeten",
    "Casus",
    "Mdo",
    "Onderzoeksplan",
    "Organisatie",
    "Overdracht",
    "Revisie",
    "Rol",
    "Sessie",
    "Terugkeerlink",
    "Uitnodiging",
    "VragenlijstAntwoord",
    "VragenlijstUitnodiging",
]
