#!/usr/bin/python3
"""make_audio_fixtures.py — writes tests/fixtures/audio.bin, the reference for tests/test_audio.c.

NumPy/SciPy only, written from the formulas (not from gan.c's code):
  STFT        numpy reflect padding, periodic scipy windows centred in n_fft, np.fft.rfft (float64)
  mel bank    librosa.filters.mel's construction (Slaney or HTK scale, norm None or "slaney")
  log-mel     log(max(mel, 1e-5)); dB = 10 log10(max(mel, 1e-10)), floored at max - 80
  MFCC        scipy.fft.dct(dB, type=2, norm="ortho", axis=0)[:13]
When PyTorch is importable, the STFT is cross-checked against torch.stft (printed, not stored).

Format (GANFIX1, tests/harness.h): "GANFIX1\\n", then per record u32 name length, name,
u32 ndim, u32 shape[ndim], float32 data (little-endian).

Run:  /usr/bin/python3 tools/make_audio_fixtures.py   (from the repository root)
"""
import struct

import numpy as np
import scipy.fft
import scipy.signal

OUT = "tests/fixtures/audio.bin"
SR = 16000


def signal():
    """1/4 s: two partials, a chirp, a click and a little noise; fixed seed."""
    rng = np.random.default_rng(15)
    t = np.arange(4000) / SR
    x = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1250 * t + 0.3)
    x += 0.2 * scipy.signal.chirp(t, 200, t[-1], 6000)
    x[2000:2010] += 0.5
    x += 0.01 * rng.standard_normal(t.size)
    return x.astype(np.float32)


def window(kind, win_length, n_fft):
    w = scipy.signal.get_window(kind, win_length, fftbins=True)   # periodic
    left = (n_fft - win_length) // 2
    return np.pad(w, (left, n_fft - win_length - left))


def stft(x, n_fft, hop, win_length, kind, center):
    x = x.astype(np.float64)
    if center:
        x = np.pad(x, n_fft // 2, mode="reflect")
    frames = 1 + (x.size - n_fft) // hop
    idx = np.arange(n_fft)[None, :] + hop * np.arange(frames)[:, None]
    return np.fft.rfft(x[idx] * window(kind, win_length, n_fft), axis=1).T   # (bins, frames)


def hz_to_mel(f, htk):
    f = np.asarray(f, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    logstep = np.log(6.4) / 27.0
    return np.where(f < min_log_hz, f / f_sp, min_log_hz / f_sp + np.log(np.maximum(f, 1e-30) / min_log_hz) / logstep)


def mel_to_hz(m, htk):
    m = np.asarray(m, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    f_sp, min_log_hz = 200.0 / 3, 1000.0
    logstep = np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(m < min_log_mel, m * f_sp, min_log_hz * np.exp(logstep * (m - min_log_mel)))


def mel_bank(sr, n_fft, n_mels, fmin, fmax, htk, slaney_norm):
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    pts = mel_to_hz(np.linspace(hz_to_mel(fmin, htk), hz_to_mel(fmax, htk), n_mels + 2), htk)
    w = np.zeros((n_mels, freqs.size))
    for m in range(n_mels):
        rise = (freqs - pts[m]) / (pts[m + 1] - pts[m])
        fall = (pts[m + 2] - freqs) / (pts[m + 2] - pts[m + 1])
        w[m] = np.maximum(0, np.minimum(rise, fall))
        if slaney_norm:
            w[m] *= 2.0 / (pts[m + 2] - pts[m])
    return w


def record(f, name, a):
    a = np.ascontiguousarray(a, dtype="<f4")
    f.write(struct.pack("<I", len(name)) + name.encode())
    f.write(struct.pack("<I", a.ndim) + struct.pack(f"<{a.ndim}I", *a.shape))
    f.write(a.tobytes())


def torch_check(x):
    try:
        import torch
    except ImportError:
        print("torch not importable: STFT cross-check skipped")
        return
    w = torch.tensor(window("hann", 400, 512), dtype=torch.float64)
    t = torch.stft(torch.tensor(x, dtype=torch.float64), 512, 128, 512, w, center=True,
                   pad_mode="reflect", return_complex=True).abs().numpy()
    ref = np.abs(stft(x, 512, 128, 400, "hann", True))
    print(f"torch.stft vs numpy STFT magnitude: max abs diff {np.abs(t - ref).max():.3e} "
          f"(max {ref.max():.3f})")


def main():
    x = signal()
    out = {"signal": x}
    out["stft_mag"] = np.abs(stft(x, 512, 128, 400, "hann", True))
    out["stft_mag_hamming_nocenter"] = np.abs(stft(x, 256, 100, 256, "hamming", False))
    power = out["stft_mag"] ** 2
    out["mel_slaney_slaney"] = mel_bank(SR, 512, 40, 0.0, SR / 2, False, True)
    out["mel_htk_none"] = mel_bank(SR, 512, 40, 20.0, 7600.0, True, False)
    mel = out["mel_slaney_slaney"] @ power
    out["melspec"] = mel
    out["logmel"] = np.log(np.maximum(mel, 1e-5))
    db = 10.0 * np.log10(np.maximum(mel, 1e-10))
    db = np.maximum(db, db.max() - 80.0)
    out["mel_db"] = db
    out["mfcc"] = scipy.fft.dct(db, type=2, norm="ortho", axis=0)[:13]
    torch_check(x)
    with open(OUT, "wb") as f:
        f.write(b"GANFIX1\n")
        for name, a in out.items():
            record(f, name, a)
            print(f"{name}: {a.shape}")


if __name__ == "__main__":
    main()
