"""The access policy file: a broken one stops start-up with a clear message; the real one holds."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from app.access.policy import CASUS_ACTIES, Actie, PolicyFout, load_policy
from app.config import Settings
from app.enums import CasusRol, Systeemrol
from app.form.definition import load_formulieren
from app.main import create_app

REAL = Path(__file__).resolve().parents[2] / "policies" / "access.yaml"
REAL_RAW: dict[str, Any] = yaml.safe_load(REAL.read_text(encoding="utf-8"))

Variant = Callable[[dict[str, Any]], str]


def _set(*pad: str, waarde: Any) -> Variant:
    """The real policy with the value at `pad` replaced (or added)."""

    def apply(raw: dict[str, Any]) -> str:
        node = raw
        for key in pad[:-1]:
            node = node[key]
        node[pad[-1]] = waarde
        return yaml.safe_dump(raw, sort_keys=False)

    return apply


def _drop(*pad: str) -> Variant:
    """The real policy without the key at `pad`."""

    def apply(raw: dict[str, Any]) -> str:
        node = raw
        for key in pad[:-1]:
            node = node[key]
        del node[pad[-1]]
        return yaml.safe_dump(raw, sort_keys=False)

    return apply


def _tekst(text: str) -> Variant:
    return lambda _raw: text


BROKEN = [
    pytest.param(
        _set("casusrollen", "teamleider", waarde=["casus.lezen"]),
        ["teamleider", "casusrollen"],
        id="unknown-casus-role",
    ),
    pytest.param(
        _set("systeemrollen", "superuser", waarde=[]),
        ["superuser", "systeemrollen"],
        id="unknown-system-role",
    ),
    pytest.param(
        _set("casusrollen", "betrokkene", waarde=["casus.lezen", "casus.verwijderen"]),
        ["casus.verwijderen", "casusrollen.betrokkene"],
        id="unknown-action",
    ),
    pytest.param(
        _set("casusrollen", "volger", waarde=["casus.lezen", "casus.aanmaken"]),
        ["casus.aanmaken", "casusrollen.volger"],
        id="system-action-under-casus-role",
    ),
    pytest.param(
        _set("systeemrollen", "beheerder", waarde=["casus.lezen"]),
        ["casus.lezen", "systeemrollen.beheerder"],
        id="casus-action-under-system-role",
    ),
    pytest.param(
        _set("alleen_open_casus", waarde=["casus.afsluiten", "casus.aanmaken"]),
        ["casus.aanmaken", "alleen_open_casus"],
        id="system-action-in-alleen-open-casus",
    ),
    pytest.param(
        _drop("casusrollen", "volger"), ["volger", "casusrollen"], id="missing-casus-role"
    ),
    pytest.param(
        _drop("systeemrollen", "onderzoeker"),
        ["onderzoeker", "systeemrollen"],
        id="missing-system-role",
    ),
    pytest.param(_drop("casusrollen"), ["casusrollen"], id="missing-casusrollen"),
    pytest.param(_drop("alleen_open_casus"), ["alleen_open_casus"], id="missing-alleen-open-casus"),
    pytest.param(
        _set("casusrollen", "volger", waarde="casus.lezen"),
        ["casusrollen.volger"],
        id="actions-not-a-list",
    ),
    pytest.param(
        _set("systeemrollen", "beheerder", waarde=None),
        ["systeemrollen.beheerder"],
        id="actions-left-empty",
    ),
    pytest.param(
        _set("casusrollen", waarde=["regievoerder", "betrokkene", "volger"]),
        ["casusrollen"],
        id="roles-not-a-mapping",
    ),
    pytest.param(
        _set("alleen_open_casus", waarde="casus.afsluiten"),
        ["alleen_open_casus"],
        id="alleen-open-casus-not-a-list",
    ),
    pytest.param(
        # `- casus.lezen:` (a stray colon) makes the action a mapping instead of a name.
        _set("casusrollen", "volger", waarde=[{"casus.lezen": None}]),
        ["casusrollen.volger"],
        id="action-written-as-mapping",
    ),
    pytest.param(_set("rechten", waarde={}), ["rechten"], id="unknown-top-level-key"),
    pytest.param(
        _set("veldrechten", waarde={"oma": ["ouders"]}),
        ["veldrechten", "oma"],
        id="field-right-role",
    ),
    pytest.param(
        _set("veldrechten", "ouder", waarde="ouders"),
        ["veldrechten.ouder"],
        id="field-marks-not-a-list",
    ),
    pytest.param(
        _set("veldrechten", "ouder", waarde=["Ouders!"]),
        ["veldrechten.ouder"],
        id="field-mark-spelling",
    ),
    pytest.param(
        _set("veldrechten", waarde=["ouders"]), ["veldrechten"], id="field-rights-not-a-mapping"
    ),
    pytest.param(_tekst("casusrollen:\n  regievoerder: [casus.lezen\n"), [], id="invalid-yaml"),
    pytest.param(_tekst("- casus.lezen\n"), ["mapping"], id="top-level-not-a-mapping"),
    pytest.param(_tekst(""), ["mapping"], id="empty-file"),
]


def _bad_settings(tmp_path: Path, policy_file: Path) -> Settings:
    return Settings(
        env="dev",
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path}/x.db",
        policy_file=policy_file,
    )


@pytest.mark.parametrize(("variant", "names"), BROKEN)
def test_broken_policy_stops_start_up_naming_the_problem(
    tmp_path: Path, variant: Variant, names: list[str]
) -> None:
    bad = tmp_path / "access.yaml"
    bad.write_text(variant(copy.deepcopy(REAL_RAW)), encoding="utf-8")
    with pytest.raises(PolicyFout) as raised:
        load_policy(bad)
    message = str(raised.value)
    for name in [str(bad), *names]:
        assert name in message
    with pytest.raises(PolicyFout, match=re.escape(message)):
        create_app(_bad_settings(tmp_path, bad))


def test_missing_policy_file_stops_start_up(tmp_path: Path) -> None:
    missing = tmp_path / "nergens" / "access.yaml"
    with pytest.raises(PolicyFout, match=re.escape(str(missing))):
        load_policy(missing)
    with pytest.raises(PolicyFout, match=re.escape(str(missing))):
        create_app(_bad_settings(tmp_path, missing))


def test_a_valid_copy_starts_the_app(tmp_path: Path) -> None:
    """The control for the cases above: the same settings with an intact file do start."""
    good = tmp_path / "access.yaml"
    good.write_text(yaml.safe_dump(copy.deepcopy(REAL_RAW)), encoding="utf-8")
    app = create_app(_bad_settings(tmp_path, good))
    try:
        assert app.state.policy == load_policy(REAL)
    finally:
        app.state.engine.dispose()


def test_the_real_policy_grants_what_the_domain_brief_says() -> None:
    policy = load_policy(REAL)
    assert set(policy.casusrollen) == set(CasusRol)
    assert set(policy.systeemrollen) == set(Systeemrol)
    # The regievoerder does everything on the casus except answer a handover (to themselves)
    # and give the family's consent in the family's name.
    assert policy.casusrollen[CasusRol.REGIEVOERDER] == CASUS_ACTIES - {
        Actie.OVERDRACHT_BEANTWOORDEN,
        Actie.TOESTEMMING_GEVEN,
    }
    # A volger reads, and may be asked to take over regie (a current role-holder).
    assert policy.casusrollen[CasusRol.VOLGER] == {
        Actie.CASUS_LEZEN,
        Actie.OVERDRACHT_BEANTWOORDEN,
    }
    assert Actie.HANDREIKING_BEWERKEN in policy.casusrollen[CasusRol.BETROKKENE]
    for rol, acties in policy.systeemrollen.items():
        assert not acties & CASUS_ACTIES, rol
    makers = {rol for rol, acties in policy.systeemrollen.items() if Actie.CASUS_AANMAKEN in acties}
    assert makers == {Systeemrol.PROFESSIONAL}
    # A closed casus is read-only: every change is refused, reading is not. Its closing
    # questionnaire is asked after closing, so inviting ouders to it stays possible.
    reading = {Actie.CASUS_LEZEN, Actie.TOEGANGSLOG_LEZEN}
    na_afsluiten = {Actie.CASUS_HEROPENEN, Actie.VRAGENLIJST_UITNODIGEN}
    assert policy.alleen_open_casus == CASUS_ACTIES - reading - na_afsluiten
    # Researchers get the export and the figures, and nobody else does.
    onderzoek = {Actie.ONDERZOEK_EXPORTEREN, Actie.ONDERZOEK_CIJFERS}
    assert policy.systeemrollen[Systeemrol.ONDERZOEKER] == onderzoek
    for rol, acties in policy.systeemrollen.items():
        assert rol is Systeemrol.ONDERZOEKER or not acties & onderzoek, rol


def test_ouders_and_the_jeugdige_read_and_change_only_their_own_words() -> None:
    """They read the plan and its toegangslog and give consent (a new, stamped item); the
    fields for their own words are the only ones they may change, and every mark the policy
    names is on a field of the form. Nobody else gives consent in the family's name."""
    policy = load_policy(REAL)
    eigen = {Actie.CASUS_LEZEN, Actie.TOEGANGSLOG_LEZEN, Actie.TOESTEMMING_GEVEN}
    for rol, van in ((CasusRol.OUDER, "ouders"), (CasusRol.JEUGDIGE, "jeugdige")):
        assert policy.casusrollen[rol] == eigen
        assert policy.veldrechten[rol] == {van}
    gevers = {r for r, acties in policy.casusrollen.items() if Actie.TOESTEMMING_GEVEN in acties}
    assert gevers == {CasusRol.OUDER, CasusRol.JEUGDIGE}
    formulier = load_formulieren(None, "twente-2020.1")["twente-2020.1"]
    for marks in policy.veldrechten.values():
        for mark in marks:
            assert formulier.velden_van(frozenset({mark})), mark
    assert formulier.velden_van(frozenset({"ouders"})) == {
        "situatie.hulpvraag_ouders",
        "doelen.doelen_ouders",
        "taakverdeling.bijdrage_ouders",
    }


