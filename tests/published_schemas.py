"""The file formats' own published schemas, and validation against them.

The schemas are other projects' files, so they are not in this repository: they are read from
``$NOCODE_SHARED_SCHEMAS`` or the first ``shared/schemas`` folder found walking up from the
repository root. Without them a conformance test fails, never skips: a check that did not run
passed nothing.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from jsonschema.validators import validator_for

REPO = Path(__file__).resolve().parent.parent
# Our file name → the published schema it must conform to.
SCHEMAS = {"threat-dragon.json": "threat-dragon-v2.schema.json",
           "threat-composer.json": "threat-composer-v1.schema.json",
           "otm.json": "open-threat-model.schema.json"}


def shared_schemas() -> Path:
    """The folder of published schemas; fails the calling test when there is none."""
    configured = os.environ.get("NOCODE_SHARED_SCHEMAS")
    candidates = ([Path(configured)] if configured
                  else [folder / "shared" / "schemas" for folder in (REPO, *REPO.parents)])
    for folder in candidates:
        if all((folder / name).is_file() for name in SCHEMAS.values()):
            return folder
    pytest.fail("published schemas not found: set NOCODE_SHARED_SCHEMAS or put "
                f"{', '.join(SCHEMAS.values())} in a shared/schemas folder above {REPO} "
                f"(looked in {', '.join(str(c) for c in candidates[:3])} …)", pytrace=False)


@cache
def _validator(folder: Path, name: str) -> Any:
    schema = json.loads((folder / name).read_text(encoding="utf-8"))
    # A schema that declares no draft (Threat Dragon's) is read as draft-07: the default of
    # Ajv, which Threat Dragon validates models with when it opens them.
    cls = validator_for(schema, default=jsonschema.Draft7Validator)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def schema_errors(document: Any, form: str) -> list[str]:
    """Every schema error of ``document`` (one of our files, by name), as "path: message"."""
    validator = _validator(shared_schemas(), SCHEMAS[form])
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
            for e in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path)))]
