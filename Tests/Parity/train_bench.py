#!/usr/bin/env python3
"""PyTorch CPU reference for `hmil-bench train` (Benchmarks/TrainBench.swift runs it): one training
epoch of the reference HMIL module (hmil_reference.HMIL) with the release's objective
(objective_reference.py: CrossEntropy at both levels, bag alignment, attention matching, SupConLoss / B),
Adam, batches of --batch-size bags, at epoch 1 of a 2-epoch run (alpha 0.75, tau 0.1: the contrastive
term is on, as in every epoch but the first).

Memory is kept bounded the way hmil-train does with --memory-budget 0: pass 1 computes every bag's z
without a graph, the contrastive loss on the batch's z gives dL/dz per bag, pass 2 recomputes each
bag's forward with its graph and back-propagates its own terms (/B) plus <z, dL/dz>. (Keeping all 64
graphs, as the release does, needs ~10 GB for 64 WSI bags.)

Bags are held in memory as float16 (as hmil's pack stores them) and converted to float32 per bag.
Prints one JSON line: epoch seconds, bags/s, instances/s, peak RSS.

Run: python3 Tests/Parity/train_bench.py --sizes 2000,9000,20000 --threads 2
"""
import argparse
import json
import os
import resource
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import objective_reference as objective  # noqa: E402  (sets the default dtype to float64)
from hmil_reference import HMIL  # noqa: E402

torch.set_default_dtype(torch.float32)


class Cfg(objective.Cfg):   # BRACS: 3 coarse, 7 fine classes
    num_epochs = 2


def bag_terms(out, fine_label, cfg, preset):
    """One bag's per-bag terms (everything but the contrastive term), weighted as in the total."""
    mapping = objective.gen_mapping_dict(cfg)
    y_f = torch.tensor([fine_label])
    y_c = torch.tensor([mapping[fine_label]])
    l_c, l_f, l_bag_ref = objective.compute_hierarchical_loss(out["coarse_logits"][None], out["fine_logits"][None], y_c, y_f, cfg)
    alpha = 1 - (1 / cfg.num_epochs) ** 2
    if preset == "reference":
        return alpha * l_c + l_f + l_bag_ref
    l_bag = objective.bag_alignment_nll(out["fine_logits"][None], y_c, cfg)
    l_att = objective.compute_attention_matching_loss([out["coarse_attention"]], [out["fine_attention"]], cfg)
    return alpha * l_c + l_f + l_bag + l_att


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", required=True, help="instances per bag, comma-separated")
    p.add_argument("--dim", type=int, default=1024)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--preset", default="hmil")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    cfg = Cfg()
    kc, kf = cfg.n_class
    sizes = [int(s) for s in a.sizes.split(",")]
    labels = [i % kf for i in range(len(sizes))]
    bags = [torch.randn(n, a.dim).half() for n in sizes]
    model = HMIL(a.dim, kc, kf)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    epoch = 1
    alpha = 1 - (epoch / cfg.num_epochs) ** 2

    model(bags[0][:100].float())["fine_logits"].sum().backward()   # warm-up (first-call costs)
    start = time.perf_counter()
    order = torch.randperm(len(bags)).tolist()
    for first in range(0, len(order), a.batch_size):
        batch = order[first:first + a.batch_size]
        optimizer.zero_grad()
        with torch.no_grad():                                    # pass 1: z of every bag
            z = torch.stack([model(bags[i].float())["embedding"] for i in batch])
        z.requires_grad_(True)
        batch_labels = torch.tensor([labels[i] for i in batch])
        l_con, _ = objective.compute_contrastive_loss(z, batch_labels, epoch, cfg)
        ((1 - alpha) * l_con).backward()
        dz = z.grad
        for b, i in enumerate(batch):                            # pass 2: recompute, back-propagate
            out = model(bags[i].float())
            loss = bag_terms(out, labels[i], cfg, a.preset) / len(batch) + (out["embedding"] * dz[b]).sum()
            loss.backward()
        optimizer.step()
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "epoch_seconds": seconds,
                      "bags_per_second": len(bags) / seconds, "instances_per_second": sum(sizes) / seconds,
                      "peak_rss_bytes": peak_kib * 1024, "data_bytes": sum(sizes) * a.dim * 2}))


if __name__ == "__main__":
    main()
