"""Reading YAML that comes from outside: safe types only, no aliases, bounded size."""
from __future__ import annotations

import yaml

from .errors import LoadError, Problem

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refuse_aliases(text: str) -> None:
    """Anchors and aliases allow expansion bombs and tables never need them: refuse them."""
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            mark = event.start_mark
            raise yaml.MarkedYAMLError(None, None, "aliases (*name) are not allowed in tables", mark)


def load_yaml(text: str | bytes, file: str):
    """Parse one YAML (or JSON) document; raise LoadError naming the file and line."""
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_DOCUMENT_BYTES:
        raise LoadError(Problem(f"document is {size} bytes; the limit is {MAX_DOCUMENT_BYTES}", file=file))
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LoadError(Problem(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=file)) from exc
    try:
        _refuse_aliases(text)
        loader = _Loader(text)          # CSafeLoader: plain data only, as safe_load but in C
        try:
            return loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise LoadError(Problem(f"not valid YAML{where}: {exc.problem or exc.context}", file=file)) from exc
    except yaml.YAMLError as exc:
        raise LoadError(Problem(f"not valid YAML: {exc}", file=file)) from exc
    except RecursionError as exc:
        raise LoadError(Problem("document is nested too deeply", file=file)) from exc
