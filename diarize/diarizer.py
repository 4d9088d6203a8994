"""What the speaker split needs from a diarization model, whichever toolkit provides it."""

from typing import Protocol

import numpy as np

Turn = tuple[float, float, str]
"""A speech turn: start and end in seconds, and the speaker's label."""


class Diarizer(Protocol):
    """Finds who speaks when in a single-channel recording."""

    name: str
    version: str

    def diarize(
        self,
        samples: np.ndarray,
        sample_rate: int,
        *,
        min_speakers: int | None = None,
        max_speakers: int | None = None,
        num_speakers: int | None = None,
        expected_speakers: int | None = None,
    ) -> list[Turn]:
        """Speech turns ordered by start time; overlapping speech yields overlapping turns. `expected_speakers` is a
        hint the audio may overrule; `num_speakers` and `max_speakers` bind."""
        ...
