"""The compiled policies in force, rebuilt when the store's generation moves.

Every worker polls the store's generation (a one-row read) at most every `poll_seconds`, so a
newly published version is served within that time, without a restart. A reload builds every
payer's policy for today before it replaces anything; if that fails the worker keeps serving the
last good policy and says so (readiness, metrics). A request holds on to the engine it started
with, so it finishes on the policy it began with.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from datetime import date, datetime, timezone

from ..engine.policy_engine import PolicyEngine
from ..tables.errors import PolicyError
from .assembly import engine_on, in_force, payers_of
from .store import Store, Version

log = logging.getLogger("massage_rules.policy")
CACHE_SIZE = 64
RETIRE_AFTER_SECONDS = 30


class UnknownPayer(LookupError):
    pass


def today() -> date:
    return datetime.now(timezone.utc).date()


class PolicyRegistry:
    def __init__(self, store: Store, poll_seconds: float = 0.2, on_change=None):
        self.store = store
        self.on_change = on_change or (lambda registry: None)   # after every reload or failed reload
        self.poll_seconds = poll_seconds
        self.versions: list[Version] = []
        self.generation: int | None = None
        self.error: str | None = None
        self._failed_generation: int | None = None
        self._checked = 0.0
        self._engines: OrderedDict[tuple, PolicyEngine] = OrderedDict()
        self._lock = threading.RLock()
        self._retired: list[tuple[float, PolicyEngine]] = []
        self._by_day: dict[tuple[str, date], tuple[int | None, PolicyEngine]] = {}   # (payer, day) -> engine

    # -- reloading -----------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._checked < self.poll_seconds:
            return
        self._checked = now
        generation = self.store.generation()
        if generation in (self.generation, self._failed_generation):
            return
        with self._lock:
            if generation == self.generation:
                return
            versions = self.store.all_versions()
            try:
                engines = {}
                for payer in payers_of(versions):
                    key, engine = self._build(versions, payer, today(), {})
                    engines[key] = engine
            except PolicyError as exc:
                self._failed_generation = generation
                self.error = f"generation {generation}: {exc.problems[0]}"
                log.error("policy reload failed; serving the last good policy",
                          extra={"generation": generation, "problems": len(exc.problems)})
                self.on_change(self)
                return
            old = self._engines
            self.versions, self.generation, self.error = versions, generation, None
            self._engines = OrderedDict(engines)
            self._failed_generation = None
            self._retire(engine for key, engine in old.items() if key not in self._engines)
            log.info("policy loaded", extra={"generation": generation, "payers": self.payers()})
        self.on_change(self)

    def _retire(self, engines) -> None:
        """Free replaced engines' rulesets, after a grace period for requests that still hold them."""
        now = time.monotonic()
        self._by_day.clear()          # it may point at an engine being retired
        self._retired += [(now, engine) for engine in engines]
        keep = []
        for since, engine in self._retired:
            if now - since > RETIRE_AFTER_SECONDS:
                engine.runtime.close()
            else:
                keep.append((since, engine))
        self._retired = keep

    @property
    def ready(self) -> bool:
        return self.generation is not None

    def payers(self) -> list[str]:
        return payers_of(self.versions)

    # -- lookups -------------------------------------------------------------------------------
    def chosen(self, payer_id: str, on: date) -> list[Version]:
        if payer_id not in self.payers():
            raise UnknownPayer(payer_id)
        return in_force(self.versions, payer_id, on)

    def engine(self, payer_id: str, on: date | None = None) -> PolicyEngine:
        on = on or today()
        with self._lock:
            cached = self._by_day.get((payer_id, on))
            if cached is not None and cached[0] == self.generation:
                return cached[1]
            key, engine = self._build(self.versions, payer_id, on, self._engines)
            self._by_day[(payer_id, on)] = (self.generation, engine)
            if len(self._by_day) > 4 * CACHE_SIZE:
                self._by_day.clear()
            self._engines[key] = engine
            self._engines.move_to_end(key)
            while len(self._engines) > CACHE_SIZE:
                self._retire([self._engines.popitem(last=False)[1]])
            return engine

    def _build(self, versions, payer_id, on, cache) -> tuple[tuple, PolicyEngine]:
        if payer_id not in payers_of(versions):
            raise UnknownPayer(payer_id)
        chosen = in_force(versions, payer_id, on)
        key = (payer_id,) + tuple(v.id for v in chosen)
        if key in cache:
            return key, cache[key]
        return key, engine_on(versions, payer_id, on)
