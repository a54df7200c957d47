"""Schemathesis against the OpenAPI document: no 5xx, and every answer as the document says.

Each API operation is one test, on SQLite and on PostgreSQL. Requests carry a real token of the
regievoerder of a seeded casus, and each path parameter is either generated or the id of a
seeded object, so the paths behind a real casus are exercised as well as the refusals.

Bounded and repeatable: the coverage phase (the boundaries and refusals the document implies,
a fixed set of some 25 requests per operation) and 10 fuzzed examples per operation,
derandomized, without an example database (nothing is written into the tree), deadline or
slowness health checks. The app and its seed are shared by the operations of one backend
(seeding per operation would double the run time): the operations run in the document's order,
so what one changes (a closed casus, a withdrawn handover) is the same for the next on every run.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.config import Settings
from app.main import create_app
from tests.canary import CanaryDocument
from tests.conftest import _truncate_all
from tests.factories import GRONDSLAG, add_role, auth, make_account, new_casus, save

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _served_document() -> dict[str, Any]:
    """The OpenAPI document exactly as the app serves it (it does not depend on the data)."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(env="dev", data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/r.db")
        app = create_app(settings)
        try:
            with TestClient(app) as client:
                response = client.get("/api/v1/openapi.json")
                assert response.status_code == 200, response.text
                return dict(response.json())
        finally:
            app.state.engine.dispose()


schema = schemathesis.openapi.from_dict(_served_document())
schema.config.phases.update(phases=["coverage", "fuzzing"])

# The seeded objects of the backend under test, by path parameter name; filled by `api`.
_bekend: dict[str, list[Any]] = {}


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Each path parameter is the generated value or the id of one of the seeded objects."""
    keuzes = {
        naam: st.sampled_from([waarde, *_bekend[naam]])
        for naam, waarde in (path_parameters or {}).items()
        if naam in _bekend
    }
    if not keuzes:
        return st.just(path_parameters)
    return st.fixed_dictionaries(keuzes).map(lambda echt: {**(path_parameters or {}), **echt})


@dataclass(frozen=True)
class Api:
    app: FastAPI
    headers: dict[str, str]


def _seed(app: FastAPI, settings: Settings) -> dict[str, str]:
    """Anna leads a casus with Bram on it: a finished MDO that asked both for the questionnaire,
    an open MDO, a proposed handover to Bram and an ouder's link. Returns Anna's headers."""
    make_account(app, "anna")
    make_account(app, "bram")
    anna = auth(settings, "anna")
    with TestClient(app) as client:
        casus = new_casus(client, anna)
        url = f"/api/v1/casussen/{casus['id']}"
        rol = add_role(client, anna, casus["id"], "bram", "betrokkene")

        def post(pad: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
            response = client.post(f"{url}{pad}", json=body, headers=anna)
            assert response.status_code == status, response.text
            return dict(response.json())

        compleet = CanaryDocument(app.state.formulieren[casus["formulierversie"]], "MDO").inhoud
        assert save(client, anna, casus["id"], compleet, 1).status_code == 200
        afgerond = post("/mdos", {"datum": "2026-11-01"})
        post(f"/mdos/{afgerond['id']}/afronden", {"revisie": 2, "vragenlijst": True}, 200)
        mdo = post("/mdos", {"datum": "2026-12-01"})
        overdracht = post(
            "/overdrachten",
            {"opvolger": "bram", "toelichting": "Neem over", "grondslag": GRONDSLAG},
        )
        link = post("/vragenlijsten", {"moment": "mdo"})
        [eigen] = client.get("/api/v1/vragenlijsten", headers=anna).json()
    _bekend.update(
        casus_id=[casus["id"]],
        rol_id=[rol["id"]],
        mdo_id=[mdo["id"], afgerond["id"]],
        overdracht_id=[overdracht["id"]],
        uitnodiging_id=[eigen["id"], link["id"]],
        nummer=[1, 2],
        gebruikersnaam=["bram"],
    )
    return anna


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, keys_dir: Path
) -> Iterator[Api]:
    """One migrated database, app and seed per backend, for all operations of this module."""
    if request.param == "sqlite":
        target = tmp_path_factory.mktemp("schemathesis") / "regie.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        url = f"sqlite:///{target}"
    else:
        url = request.getfixturevalue("pg_database")
        _truncate_all(url)
    settings = Settings(env="dev", data_dir=keys_dir, database_url=url)
    app = create_app(settings)
    try:
        yield Api(app, _seed(app, settings))
    finally:
        _bekend.clear()
        app.state.engine.dispose()


@schema.parametrize()
@hypothesis.settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_volgt_het_openapi_document(case: schemathesis.Case[Any], api: Api) -> None:
    case.call_and_validate(app=api.app, headers=api.headers, checks=CHECKS)
