"""Shared pieces: charset, the preprocessing contract, the CRNN model, CTC decoding, dev-set loading."""
from __future__ import annotations

import os

import numpy as np
import torch
import torch.nn as nn
from PIL import Image

LATIN = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Cyrillic letters with no Latin look-alike get classes of their own, one per letter (case folded: captchas of
# Russian sites are read case-insensitively). The look-alikes (а в е к м н о р с т у х and capitals) share the
# Latin class they look like: no model can tell Cyrillic с from Latin c by the glyph, so the script is chosen per
# reading (resolve_script, and src/solvers/offline/script.ts at run time).
CYRILLIC_OWN = "бгджзийлпфцчшщъыьэюя"
CHARSET = LATIN + CYRILLIC_OWN
# Cyrillic letter -> the class it is drawn as. Small в к м н т are small capitals in most fonts.
CYR_TO_CLASS = {
    **{c: c for c in CYRILLIC_OWN}, **{c.upper(): c for c in CYRILLIC_OWN},
    "а": "a", "А": "A", "в": "B", "В": "B", "е": "e", "Е": "E", "ё": "e", "Ё": "E", "к": "K", "К": "K",
    "м": "M", "М": "M", "н": "H", "Н": "H", "о": "o", "О": "O", "р": "p", "Р": "P", "с": "c", "С": "C",
    "т": "T", "Т": "T", "у": "y", "У": "Y", "х": "x", "Х": "X",
}
# In a Cyrillic reading, each shared Latin class stands for this Cyrillic letter (lower case).
CLASS_TO_CYR = {"a": "а", "A": "а", "B": "в", "b": "в", "e": "е", "E": "е", "K": "к", "k": "к", "M": "м",
                "m": "м", "H": "н", "h": "н", "o": "о", "O": "о", "p": "р", "P": "р", "c": "с", "C": "с",
                "T": "т", "t": "т", "y": "у", "Y": "у", "x": "х", "X": "х"}
BLANK = 0
# Latin letters no Cyrillic letter is drawn like (r, i, l, s, ...): in a Cyrillic reading they are misreads
LATIN_ONLY = [i + 1 for i, c in enumerate(CHARSET) if c.isascii() and c.isalpha() and c not in CLASS_TO_CYR]
HEIGHT = 32
MIN_WIDTH = 32
MAX_WIDTH = 320
WIDTH_MULTIPLE = 8
MEAN = 0.5
STD = 0.5
C2I = {c: i + 1 for i, c in enumerate(CHARSET)}

ROOT = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(ROOT)
DEV_DIR = os.environ.get("DEV_DIR", os.path.join(os.path.dirname(REPO), "shared", "data", "dev"))
if not os.path.isdir(DEV_DIR):
    DEV_DIR = "/work/shared/data/dev"


def to_classes(text: str) -> str:
    """A label as the model's classes: Cyrillic look-alikes become the Latin class they are drawn as."""
    return "".join(CYR_TO_CLASS.get(c, c) for c in text)


def resolve_script(text: str) -> str:
    """A reading in the model's classes as text: Cyrillic when it holds a Cyrillic-only letter (then every
    look-alike is read as its Cyrillic letter), else as read. Mirrors the runtime's 'auto' script."""
    if not any(c in CYRILLIC_OWN for c in text):
        return text
    return "".join(CLASS_TO_CYR.get(c, c) for c in text)


def flatten(img: Image.Image) -> Image.Image:
    """Alpha-flatten onto white and convert to 8-bit gray (ITU-R 601 luma)."""
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        img = img.convert("RGBA")
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        bg.alpha_composite(img)
        img = bg
    return img.convert("L")


def target_width(w: int, h: int, height: int = HEIGHT) -> int:
    nw = int(round(w * height / max(1, h)))
    return max(MIN_WIDTH, min(MAX_WIDTH, nw))


def to_array(img: Image.Image, resample=Image.BILINEAR) -> np.ndarray:
    """The runtime contract, minus padding: float32 [H, W] in [0,1]."""
    g = flatten(img)
    w, h = g.size
    g = g.resize((target_width(w, h), HEIGHT), resample)
    return np.asarray(g, np.float32) / 255.0


def pad_batch(arrs: list[np.ndarray], multiple: int = WIDTH_MULTIPLE) -> torch.Tensor:
    W = max(a.shape[1] for a in arrs)
    W = (W + multiple - 1) // multiple * multiple
    out = np.ones((len(arrs), 1, HEIGHT, W), np.float32)
    for i, a in enumerate(arrs):
        out[i, 0, :, : a.shape[1]] = a
    return torch.from_numpy((out - MEAN) / STD)


def preprocess(img: Image.Image) -> torch.Tensor:
    return pad_batch([to_array(img)])


class CRNN(nn.Module):
    """Conv stack (height 32 -> 2, width /4) -> sequence head -> linear. Output [N, T, C] raw logits.

    head="conv": two 1-D convolutions over time (k=3, dilation 1 and 2) - about 2x cheaper to train on CPU
    than the recurrent head and just as exportable; head="gru": a BiGRU."""

    def __init__(self, n_classes: int = len(CHARSET) + 1, ch=(32, 64, 128, 160), rnn: int = 128, head: str = "gru"):
        super().__init__()
        c1, c2, c3, c4 = ch
        self.head = head

        def block(i, o):
            return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True)]

        self.cnn = nn.Sequential(
            *block(1, c1), nn.MaxPool2d(2, 2),                 # 16 x W/2
            *block(c1, c2), nn.MaxPool2d(2, 2),                # 8 x W/4
            *block(c2, c3), *block(c3, c3), nn.MaxPool2d((2, 1), (2, 1)),  # 4 x W/4
            *block(c3, c4), nn.MaxPool2d((2, 1), (2, 1)),      # 2 x W/4
        )
        if head == "gru":
            self.proj = nn.Linear(c4 * 2, rnn * 2)
            self.rnn = nn.GRU(rnn * 2, rnn, batch_first=True, bidirectional=True)
        else:
            d = rnn * 2
            self.seq = nn.Sequential(
                nn.Conv1d(c4 * 2, d, 3, padding=1, bias=False), nn.BatchNorm1d(d), nn.ReLU(inplace=True),
                nn.Conv1d(d, d, 3, padding=2, dilation=2, bias=False), nn.BatchNorm1d(d), nn.ReLU(inplace=True),
                nn.Conv1d(d, d, 3, padding=1, bias=False), nn.BatchNorm1d(d), nn.ReLU(inplace=True),
            )
        self.drop = nn.Dropout(0.1)
        self.fc = nn.Linear(rnn * 2, n_classes)

    def forward(self, x):
        f = self.cnn(x)                       # N, C, 2, T
        n, c, h, t = f.shape
        if self.head == "gru":
            f = f.permute(0, 3, 1, 2).reshape(n, t, c * h)
            f = torch.relu(self.proj(f))
            f, _ = self.rnn(f)
        else:
            f = self.seq(f.reshape(n, c * h, t)).permute(0, 2, 1)   # N, T, D
        return self.fc(self.drop(f))          # N, T, C


