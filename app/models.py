"""Every table, imported once so metadata is complete for Alembic and the app."""

from app.accounts.models import Account, Organisatie
from app.audit.models import AuditGebeurtenis, AuditKeten
from app.casus.models import Casus, Rol
from app.handreiking.models import Revisie

__all__ = [
    "Account",
    "AuditGebeurtenis",
    "AuditKeten",
    "Casus",
    "Organisatie",
    "Revisie",
    "Rol",
]
