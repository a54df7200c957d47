"""The small-cell rule on its own: primary, secondary, and suppression that spreads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable

from app.research.cijfers import Onderdrukking, _mediaan, bescherm, periode_label

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


def test_period_labels_and_median() -> None:
    assert periode_label("2026-03") == "Maart 2026"
    assert periode_label("2026-K2") == "2e kwartaal 2026"
    assert periode_label("2026") == "2026"
    assert periode_label("*") == "Alle perioden"
    assert _mediaan(Counter({1: 5, 2: 6, 3: 2})) == 2
    assert _mediaan(Counter({14: 1, 20: 1})) == 17
    assert _mediaan(Counter()) is None
