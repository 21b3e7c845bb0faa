#!/usr/bin/env python3
"""The PyTorch side of `hmil-bench train` (Benchmarks/TrainBench.swift runs it, timing the whole process):
the plain training loop a user would write for the run hmil-train makes on the same bags.

- Bags: one .npy file per bag (float32, N x D), all loaded into memory before training; labels and
  the hierarchy from the manifest.json hmil-bench writes beside them (the same values as its pack).
- Model: hmil_reference.HMIL with the preset's scorer and embedding (`--preset hmil`: per-class
  scorers on one shared 256-d embedding; `reference`: the release's shared scorer, D->256->D), or
  hmil_reference.ABMIL (`--model abmil`).
- Objective (objective_reference.py, the release's code paths): alpha * L_c + L_f + L_bag
  (+ L_att for `hmil`) + (1 - alpha) * SupCon / B, alpha = 1 - (e/E)^2, the cosine temperature
  schedule; `hmil` smooths L_f over siblings (eps 0.2) and uses the nll bag alignment. ABMIL: the
  fine cross-entropy only.
- One autograd graph per batch: forward every bag of the batch, the objective over the batch, one
  backward, torch.optim.Adam (lr 1e-4), ReduceLROnPlateau on the epoch's mean training loss; a
  seeded shuffle per epoch.
- Each epoch: validation (forward under no_grad: the per-bag loss, fine and coarse macro-AUC), then
  torch.save of the model and optimizer state, and of the model when validation fine AUC improved.

This is NOT a port of hmil's two-pass scheme; it keeps every bag's graph of a batch until the backward.

Prints one JSON line: torch version, threads, and seconds spent on import, loading, building the
model and optimizer, each epoch's training and validation, and checkpoints; peak RSS.

Run: python3 Tests/Parity/train_loop_bench.py --data DIR --out DIR --epochs 3 --batch-size 8 --preset reference
"""
import time

START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import objective_reference as objective  # noqa: E402  (sets the default dtype to float64)
from hmil_reference import ABMIL, HMIL  # noqa: E402

torch.set_default_dtype(torch.float32)
IMPORTED = time.perf_counter()

# What `--preset` chooses (Sources/Shared/Training/TrainingOptions+Objective.swift, ObjectiveConfig.swift).
PRESETS = {
    "reference": {"scorer": "shared", "embedding": "released", "smoothing": 0.0, "bag": "reference", "attention": 0.0},
    "hmil": {"scorer": "per_class", "embedding": "shared", "smoothing": 0.2, "bag": "nll", "attention": 1.0},
}


class Cfg:
    """objective_reference's config: the hierarchy's fine -> coarse map and the run's epoch count."""

    def __init__(self, parents, n_coarse, epochs):
        self.mapping = ", ".join(f"{j}:{c}" for j, c in enumerate(parents))
        self.n_class = [n_coarse, len(parents)]
        self.num_epochs = epochs


def hmil_loss(outs, labels, epoch, cfg, parents, preset, contrastive=True):
    """The objective over a batch (validation: without the batch-level contrastive term)."""
    p = PRESETS[preset]
    y_f = torch.tensor(labels)
    y_c = torch.tensor([parents[y] for y in labels])
    logits_c = torch.stack([o["coarse_logits"] for o in outs])
    logits_f = torch.stack([o["fine_logits"] for o in outs])
    l_c, l_f, l_bag = objective.compute_hierarchical_loss(logits_c, logits_f, y_c, y_f, cfg)
    if p["smoothing"] > 0:
        l_f = F.cross_entropy(logits_f, objective.sibling_targets(labels, parents, p["smoothing"]))
    if p["bag"] == "nll":
        l_bag = objective.bag_alignment_nll(logits_f, y_c, cfg)
    alpha = 1 - (epoch / cfg.num_epochs) ** 2
    total = alpha * l_c + l_f + l_bag
    if p["attention"] > 0:
        total = total + p["attention"] * objective.compute_attention_matching_loss(
            [o["coarse_attention"] for o in outs], [o["fine_attention"] for o in outs], cfg)
    if contrastive:
        z = torch.stack([o["embedding"] for o in outs])
        l_con, _ = objective.compute_contrastive_loss(z, y_f, epoch, cfg)
        total = total + (1 - alpha) * l_con
    return total


def abmil_loss(outs, labels):
    return F.cross_entropy(torch.stack([o["fine_logits"] for o in outs]), torch.tensor(labels))


