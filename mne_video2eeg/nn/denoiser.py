"""The denoiser: x_t (batch, n_channels, n_times) -> epsilon or v prediction.

Architecture (lean by design: it runs 10-100 times per generated sample)

1. Patchify time: each electrode's ``n_times`` samples are cut into
   ``patch_size``-sample patches; a patch of ``x_t`` and the same patch of the
   condition's expected-EEG map (``ctx["trf"]``) -> one token of ``width``.
   Tokens are ``(batch, n_tokens, n_channels, width)``, i.e. one graph node per
   electrode per time patch, plus a learned electrode embedding and the
   per-time-token conditioning (time code in seconds + lag-path features).
2. ``depth`` blocks, each (pre-norm, AdaLN-modulated by timestep + subject +
   global video summary):

   * SPGN spatial layer (multi-scale graph conv on each graph, self-play
     fusion, graph attention, Graph-DA) -- :mod:`.spgn`;
   * temporal token mixing along the time patches (an MLP over the token
     axis, as in MLP-Mixer: plain matmuls, cheap at 10-25 tokens);
   * cross-modal attention from the electrode-averaged time tokens to the
     video tokens, broadcast back to every electrode;
   * a channel MLP.

3. AdaLN -> Linear(width -> patch_size) -> unpatchify.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from diffusers.models.embeddings import TimestepEmbedding, Timesteps
from mne.utils import _check_option
from torch import nn

from ._layers import Mlp, modulate
from .conditioning import ConditionEncoder, CrossModalAttention
from .spgn import SPGNLayer, check_graphs


class _Block(nn.Module):
    def __init__(self, graphs, width, n_tokens, *, n_heads, mlp_ratio, cross, spgn_kw):
        super().__init__()
        self.spgn = SPGNLayer(graphs, width, n_heads=n_heads, **spgn_kw)
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.ada = nn.Linear(width, 9 * width)
        # token-mixing weights applied as (N', N) @ (B, N, C*D): no permutes
        hid = max(2 * n_tokens, 16)
        self.tmix1 = nn.Parameter(torch.randn(hid, n_tokens) / n_tokens**0.5)
        self.tmix2 = nn.Parameter(torch.randn(n_tokens, hid) / hid**0.5)
        self.tmix_b = nn.Parameter(torch.zeros(hid, 1))
        self.cross = CrossModalAttention(width, n_heads) if cross else None
        self.mlp = Mlp(width, mlp_ratio * width)

    def forward(self, x, emb, ctx, generator):
        # emb (B, D): timestep + condition embedding; x (B, N, C, D) tokens
        s1, b1, g1, s2, b2, g2, s3, b3, g3 = (
            m[:, None, None] for m in self.ada(emb).chunk(9, -1)
        )
        y, aux = self.spgn(modulate(self.norm(x), b1, s1), generator)
        x = x + g1 * y
        b, n, c, d = x.shape
        y = modulate(self.norm(x), b2, s2).view(b, n, c * d)
        y = torch.matmul(self.tmix2, F.gelu(torch.matmul(self.tmix1, y) + self.tmix_b))
        x = x + g2 * y.view(b, n, c, d)
        if self.cross is not None:
            q = x.mean(2) + ctx["tokens"]
            x = x + self.cross(q, ctx["video_tokens"], ctx["video_mask"])[:, :, None]
        x = x + g3 * self.mlp(modulate(self.norm(x), b3, s3))
        return x, aux


class VideoEEGDenoiser(nn.Module):
    """SPGN denoiser conditioned on video features and subject.

    Parameters
    ----------
    n_channels, n_times : int
        EEG clip size.
    sfreq : float
        EEG sampling frequency (Hz); sample ``k`` is at ``k / sfreq`` s.
    n_video_features : int
        Size of each video feature token.
    n_subjects : int
        Training subjects; index ``n_subjects`` is the learned unknown subject.
    graphs : dict
        ``name -> (n_channels, n_channels)`` non-negative adjacency.
    occipital_idx : list of int | None
        Occipital channels for the reference-EEG encoder (None = all).
    width : int
        Token feature size.
    depth : int
        Number of blocks.
    patch_size : int
        EEG samples per time token (``n_times`` is zero-padded to a multiple).
    n_heads : int
        Attention heads (spatial and cross-modal).
    n_hops : int
        Largest graph-convolution hop.
    n_filters : int
        Learned polynomial graph filters (hop-scale mixes) per graph.
    use_graphs : list of str | None
        Subset (and order) of ``graphs`` to use; one graph skips fusion.
    spatial_attention, self_play, graph_da : bool
        SPGN switches.
    da_noise_std, da_node_drop : float
        Graph-DA Gaussian noise std and node-drop probability.
    cross_attention, lag_path, ref_encoder : bool
        Conditioning switches.
    lag_s : float
        Span of the causal video -> EEG lag kernel (seconds).
    lag_width : int
        Channels of the lag path.
    mlp_ratio : int
        Hidden size of the channel MLP relative to ``width``.
    prediction_type : "epsilon" | "v_prediction"
        What the network predicts.
    cond_drop_prob : float
        Probability of nulling the condition in training (CFG).

    Notes
    -----
    ``forward`` stores the self-play game statistics of the last call,
    detached, in ``self.aux_`` (``gate_mean``; in training also ``disc_loss``
    and ``disc_acc``; averaged over blocks); ``return_aux=True`` returns the
    differentiable dict as well.
    """

    def __init__(
        self,
        *,
        n_channels: int,
        n_times: int,
        sfreq: float,
        n_video_features: int,
        n_subjects: int,
        graphs: dict,
        occipital_idx=None,
        width: int = 64,
        depth: int = 2,
        patch_size: int = 25,
        n_heads: int = 4,
        n_hops: int = 3,
        n_filters: int = 1,
        use_graphs=None,
        spatial_attention: bool = True,
        self_play: bool = True,
        graph_da: bool = True,
        da_noise_std: float = 0.1,
        da_node_drop: float = 0.1,
        cross_attention: bool = True,
        lag_path: bool = True,
        lag_s: float = 0.4,
        lag_width: int = 32,
        ref_encoder: bool = True,
        mlp_ratio: int = 2,
        prediction_type: str = "v_prediction",
        cond_drop_prob: float = 0.1,
    ):
        super().__init__()
        _check_option("prediction_type", prediction_type, ("epsilon", "v_prediction"))
        for name, val in dict(
            n_channels=n_channels,
            n_times=n_times,
            n_video_features=n_video_features,
            n_subjects=n_subjects,
            width=width,
            depth=depth,
            patch_size=patch_size,
            n_heads=n_heads,
        ).items():
            if not isinstance(val, int) or val < (0 if name == "n_subjects" else 1):
                raise ValueError(f"{name} must be a positive int, got {val!r}.")
        graphs = check_graphs(graphs, n_channels)
        if use_graphs is None:
            use_graphs = list(graphs)
        unknown = [g for g in use_graphs if g not in graphs]
        if unknown or not use_graphs:
            raise ValueError(
                f"use_graphs must name graphs among {list(graphs)}, got {use_graphs!r}."
            )
        graphs = {g: graphs[g] for g in use_graphs}
        self.config = dict(
            n_channels=n_channels,
            n_times=n_times,
            sfreq=float(sfreq),
            n_video_features=n_video_features,
            n_subjects=n_subjects,
            width=width,
            depth=depth,
            patch_size=patch_size,
            prediction_type=prediction_type,
            use_graphs=list(use_graphs),
        )
        self.n_channels, self.n_times = n_channels, n_times
        self.patch_size = patch_size
        self.n_tokens = math.ceil(n_times / patch_size)
        self.prediction_type = prediction_type
        self.cond = ConditionEncoder(
            n_channels=n_channels,
            n_times=n_times,
            sfreq=float(sfreq),
            n_video_features=n_video_features,
            n_subjects=n_subjects,
            width=width,
            patch_size=patch_size,
            n_tokens=self.n_tokens,
            occipital_idx=occipital_idx,
            lag_path=lag_path,
            lag_s=lag_s,
            lag_width=lag_width,
            ref_encoder=ref_encoder,
            cond_drop_prob=cond_drop_prob,
        )
        self.time_proj = Timesteps(width, flip_sin_to_cos=True, downscale_freq_shift=0)
        self.time_embed = TimestepEmbedding(width, width)
        self.patch_in = nn.Linear(2 * patch_size, width)
        self.elec_embed = nn.Parameter(torch.randn(n_channels, width) * 0.02)
        spgn_kw = dict(
            n_hops=n_hops,
            n_filters=n_filters,
            spatial_attention=spatial_attention,
            self_play=self_play,
            graph_da=graph_da,
            da_noise_std=da_noise_std,
            da_node_drop=da_node_drop,
        )
        self.blocks = nn.ModuleList(
            _Block(
                graphs,
                width,
                self.n_tokens,
                n_heads=n_heads,
                mlp_ratio=mlp_ratio,
                cross=cross_attention,
                spgn_kw=spgn_kw,
            )
            for _ in range(depth)
        )
        self.norm_out = nn.LayerNorm(width, elementwise_affine=False)
        self.ada_out = nn.Linear(width, 2 * width)
        self.patch_out = nn.Linear(width, patch_size)
        self.aux_ = {}

    def encode_condition(self, cond: dict, *, drop=None, generator=None) -> dict:
        """Step-independent context of ``cond`` (compute once per sample).

        Parameters
        ----------
        cond : dict
            ``video`` (B, n_frames, n_video_features), ``video_time``
            (n_frames,) or (B, n_frames) seconds, ``subject`` (B,) long,
            optional ``video_mask`` (B, n_frames) bool and ``ref_eeg``
            (B, n_channels, n_ref_times).
        drop : Tensor of bool, shape (B,) | None
            Samples to null (CFG).  None: random with ``cond_drop_prob`` in
            training, none in eval.
        generator : torch.Generator | None
            For the random CFG drop.
        """
        return self.cond(cond, drop=drop, generator=generator)

    def _patchify(self, x):
        b, c, t = x.shape
        pad = self.n_tokens * self.patch_size - t
        if pad:
            x = torch.nn.functional.pad(x, (0, pad))
        return x.view(b, c, self.n_tokens, self.patch_size).transpose(1, 2)

    def forward(
        self,
        x_t: torch.Tensor,
        timesteps: torch.Tensor,
        cond: dict | None = None,
        *,
        ctx: dict | None = None,
        generator=None,
        return_aux: bool = False,
    ):
        """Predict epsilon or v for ``x_t`` at ``timesteps``.

        Parameters
        ----------
        x_t : Tensor, shape (B, n_channels, n_times)
        timesteps : Tensor, shape (B,) or scalar
        cond : dict | None
            Raw condition (see :meth:`encode_condition`); or pass ``ctx``.
        ctx : dict | None
            Output of :meth:`encode_condition` (reused across steps).
        generator : torch.Generator | None
            For Graph-DA / CFG-drop randomness in training.
        return_aux : bool
            Also return the self-play statistics dict.
        """
        if x_t.ndim != 3 or x_t.shape[1:] != (self.n_channels, self.n_times):
            raise ValueError(
                f"x_t must have shape (batch, {self.n_channels}, {self.n_times}), "
                f"got {tuple(x_t.shape)}."
            )
        if ctx is None:
            if cond is None:
                raise ValueError("Pass cond (a condition dict) or ctx.")
            ctx = self.encode_condition(cond, generator=generator)
        b = x_t.shape[0]
        timesteps = torch.as_tensor(timesteps, device=x_t.device).reshape(-1)
        timesteps = timesteps.expand(b)
        emb = self.time_embed(self.time_proj(timesteps).to(x_t.dtype)) + ctx["vec"]
        emb = torch.nn.functional.silu(emb)

        patches = torch.cat([self._patchify(x_t), self._patchify(ctx["trf"])], -1)
        x = self.patch_in(patches) + self.elec_embed + ctx["tokens"][:, :, None]
        auxes = []
        for blk in self.blocks:
            x, aux = blk(x, emb, ctx, generator)
            auxes.append(aux)
        shift, scale = (m[:, None, None] for m in self.ada_out(emb).chunk(2, -1))
        out = self.patch_out(modulate(self.norm_out(x), shift, scale))
        out = out.transpose(1, 2).reshape(b, self.n_channels, -1)[..., : self.n_times]
        aux = {
            k: torch.stack([a[k] for a in auxes]).mean()
            for k in (auxes[0] if auxes else {})
        }
        # detached copy: a stored graph would break deepcopy (EMA) and leak
        self.aux_ = {k: v.detach() for k, v in aux.items()}
        return (out, aux) if return_aux else out
