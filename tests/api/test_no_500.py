"""No input produces a 5xx: random JSON, and random corruptions of a valid case."""
from __future__ import annotations

import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT

CASE = json.loads((ROOT / "examples" / "contract-case.json").read_text())

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**20, 10**20) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=30)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, prefix + (i,))


PATHS = [p for p in _paths(CASE) if p]


@st.composite
def corrupted_cases(draw):
    case = copy.deepcopy(CASE)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        node = case
        try:
            for part in path[:-1]:
                node = node[part]
            node[path[-1]] = draw(json_values)
        except (KeyError, IndexError, TypeError):
            pass
    return case


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=json_values)
def test_random_json_never_5xx(client, body):
    for path in ("/v1/decisions", "/v1/decisions/batch"):
        assert client.post(path, data=json.dumps(body), content_type="application/json").status_code < 500


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=corrupted_cases())
def test_corrupted_cases_never_5xx(client, case):
    response = client.post("/v1/decisions", data=json.dumps(case), content_type="application/json")
    known_payer = case.get("payer_id", "default") in ("default", "acme-health", "medicare-example")
    assert response.status_code in ((200, 422) if known_payer else (404, 422)), response.get_json()
    batch = client.post("/v1/decisions/batch", data=json.dumps({"cases": [case, CASE]}), content_type="application/json")
    assert batch.status_code == 200 and batch.get_json()["results"][1]["classification"] == "medical"


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.dictionaries(st.sampled_from(["payer_id", "date", "x"]), st.text(max_size=20), max_size=3),
       name=st.text(min_size=1, max_size=20).filter(lambda s: "/" not in s and "?" not in s and "#" not in s))
def test_random_queries_never_5xx(client, query, name):
    from urllib.parse import quote, urlencode
    assert client.get("/v1/policy?" + urlencode(query)).status_code < 500
    assert client.get(f"/v1/tables/{quote(name)}?" + urlencode(query)).status_code < 500
