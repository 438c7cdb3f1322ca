"""CLIP loading from local files, the clip encoder and zero-shot emotion labels.

A tiny open_clip architecture with random weights is saved as a checkpoint file
and loaded through the same ``pretrained=<file>`` path real ViT-L/14 weights
take. Nothing touches the network.
"""

import json

import numpy as np
import pytest

open_clip = pytest.importorskip("open_clip")
torch = pytest.importorskip("torch")

from mne_video2eeg.video import (  # noqa: E402
    DEFAULT_EMOTION_PROMPTS,
    extract_video_features,
    label_emotions,
)
from mne_video2eeg.video.clip import (  # noqa: E402
    MissingWeightsError,
    load_clip_model,
    resolve_clip_weights,
)

TINY = "mne-video2eeg-tiny-test"
TINY_CFG = {
    "embed_dim": 16,
    "vision_cfg": {
        "image_size": 32,
        "layers": 1,
        "width": 32,
        "head_width": 16,
        "patch_size": 8,
    },
    "text_cfg": {
        "context_length": 77,
        "vocab_size": 49408,
        "width": 32,
        "heads": 2,
        "layers": 1,
    },
}


@pytest.fixture(scope="module")
def tiny_ckpt(tmp_path_factory):
    root = tmp_path_factory.mktemp("clip")
    (root / f"{TINY}.json").write_text(json.dumps(TINY_CFG))
    open_clip.add_model_config(root / f"{TINY}.json")
    model = open_clip.create_model(TINY, pretrained=None)
    # distinct, reproducible weights so that loading them is visible
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.05)
        model.logit_scale.fill_(np.log(100.0))
    path = root / "tiny_clip.pt"
    torch.save(model.state_dict(), path)
    return path, model.state_dict()


@pytest.fixture(scope="module")
def frames():
    rng = np.random.default_rng(0)
    return {
        "dark": np.full((6, 48, 48, 3), 20, np.uint8),
        "noise": rng.integers(0, 255, (4, 48, 48, 3), dtype=np.uint8),
    }


def test_load_from_checkpoint_file(tiny_ckpt):
    path, state = tiny_ckpt
    model, tokenizer = load_clip_model(TINY, pretrained=path)
    assert not model.training
    for key, val in model.state_dict().items():
        torch.testing.assert_close(val, state[key])
    assert tokenizer(["a photo"]).shape == (1, 77)
    got, cfg = resolve_clip_weights(TINY, str(path))
    assert got == str(path.resolve()) and cfg == {}


def test_clip_features_and_emotions(tiny_ckpt, frames, tmp_path):
    path, _ = tiny_ckpt
    feats = extract_video_features(
        frames, encoder="clip", model_name=TINY, pretrained=path, fps=2, size=32
    )
    assert feats.dims == ("video", "frame", "feature")
    assert feats.sizes["feature"] == 16 and feats.feature.values[0] == "clip_000"
    assert feats.attrs["encoder"] == "clip" and feats.attrs["fps"] == 2.0
    np.testing.assert_array_equal(feats.n_frames.values, [6, 4])
    norms = np.linalg.norm(feats.values[0], axis=1)
    np.testing.assert_allclose(norms, 1.0, rtol=1e-5)
    assert np.isnan(feats.values[1, 4:]).all()
    # frames of the constant video give one embedding; noise frames differ
    np.testing.assert_allclose(
        feats.values[0], feats.values[0, :1].repeat(6, 0), atol=1e-5
    )
    assert json.loads(feats.attrs["config"])["model_name"] == TINY

    labels = label_emotions(feats, model_name=TINY, pretrained=path)
    assert list(labels.index) == ["dark", "noise"]
    assert list(labels.columns) == ["p_negative", "p_neutral", "p_positive", "emotion"]
    probs = labels[["p_negative", "p_neutral", "p_positive"]].to_numpy()
    np.testing.assert_allclose(probs.sum(1), 1.0)
    assert set(labels["emotion"]) <= set(DEFAULT_EMOTION_PROMPTS)
    # end to end from videos gives the same labels
    direct = label_emotions(frames, model_name=TINY, pretrained=path, fps=2, size=32)
    np.testing.assert_allclose(direct[labels.columns[:3]].to_numpy(), probs, rtol=1e-4)
    # user prompts
    own = label_emotions(
        feats,
        prompts={"calm": "a calm scene", "busy": ["a busy scene", "a noisy image"]},
        model_name=TINY,
        pretrained=path,
    )
    assert list(own.columns) == ["p_calm", "p_busy", "emotion"]


def test_clip_cache_skips_model(tiny_ckpt, frames, tmp_path, monkeypatch):
    path, _ = tiny_ckpt
    kw = dict(encoder="clip", model_name=TINY, pretrained=path, fps=2, size=32)
    first = extract_video_features(frames, cache=tmp_path, **kw)

    def _no_model(*args, **kwargs):
        raise AssertionError("model loaded although cached")

    monkeypatch.setattr("mne_video2eeg.video.clip.load_clip_model", _no_model)
    second = extract_video_features(frames, cache=tmp_path, **kw)
    np.testing.assert_array_equal(first.values, second.values)


