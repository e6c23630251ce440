#!/usr/bin/env bash
# Regenerates the JPEG fixtures in this folder with Pillow (Debian's /usr/bin/python3 with
# python3-pil): the kinds of JPEG that ImageSharp's own encoder does not write, so the tests cannot
# make them. Each is 48x32 in four flat quadrants, red (top left), green (top right), blue (bottom
# left) and white (bottom right), so a decoder's colours can be checked at the quadrants' centres
# whatever rounding its colour conversion does.
#   progressive.jpg  progressive (several scans), 4:2:0 chroma
#   cmyk.jpg         CMYK with an Adobe APP14 marker (inverted values, as Photoshop writes them)
#   rotated.jpg      the same picture stored turned a quarter anticlockwise with EXIF orientation 6
#                    (a camera held upright), 32x48 as stored, 48x32 once turned upright
set -euo pipefail
cd "$(dirname "$0")"
/usr/bin/python3 - <<'PYEOF'
from PIL import Image
w, h = 48, 32
img = Image.new("RGB", (w, h))
colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255)]
for y in range(h):
    for x in range(w):
        img.putpixel((x, y), colours[(2 if y >= h // 2 else 0) + (1 if x >= w // 2 else 0)])
img.save("progressive.jpg", quality=95, progressive=True, subsampling=2)
img.convert("CMYK").save("cmyk.jpg", quality=95)
exif = Image.Exif()
exif[0x0112] = 6
img.transpose(Image.Transpose.ROTATE_90).save("rotated.jpg", quality=95, exif=exif.tobytes())
from PIL import ImageOps
upright = ImageOps.exif_transpose(Image.open("rotated.jpg")).convert("RGB")
assert upright.size == (w, h) and upright.getpixel((5, 5))[0] > 200 and upright.getpixel((w - 5, h - 5))[2] > 200, "rotated.jpg does not turn upright"
for name in ("progressive.jpg", "cmyk.jpg", "rotated.jpg"):
    check = Image.open(name)
    print(name, check.mode, check.size, "progressive" if check.info.get("progressive") else "baseline", "adobe" if "adobe" in check.info else "")
PYEOF
