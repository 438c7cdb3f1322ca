"""Small shared blocks: time encodings, AdaLN modulation, gradient reversal."""

from __future__ import annotations

import math

import torch
from torch import nn


def seconds_encoding(
    t: torch.Tensor, dim: int, *, f_min: float = 0.25, f_max: float = 50.0
) -> torch.Tensor:
    """Sinusoidal encoding of times given in SECONDS.

    Hand-written because diffusers' ``get_timestep_embedding`` is built for
    integer diffusion steps (periods up to 10,000 steps), whereas here the
    frequencies must be physical (``f_min`` .. ``f_max`` Hz, geometric) so that
    a video frame and an EEG token at the same second get the same code.

    Parameters
    ----------
    t : Tensor, shape (...,)
        Times in seconds.
    dim : int
        Even output size.
    f_min, f_max : float
        Lowest and highest frequency in Hz.

    Returns
    -------
    Tensor, shape (..., dim)
    """
    half = dim // 2
    freqs = torch.exp(
        torch.linspace(
            math.log(f_min), math.log(f_max), half, device=t.device, dtype=t.dtype
        )
    )
    arg = 2 * math.pi * t[..., None] * freqs
    return torch.cat([torch.sin(arg), torch.cos(arg)], dim=-1)


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor):
    """AdaLN: ``x * (1 + scale) + shift`` (shift/scale broadcast over tokens)."""
    return torch.addcmul(shift, x, 1 + scale)


class _GradReverse(torch.autograd.Function):
    # torch has no built-in gradient-reversal op; this is the standard 6-line
    # DANN trick (identity forward, -lambda * grad backward).
    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = lambd
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return -ctx.lambd * grad, None


def grad_reverse(x: torch.Tensor, lambd: float = 1.0) -> torch.Tensor:
    """Identity in the forward pass; multiplies the gradient by ``-lambd``."""
    return _GradReverse.apply(x, lambd)


class Mlp(nn.Sequential):
    """Linear -> GELU -> Linear."""

    def __init__(self, d_in: int, d_hidden: int, d_out: int | None = None):
        super().__init__(
            nn.Linear(d_in, d_hidden),
            nn.GELU(),
            nn.Linear(d_hidden, d_out or d_in),
        )


class flush_denormal:  # noqa: N801 (used like a function)
    """Context manager: flush denormal floats to zero on CPU while inside.

    Training drives some activations (softmax tails, sigmoid gates) into the
    denormal range, where CPU arithmetic takes a slow path and a small
    model's training step becomes many times slower (benchmarks/NOTES.md,
    section 12).  torch offers no getter for the flag, so on exit it is reset
    to torch's default (off).
    """

    def __enter__(self):
        self.ok = torch.set_flush_denormal(True)
        return self

    def __exit__(self, *exc):
        if self.ok:
            torch.set_flush_denormal(False)
        return False
