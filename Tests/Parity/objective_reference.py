#!/usr/bin/env python3
"""Golden values for hmil's objective (DESIGN §4), written with the official HMIL release's code paths.

Writes Tests/SharedTests/Fixtures/objective/objective.json: a batch of random bag outputs (leaf
tensors; bags of different N, a fine class with a single member, zero attention columns), every loss
term, the total and the gradient of every output field, for the presets `reference` (the release
exactly) and `hmil` (nll bag alignment, lambda_att = 1) at epochs 0, E/2 and E-1.

The functions marked RELEASE are copied from ChengJin-git/HMIL src/loss.py and src/trainer.py with
only `.cuda()` removed. Everything runs in float64 on float32-representable inputs, so the Swift side
(float32 fields, float64 loss math) is compared at float rounding of the outputs only.

Run: python3 Tests/Parity/objective_reference.py   (torch 2.13 CPU, numpy)
"""
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "SharedTests", "Fixtures", "objective", "objective.json")


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


def main():
    data = objective_fixture()
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        json.dump(data, f, separators=(",", ":"))
    print(f"wrote {os.path.relpath(OUT)} ({os.path.getsize(OUT)} bytes)")


if __name__ == "__main__":
    main()
