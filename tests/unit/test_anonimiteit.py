"""Small-cell protection, pseudonyms and questionnaire limits, without a database."""

from __future__ import annotations

import uuid
from collections import Counter
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from app.research.anonimiteit import WEGGELATEN, ladders, load_regio, maak_plan
from app.research.pseudonym import Pseudonimiseerder
from app.research.vragenlijst import (
    VRAGENLIJSTEN_DIR,
    VragenlijstFout,
    load_vragenlijst,
    load_vragenlijsten,
)

LADDERS = ladders(load_regio())
GEMEENTEN = ["Enschede", "Hengelo", "Losser", "Almelo", "Wierden", "Haaksbergen"]
combinaties = st.tuples(
    st.sampled_from([f"202{j}-{m:02d}" for j in range(4, 7) for m in range(1, 13)]),
    st.sampled_from(["OB3b", "OB3c", "OB4a", "OB3b;OB4a", "OB4c;OB4e", "anders"]),
    st.sampled_from(["gemeente", "gemeente;zorgaanbieder", "onderwijs;zorgaanbieder"]),
    st.sampled_from(GEMEENTEN),
    st.sampled_from(["actief", "afgesloten"]),
    st.just("twente-2020.1"),
    st.integers(min_value=1, max_value=14).map(str),
)
Rij = tuple[str, str, str, str, str, str, str]


def rij(maand: str, indicaties: str, gemeente: str = "Enschede", aantal: str = "3") -> Rij:
    return (maand, indicaties, "gemeente", gemeente, "actief", "twente-2020.1", aantal)


@settings(max_examples=150, deadline=None)
@given(
    rijen=st.lists(combinaties, max_size=120),
    k=st.integers(min_value=2, max_value=8),
    aandeel=st.sampled_from([0.0, 0.05, 0.2]),
)
def test_every_released_combination_is_shared_by_at_least_k(
    rijen: list[Rij], k: int, aandeel: float
) -> None:
    plan = maak_plan(LADDERS, Counter(rijen), k=k, max_aandeel=aandeel)
    released = [grof for rij in rijen if (grof := plan.toegestaan(rij)) is not None]
    assert all(n >= k for n in Counter(released).values())
    assert len(released) == plan.rijen and plan.onderdrukt == len(rijen) - len(released)
    # Suppression only beyond the budget when every ladder is at its top already.
    if plan.onderdrukt > int(len(rijen) * aandeel):
        assert all(n == len(lad.niveaus) - 1 for lad, n in zip(LADDERS, plan.niveaus, strict=True))


def test_generalising_comes_before_suppressing() -> None:
    # Five casussen in one quarter, each in its own month: months are too fine, quarters do.
    rijen = [rij(f"2025-0{m}", "OB3b") for m in (1, 2, 3, 1, 2)]
    plan = maak_plan(LADDERS, Counter(rijen), k=5, max_aandeel=0.0)
    assert plan.toelichting()["gegeneraliseerd"] == {
        "startmaand": "kwartaal",
        "indicaties": "exact",
        "organisatietypen": "exact",
        "gemeente": "gemeente",
        "status": "exact",
        "formulierversie": "exact",
        "aantal_betrokkenen": "exact",
    }
    assert plan.toelichting()["duur_weken_afgerond_op"] == 13
    assert plan.onderdrukt == 0 and {plan.toegestaan(r) for r in rijen} == {rij("2025-K1", "OB3b")}


def test_rungs_that_are_not_needed_are_undone() -> None:
    rijen = [rij("2025-01", f"OB3{c}") for c in "bbbcc"]
    plan = maak_plan(LADDERS, Counter(rijen), k=5, max_aandeel=0.0)
    assert plan.niveaus == (0, 1, 0, 0, 0, 0, 0)  # only OB3b/OB3c → OB3


def test_a_projects_earlier_rungs_are_a_floor_the_plan_never_goes_below() -> None:
    rijen = [rij("2025-01", "OB3b") for _ in range(6)]
    assert maak_plan(LADDERS, Counter(rijen), k=5, max_aandeel=0.0).niveaus == (0,) * 7
    vloer = (2, 0, 1, 1, 0, 0, 1)
    plan = maak_plan(LADDERS, Counter(rijen), k=5, max_aandeel=0.0, minimum=vloer)
    assert plan.niveaus == vloer
    assert plan.toegestaan(rijen[0]) == (
        "2025", "OB3b", "1 soort", "Twente-stedelijk", "actief", "twente-2020.1", "1-3"
    )  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    rijen=st.lists(combinaties, min_size=1, max_size=80),
    vloer=st.tuples(*(st.integers(0, len(lad.niveaus) - 1) for lad in LADDERS)),
)
def test_the_floor_holds_for_any_population(rijen: list[Rij], vloer: tuple[int, ...]) -> None:
    plan = maak_plan(LADDERS, Counter(rijen), k=3, max_aandeel=0.05, minimum=vloer)
    assert all(n >= v for n, v in zip(plan.niveaus, vloer, strict=True))


