"""GigaAM's RNN-T head (v2_rnnt, v3_rnnt, v3_e2e_rnnt), rebuilt with the published module names, and its greedy
decoding, which gives each emitted token the encoder frame it was emitted at.

The prediction network is an embedding and an LSTM over the tokens emitted so far; the joint network adds the
projected encoder frame and prediction and gives log-probabilities over the tokens and a blank (the last class).
Greedy decoding emits at most `max_symbols` tokens per frame and moves to the next frame on a blank, as GigaAM's
`RNNTGreedyDecoding` does.
"""

import torch
from torch import Tensor, nn

from transcribe.ctc import TokenRun


class RNNTDecoder(nn.Module):
    def __init__(self, pred_hidden: int, pred_rnn_layers: int, num_classes: int) -> None:
        super().__init__()
        self.blank_id = num_classes - 1
        self.pred_hidden = pred_hidden
        self.embed = nn.Embedding(num_classes, pred_hidden, padding_idx=self.blank_id)
        self.lstm = nn.LSTM(pred_hidden, pred_hidden, pred_rnn_layers)

    def predict(self, token: int | None, state: tuple[Tensor, Tensor] | None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        """The prediction after `token` (None: before any), one step: (1 × 1 × pred_hidden, new LSTM state)."""
        if token is None:
            embedded = torch.zeros(1, 1, self.pred_hidden, device=self.embed.weight.device)
        else:
            embedded = self.embed(torch.tensor([[token]], device=self.embed.weight.device))
        output, state = self.lstm(embedded.transpose(0, 1), state)
        return output.transpose(0, 1), state


class RNNTJoint(nn.Module):
    def __init__(self, enc_hidden: int, pred_hidden: int, joint_hidden: int, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.pred = nn.Linear(pred_hidden, joint_hidden)
        self.enc = nn.Linear(enc_hidden, joint_hidden)
        self.joint_net = nn.Sequential(nn.ReLU(), nn.Linear(joint_hidden, num_classes))

    def joint(self, encoder_out: Tensor, decoder_out: Tensor) -> Tensor:
        return self.joint_net(self.enc(encoder_out).unsqueeze(2) + self.pred(decoder_out).unsqueeze(1)).log_softmax(-1)


class RNNTHead(nn.Module):
    def __init__(self, decoder: dict[str, int], joint: dict[str, int]) -> None:
        super().__init__()
        self.decoder = RNNTDecoder(**decoder)
        self.joint = RNNTJoint(**joint)


@torch.inference_mode()
def rnnt_greedy(head: RNNTHead, encoded: Tensor, max_symbols: int = 10) -> list[TokenRun]:
    """Tokens greedily decoded from one item's encoder output (features × frames), each at the frame it was emitted."""
    blank = head.decoder.blank_id
    frames = encoded.transpose(0, 1)[:, None, None, :]  # frames × (1 item × 1 frame × features)
    runs: list[TokenRun] = []
    prediction, state = head.decoder.predict(None, None)
    for frame in range(frames.shape[0]):
        for _ in range(max_symbols):
            log_probs = head.joint.joint(frames[frame], prediction)[0, 0, 0]
            token = int(log_probs.argmax())
            if token == blank:
                break
            runs.append(TokenRun(token, frame, frame, float(log_probs[token].exp())))
            prediction, state = head.decoder.predict(token, state)
    return runs
