"""The plan works the groups one rung up from the current groups: it must decide exactly what
grouping every exact combination again, rung by rung, decides (the plan as it was first written)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from app.research.anonimiteit import Combinatie, Ladder, ladders, load_regio, maak_plan

LADDERS = ladders(load_regio())
combinaties = st.tuples(
    st.sampled_from([f"202{j}-{m:02d}" for j in range(4, 7) for m in range(1, 13)]),
    st.sampled_from(["OB3b", "OB3c", "OB4a", "OB3b;OB4a", "OB4c;OB4e", "", "anders"]),
    st.sampled_from(["gemeente", "gemeente;zorgaanbieder", "onderwijs;zorgaanbieder", ""]),
    st.sampled_from(["Enschede", "Hengelo", "Losser", "Almelo", "Wierden", "Amsterdam"]),
    st.sampled_from(["actief", "afgesloten", "gearchiveerd"]),
    st.sampled_from(["twente-2020.1", "twente-2024.1"]),
    st.integers(min_value=0, max_value=14).map(str),
)


def _grillig(waarde: str, niveau: int) -> str:
    """Not a hierarchy: rung 1 joins values that rung 2 splits again."""
    if niveau == 0:
        return waarde
    return "even" if niveau == 1 else waarde[:6]


GRILLIG = (Ladder("startmaand", ("maand", "grillig", "jaar"), _grillig, 0), *LADDERS[1:])


def reference(
    ladders: Sequence[Ladder],
    basis: Counter[Combinatie],
    k: int,
    max_aandeel: float,
    vloer: list[int],
) -> tuple[tuple[int, ...], Counter[Combinatie]]:
    """The first version: every trial groups the exact combinations afresh."""

    def klassen(niveaus: list[int]) -> Counter[Combinatie]:
        uit: Counter[Combinatie] = Counter()
        for combinatie, aantal in basis.items():
            paren = zip(ladders, combinatie, niveaus, strict=True)
            uit[tuple(lad.grof(w, n) for lad, w, n in paren)] += aantal
        return uit

    def te_klein(groepen: Counter[Combinatie]) -> int:
        return sum(n for n in groepen.values() if n < k)

    budget = math.floor(sum(basis.values()) * max_aandeel)
    niveaus = list(vloer)
    groepen = klassen(niveaus)
    while te_klein(groepen) > budget:
        opties = [i for i, lad in enumerate(ladders) if niveaus[i] < len(lad.niveaus) - 1]
        if not opties:
            break
        beste: tuple[tuple[int, int, int], list[int], Counter[Combinatie]] | None = None
        for i in opties:
            proef_niveaus = [n + 1 if j == i else n for j, n in enumerate(niveaus)]
            proef = klassen(proef_niveaus)
            verschillend = len({c[i] for c in groepen})
            score = (te_klein(proef), -verschillend, ladders[i].voorkeur)
            if beste is None or score < beste[0]:
                beste = (score, proef_niveaus, proef)
        assert beste is not None
        _, niveaus, groepen = beste
    if te_klein(groepen) <= budget:
        veranderd = True
        while veranderd:
            veranderd = False
            for i in sorted(range(len(ladders)), key=lambda j: -ladders[j].voorkeur):
                if niveaus[i] <= vloer[i]:
                    continue
                lager = [n - 1 if j == i else n for j, n in enumerate(niveaus)]
                proef = klassen(lager)
                if te_klein(proef) <= budget:
                    niveaus, groepen, veranderd = lager, proef, True
    return tuple(niveaus), groepen


@settings(max_examples=200, deadline=None)
@given(
    rijen=st.lists(combinaties, max_size=150),
    k=st.integers(min_value=2, max_value=9),
    aandeel=st.sampled_from([0.0, 0.05, 0.2]),
    vloer=st.lists(st.integers(min_value=0, max_value=1), min_size=7, max_size=7),
    grillig=st.booleans(),
)
def test_the_plan_is_the_one_regrouping_every_combination_gives(
    rijen: list[Combinatie], k: int, aandeel: float, vloer: list[int], grillig: bool
) -> None:
    gebruikt = GRILLIG if grillig else LADDERS
    basis = Counter(rijen)
    plan = maak_plan(gebruikt, basis, k=k, max_aandeel=aandeel, minimum=vloer)
    niveaus, groepen = reference(gebruikt, basis, k, aandeel, vloer)
    assert plan.niveaus == niveaus
    assert plan.klassen == groepen
    assert all(plan.generaliseer(c) in groepen for c in basis)
