"""Application factory: settings, policy, forms, keys and routes wired once at start-up."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from app import health, logs, metrics
from app.access.policy import load_policy
from app.accounts import beheer_routes
from app.accounts import routes as accounts_routes
from app.audit import routes as audit_routes
from app.auth.keys import load_keyset
from app.casus import routes as casus_routes
from app.config import Settings, get_settings
from app.crypto.service import keyring_for
from app.db import make_engine
from app.deelname import routes as deelname_routes
from app.form import routes as form_routes
from app.form.definition import load_formulieren
from app.handreiking import routes as handreiking_routes
from app.middleware import API_PREFIX, BodyLimit, Meting, RequestContext, Toelating
from app.problems import install_handlers, unexpected
from app.regie import inbox_routes
from app.regie import routes as regie_routes
from app.research import routes as research_routes
from app.research import vragenlijst_routes
from app.research.service import Onderzoek
from app.research.vragenlijst import load_vragenlijsten
from app.web import beheer_pages as web_beheer
from app.web import burger_pages as web_burger
from app.web import casus_pages as web_casus_pages
from app.web import deelname_pages as web_deelname
from app.web import handreiking as web_handreiking
from app.web import oidc as web_oidc
from app.web import onderzoek_pages as web_onderzoek
from app.web import pages as web_pages
from app.web import plan_pages as web_plan
from app.web import regie_pages as web_regie
from app.web import terugkeer_pages as web_terugkeer
from app.web import vragenlijst_pages as web_vragenlijst
from app.web.errors import render_error
from app.web.session import session_secret

STATIC_DIR = Path(__file__).resolve().parent / "static"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; a broken policy, form definition or unsafe key stops start-up here."""
    settings = settings or get_settings()
    logs.install(settings.log_formaat)
    app = FastAPI(
        title="Regie",
        version="1",
        description="De levende handreiking 'Regie in 7 samenwerkingsstappen'.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.policy = load_policy(settings.policy_file)
    app.state.formulieren = load_formulieren(settings.extra_form_dir, settings.form_version)
    app.state.keyset = load_keyset(settings)
    app.state.keyring = keyring_for(settings)
    app.state.session_secret = session_secret(settings)
    app.state.html_error = render_error
    app.state.oidc = web_oidc.for_professionals(settings)
    app.state.burger_oidc = web_oidc.for_citizens(settings)
    app.state.engine = make_engine(settings.database_url, pool=settings.max_gelijktijdig)
    app.state.vragenlijsten = load_vragenlijsten()
    app.state.onderzoek = Onderzoek.laad(settings)
    app.state.metingen = metrics.Metingen()

    api = APIRouter(prefix=API_PREFIX)
    for module in (
        accounts_routes,
        beheer_routes,
        casus_routes,
        deelname_routes,
        handreiking_routes,
        audit_routes,
        regie_routes,
        inbox_routes,
        form_routes,
        research_routes,
        vragenlijst_routes,
    ):
        api.include_router(module.router)
    app.include_router(api)
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(web_pages.router)
    app.include_router(web_oidc.router)
    app.include_router(web_handreiking.router)
    app.include_router(web_regie.router)
    app.include_router(web_casus_pages.router)
    app.include_router(web_onderzoek.router)
    app.include_router(web_beheer.router)
    app.include_router(web_vragenlijst.router)
    app.include_router(web_deelname.router)
    app.include_router(web_terugkeer.router)
    app.include_router(web_burger.router)
    app.include_router(web_plan.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_handlers(app)
    app.add_middleware(Toelating, max_gelijktijdig=settings.max_gelijktijdig)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(Meting)
    app.add_middleware(RequestContext, on_error=unexpected)
    return app
