"""The sequence model and its trainer. Imports only torch and numpy (and the standard library),
so a bare GPU machine can train from a tensor file alone:

    python transformer.py dataset.npz out_dir [--device auto|cpu|cuda] [--seed 0]

Model: the last SEQ_LEN events of a token (one vector each) and the current feature row (as a
leading [CLS]-like token) go through a small Transformer encoder; the [CLS] output is the pooled
embedding (used for "similar past setups") and a linear head gives the logit. Feature
standardisation (train-set mean and std) is part of the model, so exported models take raw rows.

Device ``auto``: CUDA with bfloat16 autocast when a GPU is present, CPU float32 otherwise; the same
code path either way. Determinism: seeded, deterministic algorithms, a fixed CPU thread count:
same seed, same device -> identical metrics.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

# deterministic cuBLAS (harmless on CPU); must be set before the first CUDA call
os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")

DEFAULTS = {
    "d_model": 16,
    "heads": 2,
    "layers": 1,
    "ff": 32,
    "dropout": 0.1,
    "lr": 2e-3,
    "weight_decay": 1e-4,
    "batch": 256,
    "epochs": 30,
    "patience": 4,
    "threads": 1,
}


class SeqModel(nn.Module):
    """Transformer encoder over [features token, last events]; returns (probability, embedding)."""

    def __init__(self, n_features: int, seq_len: int, n_seq: int, d_model: int = 16,
                 heads: int = 2, layers: int = 1, ff: int = 32, dropout: float = 0.1):  # fmt: skip
        super().__init__()
        self.register_buffer("x_mean", torch.zeros(n_features))
        self.register_buffer("x_std", torch.ones(n_features))
        self.register_buffer("s_mean", torch.zeros(n_seq))
        self.register_buffer("s_std", torch.ones(n_seq))
        self.feat_in = nn.Linear(n_features, d_model)
        self.seq_in = nn.Linear(n_seq, d_model)
        self.pos = nn.Parameter(torch.zeros(seq_len + 1, d_model))
        nn.init.normal_(self.pos, std=0.02)
        layer = nn.TransformerEncoderLayer(
            d_model, heads, ff, dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, 1)

    def set_scaling(self, x: np.ndarray, seq: np.ndarray) -> None:
        """Standardise inputs with train-set statistics (stored in the model)."""
        xs = x.std(0)
        ss = seq.reshape(-1, seq.shape[-1]).std(0)
        self.x_mean.copy_(torch.from_numpy(x.mean(0).astype(np.float32)))
        self.x_std.copy_(torch.from_numpy(np.where(xs > 1e-6, xs, 1.0).astype(np.float32)))
        self.s_mean.copy_(
            torch.from_numpy(seq.reshape(-1, seq.shape[-1]).mean(0).astype(np.float32))
        )
        self.s_std.copy_(torch.from_numpy(np.where(ss > 1e-6, ss, 1.0).astype(np.float32)))

    def logit_and_embedding(self, x: torch.Tensor, seq: torch.Tensor):
        x = (x - self.x_mean) / self.x_std
        seq = (seq - self.s_mean) / self.s_std
        tokens = torch.cat([self.feat_in(x).unsqueeze(1), self.seq_in(seq)], dim=1) + self.pos
        h = self.encoder(tokens)
        emb = self.norm(h[:, 0, :])
        return self.head(emb).squeeze(-1), emb

    def forward(self, x: torch.Tensor, seq: torch.Tensor):
        logit, emb = self.logit_and_embedding(x, seq)
        return torch.sigmoid(logit), emb


def pick_device(device: str = "auto") -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda: no CUDA GPU is visible to torch (see README: GPU)")
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be auto, cpu or cuda, got {device!r}")
    return torch.device(device)


def seed_everything(seed: int, threads: int) -> None:
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.set_num_threads(max(int(threads), 1))
    if torch.backends.cudnn.is_available():
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def _bce(p: np.ndarray, y: np.ndarray) -> float:
    p = np.clip(p, 1e-7, 1 - 1e-7)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


@torch.no_grad()
def predict(model: SeqModel, x: np.ndarray, seq: np.ndarray, device: torch.device,
            batch: int = 2048) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Probabilities and embeddings (float32 math, no autocast: the exported model's numbers)."""
    model.eval()
    probs, embs = [], []
    for a in range(0, len(x), batch):
        xb = torch.from_numpy(x[a : a + batch]).to(device)
        sb = torch.from_numpy(seq[a : a + batch]).to(device)
        p, e = model(xb, sb)
        probs.append(p.float().cpu().numpy())
        embs.append(e.float().cpu().numpy())
    if not probs:
        return np.zeros(0, np.float32), np.zeros((0, model.head.in_features), np.float32)
    return np.concatenate(probs), np.concatenate(embs)


