"""Conditioning: video tokens, time alignment in seconds, subjects, timesteps.

Everything here except :class:`CrossModalAttention` and the timestep MLP
depends only on the condition (video, subject, reference EEG), never on the
noisy EEG, so :meth:`ConditionEncoder.forward` runs ONCE per generated sample
and its output (``ctx``) is reused at every diffusion step.

Design choices (the paper only says "cross-modal attention with a subject
embedding"):

* **Time in seconds.** Video frames carry their time stamps (seconds from the
  clip start); EEG tokens carry the time of their patch centre.  Both get the
  same physical sinusoidal code (:func:`._layers.seconds_encoding`), so a
  frame at 0.52 s and the EEG token at 0.52 s look alike to the attention.
* **Lag path (an encoding model).** Video responses in EEG are time-locked
  (a VEP 100-170 ms after a luminance change, SSVEPs at flicker rates), which
  attention over a few coarse frames expresses poorly.  The video features are
  held (zero-order hold: a frame stays on screen until the next) onto the EEG
  sample grid and passed through a learned *causal* temporal convolution
  spanning ``lag_s`` seconds (default 0-400 ms), FiLM-modulated by the subject.
  Its output feeds (a) each time token and (b) a per-electrode low-rank
  "expected EEG" map (``trf``, as in mTRF encoding models) that the denoiser
  receives beside ``x_t`` -- and which :class:`~.diffusion.VideoEEGDiffusion`
  can additionally fit to ``x0`` by regression.
* **Subjects.** A table of ``n_subjects + 1`` embeddings (the last is the
  learned "unknown subject"), plus an optional GLMNet-style encoder of a
  reference EEG (global branch over all channels + occipital branch, as in
  EEG2Video) for subjects never seen in training.
* **Classifier-free guidance.** With probability ``cond_drop_prob`` a training
  sample loses its video (all frames masked, lag tokens and the denoiser's
  copy of the expected-EEG map zeroed), its subject (-> unknown) and its
  reference EEG; the same "null" condition is used for the unconditional
  branch at sampling time.  ``ctx["mean"]`` (the regression prior of the
  residual diffusion) is never dropped.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ._layers import Mlp, seconds_encoding


class RefEEGSubjectEncoder(nn.Module):
    """GLMNet-style subject encoder of a reference EEG.

    A learned temporal filter bank (shared over channels) -> log power per
    channel and filter -> a global branch (all channels) and an occipital
    branch (``occipital_idx``), concatenated -> MLP -> ``width``.
    Hand-written because GLMNet (EEG2Video) is not in braindecode.
    """

    def __init__(
        self,
        n_channels: int,
        occipital_idx,
        width: int,
        *,
        n_filters: int = 8,
        kernel: int = 25,
    ):
        super().__init__()
        occ = list(range(n_channels)) if occipital_idx is None else occipital_idx
        occ = [int(i) for i in occ]
        if not occ or min(occ) < 0 or max(occ) >= n_channels:
            raise ValueError(
                f"occipital_idx must be non-empty indices in [0, {n_channels - 1}], "
                f"got {occipital_idx!r}."
            )
        self.register_buffer("occ", torch.tensor(occ), persistent=False)
        self.filters = nn.Conv1d(1, n_filters, kernel, padding=kernel // 2)
        self.glob = nn.Sequential(nn.Linear(n_channels * n_filters, width), nn.GELU())
        self.local = nn.Sequential(nn.Linear(len(occ) * n_filters, width), nn.GELU())
        self.out = nn.Linear(2 * width, width)

    def forward(self, ref: torch.Tensor) -> torch.Tensor:  # (B, C, T_ref)
        """Embed a reference EEG (B, C, T_ref) -> (B, width)."""
        b, c, t = ref.shape
        z = self.filters(ref.reshape(b * c, 1, t))
        logpow = torch.log(z.square().mean(-1) + 1e-4).view(b, c, -1)
        g = self.glob(logpow.flatten(1))
        loc = self.local(logpow[:, self.occ].flatten(1))
        return self.out(torch.cat([g, loc], -1))


class CrossModalAttention(nn.Module):
    """EEG time tokens (queries) attend to video tokens (keys/values).

    A learned "null" key/value is always present, so a sample whose frames
    are all masked (CFG-dropped, or a video without features) is well defined.
    """

    def __init__(self, width: int, n_heads: int):
        super().__init__()
        self.n_heads = n_heads
        self.norm = nn.LayerNorm(width)
        self.q = nn.Linear(width, width)
        self.kv = nn.Linear(width, 2 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, q_tokens, video_tokens, video_mask):
        """Attend (B, N, D) queries to (B, M+1, D) video tokens."""
        # q_tokens (B, N, D); video_tokens (B, M+1, D); video_mask (B, M+1)
        b, n, d = q_tokens.shape
        h = self.n_heads
        q = self.q(self.norm(q_tokens)).view(b, n, h, d // h).transpose(1, 2)
        k, v = self.kv(video_tokens).view(b, -1, 2, h, d // h).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=video_mask[:, None, None]
        )
        return self.proj(out.transpose(1, 2).reshape(b, n, d))


class ConditionEncoder(nn.Module):
    """Encode ``cond`` into the step-independent context ``ctx``.

    See the module docstring for the design.  ``ctx`` holds ``vec`` (B, D)
    global conditioning, ``tokens`` (B, N, D) per-time-token conditioning,
    ``mean`` (B, C, N * patch_size) the expected-EEG map
    (``cond["expected_eeg"]`` when given, else the lag path's; zeros if
    neither; never CFG-dropped), ``trf`` the same map as the denoiser's input
    (zeroed for CFG-dropped samples),
    ``video_tokens``/``video_mask`` for cross-attention, and ``drop`` (B,)
    bool (samples whose condition was nulled for CFG).
    """

    def __init__(
        self,
        *,
        n_channels: int,
        n_times: int,
        sfreq: float,
        n_video_features: int,
        n_subjects: int,
        width: int,
        patch_size: int,
        n_tokens: int,
        occipital_idx=None,
        lag_path: bool = True,
        lag_s: float = 0.4,
        lag_width: int = 32,
        ref_encoder: bool = True,
        cond_drop_prob: float = 0.1,
    ):
        super().__init__()
        self.n_channels, self.n_times, self.sfreq = n_channels, n_times, sfreq
        self.n_video_features, self.n_subjects = n_video_features, n_subjects
        self.patch_size, self.n_tokens = patch_size, n_tokens
        self.width = width
        self.cond_drop_prob = float(cond_drop_prob)
        self.subject_embed = nn.Embedding(n_subjects + 1, width)
        self.ref_encoder = (
            RefEEGSubjectEncoder(n_channels, occipital_idx, width)
            if ref_encoder
            else None
        )
        self.video_in = nn.Linear(n_video_features, width)
        self.video_time = nn.Linear(width, width)
        self.null_token = nn.Parameter(torch.zeros(1, 1, width))
        self.video_global = nn.Linear(width, width)
        self.token_time = nn.Linear(width, width)
        # token centre times in seconds, fixed by the construction sizes
        centres = (torch.arange(n_tokens) * patch_size + (patch_size - 1) / 2) / sfreq
        self.register_buffer(
            "token_code", seconds_encoding(centres, width), persistent=False
        )
        self.lag = None
        if lag_path:
            # dilation 2 (10 ms taps at 200 Hz) halves the cost at no loss for
            # responses below ~50 Hz; span = (kernel - 1) * dilation samples
            dil = 2 if sfreq >= 100 else 1
            kernel = max(2, int(math.ceil(lag_s * sfreq / dil)) + 1)
            self.lag_dil, self.lag_kernel = dil, kernel
            self.lag_in = nn.Linear(n_video_features, lag_width)
            self.lag = nn.Sequential(
                nn.Conv1d(lag_width + 1, lag_width, kernel, dilation=dil),
                nn.GELU(),
                nn.Conv1d(lag_width, lag_width, 1),
            )
            self.lag_film = nn.Linear(width, 2 * lag_width)
            self.lag_tokens = nn.Linear(lag_width * patch_size, width)
            self.trf = nn.Conv1d(lag_width, n_channels, 1)
        self.vec_mlp = Mlp(width, 2 * width)

    # ------------------------------------------------------------------ checks
    def _check(self, cond: dict):
        if not isinstance(cond, dict) or "video" not in cond or "subject" not in cond:
            raise ValueError(
                "cond must be a dict with at least 'video' (B, n_frames, "
                f"n_features) and 'subject' (B,), got {type(cond).__name__} with "
                f"keys {sorted(cond) if isinstance(cond, dict) else None}."
            )
        video = torch.as_tensor(cond["video"])
        if video.ndim != 3 or video.shape[-1] != self.n_video_features:
            raise ValueError(
                "video must have shape (batch, n_frames, n_video_features="
                f"{self.n_video_features}), got {tuple(video.shape)}."
            )
        b, m = video.shape[:2]
        subject = torch.as_tensor(cond["subject"])
        if subject.shape != (b,):
            raise ValueError(
                f"subject must have shape ({b},) (one per video), got "
                f"{tuple(subject.shape)}."
            )
        if subject.is_floating_point() or subject.is_complex():
            raise ValueError(f"subject must hold integer indices, got {subject.dtype}.")
        if len(subject) and (subject.min() < 0 or subject.max() > self.n_subjects):
            raise ValueError(
                f"subject indices must be in [0, {self.n_subjects}] "
                f"({self.n_subjects} = unknown subject), got values in "
                f"[{int(subject.min())}, {int(subject.max())}]."
            )
        vt = cond.get("video_time")
        if vt is None:
            raise ValueError(
                "cond['video_time'] (n_frames,) or (batch, n_frames) seconds is "
                "required: it aligns video frames with EEG time."
            )
        vt = torch.as_tensor(vt)
        if vt.shape not in ((m,), (b, m)):
            raise ValueError(
                f"video_time must have shape ({m},) or ({b}, {m}), got "
                f"{tuple(vt.shape)}."
            )
        mask = cond.get("video_mask")
        if mask is not None and torch.as_tensor(mask).shape != (b, m):
            raise ValueError(
                f"video_mask must have shape ({b}, {m}), got "
                f"{tuple(torch.as_tensor(mask).shape)}."
            )
        ref = cond.get("ref_eeg")
        if ref is not None:
            ref = torch.as_tensor(ref)
            if ref.ndim != 3 or ref.shape[:2] != (b, self.n_channels):
                raise ValueError(
                    f"ref_eeg must have shape ({b}, {self.n_channels}, n_ref_times), "
                    f"got {tuple(ref.shape)}."
                )
            if self.ref_encoder is None:
                raise ValueError(
                    "ref_eeg was given but the model was built with "
                    "ref_encoder=False; rebuild with ref_encoder=True."
                )
        expected = cond.get("expected_eeg")
        if expected is not None:
            shape = tuple(torch.as_tensor(expected).shape)
            n_pad = self.n_tokens * self.patch_size
            if len(shape) != 3 or shape[:2] != (b, self.n_channels) or shape[2] > n_pad:
                raise ValueError(
                    f"expected_eeg must have shape ({b}, {self.n_channels}, n_times) "
                    f"with n_times <= {n_pad}, got {shape}."
                )

    # ---------------------------------------------------------------- forward
    def null_drop(self, batch: int, device, generator=None) -> torch.Tensor:
        """Bernoulli(cond_drop_prob) CFG mask (all False outside training)."""
        if not self.training or self.cond_drop_prob <= 0:
            return torch.zeros(batch, dtype=torch.bool, device=device)
        u = torch.rand(batch, generator=generator, device=device)
        return u < self.cond_drop_prob

    def forward(self, cond: dict, *, drop=None, generator=None) -> dict:
        """Encode a condition dict; ``drop`` (B,) bool nulls samples for CFG."""
        self._check(cond)
        dev = self.subject_embed.weight.device
        video = torch.as_tensor(cond["video"], dtype=torch.float32, device=dev)
        b, m, _ = video.shape
        mask = cond.get("video_mask")
        mask = (
            torch.ones(b, m, dtype=torch.bool, device=dev)
            if mask is None
            else torch.as_tensor(mask, device=dev).bool()
        )
        mask = mask & torch.isfinite(video).all(-1)
        if drop is None:
            drop = self.null_drop(b, dev, generator)
        drop = torch.as_tensor(drop, device=dev).bool()
        keep = (~drop)[:, None]
        video = torch.where(mask[..., None], video, 0.0)
        vt = torch.as_tensor(cond["video_time"], dtype=torch.float32, device=dev)
        vt = vt.expand(b, m).contiguous()
        subject = torch.as_tensor(cond["subject"], device=dev).long()
        subj_full = self.subject_embed(subject)
        ref = cond.get("ref_eeg")
        if ref is not None:
            ref = torch.as_tensor(ref, dtype=torch.float32, device=dev)
            subj_full = subj_full + self.ref_encoder(ref)
        n_pad = self.n_tokens * self.patch_size
        tokens = self.token_time(self.token_code).expand(b, -1, -1)
        mean = torch.zeros(b, self.n_channels, n_pad, device=dev)
        expected = cond.get("expected_eeg")
        if expected is not None:  # a mean model fitted before (the estimator's)
            expected = torch.as_tensor(expected, dtype=torch.float32, device=dev)
            mean = F.pad(expected, (0, n_pad - expected.shape[-1]))
        if self.lag is not None:
            # the mean map never sees the CFG drop: it is the (always
            # conditional) regression prior, see VideoEEGDiffusion
            lag = self._lag_features(video, vt, mask, subj_full)  # (B, L, n_pad)
            if expected is None:
                mean = self.trf(lag)
            lag = lag.view(b, -1, self.n_tokens, self.patch_size).transpose(1, 2)
            tokens = tokens + self.lag_tokens(lag.flatten(2)) * keep[..., None]
        mask = mask & keep
        video = video * keep[..., None]
        subj = torch.where(keep, subj_full, self.subject_embed.weight[-1])
        # video tokens for cross-attention (+ null token, always valid)
        vtok = self.video_in(video) + self.video_time(seconds_encoding(vt, self.width))
        vtok = torch.cat([self.null_token.expand(b, 1, -1), vtok], 1)
        vmask = torch.cat([torch.ones(b, 1, dtype=torch.bool, device=dev), mask], 1)
        fmask = mask[..., None].float()
        vglob = (vtok[:, 1:] * fmask).sum(1) / fmask.sum(1).clamp(min=1)
        vec = self.vec_mlp(subj + self.video_global(vglob))

        return {
            "vec": vec,
            "tokens": tokens,
            "mean": mean,
            # the denoiser's copy is detached: with gradient through it, the
            # diffusion loss pulls the expected-EEG map away from the EEG
            # (benchmarks/NOTES.md, section 10)
            "trf": mean.detach() * keep[..., None],
            "video_tokens": vtok,
            "video_mask": vmask,
            "drop": drop,
        }

    def _lag_features(self, video, vt, mask, subj):
        b = video.shape[0]
        n_pad = self.n_tokens * self.patch_size
        span = (self.lag_kernel - 1) * self.lag_dil
        # EEG sample grid, extended into the past by the kernel span (causal)
        t = (torch.arange(-span, n_pad, device=video.device) / self.sfreq).expand(b, -1)
        # zero-order hold: index of the latest frame shown at or before t
        order = torch.argsort(vt, dim=1)
        vt_sorted = torch.gather(vt, 1, order)
        idx = torch.searchsorted(vt_sorted, t.contiguous(), right=True) - 1
        shown = idx >= 0
        idx = torch.gather(order, 1, idx.clamp(min=0))
        valid = shown & torch.gather(mask, 1, idx)
        feat = self.lag_in(video)  # (B, M, L)
        held = torch.gather(feat, 1, idx[..., None].expand(-1, -1, feat.shape[-1]))
        held = torch.cat([held, torch.ones_like(held[..., :1])], -1)
        held = held * valid[..., None]
        lag = self.lag(held.transpose(1, 2))  # (B, L, n_pad)
        gamma, beta = self.lag_film(subj).unsqueeze(-1).chunk(2, 1)
        return lag * (1 + gamma) + beta
