"""The v1 case-facts contract as marshmallow schemas: types, enums, dates, ICD-10, no unknown fields.

Shared by the CLI and the HTTP API so both give the same field-named errors. Messages never
repeat a submitted value: case facts are health information.
"""
from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate

PURPOSES = ["relaxation", "stress_relief", "wellness", "maintenance", "pain", "injury", "disorder",
            "rehabilitation", "post_operative", "lymphedema"]
TECHNIQUES = ["effleurage", "petrissage", "tapotement", "friction", "trigger_point", "myofascial_release",
              "soft_tissue_mobilization", "manual_lymphatic_drainage"]
CREDENTIALS = ["LMT", "PT", "PTA", "OT", "DC", "MD", "DO", "NP", "PA", "none"]
PRESCRIBERS = ["MD", "DO", "NP", "PA", "PT", "DC"]
RED_FLAGS = ["suspected_fracture", "dvt_signs", "numbness_or_tingling", "unexplained_severe_pain",
             "fever_or_infection", "new_neurological_deficit", "other"]
METHODS = ["insurance", "hsa", "fsa", "self_pay"]

CPT = re.compile(r"^[0-9]{4}[0-9A-Z]$")
REGION = re.compile(r"^[a-z][a-z_]{0,31}$")
ICD10 = re.compile(r"^([A-Z][0-9][0-9A-Z])\.?([0-9A-Z]{1,4})?$")
MAX_LIST = 50
MAX_MINUTES = 1440
MAX_TEXT = 256                  # characters of a free-text extension
FACT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


def normalise_icd10(code: str) -> str | None:
    """`M5450` or `m54.50` -> `M54.50`; None when it is not shaped like an ICD-10-CM code."""
    match = ICD10.match(code.strip().upper())
    if not match:
        return None
    head, tail = match.groups()
    return f"{head}.{tail}" if tail else head


class Icd10(fields.String):
    default_error_messages = {"icd10": "Not an ICD-10-CM code (a letter, two characters, then up to four after a dot)."}

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {"pattern": r"^\s*[A-Za-z][0-9][0-9A-Za-z](\.?[0-9A-Za-z]{0,4})?\s*$",
                                       "description": "ICD-10-CM, with or without the dot"})
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        code = normalise_icd10(super()._deserialize(value, attr, data, **kwargs))
        if code is None:
            raise self.make_error("icd10")
        return code


