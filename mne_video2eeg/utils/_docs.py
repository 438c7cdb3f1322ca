"""Shared parameter docs (a docdict, as in MNE and mne-icalabel).

``%(name)s`` in a docstring is replaced by ``docdict["name"]``.  The dict holds
MNE's entries (``verbose``, ``picks_all`` ...) and this package's; decorate with
:func:`fill_doc`, or with :func:`verbose`, which fills and then applies MNE's
``@verbose``.
"""

from __future__ import annotations

import mne
from mne.utils.docs import docdict as _mne_docdict

docdict: dict[str, str] = dict(_mne_docdict)

# --------------------------------------------------------------- randomness
docdict["random_state_generator"] = """\
random_state : int | numpy.random.Generator | None
    Seed of everything random: weights, batching, and the stream of
    sampling seeds. ``generate(random_state=None)`` draws its seed from that
    stream, started at ``fit`` (or load) time, so a script is reproducible and
    successive calls differ; pass ``random_state`` to ``generate`` to repeat a
    draw. ``None`` seeds from the operating system."""

docdict["random_state_generate"] = """\
random_state : int | numpy.random.Generator | None
    Seed of this call's noise. ``None`` draws the next seed from the stream
    the generator's ``random_state`` started at ``fit`` (or load) time: a
    script is reproducible and successive calls differ."""

# -------------------------------------------------------------- generating
docdict["X_generate"] = """\
X : xarray.DataArray, dims (video, frame, feature)
    Features of the videos to generate for (their ids name the output), from
    the encoder, rate and frame size of ``fit`` (checked)."""

docdict["subject_generate"] = """\
subject : str | int | None
    A training subject (an int is zero-padded, ``1 -> "01"``), or None for
    the population ("unknown subject"); the output's subject label."""

docdict["n_samples_generate"] = """\
n_samples : int
    Independent samples per video."""

docdict["emotion_generate"] = """\
emotion : str | dict | None
    Emotion label of every video (a str) or per video (``{video id:
    label}``). None: each video's label in the training metadata; a video
    never seen in training gets CLIP's zero-shot label when the features are
    CLIP's with local weights
    (:func:`~mne_video2eeg.video.emotion.zero_shot_emotions`), else
    ``"unknown"`` (logged)."""

docdict["generated_epochs"] = """\
epochs : mne.EpochsArray
    Generated EEG in Volts with the training channels and montage,
    ``metadata`` (video, subject, emotion, sample) and ``event_id`` keyed by
    emotion. Epochs are ordered video-major."""

# -------------------------------------------------------------- evaluation
docdict["real_generated"] = """\
real, generated : mne.Epochs | array, shape (n_epochs, n_channels, n_times)
    Real and generated EEG in Volts. Epochs are matched by their ``metadata``
    (``video``, and ``subject`` when both have it; see ``match``); arrays are
    paired epoch by epoch."""

docdict["reference_generated"] = """\
reference : mne.Epochs | array, shape (n_epochs, n_channels, n_times)
    Real EEG in Volts: the real average of each key is the reference
    waveform, or, with ``clean``, it only supplies the noise estimate.
generated : mne.Epochs | array, shape (n_epochs, n_channels, n_times)
    Generated EEG in Volts, K samples per key (``sample`` metadata)."""

docdict["match"] = """\
match : "auto" | "video" | "video+subject"
    How generated epochs are paired with real ones: ``"auto"`` uses
    ``(video, subject)`` when both have a ``subject`` column and every
    generated subject occurs in the real data, else ``video``."""

docdict["sfreq_arrays"] = """\
sfreq : float | None
    Sampling frequency in Hz of array inputs; Epochs carry their own. Needed
    with arrays wherever frequencies or lags are computed."""

docdict["n_samples_per_key"] = """\
n_samples : int | None
    K: use only the first K generated samples of each key (by the
    ``sample`` metadata column when present, else in order); None uses all
    of them."""

docdict["clean"] = """\
clean : mne.Epochs | array | None
    Noise-free truth of each real epoch (e.g. from
    ``simulate_video_eeg(return_clean=True)``): an array aligned epoch by
    epoch with the real EEG, or Epochs paired with it by ``video`` (and
    ``subject``) metadata."""

docdict["bands"] = """\
bands : dict of str -> (float, float)
    Frequency bands, ``{name: (low, high)}`` in Hz; the default is the
    package's delta (1-4), theta (4-8), alpha (8-14), beta (14-31) and gamma
    (31-49 Hz) bands."""

docdict["picks_channels"] = """\
picks : str | list | None
    Channels: anything :meth:`mne.Epochs.pick` takes (integer indices for
    arrays); None uses all of them."""

docdict["feature_net"] = """\
feature_net : mne_video2eeg.nn.eeg_features.EEGFeatureNet | None
    A fitted feature network for ``eeg_fid``; None trains one on the real
    epochs (which then need an ``emotion`` metadata column)."""

# ------------------------------------------------- stimulus-following scores
docdict["by_following"] = """\
by : "video" | "video+subject"
    What one key is: a video (all its clips, subjects pooled) or a video for
    one subject (``subject`` metadata needed)."""

