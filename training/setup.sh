#!/usr/bin/env bash
# Installs what the training pipeline needs (Debian). Idempotent: apt-get skips what is already installed.
# Python: use the Debian interpreter /usr/bin/python3 (torch/onnx/PIL/numpy come from apt, not pip).
set -euo pipefail
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
PKGS=(
  python3-torch python3-onnx python3-pil python3-numpy libopenblas0-pthread
  fontconfig
  fonts-dejavu-core fonts-dejavu-extra fonts-liberation fonts-freefont-ttf
  fonts-sil-gentium fonts-sil-gentium-basic fonts-noto-core fonts-urw-base35 fonts-roboto-unhinted
  fonts-open-sans fonts-lato fonts-crosextra-carlito fonts-crosextra-caladea fonts-cantarell
  fonts-comic-neue fonts-linuxlibertine fonts-texgyre fonts-anonymous-pro fonts-inconsolata
  fonts-hack fonts-firacode
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
  fc-cache -f >/dev/null || true
else
  echo "training/setup.sh: all packages already installed"
fi
# Handwritten and rounded fonts from @fontsource/* (npm registry), unpacked into training/data/fonts/<name>/.
# Never a comic font: Comic Neue is a hold-out family's font (gen.HOLDOUT_FONT_KEYS).
FONTSOURCE=(
  patrick-hand indie-flower architects-daughter kalam short-stack gochi-hand handlee schoolbell delius caveat
  coming-soon varela-round nunito fredoka quicksand balsamiq-sans mali itim
)
fdir="$(cd "$(dirname "$0")" && pwd)/data/fonts"
mkdir -p "$fdir"
for f in "${FONTSOURCE[@]}"; do
  [ -d "$fdir/$f" ] && continue
  tgz="$(cd "$fdir" && npm pack "@fontsource/$f@5" --silent | tail -1)"
  rm -rf "$fdir/.$f" && mkdir -p "$fdir/.$f"   # unpacked aside, then renamed: a failed run leaves no half package
  tar xzf "$fdir/$tgz" -C "$fdir/.$f" --strip-components=2 package/files && mv "$fdir/.$f" "$fdir/$f" && rm "$fdir/$tgz"
done
/usr/bin/python3 -c "import torch, onnx, PIL, numpy; print('torch', torch.__version__, 'onnx', onnx.__version__)"
