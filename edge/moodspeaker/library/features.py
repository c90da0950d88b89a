"""Audio features of a track from its decoded excerpts (librosa).

One STFT per excerpt feeds everything (mel, onset strength, chroma, spectral shape), which keeps a
track under a second of CPU.  Frame-level values of all excerpts are pooled before taking
statistics.  The helpers `resolve_tempo_octave` and `estimate_key` are pure numpy so they can be
tested on their own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import librosa
import numpy as np

SR = 22050
N_FFT = 2048
HOP = 512
N_MFCC = 13

# Key profiles (C major / C minor), Krumhansl & Kessler (1982) and Temperley (1999, Kostka-Payne).
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
TEMPERLEY_MAJOR = np.array(
    [0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400]
)
TEMPERLEY_MINOR = np.array(
    [0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330]
)

TEMPO_RANGE = (50.0, 210.0)
TEMPO_PRIOR_BPM = 115.0
TEMPO_PRIOR_OCTAVES = 0.7


def _zcorr(profile: np.ndarray, chroma: np.ndarray) -> np.ndarray:
    """Pearson correlation of `chroma` with the 12 rotations of `profile`."""
    p = (profile - profile.mean()) / profile.std()
    c = chroma - chroma.mean()
    norm = float(np.linalg.norm(c))
    if norm == 0:
        return np.zeros(12)
    c = c / norm
    rot = np.stack([np.roll(p, k) for k in range(12)])
    out: np.ndarray = rot @ c / math.sqrt(12.0)
    return out


def estimate_key(chroma_mean: np.ndarray) -> tuple[int, int, float, float]:
    """(tonic 0-11 with C=0, mode 1 major / 0 minor, mode strength, key clarity) from mean chroma.

    Scores are the mean of the Krumhansl-Kessler and Temperley correlations.  Mode strength is the
    best major score minus the best minor score (positive leans major); clarity is the best score.
    """
    major = (_zcorr(KK_MAJOR, chroma_mean) + _zcorr(TEMPERLEY_MAJOR, chroma_mean)) / 2
    minor = (_zcorr(KK_MINOR, chroma_mean) + _zcorr(TEMPERLEY_MINOR, chroma_mean)) / 2
    best_major, best_minor = float(major.max()), float(minor.max())
    if best_major >= best_minor:
        return int(major.argmax()), 1, best_major - best_minor, best_major
    return int(minor.argmax()), 0, best_major - best_minor, best_minor


def resolve_tempo_octave(tempo: float, strength: Callable[[float], float]) -> float:
    """Guard against half/double tempo: pick among tempo/2, tempo, 2*tempo.

    Each candidate inside TEMPO_RANGE is scored by the rhythmic evidence at that tempo (`strength`,
    e.g. the mean tempogram) times a log-normal prior around TEMPO_PRIOR_BPM, so a strong pulse at
    the doubled tempo wins over a weak one near the prior and vice versa.
    """
    if not math.isfinite(tempo) or tempo <= 0:
        return 0.0
    best, best_score = tempo, -1.0
    for cand in (tempo / 2, tempo, tempo * 2):
        if not TEMPO_RANGE[0] <= cand <= TEMPO_RANGE[1]:
            continue
        prior = math.exp(-0.5 * (math.log2(cand / TEMPO_PRIOR_BPM) / TEMPO_PRIOR_OCTAVES) ** 2)
        score = max(strength(cand), 0.0) * prior
        if score > best_score:
            best, best_score = cand, score
    if best_score < 0:  # nothing inside the range: fold into it
        while best < TEMPO_RANGE[0]:
            best *= 2
        while best > TEMPO_RANGE[1]:
            best /= 2
    return float(best)


def brightness_from_centroid(centroid_hz: float) -> float:
    """0..1 on a log scale between 500 Hz (dark) and 5 kHz (bright)."""
    if centroid_hz <= 0:
        return 0.0
    return float(np.clip(math.log(centroid_hz / 500.0) / math.log(10.0), 0.0, 1.0))


def energy_from_features(rms_db: float, onset_rate: float, flux: float) -> float:
    """0..1 energy: mean of the RMS level (-35..-8 dBFS), onset density (0..6/s) and spectral flux."""
    parts = (
        np.clip((rms_db + 35.0) / 27.0, 0, 1),
        np.clip(onset_rate / 6.0, 0, 1),
        np.clip(flux / 2.0, 0, 1),
    )
    return float(np.mean(parts))


def analyse_windows(windows: Sequence[np.ndarray], sr: int = SR) -> dict[str, float]:
    """All features of a track from mono excerpts at `sr` (float32)."""
    rms_l, cen_l, roll_l, flat_l, bw_l, zcr_l, flux_l, mfcc_l, contrast_l = [], [], [], [], [], [], [], [], []
    chroma_sum = np.zeros(12)
    tonnetz_l, tonal_change_l = [], []
    tempogram_sum: np.ndarray | None = None
    onsets = 0
    seconds = 0.0
    win_length = 384
    for y in windows:
        if y.size < N_FFT:
            continue
        seconds += y.size / sr
        stft = np.abs(librosa.stft(y, n_fft=N_FFT, hop_length=HOP))
        power = stft**2
        mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=sr, n_mels=64))
        env = librosa.onset.onset_strength(S=mel_db, sr=sr, hop_length=HOP)
        onsets += len(librosa.onset.onset_detect(onset_envelope=env, sr=sr, hop_length=HOP))
        flux_l.append(env)
        tg = librosa.feature.tempogram(onset_envelope=env, sr=sr, hop_length=HOP, win_length=win_length)
        tg_mean = tg.mean(axis=1)
        tempogram_sum = tg_mean * env.size if tempogram_sum is None else tempogram_sum + tg_mean * env.size
        rms_l.append(librosa.feature.rms(S=stft, frame_length=N_FFT)[0])
        cen_l.append(librosa.feature.spectral_centroid(S=stft, sr=sr)[0])
        roll_l.append(librosa.feature.spectral_rolloff(S=stft, sr=sr, roll_percent=0.85)[0])
        flat_l.append(librosa.feature.spectral_flatness(S=stft)[0])
        bw_l.append(librosa.feature.spectral_bandwidth(S=stft, sr=sr)[0])
        contrast_l.append(librosa.feature.spectral_contrast(S=stft, sr=sr))
        zcr_l.append(librosa.feature.zero_crossing_rate(y, frame_length=N_FFT, hop_length=HOP)[0])
        mfcc_l.append(librosa.feature.mfcc(S=mel_db, n_mfcc=N_MFCC))
        chroma = librosa.feature.chroma_stft(S=power, sr=sr, tuning=0.0)
        chroma_sum += chroma.sum(axis=1)
        tonnetz = librosa.feature.tonnetz(chroma=chroma, sr=sr)
        tonnetz_l.append(tonnetz)
        tonal_change_l.append(np.linalg.norm(np.diff(tonnetz, axis=1), axis=0))
    if not rms_l or tempogram_sum is None:
        raise ValueError("audio too short to analyse")

    rms = np.concatenate(rms_l)
    rms_db = 20 * np.log10(np.maximum(rms, 1e-5))
    active = rms_db[rms_db > rms_db.max() - 60]
    tempogram = tempogram_sum / tempogram_sum[0] if tempogram_sum[0] > 0 else tempogram_sum
    freqs = librosa.tempo_frequencies(win_length, sr=sr, hop_length=HOP)

    def strength(bpm: float) -> float:
        idx = int(np.argmin(np.abs(np.log2(np.maximum(freqs[1:], 1e-6) / bpm)))) + 1
        return float(tempogram[max(idx - 1, 1) : idx + 2].max())

    valid = (freqs > TEMPO_RANGE[0] / 2) & (freqs < TEMPO_RANGE[1] * 2)
    valid[0] = False
    raw = float(freqs[valid][np.argmax(tempogram[valid])])
    tempo = resolve_tempo_octave(raw, strength)
    tonic, mode, mode_strength, clarity = estimate_key(chroma_sum / max(chroma_sum.sum(), 1e-9))
    chroma_p = chroma_sum / max(chroma_sum.sum(), 1e-9)
    flux = np.concatenate(flux_l)
    centroid = float(np.mean(np.concatenate(cen_l)))
    mfcc = np.concatenate(mfcc_l, axis=1)
    contrast = np.concatenate(contrast_l, axis=1)
    onset_rate = onsets / seconds
    rms_db_mean = float(20 * np.log10(max(float(np.sqrt(np.mean(rms**2))), 1e-5)))

    out: dict[str, float] = {
        "tempo": tempo,
        "pulse_clarity": strength(tempo) if tempo > 0 else 0.0,
        "onset_rate": onset_rate,
        "flux_mean": float(flux.mean()),
        "flux_std": float(flux.std()),
        "rms_db": rms_db_mean,
        "rms_db_std": float(active.std()),
        "dynamic_range_db": float(np.percentile(active, 95) - np.percentile(active, 10)),
        "low_energy_ratio": float(np.mean(rms < rms.mean())),
        "centroid_hz": centroid,
        "rolloff_hz": float(np.mean(np.concatenate(roll_l))),
        "flatness": float(np.mean(np.concatenate(flat_l))),
        "bandwidth_hz": float(np.mean(np.concatenate(bw_l))),
        "zcr": float(np.mean(np.concatenate(zcr_l))),
        "key": float(tonic),
        "mode": float(mode),
        "mode_strength": mode_strength,
        "key_clarity": clarity,
        "chroma_entropy": float(-(chroma_p * np.log2(np.maximum(chroma_p, 1e-12))).sum()),
        "brightness": brightness_from_centroid(centroid),
        "energy": energy_from_features(rms_db_mean, onset_rate, float(flux.mean())),
    }
    rel = np.roll(chroma_p, -tonic)  # chroma relative to the tonic: thirds and sixths show the mode
    for i, value in enumerate(rel):
        out[f"chroma_rel{i}"] = float(value)
    for i, value in enumerate(np.concatenate(tonnetz_l, axis=1).mean(axis=1)):
        out[f"tonnetz{i}"] = float(value)
    out["tonal_change"] = float(np.mean(np.concatenate(tonal_change_l)))
    for i, value in enumerate(contrast.mean(axis=1)):
        out[f"contrast{i}"] = float(value)
    for i in range(N_MFCC):
        out[f"mfcc{i}"] = float(mfcc[i].mean())
        out[f"mfcc{i}_std"] = float(mfcc[i].std())
    return out
