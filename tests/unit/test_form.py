"""The form definition as data, and the pure rules on documents: validation, completeness, diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from app.form.completeness import missing_required
from app.form.definition import DEFINITIONS_DIR, DefinitieFout, Privacy, VeldType, load_formulier
from app.form.diff import verschil
from app.form.validation import validate

SHIPPED = DEFINITIONS_DIR / "twente-2020.1.yaml"
FORM = load_formulier(SHIPPED)


def test_every_leaf_field_has_label_and_privacy_class() -> None:
    leaves = [v for v in FORM.alle_velden() if v.type is not VeldType.GROEP]
    assert leaves
    assert all(v.label and v.privacy is not None for v in leaves)
    identifying = {v.sleutel for v in leaves if v.privacy is Privacy.IDENTIFYING}
    assert {"naam", "geboortedatum", "bsn"} <= identifying
    for veld in leaves:
        if veld.type in (VeldType.TEKST, VeldType.LANGETEKST):
            assert veld.privacy in (Privacy.FREE_TEXT, Privacy.IDENTIFYING), veld.sleutel


def test_afspraken_use_the_onderdeel_vocabulary() -> None:
    afspraken = FORM.sectie("afspraken")
    assert afspraken is not None
    onderdeel = next(v for v in afspraken.velden[0].velden if v.sleutel == "onderdeel")
    assert onderdeel.keuzes == "onderdeel"
    assert {"regie", "overdracht", "escalatie"} <= set(FORM.vocabulaires["onderdeel"])
    assert len(FORM.vocabulaires["gemeente"]) == 14


def _broken(tmp_path: Path, change: Any) -> Path:
    data = yaml.safe_load(SHIPPED.read_text())
    change(data)
    path = tmp_path / f"{data['versie']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("unknown vocabulary", lambda d: d["secties"][0]["velden"][0].update(keuzes="planeten")),
        ("missing privacy", lambda d: d["secties"][2]["velden"][0].pop("privacy")),
        ("text without length", lambda d: d["secties"][2]["velden"][0].pop("max_lengte")),
        ("unknown attribute", lambda d: d["secties"][2]["velden"][0].update(kleur="rood")),
        ("step missing", lambda d: d["secties"].pop(3)),
        ("duplicate key", lambda d: d["secties"][2]["velden"].append(d["secties"][2]["velden"][0])),
        ("unknown type", lambda d: d["secties"][2]["velden"][0].update(type="video")),
    ],
)
def test_broken_definitions_are_refused(tmp_path: Path, name: str, change: Any) -> None:
    with pytest.raises(DefinitieFout):
        load_formulier(_broken(tmp_path, change))


def test_file_name_must_match_version(tmp_path: Path) -> None:
    path = tmp_path / "anders.yaml"
    path.write_text(SHIPPED.read_text())
    with pytest.raises(DefinitieFout, match="bestandsnaam"):
        load_formulier(path)


@pytest.mark.parametrize(
    ("bsn", "ok"),
    [("111222333", True), ("123456782", True), ("123456789", False), ("12345678", False)],
)
def test_bsn_elfproef(bsn: str, ok: bool) -> None:
    fouten = validate(FORM, {"kop": {"jeugdige": {"bsn": bsn}}})
    assert (fouten == []) is ok


def test_empty_and_null_values_are_allowed_drafts() -> None:
    assert validate(FORM, {}) == []
    assert (
        validate(FORM, {"situatie": None, "doelen": {"doelen": []}, "regie": {"mandaat": ""}}) == []
    )
    assert [f.pad for f in validate(FORM, [])] == ["inhoud"]


def test_list_limits_and_item_shapes() -> None:
    too_many = {"doelen": {"doelen": [{"doel": "x", "status": "open"}] * 21}}
    assert [f.pad for f in validate(FORM, too_many)] == ["doelen.doelen"]
    wrong_item = {"doelen": {"doelen": ["geen object"]}}
    assert [f.pad for f in validate(FORM, wrong_item)] == ["doelen.doelen[0]"]
    wrong_bool = {"situatie": {"veiligheidsrisico": 1}}
    assert [f.pad for f in validate(FORM, wrong_bool)] == ["situatie.veiligheidsrisico"]


def test_required_fields_are_reported_not_enforced() -> None:
    missing = missing_required(FORM, {"doelen": {"doelen": [{"doel": "School"}]}})
    assert "doelen.doelen[0].status" in missing
    assert "kop.jeugdige" in missing
    assert "situatie.hulpvraag_professionals" in missing
    assert "betrokkenheid.professionals" not in missing


def test_diff_reports_paths_in_document_order() -> None:
    oud = {"situatie": {"krachten": "a", "zorgen": "b"}, "borging": {"signaaltypen": ["crisis"]}}
    nieuw = {"situatie": {"krachten": "a2"}, "borging": {"signaaltypen": ["crisis", "anders"]}}
    assert verschil(oud, nieuw) == [
        {"pad": "situatie.krachten", "soort": "gewijzigd", "oud": "a", "nieuw": "a2"},
        {"pad": "situatie.zorgen", "soort": "verwijderd", "oud": "b", "nieuw": None},
        {
            "pad": "borging.signaaltypen",
            "soort": "gewijzigd",
            "oud": ["crisis"],
            "nieuw": ["crisis", "anders"],
        },
    ]
    assert verschil(nieuw, nieuw) == []
    assert verschil({"situatie": {"krachten": ""}}, {"situatie": {"krachten": None}}) == []