class StrictBool(fields.Boolean):
    """JSON true/false only; marshmallow would otherwise take "yes", 1 and "on"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):      # 1 == True, so truthy={True} would still take 1
            raise self.make_error("invalid", input=value)
        return value


class WholeNumber(fields.Integer):
    """A JSON number that is a whole number (3 or 3.0, as JSON Schema's "integer"); never "3" or true."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.make_error("invalid", input=value)
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        return int(value)


class ExtensionValue(fields.Field):
    """A fact of the payer's own: text, a number, a boolean or a list of text. Which facts a case
    may carry, and of what type, the payer declares (`declared_facts`), checked once it is known."""

    default_error_messages = {"invalid": "Not text, a number, a boolean or a list of text."}

    def _deserialize(self, value, attr, data, **kwargs):
        scalar = isinstance(value, (str, int, float)) and not (isinstance(value, str) and len(value) > MAX_TEXT)
        texts = isinstance(value, list) and len(value) <= MAX_LIST and all(
            isinstance(v, str) and len(v) <= MAX_TEXT for v in value)
        if not (scalar or texts):
            raise self.make_error("invalid")
        return value


def _int(minimum: int, maximum: int, **kwargs):
    return WholeNumber(validate=validate.Range(minimum, maximum), **kwargs)


def _codes_map(values_field, key_pattern, key_message):
    """A mapping keyed by codes; bad keys are reported without repeating them."""
    return fields.Dict(keys=fields.String(validate=validate.Regexp(key_pattern, error=key_message)),
                       values=values_field, validate=validate.Length(max=MAX_LIST),
                       metadata={"x-key-pattern": key_pattern.pattern})


class _Strict(Schema):
    class Meta:
        ordered = True


class ServiceSchema(_Strict):
    purpose = fields.String(required=True, validate=validate.OneOf(PURPOSES))
    techniques = fields.List(fields.String(validate=validate.OneOf(TECHNIQUES)), validate=validate.Length(max=len(TECHNIQUES)))
    minutes = _codes_map(_int(0, MAX_MINUTES), CPT, "Keys must be 5-character CPT codes.")
    other_codes = fields.List(fields.String(validate=validate.Regexp(CPT, error="Not a 5-character CPT code.")),
                              validate=validate.Length(max=MAX_LIST))
    regions = _codes_map(fields.List(fields.String(validate=validate.Regexp(REGION, error="Not a body-region name.")),
                                     validate=validate.Length(max=MAX_LIST)), CPT, "Keys must be 5-character CPT codes.")


class PractitionerSchema(_Strict):
    credential = fields.String(required=True, validate=validate.OneOf(CREDENTIALS))
    license_state = fields.String(validate=validate.Regexp(r"^[A-Z]{2}$", error="A two-letter state code."))
    license_active = StrictBool(required=True)


class PrescriptionSchema(_Strict):
    present = StrictBool(required=True)
    prescriber = fields.String(validate=validate.OneOf(PRESCRIBERS), allow_none=True)
    date = fields.Date(allow_none=True)


class ClinicalSchema(_Strict):
    diagnosis_codes = fields.List(Icd10(), validate=validate.Length(max=MAX_LIST))
    prescription = fields.Nested(PrescriptionSchema)
    functional_goals = StrictBool()
    progress_documented = StrictBool()
    measurable_improvement = StrictBool()
    visit_number = _int(1, 1000)
    visits_this_year = _int(0, 1000)
    red_flags = fields.List(fields.String(validate=validate.OneOf(RED_FLAGS)), validate=validate.Length(max=len(RED_FLAGS)))


class PaymentSchema(_Strict):
    method = fields.String(validate=validate.OneOf(METHODS))
    lomn_on_file = StrictBool()
    lomn_date = fields.Date(allow_none=True)


class CaseSchema(_Strict):
    case_id = fields.String(validate=validate.Length(min=1, max=64))
    payer_id = fields.String(validate=validate.Regexp(r"^[a-z0-9][a-z0-9-]{0,63}$", error="Not a payer id."))
    date_of_service = fields.Date()
    service = fields.Nested(ServiceSchema, required=True)
    practitioner = fields.Nested(PractitionerSchema, required=True)
    clinical = fields.Nested(ClinicalSchema)
    payment = fields.Nested(PaymentSchema)
    extensions = fields.Dict(
        keys=fields.String(validate=validate.Regexp(FACT_NAME, error="Keys must be fact names (a-z, 0-9, _).")),
        values=ExtensionValue(metadata={"oneOf": [
            {"type": "string", "maxLength": MAX_TEXT}, {"type": "number"}, {"type": "boolean"},
            {"type": "array", "maxItems": MAX_LIST, "items": {"type": "string", "maxLength": MAX_TEXT}}]}),
        validate=validate.Length(max=MAX_LIST),
        metadata={"x-key-pattern": FACT_NAME.pattern,
                  "description": "Facts of the payer's own, each declared by the payer (GET /v1/policy?payer_id=P "
                                 "lists them with a JSON Schema of this object); a fact the payer of the case does "
                                 "not declare on its date of service, or of another type, is refused (422)."})


def flatten_errors(messages, prefix: str = "") -> list[dict]:
    """marshmallow's nested messages -> [{"field": "clinical.diagnosis_codes[0]", "message": ...}]."""
    errors = []
    if isinstance(messages, list):
        return [{"field": prefix or "$", "message": m} for m in messages if isinstance(m, str)] + \
            [e for m in messages if isinstance(m, dict) for e in flatten_errors(m, prefix)]
    for key, value in messages.items():
        if isinstance(value, dict) and value and set(value) <= {"key", "value"}:
            # an entry of a code-keyed mapping: a bad key is not repeated, a valid one names the entry
            bad_key = "key" in value
            for part in ("key", "value"):
                if part in value:
                    errors.extend(flatten_errors(value[part], prefix if bad_key else f"{prefix}.{key}"))
            continue
        if key == "_schema":
            path = prefix or "$"
        elif isinstance(key, int):
            path = f"{prefix}[{key}]"
        else:
            path = f"{prefix}.{key}" if prefix else str(key)
        errors.extend(flatten_errors(value, path))
    return errors


class CaseInvalid(Exception):
    """The case does not follow the contract; `errors` name each field and never its value."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))


_SCHEMA = CaseSchema()


def load_case(data) -> dict:
    """Validate a decoded JSON case; the result uses dotted ICD-10 codes and `date` objects."""
    if not isinstance(data, dict):
        raise CaseInvalid([{"field": "$", "message": "A case is a JSON object."}])
    try:
        return _SCHEMA.load(data)
    except ValidationError as exc:
        raise CaseInvalid(flatten_errors(exc.messages)) from None
