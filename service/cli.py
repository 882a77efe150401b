"""massage-rules: validate and test decision tables, evaluate a case.

Exit codes: 0 ok, 1 failed checks (invalid tables, failing table tests), 2 bad usage or bad input.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import clock
from .case_schema import CaseInvalid, load_case
from .engine.facts import CaseFactError
from .explain import explain
from .policy.assembly import engine_on
from .policy.changes import suite_cases
from .policy.source import BASE, DEFAULT_PAYER, payers_of, read_folder
from .table_tests import run
from .tables.errors import PolicyError

OK, FAILED, USAGE = 0, 1, 2
DEFAULT_TABLES = Path("decision_tables")


def _print_problems(exc: PolicyError) -> None:
    for problem in exc.problems:
        print(f"error: {problem}", file=sys.stderr)


class _Folder:
    """A folder of documents answers what the registry answers for a store: payers, today, engines.
    A payer with an unreadable document (its own, or base's) is named with its problems."""

    def __init__(self, root: Path):
        self.versions, self.problems = read_folder(root)

    def payers(self) -> list[str]:
        return payers_of(self.versions) + sorted(set(self.problems) - {BASE} - set(payers_of(self.versions)))

    def unreadable(self, payer: str) -> list:
        return self.problems.get(BASE, []) + self.problems.get(payer, [])

    def today(self, _payer: str):
        return clock.today()

    def served_versions(self, _payer: str):
        return self.versions

    def engine(self, payer: str, on, analyse: bool = False):
        return engine_on(self.versions, payer, on, analyse)


class _Exit(Exception):
    """Stop the command with this exit code (its message already printed)."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


def _source(args):
    """The folder, unless --store is given without a folder: then the store, read as the server
    reads it (same payer settings, same fallbacks, same today)."""
    if args.store is not None and args.dir is None:
        from .policy.registry import PolicyRegistry
        registry = PolicyRegistry(_store(args.store or None)[1])
        registry.refresh(force=True)
        return registry
    root = Path(args.dir or DEFAULT_TABLES)
    if not (root / "base").is_dir():
        print(f"error: {root}: no base/ folder of decision tables here", file=sys.stderr)
        raise _Exit(USAGE)
    return _Folder(root)


def cmd_validate(args) -> int:
    source = _source(args)
    failed = False
    for payer in source.payers():
        try:
            if isinstance(source, _Folder) and source.unreadable(payer):
                raise PolicyError(source.unreadable(payer))
            engine = engine_on(source.served_versions(payer), payer, source.today(payer), analyse=True)
        except PolicyError as exc:
            print(f"{payer}: invalid", file=sys.stderr)
            _print_problems(exc)
            failed = True
            continue
        stats = engine.compiled.stats
        print(f"{payer}: ok ({len(engine.policy.tables)} tables, {stats['rules']} rules in "
              f"{stats['rulesets']} ruleset(s))")
        engine.runtime.close()
    return FAILED if failed else OK


def cmd_test(args) -> int:
    source = _source(args)
    if isinstance(source, _Folder) and source.problems:
        _print_problems(PolicyError([p for found in source.problems.values() for p in found]))
        return FAILED
    try:
        cases = [case for payer in source.payers() for case in suite_cases(source.served_versions(payer), payer)]
    except PolicyError as exc:
        _print_problems(exc)
        return FAILED
    if not cases:
        print("error: no table test cases", file=sys.stderr)
        return FAILED

    def engine_for(payer, on):
        try:
            return source.engine(payer, on)
        except PolicyError as exc:
            _print_problems(exc)
            return None
    report = run(cases, engine_for)
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
    source = _source(args)
    payer = args.payer or case.get("payer_id") or DEFAULT_PAYER
    if payer not in source.payers():
        print(f"error: unknown payer {payer!r}", file=sys.stderr)
        return USAGE
    case = dict(case, payer_id=payer)
    on = case.get("date_of_service") or source.today(payer)
    if isinstance(source, _Folder) and source.unreadable(payer):
        _print_problems(PolicyError(source.unreadable(payer)))
        return FAILED
    try:
        decision = source.engine(payer, on).decide(case, on)
    except PolicyError as exc:
        _print_problems(exc)
        return FAILED
    except CaseInvalid as exc:
        for error in exc.errors:
            print(f"error: {args.case}: {error['field']}: {error['message']}", file=sys.stderr)
        return USAGE
    except CaseFactError as exc:
        print(f"error: {args.case}: {exc.path}: {exc.message}", file=sys.stderr)
        return USAGE
    print(explain(decision) if args.explain else json.dumps(decision, indent=2))
    return OK


def _store(url: str | None = None):
    """The configured store (or the one at `url`), migrated and seeded; exit 2 with the setting
    named when the settings are bad."""
    from .api.config import ConfigError, Settings
    from .policy.bootstrap import open_store
    try:
        settings = Settings.from_env(**({"database_url": url} if url else {}))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise _Exit(USAGE) from None
    return settings, open_store(settings.database_url, settings.tables_dir)


def cmd_serve(args) -> int:
    """Run gunicorn with deploy/gunicorn.conf.py (it replaces this process)."""
    import os
    conf = Path(__file__).resolve().parents[1] / "deploy" / "gunicorn.conf.py"
    try:
        _, store = _store()
    except PolicyError as exc:
        _print_problems(exc)
        return FAILED
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
    _, store = _store()
    if args.action == "create":
        if args.role not in ROLES:
            print(f"error: --role must be one of {', '.join(ROLES)}", file=sys.stderr)
            return USAGE
        name = args.name or f"{args.role} key"
        key, text = store.create_key(args.role, args.payer or ["*"], name, owner=args.owner or name)
        print(f"created key {key.id} ({key.name}, issued to {key.owner}): role {key.role}, "
              f"payers {', '.join(key.payers)}")
        print(text)
    elif args.action == "list":
        for key in store.keys():
            state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
            print(f"{key.id}  {key.role:<10}  {','.join(key.payers):<30}  {state:<18}  {key.owner:<20}  {key.name}")
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
    """The folder's changed documents as one checked change: published, or proposed where the
    payer (or base) needs four eyes; with --dry-run, only checked and listed."""
    from .policy.bootstrap import sync
    from .policy.store import Actor, StoreConflict
    _, store = _store()
    author = Actor("cli", args.author, args.author)
    on = args.effective_from or clock.today()
    try:
        result = sync(store, Path(args.dir), on, args.comment, author, args.dry_run)
    except PolicyError as exc:
        _print_problems(exc)
        return FAILED
    except StoreConflict as exc:
        print(f"error: {exc}", file=sys.stderr)
        return FAILED
    if not result.pending:
        print("nothing changed")
    elif args.dry_run:
        for owner, kind, name in result.pending:
            print(f"would publish {kind.replace('_', ' ')} {name} for {owner} from {on.isoformat()}")
        print("checks passed; nothing stored (--dry-run)")
    for version in result.published.stored if result.published else []:
        print(f"published {version.kind.replace('_', ' ')} {version.name} for {version.payer_id} as version "
              f"{version.version} from {version.effective_from.isoformat()}")
    for change in result.proposed:
        print(f"proposed change {change.id} for {change.payer_id}: it needs another person's approval "
              f"(POST /v1/payers/{change.payer_id}/changes/{change.id}/approve)")
    return OK


def cmd_payers(args) -> int:
    """Show or set a payer's settings: four eyes for its changes, and its time zone."""
    from .policy.store import Actor, PayerSettings
    _, store = _store()
    current = store.all_settings().get(args.payer_id, PayerSettings(args.payer_id))
    if args.four_eyes is not None or args.time_zone:
        if args.time_zone and not clock.is_time_zone(args.time_zone):
            print(f"error: --time-zone: {args.time_zone!r} is not an IANA time zone", file=sys.stderr)
            return USAGE
        current = PayerSettings(args.payer_id, current.four_eyes if args.four_eyes is None else args.four_eyes,
                                args.time_zone or current.time_zone)
        store.set_settings(current, Actor("cli", args.author, args.author))
    print(f"{args.payer_id}: four eyes {'on' if current.four_eyes or args.payer_id == 'base' else 'off'}, "
          f"time zone {current.time_zone}")
    return OK


def _date(text: str):
    from datetime import date
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _policy_args(p, what: str) -> None:
    p.add_argument("dir", nargs="?", help=f"decision tables folder (default: {DEFAULT_TABLES}); wins over --store")
    p.add_argument("--store", nargs="?", const="", metavar="URL",
                   help=f"{what} the policy stored at URL (default: the configured store), as the server does")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="massage-rules", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check every table of every payer, and that each policy compiles")
    _policy_args(p, "validate")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("test", help="run every payer's table tests and report row coverage")
    _policy_args(p, "test")
    p.set_defaults(func=cmd_test)
    p = sub.add_parser("evaluate", help="decide one case (contract JSON) and print the decision")
    p.add_argument("case", metavar="CASE.json")
    p.add_argument("--payer", help="payer policy to use (default: the case's payer_id, else default)")
    p.add_argument("--explain", action="store_true", help="print a readable account instead of JSON")
    p.add_argument("--tables", dest="dir", help=f"decision tables folder (default: {DEFAULT_TABLES}); wins over --store")
    p.add_argument("--store", nargs="?", const="", metavar="URL",
                   help="decide with the policy stored at URL (default: the configured store), exactly as the server")
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
    p.add_argument("--name", help="what the key is for")
    p.add_argument("--owner", help="the person or system the key is issued to (four eyes compares owners); "
                                   "default: the name")
    p.set_defaults(func=cmd_keys)
    p = sub.add_parser("sync", help="publish the documents that changed in DIR as one checked change")
    p.add_argument("dir", nargs="?", default=str(DEFAULT_TABLES))
    p.add_argument("--dry-run", action="store_true", help="check and list what would be published; store nothing")
    p.add_argument("--comment", default="synced from decision_tables")
    p.add_argument("--effective-from", type=_date, help="first date of service it applies to (default: today, UTC)")
    p.add_argument("--author", default="cli", help="who publishes it, as the audit log records it")
    p.set_defaults(func=cmd_sync)
    p = sub.add_parser("payers", help="show or set a payer's settings (four eyes, time zone)")
    p.add_argument("payer_id")
    eyes = p.add_mutually_exclusive_group()
    eyes.add_argument("--four-eyes", dest="four_eyes", action="store_true", default=None,
                      help="its changes need an approver other than their author")
    eyes.add_argument("--no-four-eyes", dest="four_eyes", action="store_false")
    p.add_argument("--time-zone", help="IANA time zone that says what today is for this payer")
    p.add_argument("--author", default="cli", help="who changes the settings, as the audit log records it")
    p.set_defaults(func=cmd_payers)
    p = sub.add_parser("schemas", help="regenerate schemas/openapi.json and schemas/case.schema.json")
    p.add_argument("--check", action="store_true", help="only check they are up to date")
    p.set_defaults(func=cmd_schemas)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except _Exit as stop:
        return stop.code


if __name__ == "__main__":
    sys.exit(main())
