"""Base tables plus one payer's folder -> that payer's policy (payer tables replace base ones)."""
from __future__ import annotations

from pathlib import Path

from .errors import LoadError, Problem
from .loader import NAME, load_folder
from .policy import Policy
from .validate import build_policy

DEFAULT_PAYER = "default"


def payer_ids(root: Path) -> list[str]:
    folder = root / "payers"
    found = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
    return [DEFAULT_PAYER] + found


def load_policy(root: Path, payer_id: str = DEFAULT_PAYER, analyse: bool = True) -> Policy:
    """Read `base/` and `payers/<payer_id>/` under root and validate the merged policy."""
    base = root / "base"
    if not base.is_dir():
        raise LoadError(Problem(f"no base/ folder under {root}", file=str(root)))
    tables, value_sets = load_folder(base, "base", root)
    if payer_id != DEFAULT_PAYER:
        folder = root / "payers" / payer_id
        if not NAME.match(payer_id.replace("-", "_")) or not folder.is_dir():
            raise LoadError(Problem(f"unknown payer {payer_id!r}", file=str(root / "payers")))
        own_tables, own_sets = load_folder(folder, payer_id, root)
        replaced = {t.name for t in own_tables}
        tables = [t for t in tables if t.name not in replaced] + own_tables
        replaced_sets = {v.name for v in own_sets}
        value_sets = [v for v in value_sets if v.name not in replaced_sets] + own_sets
    return build_policy(payer_id, tables, value_sets, analyse=analyse)