@pytest.fixture
def empty_caches(tmp_path, monkeypatch):
    """No HF or open_clip cache: whatever this machine holds stays out of sight."""
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return tmp_path


def test_missing_weights(empty_caches, frames):
    with pytest.raises(
        MissingWeightsError, match=r"(?s)'openai'.*create_model_and_transforms"
    ):
        load_clip_model("ViT-L-14", pretrained="openai")
    with pytest.raises(MissingWeightsError, match=r"pretrained='/path/to/file'"):
        load_clip_model("ViT-L-14")
    with pytest.raises(MissingWeightsError, match="not in the local cache"):
        extract_video_features(frames, encoder="clip", fps=2, pretrained="openai")
    with pytest.raises(MissingWeightsError):
        label_emotions(frames, fps=2)
    with pytest.raises(ValueError, match="neither an existing checkpoint file"):
        load_clip_model("ViT-L-14", pretrained=empty_caches / "nope.pt")
    with pytest.raises(ValueError, match="Unknown open_clip model_name 'ViT-Q-99'"):
        load_clip_model("ViT-Q-99")
    with pytest.raises(TypeError, match="pretrained"):
        load_clip_model("ViT-L-14", pretrained=3)


def test_tag_found_in_local_cache(empty_caches):
    """A tag resolves to the cached file, with the tag's QuickGELU flag."""
    hub = empty_caches / "hf" / "models--timm--vit_large_patch14_clip_224.openai"
    (hub / "refs").mkdir(parents=True)
    (hub / "refs" / "main").write_text("abc123")
    snap = hub / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    (snap / "open_clip_model.safetensors").write_bytes(b"x")
    path, cfg = resolve_clip_weights("ViT-L-14", "openai")
    assert path.endswith("open_clip_model.safetensors")
    assert cfg["quick_gelu"] is True
    # pretrained=None picks the cached tag too
    assert resolve_clip_weights("ViT-L-14")[0] == path


def test_random_only_when_asked(tiny_ckpt):
    model, _ = load_clip_model(TINY, allow_random=True)
    assert model.visual.image_size in (32, (32, 32))


def test_label_emotions_bad_input(tiny_ckpt, frames):
    path, _ = tiny_ckpt
    low = extract_video_features(frames, fps=2, size=16)
    with pytest.raises(ValueError, match="encoder='clip'"):
        label_emotions(low, model_name=TINY, pretrained=path)
    feats = extract_video_features(
        frames, encoder="clip", model_name=TINY, pretrained=path, fps=2, size=32
    )
    with pytest.raises(ValueError, match=f"model_name='{TINY}'"):
        label_emotions(feats, model_name="ViT-B-32", pretrained=path)
    with pytest.raises(ValueError, match="at least two labels"):
        label_emotions(feats, prompts={"a": "x"}, model_name=TINY, pretrained=path)
    with pytest.raises(ValueError, match="non-empty"):
        label_emotions(
            feats, prompts={"a": "x", "b": []}, model_name=TINY, pretrained=path
        )
    with pytest.raises(TypeError, match="prompts"):
        label_emotions(feats, prompts=["x", "y"], model_name=TINY, pretrained=path)


def test_generate_labels_unseen_videos_by_clip(tiny_ckpt, frames, seed_info):
    import mne
    import pandas as pd

    from mne_video2eeg import Video2EEGGenerator

    path, _ = tiny_ckpt
    rng = np.random.default_rng(0)
    feats = extract_video_features(
        {**frames, "dark2": frames["dark"][::-1], "noise2": frames["noise"][::-1]},
        encoder="clip",
        model_name=TINY,
        pretrained=path,
        fps=2,
        size=32,
    )
    train = ["dark", "noise"]
    info = mne.pick_info(seed_info, list(range(8)))
    info = mne.create_info(info.ch_names, 100.0, "eeg")
    info.set_montage(seed_info.get_montage(), on_missing="ignore")
    md = pd.DataFrame(dict(video=train * 2, subject="01", emotion="positive"))
    eeg = mne.EpochsArray(
        rng.standard_normal((4, 8, 300)) * 1e-5, info, metadata=md, verbose=False
    )
    gen = Video2EEGGenerator(
        module__width=8,
        module__depth=1,
        module__patch_size=10,
        n_epochs=1,
        device="cpu",
        sfreq=100.0,
    ).fit(feats.sel(video=train), eeg)
    out = gen.generate(feats, random_state=0)
    labels = dict(zip(out.metadata["video"], out.metadata["emotion"], strict=True))
    expected = label_emotions(
        feats.sel(video=["dark2", "noise2"]), model_name=TINY, pretrained=path
    )["emotion"]
    assert labels["dark"] == labels["noise"] == "positive"  # from training
    assert [labels["dark2"], labels["noise2"]] == list(expected)
