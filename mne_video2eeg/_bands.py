"""The EEG frequency bands used by the S-Graph and the band metrics (Hz)."""

#: Band edges in Hz: the paper's delta/theta/alpha/beta/gamma filter bank.
#: Gamma stops at 49 Hz, below the 50 Hz mains of the SEED recordings.
FREQ_BANDS: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 14.0),
    "beta": (14.0, 31.0),
    "gamma": (31.0, 49.0),
}
