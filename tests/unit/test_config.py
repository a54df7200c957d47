"""Settings that contradict each other are refused at start-up, in words for the administrator."""

from __future__ import annotations

import pytest

from app.config import Settings


def test_a_questionnaire_may_not_outlive_a_closed_casus_visibility() -> None:
    """A closing invitation must expire before the closed casus fades for the professionals."""
    with pytest.raises(ValueError, match="REGIE_VRAGENLIJST_GELDIG_DAGEN") as refused:
        Settings(env="dev", afgesloten_zichtbaar_dagen=14, vragenlijst_geldig_dagen=30)
    assert "REGIE_AFGESLOTEN_ZICHTBAAR_DAGEN" in str(refused.value)
    assert Settings(env="dev", afgesloten_zichtbaar_dagen=14, vragenlijst_geldig_dagen=14)
    defaults = Settings(env="dev")
    assert defaults.vragenlijst_geldig_dagen <= defaults.afgesloten_zichtbaar_dagen
