"""Writing the exchange forms of an app's threat model next to its threat-model.md.

PYTEST_DONT_REWRITE (see the package docstring)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from pytest_nocode.threatmodel.exchange import (
    OTM_FILE,
    THREAT_COMPOSER_FILE,
    THREAT_DRAGON_FILE,
    dumps,
)
from pytest_nocode.threatmodel.model import ThreatModel
from pytest_nocode.threatmodel.otm import to_otm
from pytest_nocode.threatmodel.threat_composer import to_threat_composer
from pytest_nocode.threatmodel.threat_dragon import to_threat_dragon

EXPORTERS = ((THREAT_DRAGON_FILE, to_threat_dragon), (THREAT_COMPOSER_FILE, to_threat_composer),
             (OTM_FILE, to_otm))


def _unchanged(text: str) -> str:
    return text


def redacted(value: Any, redact: Callable[[str], str]) -> Any:
    """A copy of a model (or any part of it) with ``redact`` applied to every string in it."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, tuple):
        return tuple(redacted(item, redact) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: redacted(getattr(value, f.name), redact)
                                 for f in fields(value) if f.init and not f.name.startswith("_")})
    return value


def write_exchange_files(model: ThreatModel, folder: Path,
                         redact: Callable[[str], str] = _unchanged) -> list[Path]:
    """Write threat-dragon.json, threat-composer.json and otm.json for ``model`` into ``folder``.

    ``redact`` masks secret values in text (the run's ``Redactor.text``): names in the model
    never hold secrets, and this is the last line of defence behind that. It is applied to the
    model before export, not to the JSON text (where an escaped secret would no longer match),
    so the forms' length limits still hold for the masked text and every id still matches its
    references.
    """
    model = redacted(model, redact)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, export in EXPORTERS:
        path = folder / name
        path.write_text(dumps(export(model)), encoding="utf-8")
        written.append(path)
    return written
