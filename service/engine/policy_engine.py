"""One payer's policy, checked, compiled and hosted: case in, decision out."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..case_facts import derive
from ..declared_facts import with_extensions
from ..tables.errors import ValidationError
from ..tables.policy import Policy
from .compile import CompiledPolicy, compile_policy
from .decision import answer_problems, decide
from .limits import DEFAULT_LIMITS, EngineLimits
from .runtime import Evaluation, Runtime


@dataclass(frozen=True)
class PolicyEngine:
    policy: Policy
    compiled: CompiledPolicy
    runtime: Runtime

    @classmethod
    def build(cls, policy: Policy, limits: EngineLimits = DEFAULT_LIMITS) -> "PolicyEngine":
        problems = answer_problems(policy)
        if problems:
            raise ValidationError(problems)
        compiled = compile_policy(policy, limits)
        return cls(policy, compiled, Runtime(compiled))

    def answer(self, case: dict, today: date | None = None) -> tuple[dict, Evaluation]:
        """The decision and the evaluation behind it; `case` comes from `case_schema.load_case`, its
        extensions are checked here against the facts this policy declares (CaseInvalid if wrong)."""
        evaluation = self.runtime.evaluate(derive(with_extensions(case, self.policy.facts), today, self.policy.facts))
        return decide(self.policy, evaluation, case.get("case_id")), evaluation

    def decide(self, case: dict, today: date | None = None) -> dict:
        return self.answer(case, today)[0]