def load_checkpoint(path: str, map_location="cpu") -> dict:
    """torch.load for our own checkpoints (they hold RNG state and args, so not weights-only; torch >= 2.6
    defaults to weights_only=True)."""
    try:
        return torch.load(path, map_location=map_location, weights_only=False)
    except TypeError:  # torch < 1.13 has no weights_only
        return torch.load(path, map_location=map_location)


def build_model(arch: dict | None = None) -> CRNN:
    """arch: {"ch", "rnn", "head", "charset"?}; a checkpoint from before the Cyrillic classes has no "charset"
    and reads LATIN."""
    arch = arch or {"ch": (32, 64, 128, 160), "rnn": 128, "head": "gru"}
    return CRNN(n_classes=len(arch.get("charset", LATIN)) + 1, ch=tuple(arch["ch"]), rnn=arch["rnn"], head=arch["head"])


def model_charset(model: nn.Module) -> str:
    """The charset a model reads, from its output width."""
    return CHARSET if model.fc.out_features == len(CHARSET) + 1 else LATIN


def collapse(path) -> str:
    """A best path (class per time step) as the reading: repeats merged, blanks dropped."""
    s, prev = [], 0
    for k in path:
        if k != prev and k != BLANK:
            s.append(CHARSET[k - 1])
        prev = k
    return "".join(s)


