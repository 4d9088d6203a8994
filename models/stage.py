from enum import StrEnum


class Stage(StrEnum):
    """The stages a call goes through, in order."""

    transcribe = "transcribe"
    diarize = "diarize"
    analyze = "analyze"

    def next(self) -> "Stage | None":
        order = list(Stage)
        index = order.index(self)
        return order[index + 1] if index + 1 < len(order) else None


class CallStatus(StrEnum):
    queued = "queued"
    processing = "processing"
    done = "done"
    failed = "failed"
