"""The seed's last step: count the rollups of the city just loaded (a year of events at city scale)."""

from gridgov.core.seeding import SeedContext
from gridgov.overview import rollups


def seed(ctx: SeedContext) -> None:
    ctx.say("Counting the overview's rollups…")
    written = rollups.rebuild()
    ctx.say(f"Overview rollups: {written} rows.")
