"""The user-facing estimator: fit on paired video/EEG, generate EEG for videos."""

from __future__ import annotations

import time
from pathlib import Path

import mne
import numpy as np
import torch
from mne.utils import logger, verbose, warn
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from . import _inputs
from ._checkpoint import (
    TrainingCheckpoint,
    generator_params,
    read_generator_file,
    restore_fitted,
    save_generator,
)
from ._raw import clips_to_raw
from .utils._checks import _check_option, _check_positive
from .utils._verbose import verbose_method


def _resolve_device(device) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={str(device)!r} was asked for but torch sees no CUDA device. "
            'Use device="cpu" or device="auto".'
        )
    return device


def _video_locked_residual(x0: np.ndarray, videos: np.ndarray) -> np.ndarray:
    """Clips minus the mean of their video's clips (the video-locked part).

    The Gaussian part models what is left after the video-locked mean.  With
    ``n`` clips of a video the deviations from their average have
    ``(n - 1) / n`` of the residual's variance: they are scaled back by
    ``sqrt(n / (n - 1))``.  A video seen once keeps its clip as it is (its
    video-locked part then counts as background).
    """
    out = np.array(x0, dtype=np.float64)
    for video in np.unique(videos):
        rows = np.flatnonzero(videos == video)
        if len(rows) > 1:
            dev = out[rows] - out[rows].mean(0)
            out[rows] = dev * np.sqrt(len(rows) / (len(rows) - 1))
    return out


def _seed_from(random_state) -> int:
    """Draw an int seed for torch's local generators from a sklearn-style state."""
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**62))
    return int(np.random.default_rng(random_state).integers(2**62))


