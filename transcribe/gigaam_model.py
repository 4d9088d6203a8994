"""GigaAM's network (salute-developers/GigaAM, MIT), rebuilt module for module so its published checkpoints load.

The `gigaam` package on PyPI pins torch <= 2.5.1, which this project's torch cannot meet, so the parts a CTC
checkpoint (v2_ctc, v3_ctc, v3_e2e_ctc) needs are written here with the same module names, and hence the same
state-dict keys: the log-mel front end (`preprocessor`), the Conformer encoder with rotary attention (`encoder`)
and the CTC head or the RNN-T head (`head`, `gigaam_rnnt.py`). The checkpoint's `cfg` gives every size. v1 models
(relative positional attention) are not rebuilt.
"""

import math
from collections.abc import Mapping
from typing import Any

import torch
import torchaudio
from torch import Tensor, nn

from transcribe.gigaam_rnnt import RNNTHead


class FeatureExtractor(nn.Module):
    """Log-mel spectrogram; 64 bands at 16 kHz, a 10-ms hop and 25-ms window unless the checkpoint says otherwise."""

    def __init__(self, sample_rate: int, features: int, **options: Any) -> None:
        super().__init__()
        self.hop_length = int(options.get("hop_length", sample_rate // 100))
        self.win_length = int(options.get("win_length", sample_rate // 40))
        self.n_fft = int(options.get("n_fft", sample_rate // 40))
        self.center = bool(options.get("center", True))
        self.featurizer = nn.Sequential(
            torchaudio.transforms.MelSpectrogram(
                sample_rate=sample_rate,
                n_mels=features,
                win_length=self.win_length,
                hop_length=self.hop_length,
                n_fft=self.n_fft,
                center=self.center,
            ),
        )

    def out_len(self, lengths: Tensor) -> Tensor:
        if self.center:
            return lengths.div(self.hop_length, rounding_mode="floor").add(1).long()
        return (lengths - self.win_length).div(self.hop_length, rounding_mode="floor").add(1).long()

    def forward(self, signal: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        return torch.log(self.featurizer(signal).clamp(1e-9, 1e9)), self.out_len(lengths)


class StridingSubsampling(nn.Module):
    """Strided convolutions shortening time by `subsampling_factor` (4: one encoder frame per 40 ms)."""

    def __init__(
        self,
        subsampling: str,
        kernel_size: int,
        subsampling_factor: int,
        feat_in: int,
        feat_out: int,
        conv_channels: int,
    ) -> None:
        super().__init__()
        if subsampling not in ("conv1d", "conv2d"):
            raise ValueError(f"unknown GigaAM subsampling {subsampling!r}")
        self.subsampling_type = subsampling
        self._stages = int(math.log(subsampling_factor, 2))
        self._kernel_size = kernel_size
        self._padding = (kernel_size - 1) // 2
        conv = nn.Conv2d if subsampling == "conv2d" else nn.Conv1d
        layers: list[nn.Module] = []
        channels = 1 if subsampling == "conv2d" else feat_in
        for _ in range(self._stages):
            layers += [
                conv(channels, conv_channels, kernel_size=kernel_size, stride=2, padding=self._padding),
                nn.ReLU(),
            ]
            channels = conv_channels
        if subsampling == "conv2d":
            self.out = nn.Linear(conv_channels * int(self.output_length(torch.tensor(feat_in))), feat_out)
        self.conv = nn.Sequential(*layers)

    def output_length(self, lengths: Tensor, stages: int | None = None) -> Tensor:
        lengths = lengths.to(torch.float)
        for _ in range(self._stages if stages is None else stages):
            lengths = torch.floor((lengths + 2 * self._padding - self._kernel_size) / 2 + 1.0)
        return lengths.to(dtype=torch.int)

    @staticmethod
    def _mask_time(x: Tensor, lengths: Tensor) -> Tensor:
        # Padded frames of a shorter item would leak into its last frames through the strided kernels; zeroing them
        # after each stage makes a batched item read exactly as it does alone.
        pad = (torch.arange(x.size(2), device=x.device)[None, :] >= lengths[:, None])[:, None]
        return x.masked_fill(pad[..., None] if x.dim() == 4 else pad, 0.0)

    def forward(self, x: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        x = x.unsqueeze(1) if self.subsampling_type == "conv2d" else x.transpose(1, 2)
        current = lengths
        x = self._mask_time(x, current)
        for module in self.conv:
            x = module(x)
            if isinstance(module, nn.Conv1d | nn.Conv2d):
                current = self.output_length(current, 1)
                x = self._mask_time(x, current)
        if self.subsampling_type == "conv2d":
            b, _, t, _ = x.size()
            x = self.out(x.transpose(1, 2).reshape(b, t, -1))
        else:
            x = x.transpose(1, 2)
        return x, self.output_length(lengths)


def _rotate_half(x: Tensor) -> Tensor:
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class RotaryPositionMultiHeadAttention(nn.Module):
    def __init__(self, n_head: int, n_feat: int) -> None:
        super().__init__()
        self.d_k = n_feat // n_head
        self.h = n_head
        self.linear_q = nn.Linear(n_feat, n_feat)
        self.linear_k = nn.Linear(n_feat, n_feat)
        self.linear_v = nn.Linear(n_feat, n_feat)
        self.linear_out = nn.Linear(n_feat, n_feat)

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor, mask: Tensor | None) -> Tensor:
        b, t, _ = x.size()
        # Rotary embedding is applied to the inputs of the q/k projections, as GigaAM does.
        heads = x.transpose(0, 1).view(t, b, self.h, self.d_k)
        cos, sin = cos[:t].to(heads.dtype), sin[:t].to(heads.dtype)
        rotated = ((heads * cos) + (_rotate_half(heads) * sin)).view(t, b, -1).transpose(0, 1)
        q = self.linear_q(rotated).view(b, t, self.h, self.d_k).transpose(1, 2)
        k = self.linear_k(rotated).view(b, t, self.h, self.d_k).transpose(1, 2)
        v = self.linear_v(x).view(b, t, self.h, self.d_k).transpose(1, 2)
        attended = nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=None if mask is None else ~mask[:, None]
        )
        return self.linear_out(attended.transpose(1, 2).reshape(b, t, self.h * self.d_k))


class ConformerConvolution(nn.Module):
    def __init__(self, d_model: int, kernel_size: int, norm_type: str) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.pointwise_conv1 = nn.Conv1d(d_model, d_model * 2, kernel_size=1)
        self.depthwise_conv = nn.Conv1d(d_model, d_model, kernel_size, padding=(kernel_size - 1) // 2, groups=d_model)
        self.batch_norm: nn.Module = nn.BatchNorm1d(d_model) if norm_type == "batch_norm" else nn.LayerNorm(d_model)
        self.activation = nn.SiLU()
        self.pointwise_conv2 = nn.Conv1d(d_model, d_model, kernel_size=1)

    def forward(self, x: Tensor, pad_mask: Tensor) -> Tensor:
        x = nn.functional.glu(self.pointwise_conv1(x.transpose(1, 2)), dim=1)
        x = self.depthwise_conv(x.masked_fill(pad_mask.unsqueeze(1), 0.0))
        x = self.batch_norm(x) if self.norm_type == "batch_norm" else self.batch_norm(x.transpose(1, 2)).transpose(1, 2)
        return self.pointwise_conv2(self.activation(x)).transpose(1, 2)


class ConformerFeedForward(nn.Module):
    def __init__(self, d_model: int, d_ff: int) -> None:
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.activation = nn.SiLU()
        self.linear2 = nn.Linear(d_ff, d_model)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.activation(self.linear1(x)))


class ConformerLayer(nn.Module):
    def __init__(self, d_model: int, d_ff: int, n_heads: int, conv_norm_type: str, conv_kernel_size: int) -> None:
        super().__init__()
        self.norm_feed_forward1 = nn.LayerNorm(d_model)
        self.feed_forward1 = ConformerFeedForward(d_model, d_ff)
        self.norm_conv = nn.LayerNorm(d_model)
        self.conv = ConformerConvolution(d_model, conv_kernel_size, conv_norm_type)
        self.norm_self_att = nn.LayerNorm(d_model)
        self.self_attn = RotaryPositionMultiHeadAttention(n_heads, d_model)
        self.norm_feed_forward2 = nn.LayerNorm(d_model)
        self.feed_forward2 = ConformerFeedForward(d_model, d_ff)
        self.norm_out = nn.LayerNorm(d_model)

    def forward(self, x: Tensor, cos: Tensor, sin: Tensor, att_mask: Tensor | None, pad_mask: Tensor) -> Tensor:
        x = x + 0.5 * self.feed_forward1(self.norm_feed_forward1(x))
        x = x + self.self_attn(self.norm_self_att(x), cos, sin, att_mask)
        x = x + self.conv(self.norm_conv(x), pad_mask)
        x = x + 0.5 * self.feed_forward2(self.norm_feed_forward2(x))
        return self.norm_out(x)


class ConformerEncoder(nn.Module):
    def __init__(
        self,
        feat_in: int = 64,
        n_layers: int = 16,
        d_model: int = 768,
        subsampling: str = "conv2d",
        subs_kernel_size: int = 3,
        subsampling_factor: int = 4,
        ff_expansion_factor: int = 4,
        self_attention_model: str = "rotary",
        n_heads: int = 16,
        pos_emb_max_len: int = 5000,
        conv_norm_type: str = "batch_norm",
        conv_kernel_size: int = 31,
        **_training_only: Any,
    ) -> None:
        super().__init__()
        if self_attention_model != "rotary":
            raise ValueError(
                f"GigaAM encoders with {self_attention_model!r} attention (v1) are not supported; use a v2 or v3 model"
            )
        self.pre_encode = StridingSubsampling(
            subsampling, subs_kernel_size, subsampling_factor, feat_in, d_model, conv_channels=d_model
        )
        self.rotary_dim = d_model // n_heads
        self.rotary_base = pos_emb_max_len
        self.layers = nn.ModuleList(
            ConformerLayer(d_model, d_model * ff_expansion_factor, n_heads, conv_norm_type, conv_kernel_size)
            for _ in range(n_layers)
        )

    def _rotary(self, length: int, device: torch.device) -> tuple[Tensor, Tensor]:
        inv_freq = 1.0 / (
            self.rotary_base ** (torch.arange(0, self.rotary_dim, 2, device=device).float() / self.rotary_dim)
        )
        freqs = torch.outer(torch.arange(length, device=device, dtype=torch.float32), inv_freq)
        angles = torch.cat((freqs, freqs), dim=-1)[:, None, None, :]
        return angles.cos(), angles.sin()

    def forward(self, features: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        x, lengths = self.pre_encode(features.transpose(1, 2), lengths)
        frames = x.size(1)
        cos, sin = self._rotary(frames, x.device)
        valid = torch.arange(frames, device=x.device)[None, :] < lengths[:, None]
        att_mask = None
        if x.shape[0] > 1:
            pairs = valid[:, None, :].expand(-1, frames, -1)
            att_mask = ~(pairs & pairs.transpose(1, 2))
        for layer in self.layers:
            x = layer(x, cos, sin, att_mask, ~valid)
        return x.transpose(1, 2), lengths


class CTCHead(nn.Module):
    def __init__(self, feat_in: int, num_classes: int) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.decoder_layers = nn.Sequential(nn.Conv1d(feat_in, num_classes, kernel_size=1))

    def forward(self, encoded: Tensor) -> Tensor:
        return nn.functional.log_softmax(self.decoder_layers(encoded).transpose(1, 2), dim=-1)


class GigaAMASR(nn.Module):
    """A GigaAM recognition model: audio (batch × samples at 16 kHz) → encoder output (batch × features × frames) and
    each item's frame count; `head` turns that into tokens."""

    def __init__(self, cfg: Mapping[str, Any]) -> None:
        super().__init__()
        head = dict(cfg["head"])
        self.preprocessor = FeatureExtractor(**_arguments(cfg["preprocessor"]))
        self.encoder = ConformerEncoder(**_arguments(cfg["encoder"]))
        self.head: CTCHead | RNNTHead
        if _target(head) == "CTCHead":
            self.head = CTCHead(**_arguments(head))
        elif _target(head) == "RNNTHead":
            self.head = RNNTHead(**_arguments(head))
        else:
            raise ValueError(f"GigaAM head {head.get('_target_')!r} is neither CTC nor RNN-T")

    @property
    def classes(self) -> int:
        return self.head.num_classes if isinstance(self.head, CTCHead) else self.head.joint.num_classes

    def forward(self, signal: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        features, feature_lengths = self.preprocessor(signal, lengths)
        return self.encoder(features, feature_lengths)


def _target(section: Mapping[str, Any]) -> str:
    return str(section.get("_target_", "")).rsplit(".", 1)[-1]


def _arguments(section: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in dict(section).items() if key != "_target_"}
