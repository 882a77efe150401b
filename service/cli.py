"""massage-rules: validate and test decision tables, evaluate a case.

Exit codes: 0 ok, 1 failed checks (invalid tables, failing table tests), 2 bad usage or bad input.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .case_schema import CaseInvalid, load_case
from .engine.facts import CaseFactError
from .engine.policy_engine import PolicyEngine, load_engines
from .explain import explain
from .table_tests import load_cases, run
from .tables.errors import PolicyError
from .tables.payers import DEFAULT_PAYER, load_policy, payer_ids

OK, FAILED, USAGE = 0, 1, 2
DEFAULT_TABLES = Path("decision_tables")


def _print_problems(exc: PolicyError) -> None:
    for problem in exc.problems:
        print(f"error: {problem}", file=sys.stderr)


def cmd_validate(args) -> int:
    root = Path(args.dir)
    if not (root / "base").is_dir():
        print(f"error: {root}: no base/ folder of decision tables here", file=sys.stderr)
        return USAGE
    failed = False
    for payer in payer_ids(root):
        try:
            engine = PolicyEngine.build(load_policy(root, payer))
        except PolicyError as exc:
            print(f"{payer}: invalid", file=sys.stderr)
            _print_problems(exc)
            failed = True
            continue
        for warning in engine.policy.warnings:
            print(f"warning: {warning}", file=sys.stderr)
        stats = engine.compiled.stats
        print(f"{payer}: ok ({len(engine.policy.tables)} tables, {stats['rules']} rules in "
              f"{stats['rulesets']} ruleset(s))")
    return FAILED if failed else OK


def cmd_test(args) -> int:
    root = Path(args.dir)
    try:
        engines = load_engines(root)
        cases = load_cases(root / "tests")
    except PolicyError as exc:
        _print_problems(exc)
        return FAILED
    if not cases:
        print(f"error: no test cases under {root / 'tests'}", file=sys.stderr)
        return FAILED
    report = run(cases, engines)
    for failure in report.failures:
        print(f"FAIL {failure}")
    covered = len(report.covered & report.rows)
    print(f"{report.passed} passed, {len(report.failures)} failed")
    print(f"row coverage: {covered}/{len(report.rows)} ({report.coverage:.0%})")
    for file, row in report.uncovered:
        print(f"  not fired by any case: {file} row {row}")
    return OK if not report.failures and report.coverage == 1.0 else FAILED


def cmd_evaluate(args) -> int:
    try:
        raw = json.loads(Path(args.case).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: {args.case}: cannot read: {exc}", file=sys.stderr)
        return USAGE
    except json.JSONDecodeError as exc:
        print(f"error: {args.case}: not JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", file=sys.stderr)
        return USAGE
    try:
        case = load_case(raw)
    except CaseInvalid as exc:
        for error in exc.errors:
            print(f"error: {args.case}: {error['field']}: {error['message']}", file=sys.stderr)
        return USAGE
    payer = args.payer or case.get("payer_id") or DEFAULT_PAYER
    try:
        engine = PolicyEngine.build(load_policy(Path(args.tables), payer))
    except PolicyError as exc:
        _print_problems(exc)
        return USAGE if "unknown payer" in str(exc) else FAILED
    try:
        decision = engine.decide(case)
    except CaseFactError as exc:
        print(f"error: {args.case}: {exc.path}: {exc.message}", file=sys.stderr)
        return USAGE
    print(explain(decision) if args.explain else json.dumps(decision, indent=2))
    return OK


def _store():
    """The configured store, migrated and seeded; None (message printed) when the settings are bad."""
    from .api.config import ConfigError, Settings
    from .policy.bootstrap import open_store
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None, None
    return settings, open_store(settings.database_url, settings.tables_dir)


def cmd_serve(args) -> int:
    """Run gunicorn with deploy/gunicorn.conf.py (it replaces this process)."""
    import os
    conf = Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"
    try:
        settings, store = _store()
    except PolicyError as exc:
        _print_problems(exc)
        return FAILED
    if store is None:
        return USAGE
    if not store.has_admin_key():
        _, text = store.create_key("admin", ["*"], "local admin (created on first start)")
        print("No admin key existed, so one was created for local use. It is shown once; only its hash is kept.")
        print(f"admin key: {text}", flush=True)
    argv = [sys.executable, "-m", "gunicorn", "--config", str(conf), "--bind", f"{args.host}:{args.port}"]
    if args.workers:
        argv += ["--workers", str(args.workers)]
    os.execv(sys.executable, argv)
    return OK


def cmd_schemas(args) -> int:
    """Write schemas/openapi.json and schemas/case.schema.json from the marshmallow schemas."""
    from .api.spec import ROOT, rendered
    stale = []
    for path, text in rendered().items():
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(path)
        else:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    for path in stale:
        print(f"error: {path.relative_to(ROOT)} is out of date; run `massage-rules schemas`", file=sys.stderr)
    return FAILED if stale else OK


def cmd_keys(args) -> int:
    from .api.auth import ROLES
    settings, store = _store()
    if store is None:
        return USAGE
    if args.action == "create":
        if args.role not in ROLES:
            print(f"error: --role must be one of {', '.join(ROLES)}", file=sys.stderr)
            return USAGE
        key, text = store.create_key(args.role, args.payer or ["*"], args.name or f"{args.role} key")
        print(f"created key {key.id} ({key.name}): role {key.role}, payers {', '.join(key.payers)}")
        print(text)
    elif args.action == "list":
        for key in store.keys():
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            print(f"{key.id}  {key.role:<10}  {','.join(key.payers):<30}  {state:<18}  {key.name}")
    else:
        if not args.key_id:
            print("error: keys revoke needs a key id", file=sys.stderr)
            return USAGE
        if not store.revoke_key(args.key_id):
            print(f"error: no active key {args.key_id}", file=sys.stderr)
            return FAILED
        print(f"revoked {args.key_id}")
    return OK


def cmd_sync(args) -> int:
    from .policy.bootstrap import sync
    settings, store = _store()
    if store is None:
        return USAGE
    try:
        stored = sync(store, Path(args.dir))
    except PolicyError as exc:
        _print_problems(exc)
        return FAILED
    for version in stored:
        print(f"published {version.kind} {version.name} for {version.payer_id} as version {version.version}")
    if not stored:
        print("nothing changed")
    return OK


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="massage-rules", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check every table of every payer, and that each policy compiles")
    p.add_argument("dir", nargs="?", default=str(DEFAULT_TABLES))
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("test", help="run the table tests in DIR/tests and report row coverage")
    p.add_argument("dir", nargs="?", default=str(DEFAULT_TABLES))
    p.set_defaults(func=cmd_test)
    p = sub.add_parser("evaluate", help="decide one case (contract JSON) and print the decision")
    p.add_argument("case", metavar="CASE.json")
    p.add_argument("--payer", help="payer policy to use (default: the case's payer_id, else default)")
    p.add_argument("--explain", action="store_true", help="print a readable account instead of JSON")
    p.add_argument("--tables", default=str(DEFAULT_TABLES), help="decision tables folder")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("serve", help="serve the HTTP API under gunicorn (deploy/gunicorn.conf.py)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8080)
    p.add_argument("--workers", type=int, help="default: one per CPU")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("keys", help="API keys: create (prints the key once, last line), list, revoke")
    p.add_argument("action", choices=["create", "list", "revoke"])
    p.add_argument("key_id", nargs="?", help="for revoke")
    p.add_argument("--role", help="integrator | analyst | publisher | admin")
    p.add_argument("--payer", action="append", help="payer id the key may act for (repeat); default: all (*)")
    p.add_argument("--name", help="who holds the key")
    p.set_defaults(func=cmd_keys)
    p = sub.add_parser("sync", help="publish the table files that changed in DIR as new versions")
    p.add_argument("dir", nargs="?", default=str(DEFAULT_TABLES))
    p.set_defaults(func=cmd_sync)
    p = sub.add_parser("schemas", help="regenerate schemas/openapi.json and schemas/case.schema.json")
    p.add_argument("--check", action="store_true", help="only check they are up to date")
    p.set_defaults(func=cmd_schemas)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
