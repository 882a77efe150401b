"""Table documents the publishing tests change: acme's line modifiers, with and without GP for LMTs."""
from __future__ import annotations

import copy

import yaml

from tests.conftest import TABLES

MODIFIERS = yaml.safe_load((TABLES / "base" / "line_modifiers.yaml").read_text())
GP_FOR_LMT = copy.deepcopy(MODIFIERS)
GP_FOR_LMT["rules"][0]["when"]["credential"] = '"PT", "PTA", "LMT"'
URL = "/v1/payers/acme-health/tables/line_modifiers"