docdict["picks_following"] = """\
picks : str | list | None
    Channels: ``"occipital"`` (names starting with ``O`` or holding ``PO``,
    ``Oz``, ``Iz``), None (all EEG channels) or anything
    :meth:`mne.Epochs.pick` takes."""

# -------------------------------------------------------- realism statistics
docdict["epochs_realism"] = """\
epochs : mne.Epochs
    One set of clips (real or generated), in Volts."""

docdict["real_generated_sets"] = """\
real, generated : mne.Epochs
    The two sets of clips, in Volts, with the same good EEG channels and
    sampling rate; ``generated`` may be any second set (e.g. held-out real
    clips, for the real-vs-real ceiling)."""

docdict["l_freq_h_freq_realism"] = """\
l_freq, h_freq : float | None
    Band-pass edges in Hz of the shared preprocessing (good EEG channels,
    zero-phase band-pass, average reference; see
    :func:`~mne_video2eeg.metrics.amplitude`); None skips that side."""

docdict["n_splits_c2st"] = """\
n_splits : int
    Cross-validation folds of the classifier two-sample test (at most the
    clips in the smaller set)."""

docdict["max_epochs_c2st"] = """\
max_epochs : int
    Training epochs per fold of the ``"braindecode"`` classifier."""

docdict["fraction_distance"] = """\
fraction : float
    Share of the channel pairs, by distance, in ``neighbour`` (the shortest)
    and in ``distant`` (the longest), in (0, 0.5]."""

# -------------------------------------------------------------------- figures
docdict["real_generated_plot"] = """\
real, generated : mne.Epochs
    Real and generated EEG in Volts, with the same channels (``generated``
    is reordered to ``real``'s) and sampling rate."""

docdict["show_plot"] = """\
show : bool
    Call :func:`matplotlib.pyplot.show` (pass False to draw several figures
    first, or to save them without a window)."""

docdict["fig_plot"] = """\
fig : matplotlib.figure.Figure
    The figure."""

# ---------------------------------------------------------------------- video
docdict["fname_video"] = """\
fname : path-like
    The video file (anything OpenCV's FFmpeg backend decodes)."""

docdict["fps_read"] = """\
fps : float | None
    Output frame rate in Hz. None keeps the native frames; otherwise the
    frame at each time ``k / fps`` is the nearest preceding native frame."""

docdict["size_frames"] = """\
size : int | None
    Frames are resized to ``size x size`` (aspect ratio not kept, as in the
    paper: 256); None keeps the native size."""

docdict["model_name_clip"] = """\
model_name : str
    An open_clip architecture (``open_clip.list_models()``); the paper uses
    ``"ViT-L-14"``."""

docdict["pretrained_clip"] = """\
pretrained : path-like | str | None
    A local checkpoint file, or an open_clip tag (e.g. ``"openai"``) whose
    file is already in the local cache; None picks any cached tag of the
    model (``"openai"`` first). Nothing is downloaded: missing weights raise
    :class:`~mne_video2eeg.video.clip.MissingWeightsError`."""

docdict["device_clip"] = """\
device : str
    Torch device of the CLIP model."""

docdict["allow_random_clip"] = """\
allow_random : bool
    With ``pretrained=None``, build random weights instead of raising (for
    tests; never done silently)."""

# ------------------------------------------------------------------- datasets
docdict["root_seed_dv"] = """\
root : path-like
    The SEED-DV folder as released (``EEG/``, ``meta_info/``, ``BLIP/``,
    ``Video/``, optionally ``Segmented_Rawf_200Hz_2s/``)."""


def fill_doc(obj):
    """Fill ``%(name)s`` in ``obj.__doc__`` from :data:`docdict`."""
    doc = obj.__doc__
    if not doc:
        return obj
    lines = doc.splitlines()
    indent = _indent(lines)
    indented = {
        key: "\n".join(
            (indent + line if k else line) if line else line
            for k, line in enumerate(value.strip("\n").splitlines())
        )
        for key, value in docdict.items()
    }
    try:
        obj.__doc__ = doc % indented
    except (KeyError, ValueError, TypeError) as err:
        raise RuntimeError(f"Error documenting {obj!r}: {err!r}") from None
    return obj


def _indent(lines: list[str]) -> str:
    """Return the indentation of the docstring's body."""
    body = [line for line in lines[1:] if line.strip()]
    if not body:
        return ""
    return " " * min(len(line) - len(line.lstrip()) for line in body)


def verbose(function):
    """Fill the docstring from :data:`docdict`, then apply MNE's ``@verbose``.

    MNE's decorator would fill the docstring a second time, from MNE's own
    docdict, and fail on any ``%`` the first fill left: it gets the function
    without its docstring, and the filled one is put back on both.
    """
    doc = fill_doc(function).__doc__
    function.__doc__ = None
    try:
        decorated = mne.utils.verbose(function)
    finally:
        function.__doc__ = doc
    decorated.__doc__ = doc
    return decorated
