#!/usr/bin/env python3
"""Golden values for hmil's objective (DESIGN §4), written with the official HMIL release's code paths.

Writes Tests/SharedTests/Fixtures/objective/objective.json: a batch of random bag outputs (leaf
tensors; bags of different N, a fine class with a single member, zero attention columns), every loss
term, the total and the gradient of every output field, for the presets `reference` (the release
exactly) and `hmil` (nll bag alignment, lambda_att = 1) at epochs 0, E/2 and E-1.

Also writes Tests/SharedTests/Fixtures/objective/objective_variants.json: the options of the method
study on the same batch (sibling label smoothing of L_f, with torch's `cross_entropy` on probability
targets; the weights w_c, w_bag, lambda_att, w_con overridden, w_con = 0 included), for HMIL and the
flat objective (a hierarchy with fine classes that have no siblings included), each case's config in
hmil's ObjectiveConfig JSON; and single rows of the smoothed cross-entropy (large logits, eps = 0, a
class without siblings).

The functions marked RELEASE are copied from ChengJin-git/HMIL src/loss.py and src/trainer.py with
only `.cuda()` removed. Everything runs in float64 on float32-representable inputs, so the Swift side
(float32 fields, float64 loss math) is compared at float rounding of the outputs only.

Run: python3 Tests/Parity/objective_reference.py [objective|variants]   (torch 2.13 CPU, numpy; both
by default. Rerunning on another machine moves objective.json's last digits, so rewrite only what changed.)
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "SharedTests", "Fixtures", "objective", "objective.json")
OUT_VARIANTS = os.path.join(HERE, "..", "SharedTests", "Fixtures", "objective", "objective_variants.json")


class Cfg:
    mapping = "0:0, 1:0, 2:0, 3:1, 4:1, 5:2, 6:2"  # BRACS, config_example.py
    n_class = [3, 7]
    num_epochs = 200


# ---- RELEASE: src/utils.py ----
def gen_mapping_dict(cfg):
    pairs = cfg.mapping.split(", ")
    mapping_dict = dict(pair.split(":") for pair in pairs)
    return {int(k): int(v) for k, v in mapping_dict.items()}


# ---- RELEASE: src/loss.py (SupConLoss.forward, contrast_mode='all') ----
class SupConLoss(nn.Module):
    def __init__(self, temperature=0.1, contrast_mode='all', base_temperature=0.1):
        super().__init__()
        self.temperature = temperature
        self.contrast_mode = contrast_mode
        self.base_temperature = base_temperature

    def forward(self, features, labels=None, mask=None):
        device = features.device
        batch_size = features.shape[0]
        labels = labels.contiguous().view(-1, 1)
        mask = torch.eq(labels, labels.T).float().to(device)
        contrast_count = features.shape[1]
        contrast_feature = torch.cat(torch.unbind(features, dim=1), dim=0)
        anchor_feature = contrast_feature
        anchor_count = contrast_count
        anchor_dot_contrast = torch.div(torch.matmul(anchor_feature, contrast_feature.T), self.temperature)
        logits_max, _ = torch.max(anchor_dot_contrast, dim=1, keepdim=True)
        logits = anchor_dot_contrast - logits_max.detach()
        mask = mask.repeat(anchor_count, contrast_count)
        logits_mask = torch.scatter(torch.ones_like(mask), 1,
                                    torch.arange(batch_size * anchor_count).view(-1, 1).to(device), 0)
        mask = mask * logits_mask
        exp_logits = torch.exp(logits) * logits_mask
        log_prob = logits - torch.log(exp_logits.sum(1, keepdim=True) + 1e-6)
        mean_log_prob_pos = (mask * log_prob).sum(1) / (mask.sum(1) + 1e-6)
        loss = - (self.temperature / self.base_temperature) * mean_log_prob_pos
        loss = loss.view(anchor_count, batch_size).mean()
        return loss


# ---- RELEASE: src/trainer.py ----
def compute_hierarchical_loss(logits_coarse, logits_fine, labels_coarse, labels_fine, cfg):
    loss_semantic_coarse = torch.nn.CrossEntropyLoss(reduction='mean')(logits_coarse, labels_coarse)
    loss_semantic_fine = torch.nn.CrossEntropyLoss(reduction='mean')(logits_fine, labels_fine)
    map_dict = gen_mapping_dict(cfg)
    preds_fine = F.softmax(logits_fine, dim=1)
    preds_fine_to_coarse = torch.zeros(preds_fine.shape[0], cfg.n_class[0])
    for fine_class, coarse_class in map_dict.items():
        preds_fine_to_coarse[:, coarse_class] += preds_fine[:, fine_class]
    loss_regularization = torch.nn.CrossEntropyLoss(reduction='mean')(preds_fine_to_coarse, labels_coarse)
    return loss_semantic_coarse, loss_semantic_fine, loss_regularization


def compute_attention_matching_loss(batch_attention_coarse, batch_attention_fine, cfg):
    loss_sim = 0.
    map_dict = gen_mapping_dict(cfg)
    for attention_coarse, attention_fine in zip(batch_attention_coarse, batch_attention_fine):
        attention_fine_to_coarse = torch.zeros(cfg.n_class[0], attention_fine.shape[1])
        for fine_class, coarse_class in map_dict.items():
            attention_fine_to_coarse[coarse_class, :] += attention_fine[fine_class, :]
        loss_sim += torch.sum((1 - torch.nn.CosineSimilarity(dim=0)(attention_coarse, attention_fine_to_coarse))) / attention_coarse.shape[1]
    return loss_sim / len(batch_attention_coarse)


def compute_temperature(epoch, num_epochs):
    temp_low, temp_high = 0.1, 1.0
    return (temp_high - temp_low) * (1 + math.cos(2 * math.pi * epoch / num_epochs)) / 2 + temp_low


def compute_contrastive_loss(semantics_features, patient_fine_labels, epoch, cfg):
    tau = compute_temperature(epoch, cfg.num_epochs)
    contrastive_loss = SupConLoss(temperature=tau)
    return contrastive_loss(semantics_features, patient_fine_labels) / len(semantics_features), tau


# ---- the paper's bag alignment (hmil preset): -log q[y_c] ----
def bag_alignment_nll(logits_fine, labels_coarse, cfg):
    map_dict = gen_mapping_dict(cfg)
    preds_fine = F.softmax(logits_fine, dim=1)
    q = torch.zeros(preds_fine.shape[0], cfg.n_class[0])
    for fine_class, coarse_class in map_dict.items():
        q[:, coarse_class] += preds_fine[:, fine_class]
    return F.nll_loss(torch.log(q), labels_coarse)


def make_batch(rng, cfg, width):
    """Random leaf outputs for bags of different sizes, with the awkward cases in them."""
    kc, kf = cfg.n_class
    sizes = [5, 9, 1, 13, 7, 3]
    fine_labels = [0, 0, 3, 5, 6, 6]  # FEA (3) and DCIS (5) each have a single member
    bags = []
    for b, n in enumerate(sizes):
        coarse_att = rng.random((kc, n)).astype(np.float32)
        coarse_att /= coarse_att.sum(axis=1, keepdims=True)
        fine_att = rng.random((kf, n)).astype(np.float32)
        fine_att /= fine_att.sum(axis=1, keepdims=True)
        if b == 1:
            coarse_att[:, 2] = 0            # a zero column of A_c
        if b == 3:
            fine_att[:, 4] = 0              # a zero column of Ã (every fine row zero there)
            coarse_att[:, 6] = 0            # and a column zero on both sides
            fine_att[:, 6] = 0
        z = rng.standard_normal((kf, width)).astype(np.float32)
        z /= np.linalg.norm(z, axis=1, keepdims=True)
        bags.append({
            "instance_count": n,
            "coarse_logits": (rng.standard_normal(kc) * 2).astype(np.float32),
            "fine_logits": (rng.standard_normal(kf) * 2).astype(np.float32),
            "coarse_attention": coarse_att.astype(np.float32),
            "fine_attention": fine_att.astype(np.float32),
            "embedding": z.astype(np.float32),
        })
    return bags, fine_labels


FIELDS = ["coarse_logits", "fine_logits", "coarse_attention", "fine_attention", "embedding"]


def leaves(bags):
    return [{k: torch.tensor(np.asarray(bag[k], dtype=np.float64), requires_grad=True) for k in FIELDS} for bag in bags]


def terms_of(tensors, fine_labels, epoch, cfg):
    """Every term as the release's training loop computes it (trainer.py, train_phase)."""
    map_dict = gen_mapping_dict(cfg)
    labels_fine = torch.tensor(fine_labels)
    labels_coarse = torch.tensor([map_dict[y] for y in fine_labels])
    logits_coarse = torch.cat([t["coarse_logits"].unsqueeze(0) for t in tensors], dim=0)
    logits_fine = torch.cat([t["fine_logits"].unsqueeze(0) for t in tensors], dim=0)
    l_c, l_f, l_bag_ref = compute_hierarchical_loss(logits_coarse, logits_fine, labels_coarse, labels_fine, cfg)
    l_bag_nll = bag_alignment_nll(logits_fine, labels_coarse, cfg)
    l_att = compute_attention_matching_loss([t["coarse_attention"] for t in tensors],
                                            [t["fine_attention"] for t in tensors], cfg)
    semantics = torch.stack([t["embedding"] for t in tensors])
    l_con, tau = compute_contrastive_loss(semantics, labels_fine, epoch, cfg)
    alpha = 1 - (epoch / cfg.num_epochs) ** 2
    return {"coarse": l_c, "fine": l_f, "bag_reference": l_bag_ref, "bag_nll": l_bag_nll,
            "attention": l_att, "contrastive": l_con}, alpha, tau


