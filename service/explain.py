"""A decision told as text: what was decided, and which rows of which tables said so."""
from __future__ import annotations

import json


def _value(v) -> str:
    return json.dumps(v) if not isinstance(v, str) else v


def explain(decision: dict) -> str:
    insurance, hsa = decision["billing"]["insurance"], decision["billing"]["hsa_fsa"]
    lines = [f"Classification: {decision['classification']}"]
    if decision["referrals"]:
        lines.append("Referrals:")
        lines += [f"  - to {r['to']} ({r['reason']}): {r['message']}  [{r['rule']}]" for r in decision["referrals"]]
    else:
        lines.append("Referrals: none")
    lines.append(f"Insurance: {'eligible' if insurance['eligible'] else 'not eligible'}"
                 + ("; prior authorization required" if insurance["prior_authorization_required"] else ""))
    for line in insurance["lines"]:
        mods = f" modifiers {', '.join(line['modifiers'])}" if line["modifiers"] else ""
        billed = f"{line['cpt']} x {line['units']}{mods}"
        # not eligible: the lines are what a claim would carry, not a suggestion to bill them
        lines.append(f"  bill {billed}" if insurance["eligible"]
                     else f"  a claim would carry {billed} (not payable: see reasons)")
    for reason in insurance["reasons"]:
        cpt = f" ({reason['cpt']})" if "cpt" in reason else ""
        lines.append(f"  because{cpt}: {reason['message']} [{reason['code']}, {reason['rule']}]")
    if insurance["documentation_required"]:
        lines.append(f"  documentation: {', '.join(insurance['documentation_required'])}")
    lines.append(f"HSA/FSA: {'eligible' if hsa['eligible'] else 'not eligible'}")
    for reason in hsa["reasons"]:
        lines.append(f"  because: {reason['message']} [{reason['code']}, {reason['rule']}]")
    if hsa["documentation_required"]:
        lines.append(f"  documentation: {', '.join(hsa['documentation_required'])}")
    lines.append("")
    lines.append("Why (every row that decided, in firing order):")
    for step in decision["trace"]:
        item = f"[item {step['item']}] " if "item" in step else ""
        seen = ", ".join(f"{k}={_value(v)}" for k, v in step["inputs"].items()) or "any case"
        out = ", ".join(f"{k}={_value(v)}" for k, v in step["outputs"].items())
        lines.append(f"  {step['table']} {step['rule']} ({step['version']}) {item}when {seen} -> {out}")
        if step["annotation"]:
            lines.append(f"      {step['annotation']}")
    lines.append("")
    lines.append("Policy: " + ", ".join(f"{t}={v}" for t, v in decision["policy"]["tables"].items()))
    return "\n".join(lines)
