"""The HTTP contract's schemas beyond the case itself: queries, decisions, batches, problems.

The case request is `service.case_schema.CaseSchema` (shared with the CLI). These feed the
OpenAPI document; the response schemas describe what `service.engine.decision` produces.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from .. import contract
from ..case_schema import CaseSchema

PAYER_ID = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="Not a payer id.")


class _Ordered(Schema):
    class Meta:
        ordered = True


class PolicyQuerySchema(_Ordered):
    payer_id = fields.String(load_default=contract.DEFAULT_PAYER, validate=PAYER_ID)
    date = fields.Date(metadata={"description": "Versions in force on this date (default today)."})


class TableQuerySchema(_Ordered):
    payer_id = fields.String(load_default=contract.DEFAULT_PAYER, validate=PAYER_ID)
    date = fields.Date(metadata={"description": "The version in force on this date (default today)."})


class ReferralSchema(_Ordered):
    to = fields.String(required=True, validate=validate.OneOf(list(contract.REFERRAL_TO)))
    reason = fields.String(required=True, validate=validate.OneOf(list(contract.REFERRAL_REASONS)))
    message = fields.String(required=True)
    rule = fields.String(required=True, metadata={"description": "table:row that made the referral"})


def _extensible(codes: tuple, what: str, declared: str) -> dict:
    """A list a payer may extend: documented with the contract's members, never closed by an enum,
    so a generated client does not break when a payer adds one (its own are in GET /v1/policy)."""
    return {"description": f"{what}: one of the contract's (x-extensible-enum) or one the payer declares "
                           f"(GET /v1/policy, declared_codes.{declared}); accept codes you do not know",
            "x-extensible-enum": list(codes)}


def _documents() -> fields.List:
    return fields.List(fields.String(metadata=_extensible(contract.DOCUMENTS, "A document", "documents")),
                       required=True)


class ReasonSchema(_Ordered):
    code = fields.String(required=True, metadata=_extensible(contract.REASON_CODES, "A reason code", "reason_codes"))
    message = fields.String(required=True)
    rule = fields.String(required=True)
    cpt = fields.String(metadata={"description": "the dropped line's code, for line reasons"})


class LineSchema(_Ordered):
    cpt = fields.String(required=True)
    units = fields.Integer(required=True)
    modifiers = fields.List(fields.String(), required=True)


class InsuranceSchema(_Ordered):
    eligible = fields.Boolean(required=True)
    prior_authorization_required = fields.Boolean(required=True)
    lines = fields.List(fields.Nested(LineSchema), required=True, metadata={
        "description": "the lines a claim would carry; when not eligible, the claim will not be paid, for the "
                       "`reasons` given: do not bill these expecting payment"})
    documentation_required = _documents()
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)


class HsaFsaSchema(_Ordered):
    eligible = fields.Boolean(required=True)
    documentation_required = _documents()
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)


class BillingSchema(_Ordered):
    insurance = fields.Nested(InsuranceSchema, required=True)
    hsa_fsa = fields.Nested(HsaFsaSchema, required=True)


class TraceStepSchema(_Ordered):
    table = fields.String(required=True)
    version = fields.String(required=True, metadata={"description": "origin@version, e.g. base@1"})
    rule = fields.String(required=True, metadata={"description": "row id, or `default`"})
    annotation = fields.String(required=True)
    inputs = fields.Dict(required=True)
    outputs = fields.Dict(required=True)
    item = fields.Integer(metadata={"description": "index of the line or code pair, for per-item tables"})


class PolicyVersionsSchema(_Ordered):
    payer_id = fields.String(required=True)
    tables = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "table -> the version that answered, owner@number (base@3)"})
    value_sets = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                             metadata={"description": "value set -> the version the tables read, owner@number"})


class DecisionSchema(_Ordered):
    case_id = fields.String()
    payer_id = fields.String(required=True)
    date_of_service = fields.Date(required=True, metadata={
        "description": "the date decided for: the case's, or today in the payer's time zone when the case has none"})
    classification = fields.String(required=True, validate=validate.OneOf(list(contract.CLASSIFICATIONS)))
    referrals = fields.List(fields.Nested(ReferralSchema), required=True)
    billing = fields.Nested(BillingSchema, required=True)
    trace = fields.List(fields.Nested(TraceStepSchema), metadata={
        "description": "every row that decided, in firing order; left out with `?trace=false`"})
    policy = fields.Nested(PolicyVersionsSchema, required=True)


class FieldErrorSchema(_Ordered):
    field = fields.String(required=True)
    message = fields.String(required=True)


class ProblemSchema(_Ordered):
    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    errors = fields.List(fields.Nested(FieldErrorSchema))
    request_id = fields.String(metadata={"description": "the response's X-Request-Id, to quote when reporting it "
                                                        "(absent on a problem inside a batch's results)"})


class BatchRequestSchema(_Ordered):
    cases = fields.List(fields.Nested(CaseSchema), required=True, validate=validate.Length(max=1000))


class BatchResponseSchema(_Ordered):
    results = fields.List(fields.Dict(), required=True, metadata={
        "description": "One entry per case, in order: a Decision, or a Problem for a case that is invalid"})


class InForceSchema(_Ordered):
    version = fields.String(required=True, metadata={"description": "owner@number, e.g. base@1 or acme-health@3"})
    effective_from = fields.Date(required=True)
    content_hash = fields.String(required=True, metadata={"description": "the document's ETag"})
    author_key_id = fields.String(required=True)
    change_id = fields.Integer(allow_none=True, metadata={"description": "the change set that published it"})


class TableSummarySchema(InForceSchema):
    title = fields.String(required=True)
    hit_policy = fields.String(required=True)
    rules = fields.Integer(required=True)


class ValueSetSummarySchema(InForceSchema):
    title = fields.String(required=True)
    codes = fields.Integer(required=True)


class PolicySettingsSchema(_Ordered):
    four_eyes = fields.Boolean(required=True, metadata={"description": "changes need an approver other than their "
                                                                       "author (always true for base)"})
    time_zone = fields.String(required=True, metadata={"description": "IANA time zone that says what today is"})


class PayerSettingsSchema(PolicySettingsSchema):
    payer_id = fields.String(required=True)


class DeclaredCodesSchema(_Ordered):
    reason_codes = fields.List(fields.String(), required=True, metadata={
        "description": "reason codes this payer adds to the contract's list (its value set `reason_codes`)"})
    documents = fields.List(fields.String(), required=True, metadata={
        "description": "documents this payer adds to the contract's list (its value set `documents`)"})


class DeclaredFactSchema(_Ordered):
    type = fields.String(required=True, validate=validate.OneOf(["string", "number", "boolean", "date", "list"]),
                         metadata={"description": "date: \"YYYY-MM-DD\"; list: a list of strings"})
    description = fields.String(required=True)
    required = fields.Boolean(required=True)
    values = fields.List(fields.String(), metadata={"description": "the only values (of a list: of its elements)"})
    default = fields.Raw(metadata={"description": "the value of an optional fact a case leaves out"})
    derived = fields.List(fields.String(), metadata={"description": "forms of a date the tables may read "
                                                                    "(age_on_service_date, days_before_service)"})
    # `from` is a Python keyword: the field is named by data_key
    from_ = fields.List(fields.String(), required=True, data_key="from", metadata={
        "description": "the paths tables read it by: extensions.<fact>[.<form>]"})
    document = fields.String(required=True, metadata={"description": "the fact declaration that declares it"})
    version = fields.String(required=True, metadata={"description": "owner@number of that declaration"})


class PolicySchema(_Ordered):
    payer_id = fields.String(required=True)
    date = fields.Date(required=True)
    revision = fields.String(required=True, metadata={"description": "the payer's policy revision (also the ETag): "
                                                                     "send it as If-Match when drafting a change"})
    settings = fields.Nested(PolicySettingsSchema, required=True)
    tables = fields.Dict(keys=fields.String(), values=fields.Nested(TableSummarySchema), required=True)
    value_sets = fields.Dict(keys=fields.String(), values=fields.Nested(ValueSetSummarySchema), required=True)
    tests = fields.List(fields.String(), required=True, metadata={"description": "the payer's table-test suites"})
    declared_codes = fields.Nested(DeclaredCodesSchema, required=True)
    facts = fields.Dict(keys=fields.String(), values=fields.Nested(DeclaredFactSchema), required=True, metadata={
        "description": "the facts of its own this payer declares: its cases send them under `extensions`"})
    extensions_schema = fields.Dict(required=True, metadata={
        "description": "a JSON Schema of the `extensions` object this payer's cases may carry on this date"})


class TableDocumentSchema(_Ordered):
    payer_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["table", "value_set", "tests", "facts"]))
    name = fields.String(required=True)
    version = fields.String(required=True)
    effective_from = fields.Date(required=True)
    content_hash = fields.String(required=True, metadata={"description": "also the ETag: send it as If-Match"})
    table = fields.Dict(metadata={"description": "a table as its YAML document (see decision-table.schema.json)"})
    effective = fields.Dict(metadata={"description": "for a payer's overlay (`extends`): the base table in force "
                                                     "with the overlay applied, the table decisions use"})
    document = fields.Dict(metadata={"description": "a value set, test suite or fact declaration as its document"})


class StatusSchema(_Ordered):
    status = fields.String(required=True)
    payers = fields.List(fields.String())
    generation = fields.Integer()
    degraded = fields.Dict(keys=fields.String(), values=fields.String(), metadata={
        "description": "payers served from an older generation, or not at all, and why"})


class PublishedVersionSchema(_Ordered):
    payer_id = fields.String(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["table", "value_set", "tests", "facts"]))
    name = fields.String(required=True)
    table = fields.String(required=True, metadata={"description": "the document's name (kept for v1 clients)"})
    version = fields.Integer(required=True)
    label = fields.String(required=True)
    effective_from = fields.Date(required=True)
    content_hash = fields.String(required=True)
    author_key_id = fields.String(required=True)
    comment = fields.String(required=True)
    created_at = fields.String(required=True)
    change_id = fields.Integer(allow_none=True)


class PublishResultSchema(PublishedVersionSchema):
    status = fields.String(required=True, validate=validate.OneOf(["published", "unchanged"]), metadata={
        "description": "`unchanged`: the document equals what is in force, nothing was stored (its version is given)"})
    generation = fields.Integer(metadata={"description": "the policy generation the publish created"})
    versions = fields.List(fields.Nested(PublishedVersionSchema), required=True)


class ChangeSchema(_Ordered):
    id = fields.Integer(required=True)
    payer_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["draft", "proposed", "published", "rejected",
                                                                   "withdrawn"]))
    effective_from = fields.Date(required=True)
    comment = fields.String(required=True)
    author_key_id = fields.String(required=True)
    author = fields.String(required=True, metadata={"description": "the owner of the key that drafted it"})
    created_at = fields.String(required=True)
    updated_at = fields.String(required=True)
    documents = fields.List(fields.Dict(), required=True, metadata={
        "description": "kind and name of each document; on a single change also the document, the version in force "
                       "it changes, `moved_since_drafted`, and `diff` (rows added, removed and changed with before "
                       "and after)"})
    decided_by = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    decision_comment = fields.String(allow_none=True)
    generation = fields.Integer(allow_none=True)
    four_eyes = fields.Boolean(required=True)
    etag = fields.String(required=True, metadata={"description": "send as If-Match to approve what you reviewed"})


class ProposedSchema(_Ordered):
    status = fields.String(required=True, metadata={"description": "`proposed`: the payer requires four eyes"})
    change = fields.Nested(ChangeSchema, required=True)


class ChangeListSchema(_Ordered):
    payer_id = fields.String(required=True)
    changes = fields.List(fields.Nested(ChangeSchema), required=True)


class ChangeCheckSchema(_Ordered):
    id = fields.Integer(required=True)
    ok = fields.Boolean(required=True)
    problems = fields.List(fields.Dict(), required=True, metadata={
        "description": "each with `message` and, where known, `file`, `table`, `row`, `column`"})


class ChangeDryRunSchema(_Ordered):
    id = fields.Integer(required=True)
    payer_id = fields.String(required=True)
    results = fields.List(fields.Dict(), required=True, metadata={
        "description": "per case and payer moved: `live` and `draft` decisions and `differences` "
                       "(field, before, after)"})


class VersionsSchema(_Ordered):
    payer_id = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    table = fields.String(required=True)
    versions = fields.List(fields.Nested(PublishedVersionSchema), required=True)


class VersionDocumentSchema(PublishedVersionSchema):
    document = fields.Dict(required=True)


class DryRunResponseSchema(_Ordered):
    payer_id = fields.String(required=True)
    table = fields.String(required=True)
    results = fields.List(fields.Dict(), required=True, metadata={
        "description": "per case: `live` and `draft` decisions and the `differences` (field, before, after)"})


class AuditSchema(_Ordered):
    payer_id = fields.String(required=True)
    entries = fields.List(fields.Dict(), required=True)
