"""Reading a JSON request body safely: type, size, syntax, NaN, duplicate keys, depth."""
from __future__ import annotations

import json

from flask import Request

from .errors import Problem, invalid


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise _Duplicate(key)
        obj[key] = value
    return obj


class _Duplicate(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def check_depth(value, max_depth: int, field: str = "$") -> None:
    """422 when JSON is nested deeper than the contract allows."""
    if _depth(value) > max_depth:
        raise invalid([{"field": field, "message": "Nested deeper than the contract allows."}])


def _depth(value) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            deepest = max(deepest, depth)
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def _too_large(max_bytes: int) -> Problem:
    return Problem(413, "Payload too large", f"The body is larger than {max_bytes} bytes.",
                   [{"field": "$", "message": f"At most {max_bytes} bytes."}])


def _malformed(detail: str) -> Problem:
    return Problem(400, "Malformed JSON", detail, [{"field": "$", "message": detail}])


def read_json(request: Request, max_bytes: int, max_depth: int):
    """The decoded body, or a Problem: 415 not JSON, 413 too large, 400 malformed, 422 too deep."""
    if request.mimetype != "application/json":
        raise Problem(415, "Unsupported media type", "Send the body as application/json.",
                      [{"field": "Content-Type", "message": "Must be application/json."}])
    if request.content_length is not None and request.content_length > max_bytes:
        raise _too_large(max_bytes)
    raw = request.stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise _too_large(max_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _malformed("The body is not UTF-8.") from None
    if not text.strip():
        raise _malformed("The body is empty.")
    try:
        data = json.loads(text, parse_constant=_no_constants, object_pairs_hook=_no_duplicates)
    except _Duplicate as dup:
        raise invalid([{"field": dup.key, "message": "Duplicate key."}]) from None
    except RecursionError:
        raise invalid([{"field": "$", "message": "Nested deeper than the contract allows."}]) from None
    except ValueError as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "NaN and Infinity are not JSON"
        raise _malformed(f"The body is not valid JSON{where}: {reason}.") from None
    check_depth(data, max_depth)
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise invalid([{"field": "$", "message": "Contains a lone surrogate escape: not Unicode text."}]) from None
    return data
