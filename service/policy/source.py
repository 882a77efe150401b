"""The one policy source: the documents in force for payer P on date D, from a folder or the store.

Both give the same thing, a list of `Version`s (tables, value sets, test suites, fact declarations,
each owned by `base` or a payer), so the CLI, the registry, publishing, dry-run and sync read policy one way.
Names keep one meaning: `base` owns the shared documents every payer starts from; `default` is a
payer like any other, which uses the base unless it publishes its own.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from ..contract import DEFAULT_PAYER
from ..declared_facts import facts_from_document, is_facts_document
from ..table_tests import is_tests_document, split_by_payer, suite_from_document
from ..tables.errors import LoadError, PolicyError, Problem
from ..tables.loader import NAME, is_value_set_document, table_from_document, value_set_from_document
from ..tables.overlay import apply, check as check_overlay, is_overlay
from ..tables.yaml_io import load_yaml
from .store import BASE, SEED_EFFECTIVE, Version, content_hash, now

KINDS = ("table", "value_set", "tests", "facts")
NAME_KEY = {"table": "table", "value_set": "value_set", "tests": "tests", "facts": "facts"}


def kind_of(document: object) -> str:
    if is_value_set_document(document):
        return "value_set"
    if is_facts_document(document):
        return "facts"
    return "tests" if is_tests_document(document) else "table"


def parse(kind: str, document: object, file: str, owner: str, version: int | None = None, on: date | None = None):
    """A document of `kind` as its model (Table, ValueSet, list of TestCase, tuple of DeclaredFact; a
    payer's overlay: the name of the table it extends, as applying it needs the base in force), or
    PolicyError."""
    if kind == "table" and is_overlay(document):
        if owner == BASE:
            raise LoadError(Problem("a base table is whole: only a payer's table may extend the base", file,
                                    document.get("extends") if isinstance(document.get("extends"), str) else None))
        return check_overlay(document, file)
    if kind == "table":
        return table_from_document(document, file, origin=owner, version=version)
    if kind == "value_set":
        return value_set_from_document(document, file, origin=owner)
    if kind == "facts":
        return facts_from_document(document, file)
    return suite_from_document(document, file, DEFAULT_PAYER if owner == BASE else owner, on)


def name_of(kind: str, document: dict) -> str:
    """A parsed document's name (an overlay may leave `table` out: it names the table it extends)."""
    return document["extends"] if kind == "table" and is_overlay(document) else document[NAME_KEY[kind]]


def in_force(versions: list[Version], payer_id: str, on: date) -> list[Version]:
    """Per document: the payer's newest version effective on `on`, else base's."""
    best: dict[tuple[str, str, str], Version] = {}
    for v in versions:
        if v.payer_id not in (BASE, payer_id) or v.effective_from > on:
            continue
        key = (v.payer_id, v.kind, v.name)
        if key not in best or v.version > best[key].version:
            best[key] = v
    chosen = {}
    for (_owner, kind, name), v in sorted(best.items(), key=lambda item: item[0][0] != BASE):
        chosen[(kind, name)] = v          # the payer's own, sorted after base, replaces it
    return [chosen[k] for k in sorted(chosen)]


def extended(versions: list[Version], chosen: list[Version], on: date) -> list[Version]:
    """The base tables in force on `on` that the overlays among `chosen` (a payer's documents in
    force) extend: the payer's policy is built from them too."""
    names = {v.name for v in chosen if v.kind == "table" and v.payer_id != BASE and is_overlay(v.document)}
    return [v for v in in_force(versions, BASE, on) if v.kind == "table" and v.name in names]


def built_from(versions: list[Version], payer_id: str, on: date) -> list[Version]:
    """Every version the payer's policy on `on` is built from, so that whatever is keyed on them
    (compiled engines) sees a base change reach a payer's overlay."""
    chosen = in_force(versions, payer_id, on)
    return chosen + extended(versions, chosen, on)


def effective(versions: list[Version], kind: str, document: dict, on: date) -> dict:
    """What a document says on `on`: an overlay applied to base's table in force then, so that
    reviewers and readers see rows, not a patch; anything else (or an overlay that does not
    apply, which the checks report) as it is."""
    if kind != "table" or not is_overlay(document):
        return document
    base = next((v for v in in_force(versions, BASE, on) if v.kind == "table" and v.name == document.get("extends")),
                None)
    try:
        return apply(document, base.document if base else None, "", "")
    except PolicyError:
        return document


def newest(versions: list[Version], owner: str, kind: str, name: str) -> Version | None:
    own = [v for v in versions if v.payer_id == owner and v.kind == kind and v.name == name]
    return max(own, key=lambda v: v.version) if own else None


def payers_of(versions: list[Version]) -> list[str]:
    return [DEFAULT_PAYER] + sorted({v.payer_id for v in versions} - {BASE, DEFAULT_PAYER})


def revision(versions: list[Version], payer_id: str) -> str:
    """Identifies everything that can change what `payer_id` is answered (its ETag): moves only when
    the payer's own documents or base's do, not when another payer publishes."""
    ids = sorted(v.id for v in versions if v.payer_id in (BASE, payer_id))
    return content_hash({"payer": payer_id, "versions": ids})[:32]


def folder_versions(root: Path) -> list[Version]:
    """Every document under base/, payers/<id>/ and tests/, as the versions a store would hold.

    Raise LoadError with every problem of every file (named relative to `root`).
    """
    versions, problems = read_folder(root)
    if problems:
        raise LoadError([p for owner in problems for p in problems[owner]])
    return versions


def read_folder(root: Path) -> tuple[list[Version], dict[str, list[Problem]]]:
    """The folder's documents that can be read, and the problems of the others by owner (`base`,
    or a payer), so that a bad file of one payer does not hide whether the others are sound."""
    if not (root / "base").is_dir():
        raise LoadError(Problem(f"no base/ folder of decision tables under {root}", file=str(root)))
    folders = [(BASE, root / "base")] + [(p.name, p) for p in sorted((root / "payers").glob("*")) if p.is_dir()]
    found, problems = [], {}
    for owner, folder in folders:
        if owner != BASE and not NAME.match(owner.replace("-", "_")):
            problems.setdefault(owner, []).append(Problem(f"{owner!r} is not a payer id",
                                                          file=str(folder.relative_to(root))))
            continue
        for path in sorted(folder.rglob("*.yaml")):
            found += _read(root, path, owner, lambda doc, owner=owner: [(owner, kind_of(doc), doc)], problems)
    for path in sorted((root / "tests").glob("*.yaml")):
        found += _read(root, path, DEFAULT_PAYER, lambda doc, stem=path.stem: [
            (payer, "tests", suite) for payer, suite in split_by_payer(doc, stem).items()]
            if isinstance(doc, dict) else [(DEFAULT_PAYER, "tests", doc)], problems)
    versions = []
    for index, (owner, kind, doc, shown) in enumerate(found):
        number = doc.pop("version") if kind == "table" and isinstance(doc, dict) and isinstance(
            doc.get("version"), int) else 1
        try:
            parse(kind, doc, shown, owner, number, SEED_EFFECTIVE)
        except PolicyError as exc:
            problems.setdefault(owner, []).extend(exc.problems)
            continue
        versions.append(Version(index + 1, owner, kind, name_of(kind, doc), number, SEED_EFFECTIVE, doc,
                                content_hash(doc), "folder", "", now(), file=shown))
    return versions, problems


def _read(root: Path, path: Path, owner: str, documents, problems: dict) -> list[tuple]:
    shown = str(path.relative_to(root))
    try:
        doc = load_yaml(path.read_bytes(), shown)
    except PolicyError as exc:
        problems.setdefault(owner, []).extend(exc.problems)
        return []
    return [(owner_, kind, d, shown) for owner_, kind, d in documents(doc)]


def file_of(version: Version) -> str:
    """How problems name a stored document: owner/name@version, never a server path."""
    return version.file or f"{version.payer_id}/{version.name}@{version.version}"
