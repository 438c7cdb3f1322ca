"""The user-facing estimator: fit on paired video/EEG, generate EEG for videos."""

from __future__ import annotations

import time

import mne
import numpy as np
import torch
from mne.utils import logger
from sklearn.utils.validation import check_is_fitted

from . import _expected as expected
from . import _inputs
from ._checkpoint import TrainingCheckpoint
from ._fitted import FittedStateMixin
from ._params import RoutedParamsMixin, check_module_prefix
from ._raw import clips_to_raw
from .utils._checks import _check_positive, _seed_from
from .utils._docs import fill_doc, verbose
from .utils._verbose import verbose_method


@fill_doc
class Video2EEGGenerator(RoutedParamsMixin, FittedStateMixin):
    """Generate EEG for videos with an SPGN graph network inside a diffusion model.

    Video features (one token per frame, with its time) and the subject
    condition a denoising diffusion model over the electrodes' graph
    (E-/S-graphs, spatial graph attention, self-play fusion, Graph-DA).

    Parameters
    ----------
    n_inference_steps : int
        Sampling steps (one network call each). The paper uses 50 DDPM/DDIM
        steps; how close the default, 6 steps of ``"trigflow"``, comes to 100
        DDIM steps is measured in ``benchmarks/NOTES.md``.
    sampler : "trigflow" | "dpmsolver" | "ddim" | "ddpm"
        Sampling scheduler (:mod:`mne_video2eeg.nn.sampling`): an Adams
        predictor-corrector (order 3) on the v-prediction ODE in angle
        (v-prediction only), or diffusers' DPM-Solver++ (2M), DDIM (eta=0) or
        ancestral DDPM.
    guidance_scale : float
        Classifier-free guidance scale; 1 = plain conditional sampling, 0 =
        the unconditional branch (the video and subject dropped from the
        network; the expected EEG, never dropped, still follows the video).
    spatial_attention, self_play, graph_da : bool
        The paper's ablation switches of the SPGN parts.
    graphs : tuple of str
        Which graphs the SPGN uses: ``"electrode"`` and/or ``"signal"``.
    whiten : "cross-spectral" | "spectral" | "none"
        The Gaussian part (:mod:`mne_video2eeg.spectra`): the diffusion runs on
        the residual EEG whitened per frequency by each subject's fitted
        cross-spectral matrix (population's for an unknown subject) and the
        samples are coloured back, so they have the subject's spectra, channel
        correlations and amplitude. ``"spectral"`` whitens each channel alone,
        ``"none"`` not at all; ``True``/``False`` mean the first/last.
    condition_on_video : bool | "onset"
        Give the network the video features. False (every frame masked) and
        ``"onset"`` (features blanked, frame times kept: it knows a video
        started, not which) are the unconditional baselines.
    expected_eeg : "mtrf" | "learned"
        Where the expected EEG (the stimulus-locked mean the diffusion adds
        its residual to, as in CARD) comes from. ``"mtrf"`` (default): a mean
        model fitted first, at full strength, of what the network may know:
        :class:`~mne_video2eeg.baselines.RidgeEncodingBaseline` (penalties
        chosen by cross-validation over videos; fewer expansions and lags for
        wide features such as CLIP's) with ``condition_on_video=True``,
        :class:`~mne_video2eeg.baselines.GrandAverageBaseline` with
        ``"onset"``, the learned map with False. ``"learned"``: the lag path's
        map, trained with the network (it fits noise at small training sets;
        the choice was made on a validation split, ``benchmarks/NOTES.md``
        section 15).
    n_epochs, batch_size, learning_rate, weight_decay, ema_decay : float | int
        Training length and optimiser settings (AdamW with EMA weights).
    sfreq : float
        Sampling frequency the model works at (EEG is resampled to it).
    eeg_band : tuple of (float | None, float | None)
        ``(l_freq, h_freq)`` of the braindecode chain on the training clips
        (:func:`~mne_video2eeg.preprocessing.prepare_epochs`); none by default:
        filter the continuous recording (as ``read_video_recording`` does).
    device : str
        ``"auto"`` (CUDA if available), ``"cpu"`` or ``"cuda"``.
    checkpoint_dir : path-like | None
        Folder for the training state, written atomically every
        ``checkpoint_every`` epochs; a ``fit`` of the same configuration and
        data resumes from it and ends as an uninterrupted run would.
    checkpoint_every : int
        Epochs between training checkpoints.
    %(random_state_generator)s
    verbose : bool | str | int | None
        Default verbosity of every method (a method's own ``verbose`` wins).
    **module_params
        Network settings as ``module__<name>=value`` (skorch style) for
        :class:`~mne_video2eeg.nn.VideoEEGDenoiser` and
        :class:`~mne_video2eeg.nn.VideoEEGDiffusion`, e.g. ``module__width=64``
        (token features), ``module__depth=2`` (blocks), ``module__patch_size=25``
        (samples per token); all with defaults in
        :func:`mne_video2eeg.nn.config.network_settings`. Checked at ``fit``,
        saved with the generator. ``width=`` etc. (the former parameters) work
        for one release with a FutureWarning.

    Attributes
    ----------
    info_ : mne.Info
        Channels, sampling frequency and montage of the training EEG.
    preprocessing_ : dict
        What the EEG input path did to the training clips (channels, band,
        sampling rates).
    graphs_ : dict of str to ndarray
        The electrode (E-Graph) and signal (S-Graph) adjacencies used.
    subjects_ : list of str
        Training subjects (their embeddings can be asked for in ``generate``).
    emotions_ : list of str
        Emotion labels seen in training.
    mean_model_ : object | None
        The fitted mean model of ``expected_eeg="mtrf"`` (None otherwise).
    spectral_model_ : mne_video2eeg.spectra.CrossSpectralModel
        The Gaussian part: each subject's cross-spectral matrices of the
        residual EEG at working scale (absent with ``whiten="none"``).
    module_config_ : dict
        Every network setting, routed and completed with the defaults.
    history_ : list of dict
        Per-epoch training losses (diffusion and self-play game).
    module_ : torch.nn.Module
        The trained diffusion model (EMA weights).
    """

    def __init__(
        self,
        *,
        n_inference_steps: int = 6,
        sampler: str = "trigflow",
        guidance_scale: float = 1.0,
        spatial_attention: bool = True,
        self_play: bool = True,
        graph_da: bool = True,
        graphs: tuple[str, ...] = ("electrode", "signal"),
        whiten: str = "cross-spectral",
        condition_on_video: bool = True,
        expected_eeg: str = "mtrf",
        n_epochs: int = 100,
        batch_size: int = 16,
        learning_rate: float = 2e-3,
        weight_decay: float = 1e-4,
        ema_decay: float = 0.995,
        sfreq: float = 200.0,
        eeg_band: tuple = (None, None),
        device: str = "auto",
        checkpoint_dir=None,
        checkpoint_every: int = 10,
        random_state=None,
        verbose=None,
        **module_params,
    ):
        self.n_inference_steps = n_inference_steps
        self.sampler = sampler
        self.guidance_scale = guidance_scale
        self.spatial_attention = spatial_attention
        self.self_play = self_play
        self.graph_da = graph_da
        self.graphs = graphs
        self.whiten = whiten
        self.condition_on_video = condition_on_video
        self.expected_eeg = expected_eeg
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.ema_decay = ema_decay
        self.sfreq = sfreq
        self.eeg_band = eeg_band
        self.device = device
        self.checkpoint_dir = checkpoint_dir
        self.checkpoint_every = checkpoint_every
        self.random_state = random_state
        self.verbose = verbose
        check_module_prefix(module_params)
        vars(self).update(module_params)

    # ------------------------------------------------------------------ fit
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
        from . import preprocessing as pp
        from ._training import log_fit_summary, train_diffusion
        from .graphs import make_electrode_graph, make_signal_graph
        from .nn import config as net
        from .spectra import CrossSpectralModel, video_locked_residual

        module_params = self._module_params()
        switches = self._check_params(module_params)
        X = _inputs.check_features(X)
        md = _inputs.check_epochs(y)
        rows = _inputs.match_videos(X, md["video"])
        band = dict(zip(("l_freq", "h_freq"), self.eeg_band, strict=True))
        epochs, self.preprocessing_ = pp.prepare_epochs(y, sfreq=self.sfreq, **band)
        data = epochs.get_data()  # Volts, (n_epochs, n_channels, n_times)
        mean, std = pp.fit_channel_scale(data, ch_names=epochs.ch_names)
        self.scale_ = {"mean": mean, "std": std}
        x0 = pp.apply_channel_scale(data, mean, std).astype(np.float32)

        self.info_ = epochs.info.copy()
        self.n_times_ = data.shape[-1]
        self.feature_names_ = [str(f) for f in X["feature"].values]
        self.n_features_in_ = len(self.feature_names_)
        self.feature_attrs_, self.feature_scale_, tokens = _inputs.fit_features(X, rows)
        self.feature_times_ = tokens.times

        self.subjects_ = sorted(md["subject"].unique())
        self.emotions_ = sorted(md["emotion"].unique())
        self.video_emotions_ = dict(zip(md["video"], md["emotion"], strict=True))
        self.graphs_ = {
            "electrode": make_electrode_graph(self.info_),
            "signal": make_signal_graph(data, sfreq=self.info_["sfreq"]),
        }
        self.device_ = net.resolve_device(self.device)
        self.module_config_ = net.network_config(
            module_params,
            data=net.data_settings(
                self.info_, self.n_times_, self.n_features_in_, self.subjects_
            ),
            switches=switches,
        )
        seed = _seed_from(self.random_state)
        with torch.random.fork_rng(devices=[]):  # weight init from a local seed
            torch.manual_seed(seed)
            module = net.build_network(self.module_config_, self.graphs_)
        subject_index = {s: k for k, s in enumerate(self.subjects_)}
        subject_idx = np.array([subject_index[s] for s in md["subject"]])
        if self._whiten_mode() != "none":
            self.spectral_model_ = CrossSpectralModel(
                shrinkage=1.0 if self._whiten_mode() == "spectral" else "auto"
            ).fit(video_locked_residual(x0, md["video"].to_numpy()), subject_idx)
            module.set_whitening(self.spectral_model_.colouring_)
        tensors = {
            "x0": torch.from_numpy(x0),
            **self._video_input(tokens, rows),
            "video_time": torch.from_numpy(tokens.times),
            "subject": torch.from_numpy(subject_idx),
        }
        kind = expected.mean_model_kind(self.expected_eeg, self.condition_on_video)
        self.mean_model_ = None
        if kind is not None:
            self.mean_model_ = expected.fit_mean_model(kind, X, epochs, seed=seed)
            tensors["expected_eeg"] = torch.from_numpy(
                expected.expected_clips(
                    self.mean_model_, X, rows, md["subject"], self.scale_
                )
            )
        logger.info(
            f"Fitting on {len(x0)} clips x {x0.shape[1]} channels x "
            f"{x0.shape[2]} samples, {len(self.subjects_)} subject(s), "
            f"{tokens.values.shape[1]} frames x {self.n_features_in_} features "
            f"per video, on {self.device_}"
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
            device=self.device_,
            callback=None if resume is None else resume.callback,
            start_state=None if resume is None else resume.load(),
        )
        if resume is not None:  # epochs done before an interruption included
            self.history_ = resume.history
        self.module_ = module.eval()
        self._sample_rng = np.random.default_rng(self.random_state)
        log_fit_summary(self.history_, time.perf_counter() - t_start)
        return self

    def _video_input(self, tokens, rows) -> dict:
        """Return the features and frames the network may see (condition mode)."""
        values, mask = tokens.values[rows], tokens.mask[rows]
        if isinstance(self.condition_on_video, str):  # "onset": times only
            values = np.zeros_like(values)
        elif not self.condition_on_video:
            mask = np.zeros_like(mask)
        return {"video": torch.from_numpy(values), "video_mask": torch.from_numpy(mask)}

    # ------------------------------------------------------------- generate
    @verbose_method
    def generate(
        self,
        X,
        *,
        subject: str | int | None = None,
        n_samples: int = 1,
        emotion=None,
        batch_size: int = 64,
        random_state=None,
        verbose=None,
    ) -> mne.EpochsArray:
        """Generate EEG clips for the videos in ``X``.

        Parameters
        ----------
        %(X_generate)s
        %(subject_generate)s
        %(n_samples_generate)s
        %(emotion_generate)s
        batch_size : int
            Clips denoised together (memory is bounded by it, not by the
            number of videos).
        %(random_state_generate)s
        %(verbose)s

        Returns
        -------
        %(generated_epochs)s
        """
        from .nn.sampling import sample_batched
        from .preprocessing import invert_channel_scale
        from .video.emotion import zero_shot_emotions

        check_is_fitted(self, "module_")
        X = _inputs.check_same_features(
            X, self.feature_names_, encoder=self.feature_attrs_.get("encoder")
        )
        _inputs.check_feature_config(X, self.feature_attrs_, self.feature_times_)
        n_samples = _check_positive(n_samples, "n_samples", integer=True)
        batch_size = _check_positive(batch_size, "batch_size", integer=True)
        subj_label = _inputs.subject_label(subject, self.subjects_)
        subjects = [*self.subjects_, None]  # the last row: the population
        subj_idx = subjects.index(None if subject is None else subj_label)
        tokens = _inputs.standardise_features(
            X, self.feature_scale_["mean"], self.feature_scale_["std"]
        )
        ids = tokens.ids
        emotions = _inputs.emotions_for(
            ids,
            emotion,
            self.video_emotions_,
            guess=lambda unlabelled: zero_shot_emotions(X, unlabelled),
        )
        rep = np.repeat(np.arange(len(ids)), n_samples)
        cond = {
            **self._video_input(tokens, rep),
            "video_time": torch.from_numpy(tokens.times),
            "subject": torch.full((len(rep),), subj_idx, dtype=torch.long),
        }

        def batch_cond(rows):  # made per batch: memory stays output + one batch
            who = [None if subject is None else subj_label] * len(rows)
            clips = expected.expected_clips(
                self.mean_model_, X, rep[rows], who, self.scale_
            )
            return {"expected_eeg": torch.from_numpy(clips)}

        x = sample_batched(
            self.module_,
            cond,
            batch_size=batch_size,
            n_steps=int(self.n_inference_steps),
            sampler=self.sampler,
            guidance_scale=float(self.guidance_scale),
            seed=_seed_from(self._sample_rng if random_state is None else random_state),
            device=self.device_,
            batch_cond=None if self.mean_model_ is None else batch_cond,
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

    def generate_raw(self, X, *, gap: float = 0.0, **kwargs) -> mne.io.RawArray:
        """Generate clips (:meth:`generate`'s arguments) laid end to end as Raw.

        Each clip becomes an annotation (description: its emotion; ``extras``:
        video id, subject, sample), see :func:`clips_to_raw`.

        Returns
        -------
        raw : mne.io.RawArray
            Continuous generated EEG in Volts with annotations.
        """
        return clips_to_raw(self.generate(X, **kwargs), gap=gap)


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
    return Video2EEGGenerator._from_file(fname, device=device, verbose=verbose)
