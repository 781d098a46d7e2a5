"""Render the app icon (`resources/icons/app.svg`) into the per-platform files the build uses.

    .venv/bin/python packaging/make_icons.py

writes `resources/icons/app.png` (Linux, 256 px), `app.ico` (Windows, 16–256 px) and
`app.icns` (macOS, 16–1024 px). Qt renders the SVG (Pillow cannot); Pillow writes the
multi-size containers. The outputs are committed, so a build never needs this script; run it
again only after changing `app.svg`.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)
PNG_SIZE = 256


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn on a transparent square of `size` pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    # A QGuiApplication is needed for painting; offscreen works without a display.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"cannot read {svg}")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def make_icons(svg: Path, out: Path) -> list[Path]:
    """Write app.png, app.ico and app.icns next to each other in `out`."""
    from PIL import Image

    sizes = sorted({PNG_SIZE, *ICO_SIZES, *ICNS_SIZES})
    # Each size is rendered from the vector, not scaled down from the largest bitmap, so the
    # small icons stay crisp.
    images = {s: Image.open(io.BytesIO(render_png(svg, s))).convert("RGBA") for s in sizes}
    out.mkdir(parents=True, exist_ok=True)
    png, ico, icns = out / "app.png", out / "app.ico", out / "app.icns"
    images[PNG_SIZE].save(png, format="PNG", optimize=True)
    largest_ico = images[max(ICO_SIZES)]
    largest_ico.save(
        ico,
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)],
    )
    largest_icns = images[max(ICNS_SIZES)]
    largest_icns.save(
        icns,
        format="ICNS",
        append_images=[images[s] for s in ICNS_SIZES if s != max(ICNS_SIZES)],
    )
    return [png, ico, icns]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--svg", type=Path, default=ICONS / "app.svg")
    parser.add_argument("--out", type=Path, default=ICONS)
    args = parser.parse_args(argv)
    for path in make_icons(args.svg, args.out):
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
