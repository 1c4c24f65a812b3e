"""Writing the exchange forms of an app's threat model next to its threat-model.md."""

from __future__ import annotations

from collections.abc import Callable
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


def _unchanged(document: Any) -> Any:
    return document


def write_exchange_files(model: ThreatModel, folder: Path,
                         redact: Callable[[Any], Any] = _unchanged) -> list[Path]:
    """Write threat-dragon.json, threat-composer.json and otm.json for ``model`` into ``folder``.

    ``redact`` masks secret values in a document's strings (the run's ``Redactor.data``): names
    in the model never hold secrets, and this is the last line of defence behind that. It works
    on the data, not on the JSON text, where an escaped secret would no longer match.
    """
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, export in EXPORTERS:
        path = folder / name
        path.write_text(dumps(redact(export(model))), encoding="utf-8")
        written.append(path)
    return written