def train(
    tensors: str | os.PathLike[str] | dict[str, np.ndarray],
    out_dir: str | os.PathLike[str] | None = None,
    device: str = "auto",
    seed: int = 0,
    params: dict | None = None,
    progress=None,
) -> tuple[SeqModel, dict]:
    """Train from a tensor file (``x``, ``seq``, ``y``, ``train``, ``valid`` index arrays; optional
    ``test``). Early stopping on validation log loss; the best epoch's weights are kept.

    Returns the model (on the CPU) and a summary (history, device, seconds, samples/s).
    ``progress(epoch, epochs, train_loss, valid_loss)`` is called after each epoch.
    """
    hp = {**DEFAULTS, **(params or {})}
    data = dict(np.load(tensors)) if not isinstance(tensors, dict) else tensors
    x, seq, y = data["x"].astype(np.float32), data["seq"].astype(np.float32), data["y"]
    tr, va = data["train"], data["valid"]
    if len(tr) == 0 or len(va) == 0:
        raise ValueError("the tensor file has an empty train or valid split")
    dev = pick_device(device)
    seed_everything(seed, hp["threads"])
    amp = dev.type == "cuda"
    model = SeqModel(x.shape[1], seq.shape[1], seq.shape[2], hp["d_model"], hp["heads"],
                     hp["layers"], hp["ff"], hp["dropout"])  # fmt: skip
    model.set_scaling(x[tr], seq[tr])
    model.to(dev)
    opt = torch.optim.AdamW(model.parameters(), lr=hp["lr"], weight_decay=hp["weight_decay"])
    loss_fn = nn.BCEWithLogitsLoss()
    gen = torch.Generator().manual_seed(seed)
    xt = torch.from_numpy(x[tr])
    st = torch.from_numpy(seq[tr])
    yt = torch.from_numpy(y[tr].astype(np.float32))
    best, best_state, best_epoch, bad = math.inf, None, -1, 0
    history = []
    t0 = time.perf_counter()
    seen = 0
    for epoch in range(int(hp["epochs"])):
        model.train()
        perm = torch.randperm(len(tr), generator=gen)
        total = 0.0
        for a in range(0, len(tr), hp["batch"]):
            idx = perm[a : a + hp["batch"]]
            xb, sb, yb = xt[idx].to(dev), st[idx].to(dev), yt[idx].to(dev)
            with torch.autocast(device_type=dev.type, dtype=torch.bfloat16, enabled=amp):
                logit, _ = model.logit_and_embedding(xb, sb)
                loss = loss_fn(logit.float(), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
            seen += len(idx)
        pv, _ = predict(model, x[va], seq[va], dev)
        vloss = _bce(pv.astype(np.float64), y[va].astype(np.float64))
        history.append({"epoch": epoch, "train_loss": total / len(tr), "valid_loss": vloss})
        if progress is not None:
            progress(epoch, int(hp["epochs"]), total / len(tr), vloss)
        if vloss < best - 1e-6:
            best, best_epoch, bad = vloss, epoch, 0
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
            if bad >= hp["patience"]:
                break
    seconds = time.perf_counter() - t0
    model.load_state_dict(best_state)
    model.to("cpu").eval()
    summary = {
        "device": dev.type,
        "mixed_precision": "bfloat16" if amp else None,
        "seconds": seconds,
        "samples_per_s": seen / seconds if seconds > 0 else None,
        "best_epoch": best_epoch,
        "best_valid_loss": best,
        "history": history,
        "params": hp,
        "seed": seed,
        "torch": torch.__version__,
    }
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        torch.save(model.state_dict(), out / "model.pt")
        (out / "train.json").write_text(json.dumps(summary, indent=2))
    return model, summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Train the sequence model from a tensor file.")
    ap.add_argument("tensors")
    ap.add_argument("out_dir")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    args = ap.parse_args(argv)
    _, summary = train(args.tensors, args.out_dir, args.device, args.seed, {"epochs": args.epochs})
    print(json.dumps({k: v for k, v in summary.items() if k != "history"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