def total_of(terms, alpha, preset):
    if preset == "reference":  # trainer.py: loss_attention is computed but left out
        return alpha * terms["coarse"] + (terms["fine"] + terms["bag_reference"]) + (1 - alpha) * terms["contrastive"]
    return (alpha * terms["coarse"] + terms["fine"] + terms["bag_nll"] + 1.0 * terms["attention"]
            + (1 - alpha) * terms["contrastive"])


def gradients_of(value, tensors):
    grads = torch.autograd.grad(value, [t[k] for t in tensors for k in FIELDS], allow_unused=True)
    out, i = [], 0
    for t in tensors:
        g = {}
        for k in FIELDS:
            gk = grads[i] if grads[i] is not None else torch.zeros_like(t[k])
            g[k] = flat(gk)
            i += 1
        out.append(g)
    return out


def flat(x):
    return [float(v) for v in np.asarray(x.detach(), dtype=np.float64).ravel()]


def objective_fixture():
    cfg = Cfg()
    rng = np.random.default_rng(20250501)
    width = 8
    bags, fine_labels = make_batch(rng, cfg, width)
    cases = []
    for preset in ["reference", "hmil"]:
        for epoch in [0, cfg.num_epochs // 2, cfg.num_epochs - 1]:
            tensors = leaves(bags)
            terms, alpha, tau = terms_of(tensors, fine_labels, epoch, cfg)
            total = total_of(terms, alpha, preset)
            cases.append({
                "preset": preset, "epoch": epoch, "alpha": alpha, "temperature": tau,
                "terms": {k: float(v.detach()) for k, v in terms.items()},
                "total": float(total.detach()),
                "gradients": gradients_of(total, tensors),
            })
    # Each term's own gradient at the middle epoch, to localise a disagreement.
    tensors = leaves(bags)
    terms, _, _ = terms_of(tensors, fine_labels, cfg.num_epochs // 2, cfg)
    term_gradients = {name: gradients_of(value, tensors) for name, value in terms.items()}
    return {
        "script": "Tests/Parity/objective_reference.py",
        "torch": torch.__version__,
        "parents": [gen_mapping_dict(cfg)[j] for j in range(cfg.n_class[1])],
        "coarse_count": cfg.n_class[0],
        "epoch_count": cfg.num_epochs,
        "embedding_width": width,
        "fine_labels": fine_labels,
        "bags": [{k: (flat(torch.tensor(v)) if k != "instance_count" else v) for k, v in bag.items()} for bag in bags],
        "cases": cases,
        "term_gradient_epoch": cfg.num_epochs // 2,
        "term_gradients": term_gradients,
    }


# ---- the method study's options (hmil's extensions, not in the release) ----
def sibling_targets(fine_labels, parents, eps):
    """Sibling label smoothing: 1 - eps on the true class, eps spread evenly over the other fine
    classes with the same parent; a class without siblings keeps the one-hot target."""
    kf = len(parents)
    t = torch.zeros(len(fine_labels), kf)
    for b, y in enumerate(fine_labels):
        siblings = [j for j in range(kf) if j != y and parents[j] == parents[y]]
        if eps > 0 and siblings:
            t[b, y] = 1 - eps
            for j in siblings:
                t[b, j] = eps / len(siblings)
        else:
            t[b, y] = 1
    return t


VARIANTS = [
    ({"preset": "hmil", "sibling_smoothing": 0.2}, [0, 100, 199], None),
    ({"preset": "reference", "sibling_smoothing": 0.2}, [100], None),
    ({"preset": "hmil", "sibling_smoothing": 0.1, "coarse_weight": 0.5, "bag_alignment_weight": 2.0,
      "attention_weight": 0.3, "contrastive_weight": 0.0}, [0, 100], None),
    ({"preset": "hmil", "coarse_weight": 1.5, "contrastive_weight": 0.7}, [100], None),
    ({"preset": "flat", "sibling_smoothing": 0.2}, [100], None),
    # Fine classes 5 and 6 (both in the batch) are only children here.
    ({"preset": "flat", "sibling_smoothing": 0.3}, [100], "0:0, 1:0, 2:0, 3:1, 4:1, 5:2, 6:3"),
]


def variant_total(tensors, fine_labels, epoch, cfg, config, parents):
    """The total as hmil defines it for `config` (presets of ObjectiveConfig plus overrides)."""
    preset = config["preset"]
    logits_fine = torch.cat([t["fine_logits"].unsqueeze(0) for t in tensors], dim=0)
    targets = sibling_targets(fine_labels, parents, config.get("sibling_smoothing", 0.0))
    l_f = F.cross_entropy(logits_fine, targets)  # probability targets, mean over the batch
    if preset == "flat":
        return {"fine": l_f}, l_f, 1 - (epoch / cfg.num_epochs) ** 2, compute_temperature(epoch, cfg.num_epochs)
    terms, alpha, tau = terms_of(tensors, fine_labels, epoch, cfg)
    terms["fine"] = l_f
    bag = terms["bag_reference"] if preset == "reference" else terms["bag_nll"]
    w_c = config.get("coarse_weight", 1.0)
    w_bag = config.get("bag_alignment_weight", 1.0)
    w_att = config.get("attention_weight", 0.0 if preset == "reference" else 1.0)
    w_con = config.get("contrastive_weight", 1.0)
    total = (w_c * alpha * terms["coarse"] + l_f + w_bag * bag + w_att * terms["attention"]
             + w_con * (1 - alpha) * terms["contrastive"])
    return terms, total, alpha, tau


def smoothing_rows(rng):
    """Single rows of the smoothed cross-entropy: value and gradient by torch's cross_entropy."""
    bracs = [0, 0, 0, 1, 1, 2, 2]
    alone = [0, 0, 0, 1, 1, 2, 3]
    rows = [
        ([1000.0, 0.0, -1000.0], [0, 0, 0], 1, 0.2),
        ([400.0, -350.0, 120.0, 399.0, -800.0, 0.0, 401.0], bracs, 3, 0.3),
        ([-1000.0, 30.0, 999.0, 0.0, 5.0, -2.0, 1.0], bracs, 0, 0.2),
        (list(rng.standard_normal(7) * 3), alone, 5, 0.3),
        (list(rng.standard_normal(7) * 3), bracs, 0, 0.0),
        (list(rng.standard_normal(7) * 3), bracs, 2, 0.9),
        (list(rng.standard_normal(7) * 3), bracs, 6, 0.5),
    ]
    out = []
    for logits, parents, label, eps in rows:
        x = torch.tensor(np.asarray(logits, dtype=np.float32).astype(np.float64), requires_grad=True)
        target = sibling_targets([label], parents, eps)[0]
        value = F.cross_entropy(x.unsqueeze(0), target.unsqueeze(0))
        (gradient,) = torch.autograd.grad(value, [x])
        out.append({"logits": flat(x), "parents": parents, "label": label, "epsilon": eps,
                    "target": flat(target), "value": float(value.detach()), "gradient": flat(gradient)})
    return out


def variants_fixture():
    cfg = Cfg()
    rng = np.random.default_rng(20250501)  # the batch of objective.json
    width = 8
    bags, fine_labels = make_batch(rng, cfg, width)
    cases = []
    for config, epochs, mapping in VARIANTS:
        case_cfg = Cfg()
        if mapping is not None:
            case_cfg.mapping = mapping
        map_dict = gen_mapping_dict(case_cfg)
        parents = [map_dict[j] for j in range(cfg.n_class[1])]
        for epoch in epochs:
            tensors = leaves(bags)
            terms, total, alpha, tau = variant_total(tensors, fine_labels, epoch, cfg, config, parents)
            cases.append({
                "config": config, "parents": parents, "coarse_count": max(parents) + 1, "epoch": epoch,
                "alpha": alpha, "temperature": tau,
                "terms": {k: float(v.detach()) for k, v in terms.items()},
                "total": float(total.detach()),
                "gradients": gradients_of(total, tensors),
            })
    return {
        "script": "Tests/Parity/objective_reference.py",
        "torch": torch.__version__,
        "epoch_count": cfg.num_epochs,
        "embedding_width": width,
        "fine_labels": fine_labels,
        "bags": [{k: (flat(torch.tensor(v)) if k != "instance_count" else v) for k, v in bag.items()} for bag in bags],
        "cases": cases,
        "smoothing_rows": smoothing_rows(np.random.default_rng(7)),
    }


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(data, f, separators=(",", ":"))
    print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)")


def main():
    which = sys.argv[1:] or ["objective", "variants"]
    if "objective" in which:
        write(OUT, objective_fixture())
    if "variants" in which:
        write(OUT_VARIANTS, variants_fixture())


if __name__ == "__main__":
    main()
