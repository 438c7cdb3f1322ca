"""Shared fixtures: tiny data, made here, never downloaded."""

import os

import matplotlib
import pytest

matplotlib.use("Agg")
# Two cores on CI: keep torch from oversubscribing when tests run in parallel.
os.environ.setdefault("OMP_NUM_THREADS", "2")


@pytest.fixture(scope="session")
def seed_info():
    from mne_video2eeg import make_seed_info

    return make_seed_info(200.0)
