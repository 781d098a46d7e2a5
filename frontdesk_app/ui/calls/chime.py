"""The transfer sounds, synthesised: a soft two-note chime, and a brighter repeated one for
urgent and emergency calls. `python -m frontdesk_app.ui.calls.chime` rewrites the WAV files
in `resources/sounds/`; the app also writes them there if they are missing.
"""

from __future__ import annotations

import io
import math
import struct
import sys
import wave
from pathlib import Path

RATE = 22_050
PEAK = 0.42  # well below full scale: a reception desk is a quiet room

# (frequency Hz, start s, length s) per note; decays are exponential so nothing clicks.
NOTES: dict[str, list[tuple[float, float, float]]] = {
    "transfer": [(659.25, 0.0, 0.55), (880.0, 0.18, 0.7)],
    # Three rising pairs: recognisable across the room without being shrill.
    "urgent": [
        (note, start + pair * 0.5, length)
        for pair in range(3)
        for note, start, length in ((783.99, 0.0, 0.3), (1046.5, 0.12, 0.4))
    ],
}
SOUND_FILES = {name: f"{name}.wav" for name in NOTES}


def samples(name: str) -> list[float]:
    """The chime as floats in [-1, 1] at `RATE` samples per second."""
    notes = NOTES[name]
    length = max(start + duration for _, start, duration in notes)
    out = [0.0] * int(length * RATE)
    for frequency, start, duration in notes:
        first = int(start * RATE)
        count = int(duration * RATE)
        attack = int(0.006 * RATE)
        for i in range(count):
            t = i / RATE
            envelope = math.exp(-5.0 * t / duration) * min(1.0, i / attack if attack else 1.0)
            # A touch of the octave makes it a bell rather than a beep.
            tone = math.sin(2 * math.pi * frequency * t) + 0.25 * math.sin(
                4 * math.pi * frequency * t
            )
            out[first + i] += envelope * tone / 1.25
    loudest = max(abs(v) for v in out) or 1.0
    return [v * PEAK / loudest for v in out]


def wav_bytes(name: str) -> bytes:
    """A 16-bit mono PCM WAV of the chime."""
    frames = b"".join(struct.pack("<h", round(v * 32767)) for v in samples(name))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(frames)
    return buffer.getvalue()


def ensure_sounds(folder: Path) -> dict[str, Path]:
    """The chime files in `folder`, writing any that are missing; returns them by name."""
    paths: dict[str, Path] = {}
    for name, filename in SOUND_FILES.items():
        path = folder / filename
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(wav_bytes(name))
        paths[name] = path
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("resources/sounds")
    for file in SOUND_FILES.values():
        (target / file).unlink(missing_ok=True)
    for written in ensure_sounds(target).values():
        print(written)
