"""A small streaming CTC graph with T-one's ONNX interface, random weights and a recurrent state, exported the way
T-one exports its model: int32 `signal` (batch × 2400 × 1) and float16 `state` in, float16 `logprobs` (batch × 10 ×
35) and `state_next` out. Tests run the T-one backend's real loading and decoding code on it; it recognises nothing."""

import warnings
from pathlib import Path

import torch
from torch import Tensor, nn

from transcribe.tone import LABELS

CHUNK = 2400
FRAMES = 10
HIDDEN = 24
CLASSES = len(LABELS) + 1


class StreamingCTC(nn.Module):
    """A recurrent CTC model read 300 ms at a time: its state is the last frame's hidden vector, so what it prints
    for a chunk depends on every chunk before it, as T-one's Conformer state does."""

    def __init__(self) -> None:
        super().__init__()
        self.frame = nn.Linear(CHUNK // FRAMES, HIDDEN)
        self.carry = nn.Linear(HIDDEN, HIDDEN)
        self.out = nn.Linear(HIDDEN, CLASSES)

    def forward(self, signal: Tensor, state: Tensor) -> tuple[Tensor, Tensor]:
        frames = (signal.float() / 32768.0).reshape(signal.shape[0], FRAMES, CHUNK // FRAMES)
        hidden = state.float()
        steps = []
        for index in range(FRAMES):
            hidden = torch.tanh(self.frame(frames[:, index]) * 20 + self.carry(hidden))
            steps.append(self.out(hidden))
        return torch.stack(steps, 1).log_softmax(-1).half(), hidden.half()


def export_graph(folder: Path) -> StreamingCTC:
    """Writes `folder`/model.onnx; returns the torch model it was exported from."""
    torch.manual_seed(1)
    model = StreamingCTC().eval()
    with torch.no_grad():
        model.out.bias[LABELS.index(" ")] += 1.5  # words a few letters long
    example = (torch.zeros(2, CHUNK, 1, dtype=torch.int32), torch.zeros(2, HIDDEN, dtype=torch.float16))
    with warnings.catch_warnings():
        # The TorchScript exporter is the one that writes T-one's fixed-shape streaming graph as T-one's export does.
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            model,
            example,
            str(folder / "model.onnx"),
            input_names=["signal", "state"],
            output_names=["logprobs", "state_next"],
            opset_version=17,
            dynamic_axes={name: {0: "batch_size"} for name in ("signal", "state", "logprobs", "state_next")},
            dynamo=False,
        )
    return model
