"""The HTTP contract's schemas beyond the case itself: queries, decisions, batches, problems.

The case request is `service.case_schema.CaseSchema` (shared with the CLI). These feed the
OpenAPI document; the response schemas describe what `service.engine.decision` produces.
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from ..case_schema import CaseSchema

REFERRAL_TO = ["physician", "physical_therapist", "prescribing_provider"]
REFERRAL_REASONS = ["red_flags", "prescription_needed", "diagnosis_needed", "plan_requires_physical_therapist",
                    "lomn_needed", "reevaluation_needed"]
PAYER_ID = validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="Not a payer id.")


class _Ordered(Schema):
    class Meta:
        ordered = True


class PolicyQuerySchema(_Ordered):
    payer_id = fields.String(load_default="default", validate=PAYER_ID)
    date = fields.Date(metadata={"description": "Versions in force on this date (default today)."})


class TableQuerySchema(_Ordered):
    payer_id = fields.String(load_default="default", validate=PAYER_ID)
    date = fields.Date(metadata={"description": "The version in force on this date (default today)."})


class ReferralSchema(_Ordered):
    to = fields.String(required=True, validate=validate.OneOf(REFERRAL_TO))
    reason = fields.String(required=True, validate=validate.OneOf(REFERRAL_REASONS))
    message = fields.String(required=True)
    rule = fields.String(required=True, metadata={"description": "table:row that made the referral"})


class ReasonSchema(_Ordered):
    code = fields.String(required=True)
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
    lines = fields.List(fields.Nested(LineSchema), required=True)
    documentation_required = fields.List(fields.String(), required=True)
    reasons = fields.List(fields.Nested(ReasonSchema), required=True)


class HsaFsaSchema(_Ordered):
    eligible = fields.Boolean(required=True)
    documentation_required = fields.List(fields.String(), required=True)
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
    tables = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class DecisionSchema(_Ordered):
    case_id = fields.String()
    payer_id = fields.String(required=True)
    classification = fields.String(required=True, validate=validate.OneOf(["wellness", "therapeutic", "medical"]))
    referrals = fields.List(fields.Nested(ReferralSchema), required=True)
    billing = fields.Nested(BillingSchema, required=True)
    trace = fields.List(fields.Nested(TraceStepSchema), required=True)
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


class BatchRequestSchema(_Ordered):
    cases = fields.List(fields.Nested(CaseSchema), required=True, validate=validate.Length(max=1000))


class BatchResponseSchema(_Ordered):
    results = fields.List(fields.Dict(), required=True, metadata={
        "description": "One entry per case, in order: a Decision, or a Problem for a case that is invalid"})


class TableSummarySchema(_Ordered):
    version = fields.String(required=True)
    effective_from = fields.Date(required=True)
    title = fields.String(required=True)
    hit_policy = fields.String(required=True)
    rules = fields.Integer(required=True)


class PolicySchema(_Ordered):
    payer_id = fields.String(required=True)
    date = fields.Date(required=True)
    tables = fields.Dict(keys=fields.String(), values=fields.Nested(TableSummarySchema), required=True)
    value_sets = fields.List(fields.String(), required=True)


class TableDocumentSchema(_Ordered):
    payer_id = fields.String(required=True)
    version = fields.String(required=True)
    effective_from = fields.Date(required=True)
    table = fields.Dict(required=True, metadata={"description": "the table as its YAML document (see decision-table.schema.json)"})


class StatusSchema(_Ordered):
    status = fields.String(required=True)
    payers = fields.List(fields.String())
    last_load_error = fields.String()


class PublishQuerySchema(_Ordered):
    effective_from = fields.Date(metadata={"description": "First date of service the version applies to (default today)."})
    comment = fields.String(validate=validate.Length(max=500))


class PublishedVersionSchema(_Ordered):
    payer_id = fields.String(required=True)
    table = fields.String(required=True)
    version = fields.Integer(required=True)
    label = fields.String(required=True)
    effective_from = fields.Date(required=True)
    content_hash = fields.String(required=True)
    author_key_id = fields.String(required=True)
    comment = fields.String(required=True)
    created_at = fields.String(required=True)


class VersionsSchema(_Ordered):
    payer_id = fields.String(required=True)
    table = fields.String(required=True)
    versions = fields.List(fields.Dict(), required=True)


class VersionDocumentSchema(PublishedVersionSchema):
    document = fields.Dict(required=True)


class DryRunRequestSchema(_Ordered):
    table = fields.Dict(required=True, metadata={"description": "the draft table document"})
    cases = fields.List(fields.Nested(CaseSchema), required=True, validate=validate.Length(max=100))
    effective_from = fields.Date()


class DryRunResponseSchema(_Ordered):
    payer_id = fields.String(required=True)
    table = fields.String(required=True)
    results = fields.List(fields.Dict(), required=True, metadata={
        "description": "per case: `live` and `draft` decisions and the `differences` (field paths)"})


class RollbackRequestSchema(_Ordered):
    version = fields.Integer(required=True, validate=validate.Range(min=1))
    effective_from = fields.Date()
    comment = fields.String(validate=validate.Length(max=500))


class AuditQuerySchema(_Ordered):
    payer_id = fields.String(required=True, validate=PAYER_ID)


class AuditSchema(_Ordered):
    payer_id = fields.String(required=True)
    entries = fields.List(fields.Dict(), required=True)
