"""What the policy views share: the store and registry of this app, a payer's today, query and body
loading, and the one way a change of policy is made from a request (publish, or propose where the
payer requires four eyes)."""
from __future__ import annotations

from datetime import date

from flask import current_app
from marshmallow import Schema, ValidationError

from ..case_schema import flatten_errors
from ..policy import changes
from ..policy.registry import PolicyRegistry, UnknownPayer
from ..policy.store import BASE, PayerSettings, Store
from .auth import actor
from .errors import invalid

KIND_OF_URL = {"tables": "table", "value-sets": "value_set", "tests": "tests", "facts": "facts"}


def store() -> Store:
    return current_app.extensions["policy_store"]


def registry() -> PolicyRegistry:
    return current_app.extensions["policy_registry"]


def today_for(payer_id: str) -> date:
    return registry().today(payer_id)


def settings_of(payer_id: str) -> PayerSettings:
    """Read from the store, not a worker's cache: whether four eyes apply must never lag."""
    return store().all_settings().get(payer_id, PayerSettings(payer_id))


def load(schema: Schema, data) -> dict:
    try:
        return schema.load(data)
    except ValidationError as exc:
        raise invalid(flatten_errors(exc.messages)) from None


def known_payer(payer_id: str) -> None:
    if payer_id != BASE and payer_id not in registry().payers():
        raise UnknownPayer(payer_id)


def change_view(change, with_diff: bool = False, settings: PayerSettings | None = None) -> dict:
    """A change as the API shows it; `settings` spares a store read per change of a list."""
    settings = settings or settings_of(change.payer_id)
    view = {"id": change.id, "payer_id": change.payer_id, "status": change.status,
            "effective_from": change.effective_from.isoformat(), "comment": change.comment,
            "author_key_id": change.author_key_id, "author": change.author_owner,
            "created_at": change.created_at.isoformat(), "updated_at": change.updated_at.isoformat(),
            "documents": [{"kind": d["kind"], "name": d["name"]} for d in change.documents],
            "decided_by": change.decided_by_owner, "decided_at": change.decided_at and change.decided_at.isoformat(),
            "decision_comment": change.decision_comment, "generation": change.generation,
            "four_eyes": changes.four_eyes(change.payer_id, settings),
            "etag": change.etag}
    if with_diff:
        view["documents"] = [{**d, "document": doc["document"]} for d, doc in
                             zip(changes.diff_against_policy(store().all_versions(), change), change.documents,
                                 strict=True)]
    return view


def changed_response(payer_id: str, docs: list[dict], effective_from: date, comment: str, action: str):
    """Publish `docs` at once (201, or 200 with the versions in force when nothing differs), or,
    where the payer requires four eyes, propose them for another person to approve (202)."""
    who = actor()
    if changes.four_eyes(payer_id, settings_of(payer_id)):
        change = changes.propose(store(), changes.draft(store(), payer_id, docs, effective_from, comment, who), who)
        return current_app.json.response({"status": "proposed", "change": change_view(change)}), 202
    outcome = changes.publish(store(), docs, effective_from, comment, who, action)
    registry().refresh(force=True)
    if not outcome.stored:
        return current_app.json.response({"status": "unchanged", "versions": [_version(v) for v in outcome.unchanged],
                                          **_version(outcome.unchanged[0])}), 200
    return current_app.json.response({"status": "published", "generation": outcome.generation,
                                      "versions": [_version(v) for v in outcome.stored],
                                      **_version(outcome.stored[0])}), 201


def _version(v) -> dict:
    return {"payer_id": v.payer_id, "kind": v.kind, "name": v.name, "table": v.name, **v.summary()}
