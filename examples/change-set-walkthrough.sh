#!/usr/bin/env bash
# An analyst changes acme's prior-authorization threshold and its test in one change set; a second
# person approves it; decisions follow. Then the same with a value set (acme adds M25.5).
# Needs a running service (make serve) and its admin key: ADMIN=mrk_... bash examples/change-set-walkthrough.sh
set -euo pipefail
H=${H:-http://127.0.0.1:8080}
MR=${MR:-.venv/bin/massage-rules}
PY=${PY:-.venv/bin/python}
key() { $MR keys create --role "$1" --payer acme-health --name "$2" --owner "$2" | tail -1; }
ANA=$(key analyst ana)          # drafts and proposes
PIA=$(key publisher pia)        # approves
QUINN=$(key publisher quinn)    # approves too
call() {  # call KEY METHOD PATH [JSON-FILE]
  curl -sS -X "$2" -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
       ${4:+--data @"$4"} "$H$3"
}
field() { $PY -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# 1. acme wants four eyes on every change of its policy (an admin's setting)
echo '{"four_eyes": true}' > /tmp/settings.json
call "$ADMIN" PUT /v1/payers/acme-health/settings /tmp/settings.json; echo

# 2. the change: prior authorization only past visit 8 (was 6), and a test that says so
$PY - <<'EOF'
import json, yaml
table = yaml.safe_load(open("decision_tables/payers/acme-health/prior_authorization.yaml"))
table["rules"][0]["when"]["visits_this_year"] = "> 8"
table["rules"][0]["annotation"] = "Past visit 8 of the plan year, Acme wants prior authorization"
case = json.load(open("examples/contract-case.json"))
for key in ("case_id", "date_of_service"):
    case.pop(key)                     # undated: the test runs on the change's effective date
case["payer_id"] = "acme-health"
tests = {"tests": "prior_authorization_threshold", "base_facts": case, "cases": [
    {"name": "visit 8 needs no authorization", "facts": {"clinical": {"visits_this_year": 8}},
     "expect": {"insurance": {"prior_authorization_required": False}}},
    {"name": "visit 9 needs it", "facts": {"clinical": {"visits_this_year": 9}},
     "expect": {"insurance": {"prior_authorization_required": True}}}]}
json.dump({"documents": [table, tests], "comment": "Prior authorization past visit 8"}, open("/tmp/change.json", "w"))
EOF
ID=$(call "$ANA" POST /v1/payers/acme-health/changes /tmp/change.json | field 'd["id"]')
call "$ANA" GET /v1/payers/acme-health/changes/$ID | field 'd["documents"][0]["diff"]["changed"]'
call "$ANA" POST /v1/payers/acme-health/changes/$ID/propose | field 'd["status"]'        # checked, then proposed

# 3. an analyst may not approve; a publisher does, and it goes live
call "$ANA" POST /v1/payers/acme-health/changes/$ID/approve | field 'd["status"], d["detail"]'
call "$PIA" POST /v1/payers/acme-health/changes/$ID/approve | field 'd["status"], d["decided_by"]'
sleep 0.5                       # every worker follows the store within 0.2 s

# 4. decisions follow: visit 8 of the year needs no prior authorization at acme any more
sed 's/"default"/"acme-health"/; s/"visits_this_year": 3/"visits_this_year": 8/; /date_of_service/d' \
    examples/contract-case.json > /tmp/acme-visit-8.json
call "$ADMIN" POST /v1/decisions /tmp/acme-visit-8.json \
  | field 'd["billing"]["insurance"]["prior_authorization_required"], d["policy"]["tables"]["prior_authorization"]'

# 5. a value set: acme also covers M25.5 (joint pain)
$PY - <<'EOF'
import json, yaml
codes = yaml.safe_load(open("decision_tables/base/value_sets/covered_diagnoses.yaml"))
codes["codes"].append("M25.5")
codes["title"] = "ICD-10-CM codes Acme covers massage for (prefixes)"
json.dump({"documents": [codes], "comment": "Acme covers joint pain (M25.5)"}, open("/tmp/value-set.json", "w"))
EOF
#    this time a publisher drafts and proposes it: four eyes means she may not approve it herself
ID=$(call "$PIA" POST /v1/payers/acme-health/changes /tmp/value-set.json | field 'd["id"]')
call "$PIA" POST /v1/payers/acme-health/changes/$ID/propose | field 'd["status"]'
call "$PIA" POST /v1/payers/acme-health/changes/$ID/approve | field 'd["status"], d["detail"]'
call "$QUINN" POST /v1/payers/acme-health/changes/$ID/approve | field 'd["status"], d["decided_by"]'
sleep 0.5
sed 's/"M54.50"/"M25.50"/' /tmp/acme-visit-8.json > /tmp/acme-m25.json
call "$ADMIN" POST /v1/decisions /tmp/acme-m25.json \
  | field 'd["billing"]["insurance"]["eligible"], d["policy"]["value_sets"]["covered_diagnoses"]'

# 6. who did what
call "$ADMIN" GET "/v1/audit?payer_id=acme-health" \
  | field '"\n".join("%-8s %-12s %s" % (e["action"], e["key_name"], e["summary"]) for e in d["entries"][:8])'
