"""gridgov: grid-based community service and governance."""
