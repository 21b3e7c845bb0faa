"""Reference PyTorch modules for hmil's parity tests and benchmark.

HMIL is the official release's module (ChengJin-git/HMIL, src/models.py, commit af6f85a) written
cleanly: the same state_dict names and shapes (DESIGN §2.6), each layer computed once, any feature
dim D, and the options of DESIGN §3 (scorer: shared | per_class, embedding: released | shared; the
coarse gate none | fixed | learned | detached and the fine prior none | coarse | coarse-detached with
weight λ over the fine→coarse map π, `fine_parents`).
ABMIL is the flat gated-attention baseline (Ilse et al. 2018) with hmil's names.

Inputs are one bag, x: N x D. Outputs: coarse logits [Kc], fine logits [Kf], A_c [Kc, N],
A_f [Kf, N], z [Kf, 256].
"""
import json

import torch
import torch.nn as nn
import torch.nn.functional as F

EMBEDDING = 256        # feature_extractor.0 out, feature_reducer out
COARSE_HIDDEN = 256    # coarse gated attention hidden width
FINE_HIDDEN = 64       # fine gated attention hidden width
ABMIL_HIDDEN = 128     # ABMIL gated attention hidden width


class GatedAttention(nn.Module):
    """CLAM's Attn_Net_Gated: attention_c(tanh(attention_a(h)) * sigmoid(attention_b(h))), N x K."""

    def __init__(self, input_dim, hidden_dim, n_classes, dropout=False):
        super().__init__()
        drop = [nn.Dropout(0.25)] if dropout else []
        self.attention_a = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.Tanh(), *drop)
        self.attention_b = nn.Sequential(nn.Linear(input_dim, hidden_dim), nn.Sigmoid(), *drop)
        self.attention_c = nn.Linear(hidden_dim, n_classes)

    def forward(self, h):
        return self.attention_c(self.attention_a(h) * self.attention_b(h))


class CoarseGate(nn.Module):
    """The learned gate's γ, one per fine class, initialised at 0 (state_dict name coarse_gate.gamma)."""

    def __init__(self, n_fine):
        super().__init__()
        self.gamma = nn.Parameter(torch.zeros(n_fine))


