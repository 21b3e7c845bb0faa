#!/usr/bin/env python3
"""Writes the golden feature files the Swift readers are tested against, with the real tools
(torch 2.13 CPU, h5py, numpy), and `expected.json` holding the values each file must read as
(features as float32 → float64 exactly, coordinates as written).

Run from this folder: `python3 make_fixtures.py`. Outputs are small and committed.
"""
import json

import h5py
import numpy as np
import torch

rng = np.random.default_rng(20250101)
expected = {}


def f32(a):
    return np.asarray(a, dtype=np.float32)


def record(name, features, coords=None, coords_dtype=None):
    features = f32(features)
    entry = {"n": int(features.shape[0]), "d": int(features.shape[1]),
             "features": [float(x) for x in features.reshape(-1)]}
    if coords is not None:
        coords = np.asarray(coords)
        entry["coords"] = [float(x) for x in coords.reshape(-1)]
        entry["coords_dtype"] = coords_dtype
    expected[name] = entry


def values(n, d):
    return f32(rng.standard_normal((n, d)) * 3)


# --- PyTorch zip format -------------------------------------------------------------
x = torch.from_numpy(values(5, 4))
torch.save(x, "tensor_f32.pt")
record("tensor_f32.pt", x.numpy())

base = torch.from_numpy(values(7, 9))
view = base[1:6:2, 2:8:2]          # storage offset 11, strides (18, 2)
assert view.storage_offset() == 11 and view.stride() == (18, 2)
torch.save(view, "view_offset_stride.pt")
record("view_offset_stride.pt", view.numpy())

transposed = torch.from_numpy(values(4, 6)).t()   # strides (1, 6)
torch.save(transposed, "view_transposed.pt")
record("view_transposed.pt", transposed.numpy())

half = torch.from_numpy(values(6, 5)).half()
torch.save(half, "half.pt")
record("half.pt", half.float().numpy())

bf16 = torch.from_numpy(values(6, 5)).bfloat16()
torch.save(bf16, "bfloat16.pt")
record("bfloat16.pt", bf16.float().numpy())

double = torch.from_numpy(rng.standard_normal((3, 4)))
torch.save(double, "double.pt")
record("double.pt", double.float().numpy())

feats = torch.from_numpy(values(6, 3))
coords = torch.from_numpy(rng.integers(0, 100000, (6, 2)))        # int64, as most tools write
torch.save({"features": feats, "coords": coords}, "dict_features_coords.pt")
record("dict_features_coords.pt", feats.numpy(), coords.numpy(), "int32")

param = torch.nn.Parameter(torch.from_numpy(values(2, 3)))
torch.save(param, "parameter.pt")
record("parameter.pt", param.detach().numpy())

arr = values(4, 3)
torch.save(arr, "numpy_payload.pt")          # TRIDENT saveas='pt': a pickled numpy array
record("numpy_payload.pt", arr)

# --- PyTorch legacy (non-zip) format -----------------------------------------------
legacy = torch.from_numpy(values(3, 4))
torch.save(legacy, "legacy_tensor.pt", _use_new_zipfile_serialization=False)
record("legacy_tensor.pt", legacy.numpy())

lbase = torch.from_numpy(values(4, 5))
lcoords = torch.from_numpy(rng.integers(0, 5000, (2, 2)).astype(np.int32))
torch.save({"features": lbase[1:3, 1:4].half(), "coords": lcoords}, "legacy_dict.pt",
           _use_new_zipfile_serialization=False)
record("legacy_dict.pt", lbase[1:3, 1:4].half().float().numpy(), lcoords.numpy(), "int32")

# --- HDF5 -------------------------------------------------------------------------
clam_f = values(5, 6)
clam_c = rng.integers(0, 60000, (5, 2)).astype(np.int32)
with h5py.File("clam.h5", "w") as f:
    f.create_dataset("features", data=clam_f)
    f.create_dataset("coords", data=clam_c)
record("clam.h5", clam_f, clam_c, "int32")

tri_f = values(37, 16)
tri_c = rng.integers(0, 90000, (37, 2)).astype(np.int64)
with h5py.File("trident.h5", "w") as f:
    f.create_dataset("features", data=tri_f, chunks=(8, 16), maxshape=(None, 16))
    c = f.create_dataset("coords", data=tri_c, chunks=(8, 2), maxshape=(None, 2))
    c.attrs["patch_size"] = 256
    c.attrs["patch_size_level0"] = 512
    c.attrs["level0_magnification"] = 40
    c.attrs["target_magnification"] = 20
    c.attrs["name"] = "slide"
record("trident.h5", tri_f, tri_c, "int32")

tri16 = values(9, 8).astype(np.float16)
tri16_c = rng.integers(0, 90000, (9, 2)).astype(np.int64)
with h5py.File("trident_f16.h5", "w") as f:
    f.create_dataset("features", data=tri16, chunks=(4, 8), compression="gzip")
    f.create_dataset("coords", data=tri16_c)
record("trident_f16.h5", tri16.astype(np.float32), tri16_c, "int32")

stamp_f = values(7, 5).astype(np.float16)
stamp_c = f32(rng.uniform(0, 20000, (7, 2)))
with h5py.File("stamp.h5", "w") as f:
    f.create_dataset("feats", data=stamp_f)
    f.create_dataset("coords", data=stamp_c)
    f.attrs["extractor"] = "ctranspath"
record("stamp.h5", stamp_f.astype(np.float32), stamp_c, "float32")

custom = values(4, 3)
with h5py.File("custom_keys.h5", "w") as f:
    g = f.create_group("embeddings")
    g.create_dataset("x", data=custom.astype(np.float64))
record("custom_keys.h5", custom)

# --- numpy ------------------------------------------------------------------------
c_order = values(4, 5)
np.save("c_order_f32.npy", c_order)
record("c_order_f32.npy", c_order)

f_order = np.asfortranarray(values(3, 4).astype(np.float64))
np.save("fortran_f64.npy", f_order)
record("fortran_f64.npy", f_order)

h = values(2, 7).astype(np.float16)
np.save("f16.npy", h)
record("f16.npy", h.astype(np.float32))

# --- DSMIL CSV (pandas' to_csv writes the column indices as a header) ------------------
csv = np.round(values(4, 3), 4)
with open("dsmil.csv", "w") as f:
    f.write(",".join(str(i) for i in range(3)) + "\n")
    for row in csv:
        f.write(",".join("%.4f" % v for v in row) + "\n")
record("dsmil.csv", f32([[float("%.4f" % v) for v in row] for row in csv]))

with open("expected.json", "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
    f.write("\n")
