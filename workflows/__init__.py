"""Pure workflow rules: state machines, guards, eligibility and diagrams. No database, no web."""