def macro_auc(probabilities, labels):
    """One-vs-rest AUC averaged over the classes with both positives and negatives (ties count half)."""
    aucs = []
    for c in range(probabilities.shape[1]):
        pos = probabilities[labels == c, c]
        neg = probabilities[labels != c, c]
        if len(pos) and len(neg):
            aucs.append(((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum())
                        / (len(pos) * len(neg)))
    return float(np.mean(aucs)) if aucs else float("nan")


def load(data, part):
    return [torch.from_numpy(np.load(os.path.join(data, b["file"]))) for b in part], [b["label"] for b in part]


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--data", required=True, help="folder with manifest.json and the bags' .npy files")
    a.add_argument("--out", required=True, help="folder for the checkpoints")
    a.add_argument("--model", default="hmil", choices=["hmil", "abmil"])
    a.add_argument("--preset", default="hmil", choices=sorted(PRESETS))
    a.add_argument("--epochs", type=int, required=True)
    a.add_argument("--batch-size", type=int, required=True)
    a.add_argument("--lr", type=float, default=1e-4)
    a.add_argument("--threads", type=int, default=2)
    a.add_argument("--seed", type=int, default=1)
    args = a.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)

    started = time.perf_counter()
    with open(os.path.join(args.data, "manifest.json")) as f:
        manifest = json.load(f)
    train_x, train_y = load(args.data, manifest["train"])
    val_x, val_y = load(args.data, manifest["val"])
    parents = manifest["parents"]
    n_coarse, n_fine = max(parents) + 1, len(parents)
    dim = manifest["feature_dim"]
    cfg = Cfg(parents, n_coarse, args.epochs)
    loaded = time.perf_counter()

    if args.model == "abmil":
        model = ABMIL(dim, n_fine)
    else:
        p = PRESETS[args.preset]
        model = HMIL(dim, n_coarse, n_fine, scorer=p["scorer"], embedding=p["embedding"])
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.1, patience=5)
    generator = torch.Generator().manual_seed(args.seed)
    ready = time.perf_counter()   # torch.optim imports torch._dynamo when the first optimizer is built

    def loss_of(outs, labels, epoch, contrastive=True):
        if args.model == "abmil":
            return abmil_loss(outs, labels)
        return hmil_loss(outs, labels, epoch, cfg, parents, args.preset, contrastive)

    train_seconds, val_seconds, save_seconds = [], [], []
    best_auc = -1.0
    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        model.train()
        order = torch.randperm(len(train_x), generator=generator).tolist()
        total, steps = 0.0, 0
        for first in range(0, len(order), args.batch_size):
            batch = order[first:first + args.batch_size]
            optimizer.zero_grad()
            outs = [model(train_x[i]) for i in batch]
            loss = loss_of(outs, [train_y[i] for i in batch], epoch)
            loss.backward()
            optimizer.step()
            total += loss.item()
            steps += 1
        t1 = time.perf_counter()

        model.eval()
        with torch.no_grad():
            outs = [model(x) for x in val_x]
            val_loss = loss_of(outs, val_y, epoch, contrastive=False).item() if outs else float("nan")
            labels = np.array(val_y)
            fine = torch.stack([F.softmax(o["fine_logits"], dim=0) for o in outs]).numpy() if outs else None
            if args.model == "abmil" and outs:
                coarse = np.zeros((len(outs), n_coarse), dtype=np.float32)
                for j, c in enumerate(parents):
                    coarse[:, c] += fine[:, j]
            elif outs:
                coarse = torch.stack([F.softmax(o["coarse_logits"], dim=0) for o in outs]).numpy()
            fine_auc = macro_auc(fine, labels) if outs else float("nan")
            coarse_auc = macro_auc(coarse, np.array([parents[y] for y in val_y])) if outs else float("nan")
            fine_accuracy = float((fine.argmax(1) == labels).mean()) if outs else float("nan")
        scheduler.step(total / steps)
        t2 = time.perf_counter()

        torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "val": {"loss": val_loss, "fine_auc": fine_auc,
                                                                 "coarse_auc": coarse_auc, "fine_accuracy": fine_accuracy}},
                   os.path.join(args.out, "last.pt"))
        if fine_auc == fine_auc and fine_auc > best_auc:
            best_auc = fine_auc
            torch.save(model.state_dict(), os.path.join(args.out, "best.pt"))
        t3 = time.perf_counter()
        train_seconds.append(t1 - t0)
        val_seconds.append(t2 - t1)
        save_seconds.append(t3 - t2)

    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "import_seconds": IMPORTED - START, "load_seconds": loaded - started, "setup_seconds": ready - loaded,
        "train_seconds": train_seconds, "val_seconds": val_seconds, "save_seconds": save_seconds,
        "script_seconds": time.perf_counter() - START,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }))


if __name__ == "__main__":
    main()
