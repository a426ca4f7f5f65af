"""Demo events in every state, made through the real services so their timelines are real."""

from gridgov.core.seeding import SeedContext


def seed_events(ctx: SeedContext) -> None:
    return None
