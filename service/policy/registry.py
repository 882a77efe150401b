"""The compiled policies in force, rebuilt when the store's generation moves.

Every worker polls the store's generation (a one-row read) at most every `poll_seconds`, so a
newly published version is served within that time, without a restart. A reload builds every
payer's policy for today before it replaces anything. A payer whose stored policy does not compile
(a store written before today's checks existed, or by hand) is served from the newest generation
that does, and named in readiness as degraded; the other payers move on. Only a payer none of whose
generations compiles makes the service not ready. A request holds on to the engine it started
with, so it finishes on the policy it began with.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from datetime import date

from .. import clock
from ..engine.policy_engine import PolicyEngine
from ..tables.errors import PolicyError
from .assembly import engine_on
from .source import BASE, built_from, in_force, payers_of, revision
from .store import PayerSettings, Store, Version

log = logging.getLogger("massage_rules.policy")
CACHE_SIZE = 64
RETIRE_AFTER_SECONDS = 30
FALLBACK_ATTEMPTS = 25          # generations tried, newest first, for a payer whose policy does not compile


class UnknownPayer(LookupError):
    pass


class PayerUnavailable(LookupError):
    """No stored generation of this payer's policy compiles."""


class PolicyRegistry:
    def __init__(self, store: Store, poll_seconds: float = 0.2, on_change=None):
        self.store = store
        self.on_change = on_change or (lambda registry: None)   # after every reload
        self.poll_seconds = poll_seconds
        self.versions: list[Version] = []
        self.settings: dict[str, PayerSettings] = {}
        self.generation: int | None = None
        self.degraded: dict[str, str] = {}          # payer -> why it is served from an older generation
        self.unavailable: dict[str, str] = {}       # payer -> why no generation of it can be served
        self._served: dict[str, list[Version]] = {}  # payer -> the versions its policy is built from
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
        if generation == self.generation:
            return
        with self._lock:
            if generation == self.generation:
                return
            versions, settings = self.store.all_versions(), self.store.all_settings()
            engines, served, degraded, unavailable = {}, {}, {}, {}
            for payer in payers_of(versions):
                on = clock.today(settings.get(payer, PayerSettings(payer)).time_zone)
                try:
                    key, engine = self._build(versions, payer, on, self._engines)
                    served[payer] = versions
                except PolicyError as exc:
                    found = self._last_good(versions, payer, on)
                    message = f"generation {generation} does not compile: {exc.problems[0]}"
                    if found is None:
                        unavailable[payer] = message
                        log.error("no stored policy of this payer compiles",
                                  extra={"payer_id": payer, "generation": generation})
                        continue
                    served[payer], key, engine = found
                    degraded[payer] = f"serving generation {max(v.generation for v in served[payer])}: {message}"
                    log.error("payer served from an older generation", extra={"payer_id": payer,
                                                                              "generation": generation})
                engines[key] = engine
            old = self._engines
            self.versions, self.settings, self.generation = versions, settings, generation
            self._served, self.degraded, self.unavailable = served, degraded, unavailable
            self._engines = OrderedDict(engines)
            self._retire(engine for key, engine in old.items() if key not in self._engines)
            log.info("policy loaded", extra={"generation": generation, "payers": self.payers(),
                                             "degraded": sorted(degraded) + sorted(unavailable)})
        self.on_change(self)

    def _last_good(self, versions: list[Version], payer: str, on: date):
        """The newest generation at which this payer's policy compiled: (versions, key, engine) or None."""
        owned = sorted({v.generation for v in versions if v.payer_id in (BASE, payer)}, reverse=True)
        for cut in owned[1:FALLBACK_ATTEMPTS + 1]:
            older = [v for v in versions if v.generation <= cut]
            try:
                return (older, *self._build(older, payer, on, self._engines))
            except PolicyError:
                continue
        return None

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
        """Every payer can be answered (some perhaps from an older generation)."""
        return self.generation is not None and not self.unavailable

    def payers(self) -> list[str]:
        return payers_of(self.versions)

    # -- lookups -------------------------------------------------------------------------------
    def settings_of(self, payer_id: str) -> PayerSettings:
        return self.settings.get(payer_id, PayerSettings(payer_id))

    def today(self, payer_id: str) -> date:
        return clock.today(self.settings_of(payer_id).time_zone)

    def served_versions(self, payer_id: str) -> list[Version]:
        if payer_id not in self.payers():
            raise UnknownPayer(payer_id)
        if payer_id in self.unavailable:
            raise PayerUnavailable(payer_id)
        return self._served[payer_id]

    def chosen(self, payer_id: str, on: date) -> list[Version]:
        return in_force(self.served_versions(payer_id), payer_id, on)

    def revision(self, payer_id: str) -> str:
        return revision(self.served_versions(payer_id), payer_id)

    def engine(self, payer_id: str, on: date | None = None) -> PolicyEngine:
        on = on or self.today(payer_id)
        with self._lock:
            cached = self._by_day.get((payer_id, on))
            if cached is not None and cached[0] == self.generation:
                return cached[1]
            key, engine = self._build(self.served_versions(payer_id), payer_id, on, self._engines)
            self._by_day[(payer_id, on)] = (self.generation, engine)
            if len(self._by_day) > 4 * CACHE_SIZE:
                self._by_day.clear()
            self._engines[key] = engine
            self._engines.move_to_end(key)
            while len(self._engines) > CACHE_SIZE:
                self._retire([self._engines.popitem(last=False)[1]])
            return engine

    @staticmethod
    def _build(versions, payer_id, on, cache) -> tuple[tuple, PolicyEngine]:
        key = (payer_id,) + tuple(v.id for v in built_from(versions, payer_id, on))
        if key in cache:
            return key, cache[key]
        return key, engine_on(versions, payer_id, on)
