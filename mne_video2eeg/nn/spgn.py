"""Self-Play Graph Network (SPGN): the spatial half of every denoiser block.

Tokens are laid out ``(batch, n_tokens_time, n_channels, width)``: each
electrode at each time patch is one graph node feature.  The layer mixes
information across electrodes with

* multi-scale graph convolution on each graph (E-Graph = electrode distance,
  S-Graph = signal correlation): ``sum_k P_k X W_k`` with ``P_k = Â^k``,
  ``k = 0..n_hops`` (``Â`` the symmetric-normalised adjacency with self loops);
* spatial graph attention over electrodes, with an additive, learned
  per-head ``log(Â_g + eps)`` bias for each graph ``g`` (so attention prefers
  graph neighbours but may learn to look further);
* adversarial self-play fusion of the graph branches (see
  :class:`SelfPlayFusion`);
* Graph-DA: training-time Gaussian feature noise and node (channel) dropout.

Every part is switchable for ablations.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..graphs import normalize_adjacency as _normalize_adjacency_np
from ._layers import grad_reverse

# The graphs are fixed and tiny (62 nodes, dense after normalisation), so each
# graph convolution is one dense matmul with precomputed hop powers:
# torch_geometric's dense and sparse (edge_index) graph convolutions are slower
# at these sizes and stay out of the sampling loop (benchmarks/NOTES.md,
# section 12).


def normalize_adjacency(adj, *, add_self_loops: bool = True) -> torch.Tensor:
    """Symmetric normalisation ``D^-1/2 (A + I) D^-1/2`` of a dense adjacency.

    A float32 tensor of :func:`mne_video2eeg.graphs.normalize_adjacency`, so
    that the whole package normalises in one place.
    """
    adj = np.asarray(adj, dtype=np.float64)
    out = _normalize_adjacency_np(adj, add_self_loops=add_self_loops)
    return torch.as_tensor(out, dtype=torch.float32)


def check_graphs(graphs: dict, n_channels: int) -> dict:
    """Validate a ``{name: (n_channels, n_channels) adjacency}`` dict."""
    if not isinstance(graphs, dict) or not graphs:
        raise TypeError(
            "graphs must be a non-empty dict name -> (n_channels, n_channels) "
            f"adjacency, got {type(graphs).__name__}."
        )
    out = {}
    for name, adj in graphs.items():
        adj = np.asarray(
            adj.detach().cpu() if isinstance(adj, torch.Tensor) else adj, float
        )
        if adj.shape != (n_channels, n_channels):
            raise ValueError(
                f"Graph {name!r} must have shape ({n_channels}, {n_channels}) to "
                f"match n_channels={n_channels}, got {adj.shape}."
            )
        if not np.all(np.isfinite(adj)) or (adj < 0).any():
            raise ValueError(
                f"Graph {name!r} must be finite and non-negative; got min "
                f"{np.nanmin(adj)!r}."
            )
        out[name] = 0.5 * (adj + adj.T)
    return out


class MultiScaleGraphConv(nn.Module):
    """Multi-scale graph convolution ``sum_f F_f X W_f``, ``F_f = sum_k θ_fk Â^k``.

    Each of ``n_filters`` filters is a learned polynomial in the normalised
    adjacency (hops ``k = 0..n_hops``, as in GPR-GNN / ChebNet), initialised so
    that filter ``f`` starts at ``Â^(f+1)``-ish scale mixes; hence the layer
    mixes several hop scales at the cost of ``n_filters`` propagations.
    It runs as ONE Linear (width -> n_filters * width) followed by ONE dense
    matmul with the stacked filters laid out ``(C, C * n_filters)``, so no
    permute or concatenation is needed: at these sizes such memory passes,
    not the arithmetic, dominate the layer's time.

    Parameters
    ----------
    adj : array, shape (n_channels, n_channels)
        Raw (non-normalised) adjacency.
    width : int
        Feature size.
    n_hops : int
        Largest hop ``K``.
    n_filters : int
        Number of learned polynomial filters.
    """

    def __init__(self, adj, width: int, n_hops: int = 3, n_filters: int = 1):
        super().__init__()
        a = normalize_adjacency(adj)
        powers = [torch.eye(len(a))]
        for _ in range(n_hops):
            powers.append(powers[-1] @ a)
        self.register_buffer("powers", torch.stack(powers), persistent=False)
        # filter f starts as the mean of hops 0..f+1 (local to broad scales)
        theta = torch.zeros(n_filters, n_hops + 1)
        for f in range(n_filters):
            theta[f, : min(f + 2, n_hops + 1)] = 1.0
        self.theta = nn.Parameter(theta / theta.sum(1, keepdim=True))
        self.n_filters = n_filters
        self.lin = nn.Linear(width, n_filters * width)

    def filters(self) -> torch.Tensor:
        """Stacked filters laid out (C, C * n_filters), column j * F + f."""
        filt = torch.einsum("fk,kij->ijf", self.theta, self.powers)
        return filt.reshape(filt.shape[0], -1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, N, C, D)
        """Apply the layer to tokens (B, N, C, D)."""
        b, n, c, d = x.shape
        y = self.lin(x).view(b, n, c * self.n_filters, d)
        return torch.matmul(self.filters(), y)


class SpatialGraphAttention(nn.Module):
    """Multi-head attention over electrodes, biased by the graphs.

    The bias for head ``h`` is ``sum_g alpha_{g,h} * log(Â_g + 1e-3)``, with
    ``alpha`` learned (initialised at 1): a soft graph mask.  To stay cheap the
    queries/keys are low-rank (``key_dim`` per head) and the values are the
    input features themselves (split into heads); the output projection is
    shared with the graph branches (see :class:`SPGNLayer`).  The softmax is
    written out because ``scaled_dot_product_attention`` with a float mask is
    slower at these sizes (it checks the mask on every call).
    """

    def __init__(self, adjs: list, width: int, n_heads: int, key_dim: int = 8):
        super().__init__()
        if width % n_heads:
            raise ValueError(
                f"width must be divisible by n_heads, got width={width}, "
                f"n_heads={n_heads}."
            )
        self.n_heads, self.key_dim = n_heads, key_dim
        logs = torch.stack([torch.log(normalize_adjacency(a) + 1e-3) for a in adjs])
        self.register_buffer("log_adj", logs, persistent=False)  # (G, C, C)
        self.alpha = nn.Parameter(torch.ones(len(adjs), n_heads))
        self.qk = nn.Linear(width, 2 * n_heads * key_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, N, C, D)
        """Apply the layer to tokens (B, N, C, D)."""
        b, n, c, d = x.shape
        h = self.n_heads
        qk = self.qk(x).view(b * n, c, 2, h, self.key_dim).permute(2, 0, 3, 1, 4)
        bias = torch.einsum("gh,gij->hij", self.alpha, self.log_adj)
        # the scale goes on q (8 / C of the scores' size) and the bias is
        # added in place: two fewer passes over the (BN, H, C, C) scores,
        # the largest tensor of the network (matmul does not save its output
        # for backward, so the in-place add is autograd-safe)
        q = qk[0] * self.key_dim**-0.5
        scores = torch.matmul(q, qk[1].transpose(-1, -2))
        scores += bias
        attn = torch.softmax(scores, -1)  # (BN, H, C, C)
        v = x.reshape(b * n, c, h, d // h).transpose(1, 2)
        return torch.matmul(attn, v).transpose(1, 2).reshape(b, n, c, d)


class SelfPlayFusion(nn.Module):
    """Gate two graph branches, with a discriminator played against the gate.

    ``fused = g * h_a + (1 - g) * h_b`` with a per-node gate
    ``g = sigmoid(w · [h_a, h_b])``.  During training a small discriminator
    sees the two gated contributions (averaged over time tokens, per
    electrode) and tries to tell which branch each came from (BCE).  Its input
    passes through a gradient-reversal layer into the gate (the branch features
    are detached there), so the gate is trained to make the contributions
    indistinguishable: a branch that
    dominated (``g`` near 0 or 1) would be trivially recognisable, hence the
    game keeps both branches in play.  The paper leaves the game unspecified;
    this is the standard domain-adversarial (DANN) form of it.
    """

    def __init__(self, width: int, *, reverse_weight: float = 1.0):
        super().__init__()
        self.gate = nn.Linear(2 * width, 1)
        self.disc = nn.Sequential(
            nn.Linear(width, width), nn.GELU(), nn.Linear(width, 1)
        )
        self.reverse_weight = reverse_weight

    def forward(self, h_a: torch.Tensor, h_b: torch.Tensor):
        """Apply the layer to tokens (B, N, C, D)."""
        # gate(cat([h_a, h_b])) with the weight split instead of a
        # concatenated copy of both branches; lerp = g * h_a + (1 - g) * h_b
        # in one pass instead of four
        w = self.gate.weight
        d = h_a.shape[-1]
        logit = F.linear(h_a, w[:, :d], self.gate.bias) + F.linear(h_b, w[:, d:])
        g = torch.sigmoid(logit)
        fused = torch.lerp(h_b, h_a, g)
        aux = {"gate_mean": g.detach().mean()}
        if self.training:
            # the branch features are detached: the reversed gradient reaches
            # only the (bounded) gate; reversed into the unbounded branch
            # features it makes the training loss diverge
            # (benchmarks/NOTES.md, section 12)
            pooled = torch.stack(
                [(g * h_a.detach()).mean(1), ((1 - g) * h_b.detach()).mean(1)]
            )  # (2, B, C, D)
            logits = self.disc(grad_reverse(pooled, self.reverse_weight))[..., 0]
            labels = torch.zeros_like(logits)
            labels[0] = 1.0
            aux["disc_loss"] = F.binary_cross_entropy_with_logits(logits, labels)
            aux["disc_acc"] = ((logits > 0) == (labels > 0.5)).float().mean().detach()
        return fused, aux


class GraphDA(nn.Module):
    """Graph data augmentation: Gaussian feature noise + node dropout (train only).

    Node dropout zeroes whole electrodes (all time tokens, all features) of a
    sample and rescales the rest by ``1 / (1 - p)``, like dropout on nodes.
    """

    def __init__(self, noise_std: float = 0.1, node_drop: float = 0.1):
        super().__init__()
        self.noise_std = float(noise_std)
        self.node_drop = float(node_drop)

    def forward(self, x: torch.Tensor, generator=None) -> torch.Tensor:
        """Augment tokens (B, N, C, D) in training; identity in eval."""
        if not self.training:
            return x
        if self.noise_std > 0:
            noise = torch.randn(
                x.shape, generator=generator, device=x.device, dtype=x.dtype
            )
            x = x + self.noise_std * noise
        if self.node_drop > 0:
            b, _, c, _ = x.shape
            keep = (
                torch.rand((b, 1, c, 1), generator=generator, device=x.device)
                >= self.node_drop
            )
            x = x * keep.to(x.dtype) / (1 - self.node_drop)
        return x


class SPGNLayer(nn.Module):
    """Spatial mixing over electrodes: graph branches (+ fusion) + attention.

    Parameters
    ----------
    graphs : dict
        ``name -> (n_channels, n_channels)`` adjacency (already validated and
        restricted to the graphs in use; order = branch order).
    width, n_heads, n_hops, n_filters : int
        Feature size, attention heads, largest hop, polynomial filters per graph.
    spatial_attention, self_play, graph_da : bool
        Switches.  ``self_play=False`` fuses the branches by a plain mean
        (no gate, no discriminator).
    da_noise_std, da_node_drop : float
        Graph-DA strengths.
    """

    def __init__(
        self,
        graphs: dict,
        width: int,
        *,
        n_heads: int = 4,
        n_hops: int = 3,
        n_filters: int = 1,
        spatial_attention: bool = True,
        self_play: bool = True,
        graph_da: bool = True,
        da_noise_std: float = 0.1,
        da_node_drop: float = 0.1,
    ):
        super().__init__()
        adjs = list(graphs.values())
        self.convs = nn.ModuleList(
            MultiScaleGraphConv(a, width, n_hops, n_filters) for a in adjs
        )
        self.attn = (
            SpatialGraphAttention(adjs, width, n_heads) if spatial_attention else None
        )
        self.fusion = SelfPlayFusion(width) if (self_play and len(adjs) == 2) else None
        if self_play and len(adjs) > 2:
            raise ValueError(
                f"self_play fuses exactly two graphs, got {len(adjs)}: "
                f"{list(graphs)}. Pass two graphs or self_play=False."
            )
        self.da = GraphDA(da_noise_std, da_node_drop) if graph_da else None
        self.proj = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, generator=None):
        """Apply the layer to tokens (B, N, C, D)."""
        if self.da is not None:
            x = self.da(x, generator)
        hs = [conv(x) for conv in self.convs]
        aux = {}
        if self.fusion is not None:
            out, aux = self.fusion(hs[0], hs[1])
        elif len(hs) == 1:
            out = hs[0]
        else:
            out = torch.stack(hs).mean(0)
        if self.attn is not None:
            out = out + self.attn(x)
        return self.proj(out), aux
