"""Reading YAML that comes from outside: safe types only, no aliases, no repeated keys, bounded size."""
from __future__ import annotations

import yaml
from yaml.nodes import MappingNode, SequenceNode

from .errors import LoadError, Problem

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 32              # a table is 5 levels deep; far deeper is an attack on whoever reads it next
_MERGE = "tag:yaml.org,2002:merge"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refuse(problem: str, mark) -> None:
    raise yaml.MarkedYAMLError(None, None, problem, mark)


def _check_nodes(loader, root) -> None:
    """One walk over the composed document, before anything is built from it. A node met twice
    is an alias: aliases allow expansion bombs and tables never need them."""
    seen = {id(root)}
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            _refuse(f"nested more than {MAX_DEPTH} levels deep", node.start_mark)
        if isinstance(node, MappingNode):
            children = [(child, key.start_mark) for key, value in node.value for child in (key, value)]
        elif isinstance(node, SequenceNode):
            children = [(child, node.start_mark) for child in node.value]
        else:
            continue
        for child, mark in children:
            if id(child) in seen:
                _refuse("aliases (*name) are not allowed in tables", mark)
            seen.add(id(child))
            stack.append((child, depth + 1))
        if isinstance(node, MappingNode):
            _check_keys(loader, node)


def _check_keys(loader, node: MappingNode) -> None:
    """A key twice in one mapping (two `when:` in a row) would silently keep the last value only;
    a merge key (<<) brings in keys no reader of the file sees."""
    first: dict = {}
    for key, _ in node.value:
        if key.tag == _MERGE:
            _refuse("merge keys (<<) are not allowed in tables", key.start_mark)
        if isinstance(key, yaml.ScalarNode):
            name = loader.construct_object(key)    # as the dict will see it: 1, 1.0 and true collide
            if name in first:
                _refuse(f"key {name!r} appears twice in one mapping (first at line {first[name] + 1})",
                        key.start_mark)
            first[name] = key.start_mark.line


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
    loader = _Loader(text)          # CSafeLoader: plain data only, as safe_load but in C; one parse
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_nodes(loader, node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise LoadError(Problem(f"not valid YAML{where}: {exc.problem or exc.context}", file=file)) from exc
    except yaml.YAMLError as exc:
        raise LoadError(Problem(f"not valid YAML: {exc}", file=file)) from exc
    except RecursionError as exc:
        raise LoadError(Problem("document is nested too deeply", file=file)) from exc
    finally:
        loader.dispose()
