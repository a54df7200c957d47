"""Random sequences of what people do on a casus; after every step the domain invariants hold."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlmodel import Session, col, select

from app.accounts.models import Account
from app.audit import chain
from app.casus.models import Casus, Rol
from app.config import Settings
from app.enums import CasusRol
from app.handreiking.models import Revisie
from app.regie.models import Overdracht, OverdrachtStatus
from tests.factories import GRONDSLAG, auth, make_account

PEOPLE = 4
who = st.integers(min_value=0, max_value=PEOPLE - 1)


class RegieMachine(RuleBasedStateMachine):
    """Four professionals act at random on one casus through the real API."""

    def __init__(self, client: TestClient, app: Any, settings: Settings) -> None:
        super().__init__()
        self.client, self.app = client, app
        tag = uuid.uuid4().hex[:6]
        self.names = [make_account(app, f"p{i}-{tag}") for i in range(PEOPLE)]
        self.headers = [auth(settings, name) for name in self.names]
        body = {"gemeente": "Enschede", "jeugdige": {"naam": "J", "geboortedatum": "2012-01-01"}}
        created = client.post("/api/v1/casussen", json=body, headers=self.headers[0])
        assert created.status_code == 201
        self.casus_id = uuid.UUID(created.json()["id"])
        self.url = f"/api/v1/casussen/{self.casus_id}"

    def call(
        self, method: str, path: str, actor: int, extra: dict[str, str] | None = None, **kw: Any
    ) -> None:
        headers = {**self.headers[actor], **(extra or {})}
        response = self.client.request(method, self.url + path, headers=headers, **kw)
        assert response.status_code < 500, response.text

    def session(self) -> Session:
        return Session(self.app.state.engine)

    def open_proposal(self) -> str:
        with self.session() as s:
            found = s.exec(
                select(Overdracht.id).where(
                    Overdracht.casus_id == self.casus_id,
                    Overdracht.status == OverdrachtStatus.VOORGESTELD,
                )
            ).first()
        return str(found or uuid.uuid4())

    def role_id(self, person: int) -> str:
        with self.session() as s:
            found = s.exec(
                select(Rol.id).where(
                    Rol.casus_id == self.casus_id,
                    Rol.account_id == self._account(s, person),
                    col(Rol.tot).is_(None),
                )
            ).first()
        return str(found or uuid.uuid4())

    def _account(self, s: Session, person: int) -> uuid.UUID:
        found: uuid.UUID = s.exec(
            select(Account.id).where(Account.gebruikersnaam == self.names[person])
        ).one()
        return found

    @rule(actor=who, other=who, rol=st.sampled_from(["betrokkene", "volger"]))
    def add(self, actor: int, other: int, rol: str) -> None:
        self.call(
            "POST",
            "/betrokkenen",
            actor,
            json={"gebruikersnaam": self.names[other], "rol": rol, "grondslag": GRONDSLAG},
        )

    @rule(actor=who, other=who)
    def remove(self, actor: int, other: int) -> None:
        self.call("DELETE", f"/betrokkenen/{self.role_id(other)}", actor)

    @rule(actor=who, other=who, leave=st.booleans())
    def propose(self, actor: int, other: int, leave: bool) -> None:
        body = {"opvolger": self.names[other], "toelichting": "Over", "verlaat_casus": leave}
        body["grondslag"] = GRONDSLAG
        self.call("POST", "/overdrachten", actor, json=body)

    @rule(actor=who, answer=st.sampled_from(["accepteren", "intrekken"]))
    def answer(self, actor: int, answer: str) -> None:
        self.call("POST", f"/overdrachten/{self.open_proposal()}/{answer}", actor)

    @rule(actor=who)
    def decline(self, actor: int) -> None:
        self.call(
            "POST", f"/overdrachten/{self.open_proposal()}/afwijzen", actor, json={"reden": "Nee"}
        )

    @rule(actor=who)
    def close_or_reopen(self, actor: int) -> None:
        self.call("POST", "/afsluiten", actor, json={"reden": "Klaar"})
        self.call("POST", "/heropenen", actor)

    @rule(actor=who)
    def save(self, actor: int) -> None:
        with self.session() as s:
            casus = s.get(Casus, self.casus_id)
            assert casus is not None
            basis = casus.revisie
        self.call(
            "PUT",
            "/handreiking",
            actor,
            json={"inhoud": {"situatie": {"krachten": "x"}}},
            extra={"If-Match": f'"{basis}"'},
        )

    @invariant()
    def exactly_one_regievoerder(self) -> None:
        with self.session() as s:
            leads = s.exec(
                select(Rol.account_id).where(
                    Rol.casus_id == self.casus_id,
                    Rol.rol == CasusRol.REGIEVOERDER,
                    col(Rol.tot).is_(None),
                )
            ).all()
            assert len(leads) == 1
            open_ones = s.exec(
                select(Overdracht).where(
                    Overdracht.casus_id == self.casus_id,
                    Overdracht.status == OverdrachtStatus.VOORGESTELD,
                )
            ).all()
            assert len(open_ones) <= 1
            assert all(o.voorgesteld_door_id == leads[0] for o in open_ones)

    @invariant()
    def revisions_are_numbered_without_gaps(self) -> None:
        with self.session() as s:
            numbers = s.exec(
                select(Revisie.nummer)
                .where(Revisie.casus_id == self.casus_id)
                .order_by(col(Revisie.nummer))
            ).all()
            casus = s.get(Casus, self.casus_id)
            assert casus is not None
            assert list(numbers) == list(range(1, casus.revisie + 1))

    @invariant()
    def only_members_see_the_casus(self) -> None:
        with self.session() as s:
            members = set(
                s.exec(
                    select(Rol.account_id).where(
                        Rol.casus_id == self.casus_id, col(Rol.tot).is_(None)
                    )
                ).all()
            )
            ids = [self._account(s, i) for i in range(PEOPLE)]
        for person, account_id in enumerate(ids):
            status = self.client.get(self.url, headers=self.headers[person]).status_code
            assert status == (200 if account_id in members else 404)

    def teardown(self) -> None:
        with self.session() as s:
            assert chain.verify(s) is None


def test_invariants_hold_under_random_sequences(
    client: TestClient, app: Any, settings: Settings
) -> None:
    class Bound(RegieMachine):
        def __init__(self) -> None:
            super().__init__(client, app, settings)

    run_state_machine_as_test(
        Bound,
        settings=hsettings(
            max_examples=8,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
            database=None,
        ),
    )
