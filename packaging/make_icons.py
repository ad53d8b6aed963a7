"""Render the app icon from resources/icons/routechat.svg into every format the installers need.

    python packaging/make_icons.py            # writes under resources/icons/
    python packaging/make_icons.py --check    # exits 1 if the committed files are out of date

Outputs:
    resources/icons/hicolor/<N>x<N>/apps/routechat.png   N = 16 24 32 48 64 128 256 512
    resources/icons/routechat.ico    Windows: 16-64 px as 32-bit BMP, 128 and 256 px as PNG
    resources/icons/routechat.icns   macOS: PNG payloads, 16 px to 512@2x (1024 px)

Rasterised with Qt's own SVG renderer (QtSvg ships in PySide6-Essentials); the ICO and ICNS
containers are written here by hand (both are a short header plus the images), so no image library
is needed. The output is deterministic: the same SVG and Qt version give the same bytes.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

REPO = Path(__file__).resolve().parent.parent
ICONS = REPO / "resources" / "icons"
SVG = ICONS / "routechat.svg"
NAME = "routechat"

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICO_PNG_FROM = 128  # smaller entries are BMP: older Windows shells and tools read them best
# (ICNS type, pixel size): the set Apple's iconutil writes for an .iconset, plus icp4/icp5.
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),  # 16@2x
    (b"ic12", 64),  # 32@2x
    (b"ic07", 128),
    (b"ic13", 256),  # 128@2x
    (b"ic08", 256),
    (b"ic14", 512),  # 256@2x
    (b"ic09", 512),
    (b"ic10", 1024),  # 512@2x
)


def render(renderer: QSvgRenderer, size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def png_bytes(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise RuntimeError("Qt could not encode a PNG")
    buffer.close()
    return bytes(data.data())


def bmp_icon_bytes(image: QImage) -> bytes:
    """An ICO 'DIB' entry: BITMAPINFOHEADER, BGRA rows bottom-up, then a 1-bit AND mask."""
    size = image.width()
    argb = image.convertToFormat(QImage.Format.Format_ARGB32)
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    rows = []
    mask_rows = []
    mask_stride = ((size + 31) // 32) * 4
    for y in reversed(range(size)):
        row = bytearray()
        mask = bytearray(mask_stride)
        for x in range(size):
            pixel = argb.pixel(x, y)  # 0xAARRGGBB
            row += struct.pack("<I", pixel)  # little-endian: B, G, R, A
            if (pixel >> 24) == 0:
                mask[x // 8] |= 0x80 >> (x % 8)
        rows.append(bytes(row))
        mask_rows.append(bytes(mask))
    return header + b"".join(rows) + b"".join(mask_rows)


def ico_bytes(images: dict[int, QImage]) -> bytes:
    payloads = []
    for size in ICO_SIZES:
        image = images[size]
        payloads.append(png_bytes(image) if size >= ICO_PNG_FROM else bmp_icon_bytes(image))
    out = bytearray(struct.pack("<HHH", 0, 1, len(ICO_SIZES)))
    offset = 6 + 16 * len(ICO_SIZES)
    for size, payload in zip(ICO_SIZES, payloads, strict=True):
        dim = 0 if size >= 256 else size  # 0 means 256
        out += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(payload), offset)
        offset += len(payload)
    for payload in payloads:
        out += payload
    return bytes(out)


def icns_bytes(images: dict[int, QImage]) -> bytes:
    body = bytearray()
    for kind, size in ICNS_TYPES:
        payload = png_bytes(images[size])
        body += kind + struct.pack(">I", 8 + len(payload)) + payload
    return b"icns" + struct.pack(">I", 8 + len(body)) + bytes(body)


def outputs() -> dict[Path, bytes]:
    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: Qt cannot read {SVG}")
    sizes = sorted({*PNG_SIZES, *ICO_SIZES, *(s for _, s in ICNS_TYPES)})
    images = {size: render(renderer, size) for size in sizes}
    files = {
        ICONS / "hicolor" / f"{n}x{n}" / "apps" / f"{NAME}.png": png_bytes(images[n])
        for n in PNG_SIZES
    }
    files[ICONS / f"{NAME}.ico"] = ico_bytes(images)
    files[ICONS / f"{NAME}.icns"] = icns_bytes(images)
    del app
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare with the files on disk")
    args = parser.parse_args(argv)
    stale = []
    for path, data in outputs().items():
        if path.exists() and path.read_bytes() == data:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"wrote {path.relative_to(REPO)} ({len(data):,} bytes)")
    if args.check and stale:
        for path in stale:
            print(f"out of date: {path.relative_to(REPO)}", file=sys.stderr)
        print("run: python packaging/make_icons.py", file=sys.stderr)
        return 1
    if not stale:
        print("icons up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
