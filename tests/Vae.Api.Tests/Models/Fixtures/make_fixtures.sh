#!/bin/sh
# Regenerates the PNG inputs of the model endpoint tests with Debian's ImageMagick 6 (convert).
set -e
cd "$(dirname "$0")"
# A dark "7" on a white page, RGB: what a user photographs or draws; auto-invert must flip it.
convert -size 40x40 xc:white -fill black -stroke black -strokewidth 4 \
  -draw "line 10,8 30,8" -draw "line 30,8 18,33" \
  -depth 8 -type TrueColor -define png:color-type=2 seven-40x40-rgb.png
# A well-formed interlaced PNG (Adam7), which is read like any other.
convert -size 24x24 xc:black -fill white -draw "rectangle 6,6 17,17" -interlace PNG interlaced-24x24.png