def cyrillic_misread(path) -> bool:
    """Whether a best path reads Cyrillic but for Latin-only letters (its r is a г, its ji an л): the runtime's
    'auto' script then decodes it again without them (src/solvers/offline/local-solver.ts, decodeInScript)."""
    text = collapse(path)
    return any(c in CYRILLIC_OWN for c in text) and any(CHARSET.index(c) + 1 in LATIN_ONLY for c in text)


def best_path(scores: np.ndarray) -> np.ndarray:
    """The best class per time step of one image ([T, C] logits), Latin-only classes ruled out of a Cyrillic misread."""
    best = scores.argmax(-1)
    if cyrillic_misread(best):
        masked = scores.copy()
        masked[:, LATIN_ONLY] = -np.inf
        best = masked.argmax(-1)
    return best


def greedy_decode(logits: torch.Tensor) -> list[str]:
    """Best path, in the model's classes (resolve_script turns a reading into text)."""
    return [collapse(best_path(row)) for row in logits.detach().cpu().numpy()]


def ctc_step(model: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, targets: torch.Tensor, target_lengths: torch.Tensor) -> float:
    """One optimiser step on a batch: CTC loss (blank 0, infinite losses zeroed), gradients clipped to norm 5.
    Returns the loss."""
    lp = torch.nn.functional.log_softmax(model(x), -1).permute(1, 0, 2)    # T, N, C
    il = torch.full((x.shape[0],), lp.shape[0], dtype=torch.long)
    loss = torch.nn.functional.ctc_loss(lp, targets, il, target_lengths, blank=BLANK, zero_infinity=True)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    opt.step()
    return loss.item()


def encode(texts: list[str]):
    """Labels (Unicode text, Cyrillic included) -> CTC targets in the model's classes."""
    texts = [to_classes(t) for t in texts]
    flat = [C2I[c] for t in texts for c in t]
    return torch.tensor(flat, dtype=torch.long), torch.tensor([len(t) for t in texts], dtype=torch.long)


def load_labelled_dir(d: str, limit: int | None = None):
    """Read DIR/labels.tsv (file<TAB>label, header) -> list of (path, label)."""
    items = []
    with open(os.path.join(d, "labels.tsv"), encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2 and parts[1]:
                items.append((os.path.join(d, parts[0]), parts[1]))
    return items[:limit] if limit else items


def edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@torch.no_grad()
def evaluate(model, items, case_sensitive=False, batch=64, device="cpu"):
    """items: list of (PIL image or path, label). Returns (exact acc, CER, predictions)."""
    model.eval()
    preds = []
    arrs = []
    for x, _ in items:
        img = Image.open(x) if isinstance(x, str) else x
        arrs.append(to_array(img))
    order = sorted(range(len(arrs)), key=lambda i: arrs[i].shape[1])
    res = [None] * len(arrs)
    for s in range(0, len(order), batch):
        idx = order[s: s + batch]
        out = model(pad_batch([arrs[i] for i in idx]).to(device))
        for i, p in zip(idx, greedy_decode(out)):
            res[i] = resolve_script(p)
    ok = 0
    errs = 0
    chars = 0
    for (_, lab), p in zip(items, res):
        cyrillic = any("\u0400" <= c <= "\u04ff" for c in lab)   # Cyrillic is read in lower case
        a, b = (p, lab) if case_sensitive and not cyrillic else (p.lower(), lab.lower())
        ok += a == b
        errs += edit_distance(a, b)
        chars += len(b)
        preds.append(p)
    model.train()
    return ok / max(1, len(items)), errs / max(1, chars), preds
