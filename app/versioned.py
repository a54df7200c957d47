"""Versioned definition files (forms, questionnaires): data, checked once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def load_versioned(path: Path, model: type[M], fout: type[Exception], soort: str) -> M:
    """Load and validate one file; its name must be its version, so the two never disagree."""
    try:
        loaded = model.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise fout(f"{soort} {path} is ongeldig: {exc}") from exc
    versie = getattr(loaded, "versie", None)
    if path.stem != versie:
        raise fout(f"{path}: bestandsnaam moet de versie zijn ({versie})")
    return loaded
