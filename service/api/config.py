"""Settings from MASSAGE_RULES_* environment variables; a bad value stops start-up, naming it."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, fields
from pathlib import Path

PREFIX = "MASSAGE_RULES_"
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TABLES = ROOT / "decision_tables"
DEFAULT_DATABASE = f"sqlite:///{ROOT / 'var' / 'massage-rules.db'}"
ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")    # what a browser sends as Origin


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    """Every setting, its default, and (in `help`) what it means."""

    tables_dir: Path = DEFAULT_TABLES        # decision tables folder (base/, payers/)
    max_body_bytes: int = 1024 * 1024        # POST /v1/decisions body limit -> 413
    max_batch_body_bytes: int = 10 * 1024 * 1024   # POST /v1/decisions/batch body limit -> 413
    max_batch_cases: int = 1000              # cases in one batch -> 422 beyond
    log_level: str = "INFO"
    database_url: str = DEFAULT_DATABASE     # any SQLAlchemy URL; SQLite in var/ by default
    poll_seconds: float = 0.2                # how often a worker checks the store for a new policy
    cors_origins: str = ""                   # comma-separated origins browsers may call from; empty: CORS off

    @property
    def cors_allowed(self) -> frozenset[str]:
        return frozenset(o.strip() for o in self.cors_origins.split(",") if o.strip())

    @classmethod
    def from_env(cls, env=None, **overrides) -> "Settings":
        env = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            key = PREFIX + f.name.upper()
            if f.name in overrides:
                values[f.name] = overrides[f.name]
            elif key in env:
                values[f.name] = _parse(key, env[key], f.type)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        if not (Path(self.tables_dir) / "base").is_dir():
            raise ConfigError(f"{PREFIX}TABLES_DIR: {self.tables_dir} has no base/ folder of decision tables")
        for name in ("max_body_bytes", "max_batch_body_bytes", "max_batch_cases"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{PREFIX}{name.upper()}: must be a positive whole number")
        if not 0 < self.poll_seconds <= 60:
            raise ConfigError(f"{PREFIX}POLL_SECONDS: must be more than 0 and at most 60")
        if "://" not in self.database_url:
            raise ConfigError(f"{PREFIX}DATABASE_URL: not an SQLAlchemy URL")
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ConfigError(f"{PREFIX}LOG_LEVEL: must be DEBUG, INFO, WARNING or ERROR")
        for origin in self.cors_allowed:
            if not ORIGIN.fullmatch(origin):
                raise ConfigError(f"{PREFIX}CORS_ORIGINS: {origin!r} is not an origin (http[s]://host[:port], "
                                  "no path, no wildcard)")


def _parse(key: str, raw: str, type_) -> object:
    type_name = type_ if isinstance(type_, str) else type_.__name__
    if type_name == "int":
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{key}: {raw!r} is not a whole number") from None
    if type_name == "float":
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{key}: {raw!r} is not a number") from None
    if type_name == "Path":
        return Path(raw)
    return raw