class HMIL(nn.Module):
    def __init__(self, feature_dim, n_coarse, n_fine, scorer="shared", embedding="released", dropout=False,
                 coarse_gate="none", fine_prior="none", fine_prior_weight=1.0, fine_parents=None):
        super().__init__()
        assert scorer in ("shared", "per_class") and embedding in ("released", "shared")
        assert coarse_gate in ("none", "fixed", "learned", "detached")
        assert fine_prior in ("none", "coarse", "coarse-detached")
        self.scorer = scorer
        self.gate = coarse_gate
        self.prior = fine_prior
        self.prior_weight = fine_prior_weight
        if coarse_gate != "none" or fine_prior != "none":
            assert fine_parents is not None and len(fine_parents) == n_fine
            self.register_buffer("parents", torch.tensor(fine_parents, dtype=torch.long), persistent=False)
        if embedding == "released":
            # h_c = W2·ReLU(W1·x + b1) + b2   (D → 256 → D)
            self.feature_extractor = nn.Sequential(
                nn.Linear(feature_dim, EMBEDDING), nn.ReLU(), nn.Linear(EMBEDDING, feature_dim))
            coarse_width = feature_dim
        else:
            # h_c = ReLU(W1·x + b1)   (D → 256), one embedding for both branches
            self.feature_extractor = nn.Sequential(nn.Linear(feature_dim, EMBEDDING), nn.ReLU())
            coarse_width = EMBEDDING
        self.feature_reducer = nn.Sequential(nn.Linear(coarse_width, EMBEDDING))
        self.coarse_attention = nn.Sequential(GatedAttention(coarse_width, COARSE_HIDDEN, n_coarse, dropout))
        self.fine_attention = nn.Sequential(GatedAttention(EMBEDDING, FINE_HIDDEN, n_fine, dropout))
        if scorer == "shared":
            self.coarse_classifier = nn.Linear(coarse_width, 1)
            self.fine_classifier = nn.Linear(EMBEDDING, 1)
        else:
            self.coarse_classifiers = nn.ModuleList(nn.Linear(coarse_width, 1) for _ in range(n_coarse))
            self.fine_classifiers = nn.ModuleList(nn.Linear(EMBEDDING, 1) for _ in range(n_fine))
        if coarse_gate == "learned":
            self.coarse_gate = CoarseGate(n_fine)     # registered last: last in the state_dict, as in hmil

    def forward(self, x):
        h_c = self.feature_extractor(x)                               # N x Dc
        h_f = self.feature_reducer(h_c)                               # N x 256
        S_c = self.coarse_attention(h_c).t()                          # Kc x N
        S_f = self.fine_attention(h_f).t()                            # Kf x N
        A_c = F.softmax(S_c, dim=1)
        if self.gate != "none":
            # S_f[f] += γ_f · log A_c[π(f)]
            log_A_c = F.log_softmax(S_c, dim=1)
            if self.gate == "detached":
                log_A_c = log_A_c.detach()
            gamma = self.coarse_gate.gamma if self.gate == "learned" else torch.ones(S_f.shape[0], dtype=S_f.dtype)
            S_f = S_f + gamma[:, None] * log_A_c[self.parents]
        A_f = F.softmax(S_f, dim=1)
        B_c = A_c @ h_c                                               # Kc x Dc
        B_f = A_f @ h_f                                               # Kf x 256
        if self.scorer == "shared":
            logits_c = self.coarse_classifier(B_c).squeeze(1)         # Kc
            logits_f = self.fine_classifier(B_f).squeeze(1)           # Kf
        else:
            logits_c = torch.cat([c(B_c[k]) for k, c in enumerate(self.coarse_classifiers)])
            logits_f = torch.cat([c(B_f[j]) for j, c in enumerate(self.fine_classifiers)])
        if self.prior != "none":
            # logit_f[j] += λ · log softmax(logit_c)[π(j)]
            log_p_c = F.log_softmax(logits_c, dim=0)
            if self.prior == "coarse-detached":
                log_p_c = log_p_c.detach()
            logits_f = logits_f + self.prior_weight * log_p_c[self.parents]
        z = F.normalize(B_f, p=2, dim=1)                              # Kf x 256
        return {"coarse_logits": logits_c, "fine_logits": logits_f,
                "coarse_attention": A_c, "fine_attention": A_f, "embedding": z}


class ABMIL(nn.Module):
    def __init__(self, feature_dim, n_classes, dropout=False):
        super().__init__()
        self.feature = nn.Sequential(nn.Linear(feature_dim, EMBEDDING), nn.ReLU())
        self.attention = GatedAttention(EMBEDDING, ABMIL_HIDDEN, 1, dropout)
        self.classifier = nn.Linear(EMBEDDING, n_classes)

    def forward(self, x):
        h = self.feature(x)                                           # N x 256
        A = F.softmax(self.attention(h).t(), dim=1)                   # 1 x N
        logits = self.classifier(A @ h).squeeze(0)                    # K
        return {"fine_logits": logits, "fine_attention": A}


def model_from_metadata(metadata):
    """Builds the module an hmil checkpoint describes (its __metadata__ "model" and "options")."""
    kind = metadata["model"]
    options = json.loads(metadata["options"])
    if kind == "hmil":
        return HMIL(options["feature_dim"], options["coarse_classes"], options["fine_classes"],
                    scorer=options["scorer"], embedding=options["embedding"], dropout=options["dropout"],
                    coarse_gate=options.get("coarse_gate", "none"), fine_prior=options.get("fine_prior", "none"),
                    fine_prior_weight=options.get("fine_prior_weight", 1.0), fine_parents=options.get("fine_parents"))
    if kind == "abmil":
        return ABMIL(options["feature_dim"], options["classes"], dropout=options["dropout"])
    raise ValueError(f"unknown model kind {kind!r}")
