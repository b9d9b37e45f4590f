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
/usr/bin/python3 -c "import torch, onnx, PIL, numpy; print('torch', torch.__version__, 'onnx', onnx.__version__)"
