"""Validated policy -> durable_rules rulesets -> evaluation -> decision. No Flask here."""
