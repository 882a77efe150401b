"""The compiled policy of every payer, built once at start-up and looked up per request."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..engine.policy_engine import PolicyEngine, load_engines
from ..tables.errors import PolicyError


class UnknownPayer(LookupError):
    pass


@dataclass
class PolicyRegistry:
    tables_dir: Path
    engines: dict[str, PolicyEngine] = field(default_factory=dict)
    error: str | None = None

    def load(self) -> None:
        """Compile every payer; on failure keep what was served before and say why."""
        try:
            self.engines = load_engines(self.tables_dir)
            self.error = None
        except (PolicyError, OSError) as exc:
            self.error = str(exc)
            if not self.engines:
                raise

    @property
    def ready(self) -> bool:
        return bool(self.engines)

    def engine(self, payer_id: str) -> PolicyEngine:
        try:
            return self.engines[payer_id]
        except KeyError:
            raise UnknownPayer(payer_id) from None

    def payers(self) -> list[str]:
        return sorted(self.engines)