class Video2EEGGenerator(BaseEstimator):
    """Generate EEG for videos with an SPGN graph network inside a diffusion model.

    The method of Video2EEG-SPGN-Diffusion: video features (one token per
    frame, with its time in seconds) and the subject condition a denoising
    diffusion model whose network is a graph network over the electrodes
    (electrode-distance and signal-correlation graphs, spatial graph attention,
    adversarial self-play fusion, graph data augmentation). Training uses the
    DDPM cosine schedule; sampling integrates its ODE in a few steps.

    Parameters
    ----------
    width : int
        Width of the network (features per electrode token).
    depth : int
        Number of SPGN blocks.
    patch_size : int
        EEG samples per time token.
    n_train_timesteps : int
        Diffusion steps of the training schedule (the paper: 1000).
    n_inference_steps : int
        Sampling steps (one network call each). The paper uses 50 DDPM/DDIM
        steps; the default, 6 steps of ``"trigflow"``, came within 0.02 of
        100 DDIM steps in evoked correlation and band power on the quality
        benchmark with 6 % of its network calls (``benchmarks/NOTES.md``).
    sampler : "trigflow" | "dpmsolver" | "ddim" | "ddpm"
        Sampling scheduler: an Adams predictor-corrector (order 3) on the
        v-prediction ODE in angle
        (:class:`mne_video2eeg.nn.samplers.TrigFlowMultistepScheduler`,
        v-prediction only; built for the whitened EEG, whose flow is near
        the identity), or diffusers' DPM-Solver++ (2M), DDIM (eta=0) or
        ancestral DDPM.
    guidance_scale : float
        Classifier-free guidance scale; 1 = plain conditional sampling.
    prediction_type : "epsilon" | "v_prediction"
        What the network predicts.
    spatial_attention, self_play, graph_da : bool
        Ablation switches of the SPGN parts.
    graphs : tuple of str
        Which graphs the SPGN uses: ``"electrode"`` and/or ``"signal"``.
    whiten : "cross-spectral" | "spectral" | "none"
        The Gaussian part of the model (:mod:`mne_video2eeg.spectra`): the
        diffusion runs on the EEG residual (after the video-locked mean)
        whitened per frequency by each subject's cross-spectral matrix,
        fitted on the training clips (an unknown subject uses the
        population's), and the samples are coloured back, so a network that
        predicts nothing already samples EEG with the subject's spectra,
        channel correlations and amplitude.  ``"spectral"`` keeps each
        channel's spectrum only (channels whitened independently: the
        previous default), ``"none"`` diffuses the EEG as it is.  ``True``
        and ``False`` mean ``"cross-spectral"`` and ``"none"``.
    condition_on_video : bool
        Give the network the video features. False trains the same network
        on the subject alone (every frame masked): the unconditional
        baseline that shows how much of the output follows the video.
    cond_drop_prob : float
        Probability of dropping the conditioning in training (needed for
        classifier-free guidance).
    n_epochs, batch_size, learning_rate, weight_decay, ema_decay : float | int
        Training length and optimiser settings (AdamW with EMA weights).
    sfreq : float
        Sampling frequency the model works at (EEG is resampled to it).
    device : str
        ``"auto"`` (CUDA if available), ``"cpu"`` or ``"cuda"``.
    checkpoint_dir : path-like | None
        Folder for the training state (weights, EMA, optimiser, RNG streams),
        written atomically every ``checkpoint_every`` epochs. A ``fit`` that
        finds a checkpoint of the same configuration and data there resumes
        from it and ends as an uninterrupted run would (CPU, fixed seed).
    checkpoint_every : int
        Epochs between training checkpoints.
    random_state : int | None
        Seed for weights, batching and noise (a local generator).
    verbose : bool | str | int | None
        Default verbosity of ``fit``/``generate``.

    Attributes
    ----------
    info_ : mne.Info
        Channels, sampling frequency and montage of the training EEG.
    graphs_ : dict of str to ndarray
        The electrode (E-Graph) and signal (S-Graph) adjacencies used.
    subjects_ : list of str
        Training subjects (their embeddings can be asked for in ``generate``).
    emotions_ : list of str
        Emotion labels seen in training.
    spectral_model_ : mne_video2eeg.spectra.CrossSpectralModel
        The Gaussian part: each subject's cross-spectral matrices of the
        residual EEG at working scale (absent with ``whiten="none"``).
    history_ : list of dict
        Per-epoch training losses (diffusion and self-play game).
    module_ : torch.nn.Module
        The trained diffusion model (EMA weights).
    """

    def __init__(
        self,
        *,
        width: int = 64,
        depth: int = 2,
        patch_size: int = 25,
        n_train_timesteps: int = 1000,
        n_inference_steps: int = 6,
        sampler: str = "trigflow",
        guidance_scale: float = 1.0,
        prediction_type: str = "v_prediction",
        spatial_attention: bool = True,
        self_play: bool = True,
        graph_da: bool = True,
        graphs: tuple[str, ...] = ("electrode", "signal"),
        whiten: str = "cross-spectral",
        condition_on_video: bool = True,
        cond_drop_prob: float = 0.1,
        n_epochs: int = 100,
        batch_size: int = 16,
        learning_rate: float = 2e-3,
        weight_decay: float = 1e-4,
        ema_decay: float = 0.995,
        sfreq: float = 200.0,
        device: str = "auto",
        checkpoint_dir=None,
        checkpoint_every: int = 10,
        random_state=None,
        verbose=None,
    ):
        self.width = width
        self.depth = depth
        self.patch_size = patch_size
        self.n_train_timesteps = n_train_timesteps
        self.n_inference_steps = n_inference_steps
        self.sampler = sampler
        self.guidance_scale = guidance_scale
        self.prediction_type = prediction_type
        self.spatial_attention = spatial_attention
        self.self_play = self_play
        self.graph_da = graph_da
        self.graphs = graphs
        self.whiten = whiten
        self.condition_on_video = condition_on_video
        self.cond_drop_prob = cond_drop_prob
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.ema_decay = ema_decay
        self.sfreq = sfreq
        self.device = device
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    def _check_params(self):
        _check_positive(self.width, "width", integer=True)
        _check_positive(self.depth, "depth", integer=True)
        _check_positive(self.patch_size, "patch_size", integer=True)
        _check_positive(self.n_train_timesteps, "n_train_timesteps", integer=True)
        _check_positive(self.n_inference_steps, "n_inference_steps", integer=True)
        from .nn import SAMPLERS

        _check_option("sampler", self.sampler, SAMPLERS)
        _check_option(
            "prediction_type", self.prediction_type, ("epsilon", "v_prediction")
        )
        if self.sampler == "trigflow" and self.prediction_type != "v_prediction":
            raise ValueError(
                "sampler='trigflow' integrates the v-prediction ODE, got "
                f"prediction_type={self.prediction_type!r}. Pass "
                "sampler='dpmsolver' (with n_inference_steps=10 or more) or "
                "prediction_type='v_prediction'."
            )
        _check_positive(self.guidance_scale, "guidance_scale")
        _check_positive(self.n_epochs, "n_epochs", integer=True)
        _check_positive(self.batch_size, "batch_size", integer=True)
        _check_positive(self.learning_rate, "learning_rate")
        _check_positive(self.sfreq, "sfreq")
        self._whiten_mode()
        graphs = tuple(self.graphs)
        if not graphs or any(g not in ("electrode", "signal") for g in graphs):
            raise ValueError(
                "graphs must be a non-empty subset of ('electrode', 'signal'), got "
                f"{self.graphs!r}."
            )
        return graphs

    def _whiten_mode(self) -> str:
        whiten = self.whiten
        if isinstance(whiten, bool | np.bool_):
            return "cross-spectral" if whiten else "none"
        _check_option("whiten", whiten, ("cross-spectral", "spectral", "none"))
        return whiten

    @verbose_method
    def fit(self, X, y, *, verbose=None) -> Video2EEGGenerator:
        """Learn how the EEG in ``y`` responds to the videos in ``X``.

        Parameters
        ----------
        X : xarray.DataArray, dims (video, frame, feature)
            Video features from :func:`mne_video2eeg.extract_video_features`.
        y : mne.Epochs
            Clip epochs (Volts) with ``metadata`` columns ``video`` (matching
            ``X["video"]``), ``subject`` and ``emotion``. Epochs at another
            sampling frequency are resampled to ``sfreq``.
        %(verbose)s

        Returns
        -------
        self : Video2EEGGenerator
            The fitted generator.
        """
        from ._training import train_diffusion
        from .graphs import make_electrode_graph, make_signal_graph
        from .preprocessing import apply_channel_scale, fit_channel_scale
        from .spectra import CrossSpectralModel

        graph_names = self._check_params()
        X = _inputs.check_features(X)
        md = _inputs.check_epochs(y)
        rows = _inputs.match_videos(X, md["video"])
        epochs = self._prepare_eeg(y)
        data = epochs.get_data()  # Volts, (n_epochs, n_channels, n_times)
        mean, std = fit_channel_scale(data, ch_names=epochs.ch_names)
        self.scale_ = {"mean": mean, "std": std}
        x0 = apply_channel_scale(data, mean, std).astype(np.float32)

        self.info_ = epochs.info.copy()
        self.n_times_ = data.shape[-1]
        self.feature_names_ = [str(f) for f in X["feature"].values]
        self.n_features_in_ = len(self.feature_names_)
        self.feature_attrs_ = {
            k: (v if isinstance(v, str | int | float) else str(v))
            for k, v in X.attrs.items()
        }
        fmean, fstd = _inputs.feature_stats(X.isel(video=np.unique(rows)))
        self.feature_scale_ = {"mean": fmean, "std": fstd}
        tokens = _inputs.standardise_features(X, fmean, fstd)
        self.feature_times_ = tokens.times

        self.subjects_ = sorted(md["subject"].unique())
        self.emotions_ = sorted(md["emotion"].unique())
        self.video_emotions_ = dict(zip(md["video"], md["emotion"], strict=True))
        electrode = make_electrode_graph(self.info_)
        signal = make_signal_graph(data, sfreq=self.info_["sfreq"])
        self.graphs_ = {"electrode": electrode, "signal": signal}

        device = _resolve_device(self.device)
        self.device_ = device
        self.module_config_ = self._module_config(graph_names)
        seed = _seed_from(self.random_state)
        with torch.random.fork_rng(devices=[]):  # weight init from a local seed
            torch.manual_seed(seed)
            module = self._make_module(self.module_config_, self.graphs_)
        subject_index = {s: k for k, s in enumerate(self.subjects_)}
        subject_idx = np.array([subject_index[s] for s in md["subject"]])
        whiten = self._whiten_mode()
        if whiten != "none":
            self.spectral_model_ = CrossSpectralModel(
                shrinkage=1.0 if whiten == "spectral" else "auto"
            ).fit(_video_locked_residual(x0, md["video"].to_numpy()), subject_idx)
            module.set_whitening(self.spectral_model_.colouring_)
        tensors = {
            "x0": torch.from_numpy(x0),
            "video": torch.from_numpy(tokens.values[rows]),
            "video_time": torch.from_numpy(tokens.times),
            "video_mask": torch.from_numpy(self._video_mask(tokens.mask[rows])),
            "subject": torch.from_numpy(subject_idx),
        }
        logger.info(
            f"Fitting on {len(x0)} clips x {x0.shape[1]} channels x "
            f"{x0.shape[2]} samples, {len(self.subjects_)} subject(s), "
            f"{tokens.values.shape[1]} frames x {self.n_features_in_} features "
            f"per video, on {device}"
        )
        t_start = time.perf_counter()
        resume = TrainingCheckpoint.for_fit(
            self.checkpoint_dir, self.module_config_, tensors, seed, self.get_params()
        )
        self.history_, _ = train_diffusion(
            module,
            tensors,
            n_epochs=self.n_epochs,
            batch_size=self.batch_size,
            lr=self.learning_rate,
            weight_decay=self.weight_decay,
            ema_decay=self.ema_decay,
            seed=seed,
            device=device,
            callback=None if resume is None else resume.callback,
            start_state=None if resume is None else resume.load(),
        )
        if resume is not None:  # epochs done before an interruption included
            self.history_ = resume.history
        self.module_ = module.eval()
        self._log_fit_summary(time.perf_counter() - t_start)
        self._sample_rng = np.random.default_rng(self.random_state)
        return self

    def _log_fit_summary(self, seconds: float) -> None:
        """One line: how long, and the losses of the last epoch."""
        last = self.history_[-1] if self.history_ else {}
        losses = ", ".join(
            f"{k}={v:.3g}" for k, v in last.items() if k not in ("epoch", "lr")
        )
        logger.info(
            f"Fitted {len(self.history_)} epoch(s) in {seconds:.1f} s"
            + (f"; last epoch {losses}" if losses else "")
            + " (per-epoch losses in history_)"
        )

    def _video_mask(self, mask: np.ndarray) -> np.ndarray:
        """Frames the network may see (none for the unconditional baseline)."""
        return mask if self.condition_on_video else np.zeros_like(mask)

    def _prepare_eeg(self, y):
        """Pick EEG, check positions, values, units and drifts, resample.

        What it does to the data is logged in one line.
        """
        from .preprocessing import _check_drift, _check_volts

        picks = mne.pick_types(y.info, eeg=True, exclude=())
        if len(picks) == 0:
            raise ValueError("y has no EEG channel; the generator models EEG only.")
        n_other = len(y.ch_names) - len(picks)
        epochs = y.copy().pick(picks)
        missing = [
            ch["ch_name"]
            for ch in epochs.info["chs"]
            if not np.isfinite(ch["loc"][:3]).all() or not np.any(ch["loc"][:3])
        ]
        if missing:
            raise ValueError(
                f"Channel(s) {missing[:10]} have no position. Set a montage first, "
                "e.g. epochs.set_montage('biosemi64') or "
                "epochs.set_montage(mne_video2eeg.make_seed_montage())."
            )
        data = epochs.get_data(copy=False)
        bad = ~np.isfinite(data).all(axis=(0, 2))
        if bad.any():
            names = [epochs.ch_names[k] for k in np.flatnonzero(bad)]
            raise ValueError(f"Channel(s) {names} contain NaN or Inf values.")
        _check_volts(epochs)
        drift = _check_drift(data)
        steps = [f"{len(picks)} EEG channel(s)"]
        if n_other:
            steps.append(f"{n_other} other channel(s) dropped")
        steps.append(f"a line per clip holds {100 * drift:.0f} % of the variance")
        if not np.isclose(epochs.info["sfreq"], self.sfreq):
            warn(
                f"EEG sampled at {epochs.info['sfreq']} Hz is resampled to the "
                f"model's sfreq={self.sfreq} Hz."
            )
            steps.append(f"resampled {epochs.info['sfreq']:g} -> {self.sfreq:g} Hz")
            epochs = epochs.copy().load_data().resample(self.sfreq, verbose=False)
        logger.info("EEG input: " + "; ".join(steps))
        return epochs

    def _module_config(self, graph_names) -> dict:
        from .montage import SEED_OCCIPITAL_CH_NAMES

        occipital = [
            k
            for k, name in enumerate(self.info_.ch_names)
            if name.upper() in SEED_OCCIPITAL_CH_NAMES or name.upper().startswith("O")
        ]
        denoiser = {
            "n_channels": len(self.info_.ch_names),
            "n_times": int(self.n_times_),
            "sfreq": float(self.info_["sfreq"]),
            "n_video_features": int(self.n_features_in_),
            "n_subjects": len(self.subjects_),
            "occipital_idx": occipital or None,
            "width": int(self.width),
            "depth": int(self.depth),
            "patch_size": int(self.patch_size),
            "use_graphs": list(graph_names),
            "spatial_attention": bool(self.spatial_attention),
            "self_play": bool(self.self_play),
            "graph_da": bool(self.graph_da),
            "cond_drop_prob": float(self.cond_drop_prob),
            "prediction_type": self.prediction_type,
        }
        diffusion = {
            "num_train_timesteps": int(self.n_train_timesteps),
            "whiten": self._whiten_mode() != "none",
        }
        return {"denoiser": denoiser, "diffusion": diffusion}

    @staticmethod
    def _make_module(config: dict, graphs: dict):
        from .nn import VideoEEGDenoiser, VideoEEGDiffusion

        denoiser = VideoEEGDenoiser(graphs=graphs, **config["denoiser"])
        return VideoEEGDiffusion(denoiser, **config["diffusion"])

    # ------------------------------------------------------------- generate
    @verbose_method
    def generate(
        self,
        X,
        *,
        subject: str | None = None,
        n_samples: int = 1,
        emotion=None,
        batch_size: int = 64,
        random_state=None,
        verbose=None,
    ) -> mne.EpochsArray:
        """Generate EEG clips for the videos in ``X``.

        Parameters
        ----------
        X : xarray.DataArray, dims (video, frame, feature)
            Features of the videos, from the same encoder as in ``fit``.
        subject : str | None
            A training subject to condition on; None uses the learned
            "unknown subject" (population) embedding.
        n_samples : int
            Independent samples per video.
        emotion : str | dict | None
            Emotion label(s) for the output. None uses each video's label from
            training when known; a video never seen in training gets CLIP's
            zero-shot label (:func:`~mne_video2eeg.label_emotions`) when the
            features are CLIP's with local weights, else ``"unknown"``
            (logged).
        batch_size : int
            Clips denoised together (memory is bounded by it, not by the
            number of videos).
        random_state : int | None
            Seed of the sampling noise. None draws the next seed from a stream
            started from the estimator's ``random_state`` at fit (or load)
            time: a script is reproducible and successive calls differ.
        %(verbose)s

        Returns
        -------
        epochs : mne.EpochsArray
            Generated EEG in Volts with the training channels and montage,
            ``metadata`` (video, subject, emotion, sample) and ``event_id``
            keyed by emotion. Epochs are ordered video-major.
        """
        from .nn.sampling import sample_batched
        from .preprocessing import invert_channel_scale

        check_is_fitted(self, "module_")
        X = _inputs.check_same_features(
            X, self.feature_names_, encoder=self.feature_attrs_.get("encoder")
        )
        _inputs.check_feature_config(X, self.feature_attrs_, self.feature_times_)
        n_samples = _check_positive(n_samples, "n_samples", integer=True)
        batch_size = _check_positive(batch_size, "batch_size", integer=True)
        subj_label = _inputs.subject_label(subject, self.subjects_)
        subj_idx = (
            self.subjects_.index(subj_label)
            if subject is not None
            else len(self.subjects_)
        )
        tokens = _inputs.standardise_features(
            X, self.feature_scale_["mean"], self.feature_scale_["std"]
        )
        ids = tokens.ids
        emotions = _inputs.emotions_for(
            ids,
            emotion,
            self.video_emotions_,
            guess=lambda unlabelled: self._zero_shot_emotions(X, unlabelled),
        )
        rep = np.repeat(np.arange(len(ids)), n_samples)
        cond = {
            "video": torch.from_numpy(tokens.values[rep]),
            "video_mask": torch.from_numpy(self._video_mask(tokens.mask[rep])),
            "subject": torch.full((len(rep),), subj_idx, dtype=torch.long),
        }
        cond["video_time"] = torch.from_numpy(tokens.times)
        x = sample_batched(
            self.module_,
            cond,
            batch_size=batch_size,
            n_steps=int(self.n_inference_steps),
            sampler=self.sampler,
            guidance_scale=float(self.guidance_scale),
            seed=_seed_from(self._sample_rng if random_state is None else random_state),
            device=self.device_,
            # flat memory: back to Volts batch by batch, written into one
            # float64 output (peak = output + one batch, any clip count)
            transform=lambda b: invert_channel_scale(
                b.astype(np.float64), self.scale_["mean"], self.scale_["std"]
            ),
        )
        return _inputs.generated_epochs(
            x,
            self.info_,
            ids=ids,
            subject=subj_label,
            emotions=emotions,
            n_samples=n_samples,
        )

    def _zero_shot_emotions(self, X, ids: list[str]) -> dict[str, str]:
        """CLIP's zero-shot labels of ``ids`` when X holds CLIP embeddings.

        Needs the weights the features came from on this machine; without
        them (or for other encoders) no label is guessed.
        """
        config = _inputs._encoder_config(self.feature_attrs_)
        if config.get("encoder") != "clip" or config.get("pretrained") is None:
            return {}
        from .video.emotion import label_emotions

        try:
            labels = label_emotions(
                X.sel(video=ids),
                model_name=config["model_name"],
                pretrained=config["pretrained"],
                verbose=False,
            )
        except (OSError, RuntimeError, ValueError) as err:
            warn(
                f"CLIP zero-shot emotion labels failed ({err}); unseen videos are "
                "labelled 'unknown'. Pass emotion= to label them."
            )
            return {}
        logger.info(f"Labelled {len(ids)} unseen video(s) by CLIP zero-shot")
        return {str(v): str(e) for v, e in labels["emotion"].items()}

    def generate_raw(self, X, *, gap: float = 0.0, **kwargs) -> mne.io.RawArray:
        """Generate clips and lay them end to end as continuous Raw.

        Takes the arguments of :meth:`generate`; each clip becomes an
        annotation whose description is its emotion and whose ``extras``
        hold the video id, subject and sample (see :func:`clips_to_raw`).

        Returns
        -------
        raw : mne.io.RawArray
            Continuous generated EEG in Volts with annotations.
        """
        return clips_to_raw(self.generate(X, **kwargs), gap=gap)

    # ------------------------------------------------------------ save/load
    def save(self, fname, *, overwrite: bool = False) -> Path:
        """Save the fitted generator (state dict + JSON config), atomically.

        Parameters
        ----------
        fname : path-like
            Checkpoint file to write (conventionally ``*.pt``).
        overwrite : bool
            Replace an existing file; with False an existing file is never
            touched.

        Returns
        -------
        fname : pathlib.Path
            The written file.
        """
        return save_generator(self, fname, overwrite=overwrite)


@verbose
def read_generator(fname, *, device: str = "auto", verbose=None) -> Video2EEGGenerator:
    """Read a generator saved with :meth:`Video2EEGGenerator.save`.

    The file is loaded with ``torch.load(weights_only=True)``: it can hold
    tensors and plain containers only, so loading never executes code.

    Parameters
    ----------
    fname : path-like
        The checkpoint file.
    device : str
        Where to put the model (``"auto"``, ``"cpu"``, ``"cuda"``).
    %(verbose)s

    Returns
    -------
    generator : Video2EEGGenerator
        The fitted generator; its ``verbose`` is the saved one unless
        ``verbose`` is given here.
    """
    fname, payload = read_generator_file(fname)
    params = dict(generator_params(payload), device=device)
    if verbose is not None:
        params["verbose"] = verbose
    gen = Video2EEGGenerator(**params)
    return restore_fitted(gen, fname, payload, _resolve_device(device))
