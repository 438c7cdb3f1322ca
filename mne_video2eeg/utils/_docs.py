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

docdict["match"] = """\
match : "auto" | "video" | "video+subject"
    How generated epochs are paired with real ones: ``"auto"`` uses
    ``(video, subject)`` when both have a ``subject`` column and every
    generated subject occurs in the real data, else ``video``."""

docdict["sfreq_arrays"] = """\
sfreq : float | None
    Sampling frequency in Hz, needed with arrays; Epochs carry their own."""

docdict["n_samples_evoked"] = """\
n_samples : int | None
    K, the generated samples averaged per key; None uses all of them (the
    smallest count over keys)."""


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
    """Fill the docstring from :data:`docdict`, then apply MNE's ``@verbose``."""
    return mne.utils.verbose(fill_doc(function))
