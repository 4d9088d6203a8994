"""Service mode's queue: the broker, one actor per stage, and sending a call on to its next stage."""
