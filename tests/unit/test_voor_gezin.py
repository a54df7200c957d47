"""Which parts of the plan concern the family: their tasks, and the agreements that name them."""

from __future__ import annotations

from app.handreiking.voor_gezin import voor_gezin


def afspraak(wie: str, onderdeel: str = "doelen") -> dict[str, str]:
    return {"wat": f"Afspraak met {wie}", "wie": wie, "onderdeel": onderdeel}


def test_agreements_that_name_the_family_or_are_about_informing_them() -> None:
    inhoud = {
        "kop": {"jeugdige": {"naam": "Sem de Vries"}},
        "afspraken": {
            "afspraken": [
                afspraak("Stiefvader"),
                afspraak("Pleegmoeder en school"),
                afspraak("De grootouders"),
                afspraak("Sem"),
                afspraak("Mama"),
                afspraak("Anna", "communicatie-ouders"),
                afspraak("Mentor van het kind"),
                afspraak("Bram (wijkteam)"),
                afspraak("Semester-coördinator"),
            ]
        },
    }
    wie = [a["wie"] for a in voor_gezin(inhoud).afspraken]
    assert wie == ["Stiefvader", "Pleegmoeder en school", "De grootouders", "Sem", "Mama", "Anna"]


def test_the_familys_tasks_and_who_informs_them() -> None:
    inhoud = {
        "afstemming": {"informeert_ouders": " Anna ", "hoe_informeren": ""},
        "taakverdeling": {
            "taken": [
                {"soort": "ouder", "wie": "Moeder", "bijdrage": "Brengt Sem naar school."},
                {"soort": "jeugdige", "bijdrage": "Doet zijn huiswerk."},
                {"soort": "professional", "wie": "Bram", "bijdrage": "Gesprekken."},
                "geen rij",
            ]
        },
    }
    gezin = voor_gezin(inhoud)
    assert gezin.informeert == "Anna" and gezin.hoe == ""
    assert [t["bijdrage"] for t in gezin.taken] == [
        "Brengt Sem naar school.",
        "Doet zijn huiswerk.",
    ]
    assert not gezin.leeg and voor_gezin({}).leeg
