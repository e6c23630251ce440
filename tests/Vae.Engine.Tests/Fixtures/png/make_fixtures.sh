#!/usr/bin/env bash
# Regenerates the PNG fixtures in this folder and expected.json. For every fixture expected.json
# holds the 8-bit RGBA pixels ImageMagick reads back from it (`convert FILE -depth 8 rgba:-`, as
# hex), which the decoder tests compare against, plus what the file was checked to contain. For
# 16-bit files it also holds the exact 16-bit samples (`-depth 16 -endian MSB rgba:-`).
#
# Writers: ImageMagick 6 (Debian's imagemagick package) for the colour types and bit depths,
# Netpbm's pnmtopng for one file per filter type (ImageMagick 6.9 ignores png:compression-filter
# and always filters adaptively), and Pillow (/usr/bin/python3) for palette alpha, a gray tRNS key
# and a 2-bit palette. Every file is checked after it is written (colour type, bit depth,
# interlace, filter types of its rows, tRNS), so a tool that quietly writes something else makes
# this script fail instead of producing a fixture that tests less than its name says.
set -euo pipefail
cd "$(dirname "$0")"
CONVERT=${CONVERT:-convert}
PY=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -f ./*.png expected.json

# Source pixels, 7x5 unless noted. Channels vary independently, so swapped channels or rows show up;
# 16-bit values have low bytes near the rounding boundary of the conversion to 8 bits.
$PY - "$work" <<'PYEOF'
import sys
out = sys.argv[1]
w, h = 7, 5
def save(name, data, header=b""):
    open(f"{out}/{name}", "wb").write(header + bytes(data))
def be16(v):
    return list(divmod(min(65535, max(0, v)), 256))
rgb, rgba, rgba_cut, gray, gray_alpha, gray4, rgb16, gray16, rgba16, alpha16 = ([] for _ in range(10))
for y in range(h):
    for x in range(w):
        r, g, b = (37 * x + 11 * y) % 256, (200 - 25 * y + 3 * x * x) % 256, (13 * x * y + 60) % 256
        a = [0, 64, 128, 200, 255][y] if x > 0 else 255
        v = (41 * x + 29 * y) % 256
        rgb += [r, g, b]
        rgba += [r, g, b, a]
        # One pixel fully transparent, the rest opaque: what a tRNS colour key can express.
        rgba_cut += [r, g, b, 0 if (x, y) == (2, 1) else 255]
        gray += [v]
        gray_alpha += [v, 255 - 50 * y]
        gray4 += [85 * ((x + y) % 4)]
        for k, c in enumerate((r, g, b)):
            rgb16 += be16(c * 257 + [0, 127, 128, 200][(x + k) % 4])
        gray16 += be16(v * 257 + [0, 100, 128, 129, 250][y])
        rgba16 += be16(r * 257 + 129) + be16(g * 257) + be16(b * 256) + be16(a * 257 - 40)
        alpha16 += be16(a * 257 - 40)
for name, data in [("rgb.raw", rgb), ("rgba.raw", rgba), ("rgba_cut.raw", rgba_cut), ("gray.raw", gray),
                   ("gray_alpha.raw", gray_alpha), ("gray4.raw", gray4), ("rgb16.raw", rgb16),
                   ("gray16.raw", gray16), ("rgba16.raw", rgba16)]:
    save(name, data)
# The same pixels as Netpbm files for pnmtopng.
save("rgb8.ppm", rgb, b"P6 7 5 255\n")
save("gray8.pgm", gray, b"P5 7 5 255\n")
save("rgb16.ppm", rgb16, b"P6 7 5 65535\n")
save("alpha16.pgm", alpha16, b"P5 7 5 65535\n")
# 11x3 black and white, so 1-bit rows span two bytes.
save("bw.raw", [255 if (x * 7 + y * 3) % 5 < 2 else 0 for y in range(3) for x in range(11)])
PYEOF

# Timestamps would make every run differ; the other ancillary chunks ImageMagick writes (gAMA,
# cHRM, bKGD) stay, so the decoder is seen to skip them.
# im SIZE DEPTH INPUT OUTPUT [options]: DEPTH is that of the raw input and of the file written;
# raw 16-bit input is big-endian (ImageMagick would otherwise read it in the host's byte order).
im() {
    local size=$1 depth=$2 input=$3 output=$4
    shift 4
    $CONVERT -size "$size" -depth "$depth" -endian MSB "$input" -define png:exclude-chunks=date,time -depth "$depth" "$@" "$output"
}

im 7x5 8 "gray:$work/gray.raw" gray8.png -define png:color-type=0 -define png:bit-depth=8
im 7x5 8 "graya:$work/gray_alpha.raw" gray_alpha8.png -define png:color-type=4 -define png:bit-depth=8
im 7x5 8 "rgb:$work/rgb.raw" PNG24:rgb8.png
im 7x5 8 "rgba:$work/rgba.raw" PNG32:rgba8.png
im 7x5 8 "rgb:$work/rgb.raw" PNG8:palette8.png
im 7x5 8 "rgba:$work/rgba_cut.raw" PNG8:palette_trns.png
im 7x5 8 "rgba:$work/rgba_cut.raw" PNG24:rgb_trns.png
im 7x5 8 "gray:$work/gray4.raw" gray2.png -define png:color-type=0 -define png:bit-depth=2
im 7x5 8 "gray:$work/gray4.raw" palette4.png -define png:color-type=3 -define png:bit-depth=4
im 11x3 8 "gray:$work/bw.raw" gray1.png -define png:color-type=0 -define png:bit-depth=1
im 7x5 16 "rgb:$work/rgb16.raw" PNG48:rgb16.png
im 7x5 16 "gray:$work/gray16.raw" gray16.png -define png:color-type=0 -define png:bit-depth=16
im 7x5 16 "rgba:$work/rgba16.raw" PNG64:rgba16.png
im 7x5 8 "rgb:$work/rgb.raw" PNG24:interlaced.png -interlace PNG

# One filter type on every row: bytes per pixel 1 (gray), 3 (RGB) and 8 (16-bit RGBA).
names=(none sub up avg paeth)
for f in 0 1 2 3 4; do
    pnmtopng -force "-${names[f]/none/nofilter}" "$work/gray8.pgm" > "gray8_filter$f.png"
    pnmtopng -force "-${names[f]/none/nofilter}" "$work/rgb8.ppm" > "rgb8_filter$f.png"
    pnmtopng -force "-${names[f]/none/nofilter}" -alpha="$work/alpha16.pgm" "$work/rgb16.ppm" > "rgba16_filter$f.png"
done 2> /dev/null

$PY - "$work" <<'PYEOF'
import sys
from PIL import Image
out = sys.argv[1]
w, h = 7, 5
p = Image.new("P", (w, h))
p.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 90, 90, 90])
p.putdata([(x * 2 + y) % 6 for y in range(h) for x in range(w)])
p.save("pil_palette_alpha.png", transparency=bytes([255, 0, 128, 30]))
q = Image.new("P", (w, h))
q.putpalette([10, 20, 30, 200, 100, 0, 0, 150, 250, 240, 240, 240])
q.putdata([(x + 3 * y) % 4 for y in range(h) for x in range(w)])
q.save("pil_palette2.png")
g = Image.frombytes("L", (w, h), open(f"{out}/gray.raw", "rb").read())
g.save("pil_gray_trns.png", transparency=(41 * 3 + 29 * 1) % 256)
PYEOF

# Check each file is what its name says, then record what ImageMagick decodes it to.
$PY - "$CONVERT" <<'PYEOF'
import glob, json, struct, subprocess, sys, zlib
convert = sys.argv[1]
want = {  # name: (colour type, bit depth, interlace, has tRNS)
    "gray8": (0, 8, 0, False), "gray_alpha8": (4, 8, 0, False), "rgb8": (2, 8, 0, False),
    "rgba8": (6, 8, 0, False), "palette8": (3, 8, 0, False), "palette_trns": (3, 8, 0, True),
    "rgb_trns": (2, 8, 0, True), "gray2": (0, 2, 0, False), "palette4": (3, 4, 0, False),
    "gray1": (0, 1, 0, False), "rgb16": (2, 16, 0, False), "gray16": (0, 16, 0, False),
    "rgba16": (6, 16, 0, False), "interlaced": (2, 8, 1, False),
    "pil_palette_alpha": (3, 4, 0, True), "pil_palette2": (3, 2, 0, False), "pil_gray_trns": (0, 8, 0, True),
}
for f in range(5):
    want[f"gray8_filter{f}"] = (0, 8, 0, False)
    want[f"rgb8_filter{f}"] = (2, 8, 0, False)
    want[f"rgba16_filter{f}"] = (6, 16, 0, False)

def chunks(data):
    at = 8
    while at < len(data):
        n, kind = struct.unpack(">I4s", data[at:at + 8])
        yield kind.decode(), data[at + 8:at + 8 + n]
        at += 12 + n

def filters(data, width, height, ctype, depth):
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    stride = (width * channels * depth + 7) // 8
    raw = zlib.decompress(b"".join(d for k, d in chunks(data) if k == "IDAT"))
    assert len(raw) == height * (stride + 1), "decompressed length"
    return sorted({raw[y * (stride + 1)] for y in range(height)})

expected = {}
names = sorted(p[:-4] for p in glob.glob("*.png"))
assert names == sorted(want), f"fixtures {names} != {sorted(want)}"
for name in names:
    data = open(f"{name}.png", "rb").read()
    parsed = list(chunks(data))
    width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", parsed[0][1])
    kinds = [k for k, _ in parsed]
    got = (ctype, depth, interlace, "tRNS" in kinds)
    assert got == want[name], f"{name}: (colour type, depth, interlace, tRNS) is {got}, wanted {want[name]}"
    entry = {"width": width, "height": height, "colorType": ctype, "bitDepth": depth, "interlaced": bool(interlace), "chunks": kinds}
    if not interlace:
        used = filters(data, width, height, ctype, depth)
        if "_filter" in name:
            assert used == [int(name[-1])], f"{name}: rows use filters {used}, wanted only {name[-1]}"
        entry["filters"] = used
        rgba = subprocess.run([convert, f"{name}.png", "-depth", "8", "rgba:-"], check=True, capture_output=True).stdout
        assert len(rgba) == width * height * 4, f"{name}: ImageMagick returned {len(rgba)} bytes"
        entry["rgba"] = rgba.hex()
        if depth == 16:
            # ImageMagick's own 16-to-8-bit step truncates colour and rounds alpha, so the exact
            # 16-bit samples are recorded too: the tests derive 8-bit values from them by rounding.
            wide = subprocess.run([convert, f"{name}.png", "-depth", "16", "-endian", "MSB", "rgba:-"], check=True, capture_output=True).stdout
            assert len(wide) == width * height * 8, f"{name}: ImageMagick returned {len(wide)} bytes"
            entry["rgba16"] = wide.hex()
    expected[f"{name}.png"] = entry
    print(f"{name:18} {width}x{height} type {ctype} depth {depth} filters {entry.get('filters')} chunks {' '.join(kinds)}")
used = set()
for e in expected.values():
    used.update(e.get("filters", []))
assert used == {0, 1, 2, 3, 4}, f"filters used across fixtures: {sorted(used)}"
with open("expected.json", "w") as out:
    json.dump(expected, out, indent=1, sort_keys=True)
    out.write("\n")
PYEOF
