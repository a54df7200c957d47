"""The small-cell rule on its own: primary, secondary, suppression that spreads, and the
two-way table that shows its inner cells all or not at all."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Hashable, Sequence
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from app.research.cijfers import (
    TOTAAL,
    KruisBescherming,
    Onderdrukking,
    _mediaan,
    bescherm,
    bescherm_kruistabel,
    periode_label,
)

P, S = Onderdrukking.KLEIN, Onderdrukking.AFGESCHERMD


def test_small_cells_are_hidden_and_zero_is_not() -> None:
    waarden: dict[Hashable, int] = {"a": 0, "b": 3, "c": 4, "d": 12}
    assert bescherm(waarden, [], k=5) == {"b": P, "c": P}


def test_a_single_hidden_part_takes_the_smallest_other_part_with_it() -> None:
    waarden: dict[Hashable, int] = {"totaal": 30, "a": 2, "b": 0, "c": 9, "d": 19}
    verborgen = bescherm(waarden, [("totaal", ["a", "b", "c", "d"])], k=5)
    assert verborgen == {"a": P, "c": S}


def test_two_hidden_parts_need_nothing_more() -> None:
    waarden: dict[Hashable, int] = {"totaal": 30, "a": 2, "b": 3, "c": 25}
    assert bescherm(waarden, [("totaal", ["a", "b", "c"])], k=5) == {"a": P, "b": P}


def test_hiding_spreads_through_a_table_until_no_sum_has_one_unknown() -> None:
    # rows r1, r2; columns x, y; r1: x=2, y=10; r2: x=8, y=9
    waarden: dict[Hashable, int] = {
        "T": 29,
        "r1": 12,
        "r2": 17,
        "x": 10,
        "y": 19,
        ("r1", "x"): 2,
        ("r1", "y"): 10,
        ("r2", "x"): 8,
        ("r2", "y"): 9,
    }
    sommen: list[tuple[Hashable, list[Hashable]]] = [
        ("r1", [("r1", "x"), ("r1", "y")]),
        ("r2", [("r2", "x"), ("r2", "y")]),
        ("x", [("r1", "x"), ("r2", "x")]),
        ("y", [("r1", "y"), ("r2", "y")]),
        ("T", ["r1", "r2"]),
        ("T", ["x", "y"]),
    ]
    verborgen = bescherm(waarden, sommen, k=5, vast=frozenset({"T"}))
    assert verborgen[("r1", "x")] is P
    for totaal, delen in sommen:
        onbekend = [s for s in (totaal, *delen) if s in verborgen]
        assert len(onbekend) != 1, (totaal, verborgen)
    assert "T" not in verborgen
    # That alone does not protect a two-way table: see the tests of bescherm_kruistabel below.


# The two-way table ---------------------------------------------------------------------------
#
# A reader who sees some numbers of a table knows linear equations over its inner cells: a
# published cell, a row or column total, the grand total. A hidden number is given away when
# its own equation (its cell, or the sum of its row or column) is a combination of the
# published ones: then adding and subtracting published numbers yields it. `_oplosbaar` checks
# exactly that, by rank, over the rationals.


def _rang(rijen: Sequence[Sequence[int]]) -> int:
    matrix = [[Fraction(x) for x in rij] for rij in rijen]
    rang = 0
    for kolom in range(len(matrix[0]) if matrix else 0):
        spil = next((i for i in range(rang, len(matrix)) if matrix[i][kolom]), None)
        if spil is None:
            continue
        matrix[rang], matrix[spil] = matrix[spil], matrix[rang]
        for i, rij in enumerate(matrix):
            if i != rang and rij[kolom]:
                factor = rij[kolom] / matrix[rang][kolom]
                matrix[i] = [a - factor * b for a, b in zip(rij, matrix[rang], strict=True)]
        rang += 1
    return rang


def _vergelijking(sleutel: Hashable, perioden: list[str], gemeenten: list[str]) -> list[int]:
    """Which inner cells a number of the table adds up (1) or not (0)."""

    def telt_mee(p: str, g: str) -> bool:
        return sleutel in (TOTAAL, ("cel", p, g), ("periode", p), ("gemeente", g))

    return [int(telt_mee(p, g)) for p, g in itertools.product(perioden, gemeenten)]


def _gepubliceerd(tabel: KruisBescherming) -> list[Hashable]:
    return [
        sleutel
        for sleutel in tabel.waarden
        if sleutel not in tabel.verborgen
        and (tabel.cellen_getoond or not (isinstance(sleutel, tuple) and sleutel[0] == "cel"))
    ]


def _oplosbaar(
    tabel: KruisBescherming, perioden: list[str], gemeenten: list[str], k: int
) -> list[Hashable]:
    """Hidden margins, and small inner cells, that published numbers give away by combining."""
    bekend = [_vergelijking(s, perioden, gemeenten) for s in _gepubliceerd(tabel)]
    rang = _rang(bekend)
    gevoelig = [*tabel.verborgen]
    gevoelig += [
        s for s, n in tabel.waarden.items() if isinstance(s, tuple) and s[0] == "cel" and 0 < n < k
    ]
    return [s for s in gevoelig if _rang([*bekend, _vergelijking(s, perioden, gemeenten)]) == rang]


def _tabel(rijen: list[list[int]]) -> tuple[dict[tuple[str, ...], int], list[str], list[str]]:
    perioden = [f"2026-{i + 1:02d}" for i in range(len(rijen))]
    gemeenten = [f"G{j + 1}" for j in range(len(rijen[0]))]
    klassen: dict[tuple[str, ...], int] = {
        (perioden[i], gemeenten[j]): n for i, rij in enumerate(rijen) for j, n in enumerate(rij)
    }
    return klassen, perioden, gemeenten


# k = 3; the 2, 2 and 1 are small. Hiding by rows and columns alone leaves each row and column
# with zero or at least two unknowns, yet the 2 bottom left can be worked out from the rest.
ONTMASKERD = [[8, 3, 3, 6], [6, 8, 10, 1], [2, 10, 0, 5], [2, 3, 6, 8]]


def test_row_and_column_suppression_alone_can_be_undone_by_combining_sums() -> None:
    """Why the table does not rely on `bescherm` over its rows and columns (the old way)."""
    klassen, perioden, gemeenten = _tabel(ONTMASKERD)
    waarden: dict[Hashable, int] = {TOTAAL: sum(map(sum, ONTMASKERD))}
    waarden |= {("cel", p, g): n for (p, g), n in klassen.items()}
    waarden |= {("periode", p): sum(klassen[(p, g)] for g in gemeenten) for p in perioden}
    waarden |= {("gemeente", g): sum(klassen[(p, g)] for p in perioden) for g in gemeenten}
    sommen: list[tuple[Hashable, list[Hashable]]] = [
        (("periode", p), [("cel", p, g) for g in gemeenten]) for p in perioden
    ]
    sommen += [(("gemeente", g), [("cel", p, g) for p in perioden]) for g in gemeenten]
    sommen += [
        (TOTAAL, [("periode", p) for p in perioden]),
        (TOTAAL, [("gemeente", g) for g in gemeenten]),
    ]
    oud = KruisBescherming(waarden, bescherm(waarden, sommen, k=3), cellen_getoond=True)
    assert ("cel", "2026-04", "G1") in _oplosbaar(oud, perioden, gemeenten, 3)

    nieuw = bescherm_kruistabel(klassen, perioden, gemeenten, k=3)
    assert not nieuw.cellen_getoond
    assert nieuw.verborgen == {}  # every total is at least 3: both margins in full
    assert _oplosbaar(nieuw, perioden, gemeenten, 3) == []


def test_inner_cells_are_shown_only_when_none_is_small() -> None:
    klassen, perioden, gemeenten = _tabel([[5, 0, 7], [6, 9, 0]])
    heel = bescherm_kruistabel(klassen, perioden, gemeenten, k=5)
    assert heel.cellen_getoond and heel.verborgen == {}
    assert heel.waarden[("periode", "2026-01")] == 12 and heel.waarden[TOTAAL] == 27

    klassen, perioden, gemeenten = _tabel([[5, 1, 7], [6, 9, 0]])
    marges = bescherm_kruistabel(klassen, perioden, gemeenten, k=5)
    assert not marges.cellen_getoond
    # Per period 13 and 15: nothing small. Per gemeente 11, 10, 7: nothing small either, so
    # the margins are published in full, and still no inner cell can be worked out.
    assert marges.verborgen == {}
    assert _oplosbaar(marges, perioden, gemeenten, 5) == []


def test_a_margin_is_protected_as_a_distribution_with_its_total() -> None:
    # One period: the gemeente margin is the row itself. 2 is small; 6 would give it away.
    klassen, perioden, gemeenten = _tabel([[6, 9, 2]])
    tabel = bescherm_kruistabel(klassen, perioden, gemeenten, k=5)
    assert not tabel.cellen_getoond
    assert tabel.verborgen == {("gemeente", "G3"): P, ("gemeente", "G1"): S}
    assert _oplosbaar(tabel, perioden, gemeenten, 5) == []


@settings(max_examples=300, deadline=None)
@given(
    rijen=st.integers(min_value=1, max_value=4).flatmap(
        lambda aantal: st.lists(
            st.lists(
                st.sampled_from([0, 0, 1, 2, 3, 4, 5, 6, 8, 12]), min_size=aantal, max_size=aantal
            ),
            min_size=1,
            max_size=4,
        )
    ),
    k=st.integers(min_value=2, max_value=5),
)
def test_nothing_hidden_in_the_table_can_be_worked_out(rijen: list[list[int]], k: int) -> None:
    """Whatever the table publishes never gives away a hidden number by combining sums."""
    klassen, perioden, gemeenten = _tabel(rijen)
    tabel = bescherm_kruistabel(klassen, perioden, gemeenten, k=k)
    cellen = [n for rij in rijen for n in rij]
    # The simple, sound rule: inner cells only when none of them would have to be hidden.
    assert tabel.cellen_getoond == all(n == 0 or n >= k for n in cellen)
    for sleutel in _gepubliceerd(tabel):
        assert not 0 < tabel.waarden[sleutel] < k, sleutel
    # Every number is right, and the margins each keep the never-one-hidden rule.
    assert tabel.waarden[TOTAAL] == sum(cellen)
    for i, p in enumerate(perioden):
        assert tabel.waarden[("periode", p)] == sum(rijen[i])
    for marge in ("periode", "gemeente"):
        delen = [s for s in tabel.waarden if isinstance(s, tuple) and s[0] == marge]
        assert len([s for s in [TOTAAL, *delen] if s in tabel.verborgen]) != 1
    # And no combination of what is published solves a hidden margin or a small cell.
    assert _oplosbaar(tabel, perioden, gemeenten, k) == []


def test_period_labels_and_median() -> None:
    assert periode_label("2026-03") == "Maart 2026"
    assert periode_label("2026-K2") == "2e kwartaal 2026"
    assert periode_label("2026") == "2026"
    assert periode_label("*") == "Alle perioden"
    assert _mediaan(Counter({1: 5, 2: 6, 3: 2})) == 2
    assert _mediaan(Counter({14: 1, 20: 1})) == 17
    assert _mediaan(Counter()) is None
