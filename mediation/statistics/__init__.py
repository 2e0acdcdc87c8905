"""Programme statistics that cannot re-identify anyone: SQL aggregates, suppressed, drawn and exported."""
