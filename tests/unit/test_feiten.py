"""What research may know about a casus comes from closed vocabularies only."""

from __future__ import annotations

import secrets
import uuid

from app.crypto.fields import encrypt_document
from app.crypto.keyring import KeyRing
from app.form.definition import load_formulieren
from app.research.feiten import _Woorden
from app.research.kenmerken import afspraken_per_onderdeel, categorical, stap_statussen

FORMULIER = load_formulieren(None, "twente-2020.1")["twente-2020.1"]


def test_only_vocabulary_values_of_categorical_fields_come_out() -> None:
    inhoud: dict[str, dict[str, object]] = {
        "kop": {"indicaties": ["OB4a", "Jan Jansen, Dorpsstraat 1", 7, "OB3b"]}
    }
    assert categorical(FORMULIER, inhoud, "kop", "indicaties") == ("OB3b", "OB4a")
    # An identifying or free-text field is never read, whatever it holds.
    inhoud["kop"]["indicatie_anders"] = "OB4a"
    assert categorical(FORMULIER, inhoud, "kop", "indicatie_anders") == ()
    assert categorical(FORMULIER, {"kop": {"jeugdige": {"naam": "x"}}}, "kop", "jeugdige") == ()


def test_agreements_are_counted_by_onderdeel_and_nothing_else() -> None:
    inhoud = {
        "afspraken": {
            "afspraken": [
                {"onderdeel": "regie", "wat": "Geheime tekst"},
                {"onderdeel": "regie"},
                {"onderdeel": "Geheime tekst"},
                "los",
            ]
        }
    }
    assert afspraken_per_onderdeel(FORMULIER, inhoud) == {"regie": 2}


def test_an_unknown_gemeente_reads_onbekend() -> None:
    woorden = _Woorden.van(FORMULIER)
    assert woorden.gemeente("Amsterdam") == "onbekend"
    assert woorden.gemeente("Losser") == "Losser"


def test_blank_values_stay_blank_when_a_document_is_sealed() -> None:
    ring = KeyRing({"k1": secrets.token_bytes(32)}, "k1", secrets.token_bytes(32))
    sealed = encrypt_document(
        FORMULIER,
        {"situatie": {"zorgen": "   ", "krachten": "Sterk gezin"}},
        keyring=ring,
        casus_id=uuid.uuid4(),
    )
    assert sealed["situatie"]["zorgen"] == "   "
    assert sealed["situatie"]["krachten"].startswith("enc:v1:")


def test_step_status_needs_no_key_because_blank_values_are_never_sealed() -> None:
    statussen = stap_statussen(FORMULIER, {"situatie": {"hulpvraag_professionals": "enc:v1:k:abc"}})
    assert statussen[0] == "leeg" and statussen[1] == "deels"
    assert stap_statussen(FORMULIER, {"situatie": {"zorgen": "   "}})[1] == "leeg"