def test_policy_answers_for_the_union_of_roles() -> None:
    policy = load_policy(REAL)
    volger, regie = {CasusRol.VOLGER}, {CasusRol.REGIEVOERDER}
    assert policy.casus_allows(volger, Actie.CASUS_LEZEN)
    assert not policy.casus_allows(volger, Actie.HANDREIKING_BEWERKEN)
    assert policy.casus_allows(volger | regie, Actie.CASUS_AFSLUITEN)
    assert not policy.casus_allows(set(), Actie.CASUS_LEZEN)
    assert policy.system_allows({Systeemrol.PROFESSIONAL}, Actie.CASUS_AANMAKEN)
    assert not policy.system_allows(
        {Systeemrol.BEHEERDER, Systeemrol.ONDERZOEKER}, Actie.CASUS_AANMAKEN
    )


def test_duplicate_role_key_stops_start_up(tmp_path: Path) -> None:
    """Two `volger:` blocks would silently keep only the last one; refuse instead."""
    bad = tmp_path / "dubbel.yaml"
    extra = "  volger:\n    - casus.lezen\n    - handreiking.bewerken\nsysteemrollen:"
    bad.write_text(REAL.read_text().replace("systeemrollen:", extra, 1))
    with pytest.raises(PolicyFout, match="dubbele sleutel"):
        load_policy(bad)
