"""massage-rules: decision tables for massage-therapy cases, evaluated by durable_rules."""
