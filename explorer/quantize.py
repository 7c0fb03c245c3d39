"""Large weight matrices stored as int8 rows with one float16 scale per row.

A release with `int8=True` (explorer/releases.py) stores every 2-D weight of at least
INT8_MIN_ELEMENTS numbers this way and the rest in float16: a quarter of float32's bytes
for the dense layers that hold most of a convolutional model's parameters. Symmetric
absmax scaling per output row (as LLM.int8's vector-wise quantization, Dettmers et al. 2022,
without its outlier split: these matrices have none that matter). Measured on the MNIST test
set (`python -m explorer.evaluate`), with the weights of both before 2026-11-27: conv_ae-32's
MSE moved from 0.0029222 to 0.0029232, the denoiser's PSNR from 21.0407 to 21.0408 dB; vae-2's -ELBO
would move by 0.04 nats, past its target, so it stays float16.

The file holds `<name>` as int8 (rows, cols) and `<name>.row_scale` as float16 (rows,);
`dequantize` turns such a state back into float tensors before `load_state_dict`.
"""

from __future__ import annotations

import torch
from torch import nn

INT8_MIN_ELEMENTS = 65_536  # smaller matrices gain little and are stored in float16
SCALE_SUFFIX = ".row_scale"


def quantizable(tensor: torch.Tensor) -> bool:
    return tensor.is_floating_point() and tensor.ndim == 2 and tensor.numel() >= INT8_MIN_ELEMENTS


def quantize_rows(w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(rows, cols) float -> (rows, cols) int8 and (rows,) float16 scales, w ~= q * scale."""
    scale = (w.float().abs().amax(dim=1) / 127).clamp_min(1e-12).half()
    q = torch.round(w.float() / scale.float()[:, None]).clamp(-127, 127).to(torch.int8)
    return q, scale


def stored_state(model: nn.Module, dtype: torch.dtype | None = None, int8: bool = False) -> dict[str, torch.Tensor]:
    """The tensors a model's file holds: its parameters in `dtype` (None: as they are) or, with
    `int8`, as `quantized_state` stores them; its buffers as they are. Buffers (BatchNorm's
    running mean and variance) are a few hundred numbers whose range is the activations', not
    the weights': conv_ae-32 trained at a peak learning rate of 5e-3 has a running variance
    above float16's largest number (65,504), which read back as inf from a float16 file and
    took the model's MSE from 0.0030 to 0.11."""
    buffers = frozenset(name for name, _ in model.named_buffers())
    if int8:
        return quantized_state(model.state_dict(), exact=buffers)
    return {k: v.detach().cpu().to(dtype if dtype and v.is_floating_point() and k not in buffers else v.dtype)
            .contiguous() for k, v in model.state_dict().items()}


def quantized_state(state: dict[str, torch.Tensor], exact: frozenset[str] = frozenset()) -> dict[str, torch.Tensor]:
    """The tensors a file holds: large matrices as int8 + row scales, other floats as float16,
    and the tensors named in `exact` (the model's buffers, see `stored_state`) as they are."""
    out = {}
    for name, t in state.items():
        t = t.detach().cpu()
        if name in exact:
            out[name] = t
        elif quantizable(t):
            out[name], out[name + SCALE_SUFFIX] = quantize_rows(t)
        else:
            out[name] = t.half() if t.is_floating_point() else t
    return {k: v.contiguous() for k, v in out.items()}


def dequantize(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A state read from a file, with every int8 matrix turned back into float32."""
    out = {k: v for k, v in state.items() if not k.endswith(SCALE_SUFFIX)}
    for key in state:
        if key.endswith(SCALE_SUFFIX):
            name = key[: -len(SCALE_SUFFIX)]
            out[name] = state[name].float() * state[key].float()[:, None]
    return out


@torch.no_grad()
def round_to_float16(model: nn.Module) -> None:
    """Replace the model's parameters by what a float16 file will hold, so a card measures the
    shipped weights. Buffers (BatchNorm's running statistics) are stored exactly: see
    `stored_state`."""
    for p in model.parameters():
        p.copy_(p.half().float())


@torch.no_grad()
def round_to_int8(model: nn.Module) -> None:
    """Replace the model's weights by what the int8 file will hold (the rest as float16), so a
    card measures the shipped weights."""
    round_to_float16(model)
    for name, t in model.state_dict().items():
        if quantizable(t):
            q, scale = quantize_rows(t)
            t.copy_(q.float() * scale.float()[:, None])
