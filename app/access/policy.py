"""The access policy: role → allowed actions, loaded from policies/access.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

import yaml

from app.enums import CasusRol, Systeemrol

R = TypeVar("R", CasusRol, Systeemrol)


class Actie(StrEnum):
    """Every action the policy may name; the code asks for exactly these."""

    CASUS_AANMAKEN = "casus.aanmaken"
    CASUS_LEZEN = "casus.lezen"
    HANDREIKING_BEWERKEN = "handreiking.bewerken"
    BETROKKENEN_BEHEREN = "betrokkenen.beheren"
    CASUS_AFSLUITEN = "casus.afsluiten"
    TOEGANGSLOG_LEZEN = "toegangslog.lezen"
    OVERDRACHT_VOORSTELLEN = "overdracht.voorstellen"
    OVERDRACHT_BEANTWOORDEN = "overdracht.beantwoorden"
    OVERDRACHT_INTREKKEN = "overdracht.intrekken"
    MDO_BEHEREN = "mdo.beheren"
    CASUS_HEROPENEN = "casus.heropenen"
    ACCOUNTS_BEHEREN = "accounts.beheren"
    VRAGENLIJST_UITNODIGEN = "vragenlijst.uitnodigen"
    DEELNEMERS_UITNODIGEN = "deelnemers.uitnodigen"
    TOESTEMMING_GEVEN = "toestemming.geven"
    ONDERZOEK_EXPORTEREN = "onderzoek.exporteren"
    ONDERZOEK_CIJFERS = "onderzoek.cijfers"


SYSTEEM_ACTIES = frozenset(
    {
        Actie.CASUS_AANMAKEN,
        Actie.ACCOUNTS_BEHEREN,
        Actie.ONDERZOEK_EXPORTEREN,
        Actie.ONDERZOEK_CIJFERS,
    }
)
CASUS_ACTIES = frozenset(Actie) - SYSTEEM_ACTIES


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML keeps the last of two equal keys silently; in an access policy that hides a grant."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        dubbel = sorted({str(k) for k in keys if keys.count(k) > 1})
        if dubbel:
            raise yaml.constructor.ConstructorError(
                None, None, f"dubbele sleutel(s): {dubbel}", node.start_mark
            )
        return super().construct_mapping(node, deep=deep)


class PolicyFout(Exception):
    """The policy file is wrong; the app refuses to start rather than guess."""


@dataclass(frozen=True)
class Policy:
    casusrollen: dict[CasusRol, frozenset[Actie]]
    systeemrollen: dict[Systeemrol, frozenset[Actie]]
    alleen_open_casus: frozenset[Actie]
    # Per casus role: whose words (the form's `van:` marks) it may change without the right
    # to edit the whole plan.
    veldrechten: dict[CasusRol, frozenset[str]]

    def casus_allows(self, rollen: set[CasusRol], actie: Actie) -> bool:
        return any(actie in self.casusrollen[rol] for rol in rollen)

    def own_words(self, rollen: set[CasusRol]) -> frozenset[str]:
        """The `van:` marks of the fields these roles may change on their own."""
        return frozenset().union(*(self.veldrechten.get(rol, frozenset()) for rol in rollen))

    def system_allows(self, rollen: set[Systeemrol], actie: Actie) -> bool:
        return any(actie in self.systeemrollen[rol] for rol in rollen)


def load_policy(path: Path) -> Policy:
    """Read and check the policy file; any unknown name stops start-up with its location."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyFout(f"toegangsbeleid {path} kan niet gelezen worden: {exc}") from exc
    if not isinstance(raw, dict):
        raise PolicyFout(f"toegangsbeleid {path}: verwacht een mapping")
    unknown = set(raw) - {"casusrollen", "systeemrollen", "alleen_open_casus", "veldrechten"}
    if unknown:
        raise PolicyFout(f"toegangsbeleid {path}: onbekende sleutel(s) {sorted(unknown, key=str)}")
    return Policy(
        casusrollen=_roles(path, raw.get("casusrollen"), CasusRol, CASUS_ACTIES, "casusrollen"),
        systeemrollen=_roles(
            path, raw.get("systeemrollen"), Systeemrol, SYSTEEM_ACTIES, "systeemrollen"
        ),
        alleen_open_casus=frozenset(
            _actions(path, raw.get("alleen_open_casus"), CASUS_ACTIES, "alleen_open_casus")
        ),
        veldrechten=_field_rights(path, raw.get("veldrechten", {})),
    )


_MARK = re.compile(r"^[a-z]+$")


def _field_rights(path: Path, raw: Any) -> dict[CasusRol, frozenset[str]]:
    """`veldrechten`: casus role -> the `van:` marks of the fields it may change."""
    if not isinstance(raw, dict):
        raise PolicyFout(f"toegangsbeleid {path}: 'veldrechten' moet een mapping zijn")
    _no_unknown_roles(path, raw, {r.value for r in CasusRol}, "veldrechten")
    rights = {}
    for rol, marks in raw.items():
        if not isinstance(marks, list) or not all(
            isinstance(m, str) and _MARK.fullmatch(m) for m in marks
        ):
            raise PolicyFout(
                f"toegangsbeleid {path}: veldrechten.{rol} moet een lijst woorden zijn (a-z)"
            )
        rights[CasusRol(rol)] = frozenset(marks)
    return rights


def _no_unknown_roles(path: Path, raw: dict[Any, Any], known: set[str], where: str) -> None:
    unknown = set(raw) - known
    if unknown:
        raise PolicyFout(
            f"toegangsbeleid {path}: onbekende rol(len) in {where}: {sorted(unknown, key=str)}"
        )


def _roles(
    path: Path, raw: Any, rollen: type[R], toegestaan: frozenset[Actie], where: str
) -> dict[R, frozenset[Actie]]:
    if not isinstance(raw, dict):
        raise PolicyFout(f"toegangsbeleid {path}: '{where}' ontbreekt of is geen mapping")
    known = {r.value for r in rollen}
    _no_unknown_roles(path, raw, known, where)
    missing = known - set(raw)
    if missing:
        raise PolicyFout(
            f"toegangsbeleid {path}: rol(len) ontbreken in {where}: {sorted(missing, key=str)}"
        )
    return {
        rollen(naam): frozenset(_actions(path, acties, toegestaan, f"{where}.{naam}"))
        for naam, acties in raw.items()
    }


def _actions(path: Path, raw: Any, toegestaan: frozenset[Actie], where: str) -> list[Actie]:
    if not isinstance(raw, list):
        raise PolicyFout(f"toegangsbeleid {path}: '{where}' moet een lijst acties zijn")
    known = {a.value: a for a in toegestaan}
    unknown = [a for a in raw if not isinstance(a, str) or a not in known]
    if unknown:
        raise PolicyFout(f"toegangsbeleid {path}: onbekende actie(s) in {where}: {unknown}")
    return [known[a] for a in raw]
