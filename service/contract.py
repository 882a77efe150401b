"""The codes a decision may carry (v1 contract): one list each, read by the case schema, the
response schema, the table checks and the generated-corpus check.

Reason codes and documents are extensible: a payer may declare more in its policy as value sets
named `reason_codes` and `documents`; everything else is closed.
"""
from __future__ import annotations

DEFAULT_PAYER = "default"     # the payer of a case that names none: a payer like any other
CLASSIFICATIONS = ("wellness", "therapeutic", "medical")
REFERRAL_TO = ("physician", "physical_therapist", "prescribing_provider")
REFERRAL_REASONS = ("red_flags", "prescription_needed", "diagnosis_needed", "plan_requires_physical_therapist",
                    "lomn_needed", "reevaluation_needed")
INSURANCE_REASONS = ("wellness_not_covered", "not_medically_necessary", "performer_not_covered",
                     "diagnosis_not_covered", "visit_limit_exceeded", "no_billable_code")
LINE_REASONS = ("code_not_covered", "bundled_with_manipulation", "below_billable_minutes")
HSA_FSA_REASONS = ("wellness_not_eligible", "no_medical_condition", "lomn_or_prescription_needed", "lomn_expired")
REASON_CODES = INSURANCE_REASONS + LINE_REASONS + HSA_FSA_REASONS
DOCUMENTS = ("prescription", "diagnosis", "plan_of_care", "progress_notes", "lomn")
MODIFIER_PATTERN = r"^[0-9A-Z]{2}$"      # CPT/HCPCS modifiers: two characters (GP, 59, XS...)
MAX_UNITS = 96                           # 24 hours of 15-minute units: more is never a session
MAX_MESSAGE = 500                        # characters of a reason or referral message

# value sets with these names extend the extensible lists for the payer that publishes them
EXTRA_REASON_CODES = "reason_codes"
EXTRA_DOCUMENTS = "documents"
