"""`make bench` works: every scenario runs once at a tiny size (timings are not judged here)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks import belasting, export, opbouw, requests, run
from benchmarks.common import Resultaat, geheugengroei


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_scenario_runs_and_reports(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    admin = request.getfixturevalue("pg_server") if backend == "postgresql" else ""
    naam = f"regie_bench_{uuid.uuid4().hex[:8]}"
    gemeten = run.run([backend], [15, 30], tmp_path, admin, naam=naam, log=lambda _: None)
    ochtend = [r for r in gemeten if r.scenario == belasting.SCENARIO]
    assert ochtend and all(r.gehaald is not False for r in ochtend if "seconde" in r.maat), [
        r.toelichting for r in ochtend
    ]
    resultaten = run.oordelen(gemeten)
    for scenario in run.SCENARIOS:
        eigen = [r for r in resultaten if r.scenario == scenario.SCENARIO]
        # The MDO morning is long: it runs at the run's largest size only.
        verwacht = {30} if scenario is belasting else {15, 30}
        assert {r.casussen for r in eigen} == verwacht, scenario.SCENARIO
        assert all(r.regie > 0 and (r.vloer is None or r.vloer > 0) for r in eigen)
        groei = [r for r in eigen if r.maat.startswith("geheugengroei 15→30")]
        assert len(groei) == hasattr(scenario, "oordeel"), scenario.SCENARIO
    per_verzoek = [r for r in gemeten if r.scenario == requests.SCENARIO]
    kader = [r for r in per_verzoek if r.maat.endswith("vloer achter FastAPI")]
    assert len(kader) == 2 * 4 and all(r.gehaald is None for r in kader)
    opslaan = [
        r for r in per_verzoek if r.maat in ("opslaan p50, 1 client", "handreiking lezen p50")
    ]
    assert len(opslaan) == 2 * 2 and all("haalbaar bij " in r.toelichting for r in opslaan)
    # Where the time went, from the app's own request timer: a real mean, not a gap of zero.
    in_de_app = [re.search(r"in de app ([\d.]+) ms", r.toelichting) for r in opslaan]
    assert all(m and float(m.group(1)) > 0 for m in in_de_app), [r.toelichting for r in opslaan]
    # Judged again over figures that already hold judgements: still one per scenario.
    assert len(run.oordelen(resultaten)) == len(resultaten)
    # Where the export's time goes, each part measured: real seconds, not a gap of zero.
    [export_wandtijd] = [
        r
        for r in gemeten
        if r.scenario == export.SCENARIO and r.maat == "wandtijd" and r.casussen == 30
    ]
    delen = re.search(
        r"waarvan ([\d.]+) s opstarten .*waarvan ([\d.]+) s de imports.*; ([\d.]+) s de gang "
        r".*de rest (-?[\d.]+) s",
        export_wandtijd.toelichting,
    )
    assert delen and all(float(d) > 0 for d in delen.groups()[:3]), export_wandtijd.toelichting
    # The target is set at 100k casussen on PostgreSQL: smaller, the figure has no verdict.
    assert export_wandtijd.gehaald is None and "geldt bij 100000" in export_wandtijd.doel
    run.report(resultaten, tmp_path)
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert f"| {backend} | 30 |" in markdown and "vloer" in markdown
    assert markdown.index("## Doelen") < markdown.index(f"## {export.SCENARIO}")
    data = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert len(data["resultaten"]) == len(resultaten)


def test_flat_memory_is_judged_against_a_tenth_of_the_largest_size() -> None:
    def piek(casussen: int, mb: float) -> Resultaat:
        return Resultaat("s", "piekgeheugen", "postgresql", casussen, mb, None, "MB", "", True)

    # 100,000 within 20% of 10,000, as the issue asks; 1,000 is not the yardstick.
    [groei] = geheugengroei([piek(1000, 100), piek(10_000, 119), piek(100_000, 142)], "s", 0.2)
    assert groei.maat == "geheugengroei 10000→100000" and groei.gehaald
    [groei] = geheugengroei([piek(1000, 100), piek(10_000, 110), piek(100_000, 143)], "s", 0.2)
    assert groei.vloer == 110 and not groei.gehaald
    # Without a tenth of the largest size, the smallest is the yardstick.
    [groei] = geheugengroei([piek(15, 100), piek(30, 130)], "s", 0.2)
    assert groei.maat == "geheugengroei 15→30" and not groei.gehaald


def test_mijn_casussen_is_index_work_only_through_the_index_and_without_whole_tables() -> None:
    index = requests.INDEX
    # Regie's list is one statement: the account's casus ids found first (an InitPlan), then
    # the casussen looked up among them; a second statement only counts past the last page.
    goed = {
        "Regie 1 (pagina)": "Limit\n  InitPlan 1 (returns $0)\n"
        f"    ->  Index Only Scan using {index} on rol rol_1  (cost=0.42..5.1 rows=150)\n"
        "  ->  WindowAgg\n    ->  Nested Loop\n"
        "        ->  Index Scan using pk_casus on casus\n"
        "        ->  Index Scan using uq_rol_actief_per_account on rol",
        "Regie 2 (telling)": "Aggregate\n  ->  Nested Loop\n  ->  Seq Scan on organisatie",
        "vloer": f"Limit\n  ->  Nested Loop\n        ->  Index Scan using {index} on rol r\n"
        "        ->  Index Scan using pk_casus on casus c",
    }
    assert requests._geindexeerd(goed) == ""
    pagina = f"Limit\n  InitPlan 1\n    ->  Index Only Scan using {index} on rol\n"
    pagina += "  ->  Hash Join\n        ->  Parallel Seq Scan on casus\n"
    assert requests._geindexeerd({**goed, "Regie 1 (pagina)": pagina}) == (
        "Regie 1 (pagina) leest heel casus"
    )
    sqlite = f"SCAN c\nSEARCH r USING INDEX {index} (account_id=?)"
    assert requests._geindexeerd({**goed, "vloer": sqlite}) == "vloer leest heel casus"
    zonder = {**goed, "Regie 1 (pagina)": "SEARCH rol USING INDEX uq_rol_actief_per_account"}
    assert requests._geindexeerd(zonder) == f"Regie gebruikt {index} niet"
    assert requests._scant("SEARCH r USING INDEX x\nSCAN TABLE casus", "casus")  # older SQLite
    assert not requests._scant("SCAN casussen_tmp\nSEARCH rol USING INDEX x", "casus")
    assert requests._scant("SCAN leider\nSEARCH casus USING INDEX x", "rol")  # by its alias
    # The page carries its count in a window: it is the page, not a count.
    assert requests._soort("SELECT casus.id, count(*) OVER () AS totaal FROM casus LIMIT 20") == (
        "pagina"
    )
    assert requests._soort("SELECT count(*) AS count_1 FROM (SELECT casus.id FROM casus)") == (
        "telling"
    )
    assert requests._soort("SELECT rol.casus_id \nFROM rol \nWHERE rol.tot IS NULL") == "rol"


def test_within_reach_is_the_framework_floor_plus_only_the_demanded_steps() -> None:
    figuur = Resultaat(requests.SCENARIO, "opslaan p50, 1 client", "sqlite", 10, 12.0, 4.0,
                       "ms", "≤ 2× vloer", False, "200 verzoeken")  # fmt: skip
    stappen = opbouw.Opbouw(
        per_verzoek_ms=10.0,
        tekst="in-process 10.00 ms per verzoek, waarvan: …",
        plichten={"versleutelen": 1.5, "token controleren": 0.5},
    )
    klokken = requests.Klokken(client=[12.0, 14.0], server_ms=11.5)
    tekst = requests._met_opbouw(figuur, stappen, 6.0, klokken).toelichting
    assert tekst.startswith("200 verzoeken\nin-process 10.00 ms")
    assert "gemiddeld bij de client 13.00 ms, in de app 11.50 ms" in tekst
    assert "(FastAPI, middleware, afhankelijkheden, threads): 1.50 ms" in tekst
    assert "netwerk, client): 1.50 ms" in tekst
    assert tekst.endswith(
        "haalbaar bij deze kosten van de stappen: 8.00 ms = 2.0× vloer (dezelfde opslag achter "
        "FastAPI 6.00 ms + verplichte stappen 2.00 ms: token controleren 0.50, versleutelen 1.50)"
    )


def test_the_demanded_steps_leave_out_what_the_floor_does_too() -> None:
    # The floor commits, reads or writes the same rows and appends the same audit row; a read's
    # access decision brings those rows along, so it is left out whole.
    samen = "toegang met revisie (rollen, casus, beleid, huidige revisie)"
    assert samen in {label for label, _, _ in opbouw.STAPPEN}
    assert {"commit", "audit aan keten", "revisie laden", samen, opbouw.VERBINDING}.isdisjoint(
        opbouw.PLICHTEN
    )
    # A save's decision brings its base revision along, which the floor never reads: demanded.
    assert opbouw.BEWERKEN in opbouw.PLICHTEN
    labels = {label for label, _, _ in opbouw.STAPPEN} | {"token controleren", "account laden"}
    assert opbouw.PLICHTEN - {"verzoek inlezen (JSON, schema)", "antwoord als JSON"} <= labels


def test_the_report_says_which_run_measured_each_figure(tmp_path: Path) -> None:
    def figuur(scenario: str, backend: str, gemeten_op: str = "") -> Resultaat:
        return Resultaat(scenario, "m", backend, 10, 2.0, 1.0, "ms", "", True, "", gemeten_op)

    # A report from before figures carried their own date: each gets the report's.
    eerder = tmp_path / "eerder.json"
    oud = figuur(belasting.SCENARIO, "postgresql").as_dict()
    eerder.write_text(json.dumps({"gemeten_op": "2026-12-03T22:25:24+00:00", "resultaten": [oud]}))
    [overgenomen] = run._eerder(eerder)
    assert overgenomen.gemeten_op == "2026-12-03T22:25:24+00:00"
    nieuw = [
        figuur(requests.SCENARIO, "postgresql", "2026-12-04T04:59:00+00:00"),
        figuur(requests.SCENARIO, "sqlite", "2026-12-04T05:03:00+00:00"),
    ]
    run.report([overgenomen, *nieuw], tmp_path, "2026-12-04T05:03:00+00:00")
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    belasting_deel = markdown.split(f"## {belasting.SCENARIO}")[1].split("\n## ")[0]
    assert "Gemeten in de run van: postgresql 2026-12-03T22:25:24+00:00." in belasting_deel
    assert (
        "Gemeten in de run van: postgresql 2026-12-04T04:59:00+00:00; "
        "sqlite 2026-12-04T05:03:00+00:00." in markdown.split(f"## {requests.SCENARIO}")[1]
    )
    # Kept again by a later run, every figure keeps the date of the run that measured it.
    assert {r.gemeten_op for r in run._eerder(tmp_path / "report.json")} == {
        "2026-12-03T22:25:24+00:00", "2026-12-04T04:59:00+00:00", "2026-12-04T05:03:00+00:00",
    }  # fmt: skip


def test_the_summary_counts_each_target_and_names_every_miss() -> None:
    def figuur(maat: str, casussen: int, regie: float, vloer: float | None, doel: str) -> Resultaat:
        gehaald = regie <= 2 * vloer if vloer and "vloer" in doel else regie < 50
        return Resultaat("s", maat, "postgresql", casussen, regie, vloer, "ms", doel, gehaald)

    regels = run._doelen(
        [
            figuur("opslaan p50", 1000, 3.0, 2.0, "≤ 2× vloer"),
            figuur("opslaan p50", 10_000, 5.0, 2.0, "≤ 2× vloer"),
            # The plans a listing appends are left out; its verdict on the index is kept.
            figuur("lijst p50", 1000, 3.0, 2.0, "≤ 2× vloer; via ix: Index Scan"),
            replace(
                figuur("lijst p50", 10_000, 3.0, 2.0, "≤ 2× vloer; NIET (x): Seq Scan"),
                gehaald=False,
            ),
            figuur("ochtend p99", 10_000, 5.0, 2.0, "≤ 3× vloer; 0 fouten"),
            figuur("pagina p95", 1000, 25.0, None, "< 50 ms"),
            replace(figuur("geheugengroei", 10_000, 110.0, 100.0, "≤ +20%"), gehaald=True),
            # No target, no verdict: not a line of the summary.
            Resultaat("s", "doorvoer", "postgresql", 1000, 9.0, None, "/s", "", None),
        ]
    )
    tabel = [r for r in regels if r.startswith("| s |")]
    assert tabel == [
        "| s | opslaan p50 | ≤ 2× vloer | 1 van 2 "
        "| postgresql 1000: 1.5× · postgresql 10000: 2.5× **nee** |",
        "| s | lijst p50 | ≤ 2× vloer | 1 van 2 "
        "| postgresql 1000: 1.5× (via ix) · postgresql 10000: 1.5× **nee** (NIET (x)) |",
        "| s | ochtend p99 | ≤ 3× vloer; 0 fouten | 0 van 1 | postgresql 10000: 2.5× **nee** |",
        "| s | pagina p95 | < 50 ms | 1 van 1 | postgresql 1000: 25 ms |",
        "| s | geheugengroei | ≤ +20% | 1 van 1 | postgresql 10000: +10% |",
    ]
    assert run._doelen([]) == []


def test_the_export_is_judged_where_its_target_is_set() -> None:
    """At 100k casussen on PostgreSQL; smaller, or on SQLite, the figure stands unjudged."""
    assert export.wandtijd("postgresql", 100_000, 2.9, 1.0, "").gehaald is True
    assert export.wandtijd("postgresql", 100_000, 3.1, 1.0, "").gehaald is False
    for backend, casussen in (("postgresql", 10_000), ("sqlite", 100_000)):
        figuur = export.wandtijd(backend, casussen, 9.0, 1.0, "")
        assert figuur.gehaald is None and "geldt bij 100000 op postgresql" in figuur.doel