def test_what_cannot_reach_k_is_suppressed() -> None:
    alleen = rij("2025-01", "OB3b", "Losser")
    plan = maak_plan(LADDERS, Counter({alleen: 2}), k=5, max_aandeel=0.0)
    assert plan.rijen == 0 and plan.onderdrukt == 2
    assert plan.toegestaan(alleen) is None


def test_k_below_two_is_refused() -> None:
    with pytest.raises(ValueError, match="minstens 2"):
        maak_plan(LADDERS, Counter(), k=1, max_aandeel=0.0)


def test_ladders_climb_as_documented() -> None:
    maand, indicaties, typen, gemeente, status, versie, aantal = LADDERS
    assert [maand.op("2025-11", n) for n in range(4)] == ["2025-11", "2025-K4", "2025", WEGGELATEN]
    assert [indicaties.op("OB3b;OB4a", n) for n in range(3)] == ["OB3b;OB4a", "OB3;OB4", WEGGELATEN]
    assert [typen.op("gemeente;onderwijs", n) for n in range(3)] == [
        "gemeente;onderwijs",
        "2 soorten",
        WEGGELATEN,
    ]
    assert [gemeente.op("Losser", n) for n in range(3)] == ["Losser", "Noordoost-Twente", "Twente"]
    assert [status.op("actief", n) for n in range(2)] == ["actief", WEGGELATEN]
    assert [versie.op("twente-2020.1", n) for n in range(2)] == ["twente-2020.1", WEGGELATEN]
    klassen = [aantal.op(str(n), 1) for n in (1, 3, 4, 6, 7, 9, 10, 25)]
    assert klassen == ["1-3", "1-3", "4-6", "4-6", "7-9", "7-9", "10+", "10+"]
    assert aantal.op("25", 2) == WEGGELATEN


def test_every_twentse_gemeente_has_a_regio() -> None:
    form = yaml.safe_load(
        (Path("app/form/definitions/twente-2020.1.yaml")).read_text(encoding="utf-8")
    )
    assert set(load_regio()) == set(form["vocabulaires"]["gemeente"])


def test_pseudonyms_are_keyed_per_project_and_stable() -> None:
    ids = [uuid.uuid4() for _ in range(50)]
    secret = b"s" * 32
    a, a_weer, b = (
        Pseudonimiseerder(secret, "a"),
        Pseudonimiseerder(secret, "a"),
        Pseudonimiseerder(secret, "b"),
    )
    other_key = Pseudonimiseerder(b"t" * 32, "a")
    assert [a(i) for i in ids] == [a_weer(i) for i in ids]
    assert not {a(i) for i in ids} & {b(i) for i in ids}
    assert not {a(i) for i in ids} & {other_key(i) for i in ids}
    assert all(str(i).replace("-", "")[:8] not in a(i) for i in ids)


def test_questionnaires_keep_to_the_pilot_limits() -> None:
    vragenlijsten = load_vragenlijsten()
    for vragenlijst in vragenlijsten.alle():
        maximum, open_max = {"professional": (15, 3), "ouder": (10, 3)}[vragenlijst.doelgroep]
        assert len(vragenlijst.vragen) <= maximum and len(vragenlijst.open_vragen) <= open_max
        assert {v.thema for v in vragenlijst.schaalvragen} == {
            "rust",
            "continuiteit",
            "duidelijkheid",
        }


def test_a_questionnaire_over_the_limit_does_not_load(tmp_path: Path) -> None:
    raw = yaml.safe_load((VRAGENLIJSTEN_DIR / "ouders-2020.1.yaml").read_text(encoding="utf-8"))
    raw["vragen"] += [
        {"sleutel": f"extra_{i}", "type": "schaal", "thema": "rust", "tekst": "Extra?"}
        for i in range(3)
    ]
    path = tmp_path / "ouders-2020.1.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(VragenlijstFout, match="hoogstens 10 vragen"):
        load_vragenlijst(path)
    raw["vragen"] = raw["vragen"][:6] + [
        {"sleutel": f"open_{i}", "type": "open", "max_lengte": 100, "tekst": "Waarom?"}
        for i in range(4)
    ]
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(VragenlijstFout, match="hoogstens 3 open"):
        load_vragenlijst(path)
