#!/usr/bin/env python3
"""Writes the small HDF5 files that hold patch geometry the way each feature extractor writes it, with
h5py (3.16, libver 'earliest' so Debian's libhdf5 1.10 reads them). The Swift tests
(Tests/SharedTests/Formats/FeatureFiles/PatchGeometryTests.swift, Tests/SharedTests/Packing/PackGeometryTests.swift)
expect exactly the attributes written here.

Run from this folder: `python3 make_geometry_fixtures.py`. Outputs are small and committed.
"""
import os

import h5py
import numpy as np

for folder in ("trident_patches", "clam_patches", "clam_features"):
    os.makedirs(folder, exist_ok=True)

rng = np.random.default_rng(20250214)


def features(n, d, dtype=np.float32):
    return rng.standard_normal((n, d)).astype(dtype)


# STAMP ≥ 2.1 (stamp/preprocessing/__init__.py): feats f16, coords float32 µm, attributes on the root.
with h5py.File("stamp_v2.h5", "w") as f:
    f["coords"] = np.array([[0, 0], [256, 0], [512, 256]], dtype=np.float32)
    f["feats"] = features(3, 4, np.float16)
    f.attrs["stamp_version"] = "2.1.0"
    f.attrs["extractor"] = "ctranspath"
    f.attrs["unit"] = "um"
    f.attrs["tile_size_um"] = 256.0
    f.attrs["tile_size_px"] = 224

# The same with the unit as a fixed-length byte string (numpy bytes_), as some writers store it.
with h5py.File("stamp_fixed_unit.h5", "w") as f:
    f["coords"] = np.array([[0, 0], [128, 0]], dtype=np.float32)
    f["feats"] = features(2, 4, np.float16)
    f.attrs["unit"] = np.bytes_(b"um")
    f.attrs["tile_size_um"] = np.float32(112.0)

# A unit that is not micrometres.
with h5py.File("stamp_bad_unit.h5", "w") as f:
    f["coords"] = np.array([[0, 0]], dtype=np.float32)
    f["feats"] = features(1, 4, np.float16)
    f.attrs["unit"] = "mm"
    f.attrs["tile_size_um"] = 256.0

# TRIDENT whose attributes disagree: 256 px at 20x of a 40x slide is 512 level-0 px, not 1024.
with h5py.File("trident_contradiction.h5", "w") as f:
    f["features"] = features(2, 4)
    c = f.create_dataset("coords", data=np.array([[0, 0], [1024, 0]], dtype=np.int64))
    c.attrs["patch_size"] = 256
    c.attrs["patch_size_level0"] = 1024
    c.attrs["level0_magnification"] = 40
    c.attrs["target_magnification"] = 20

# TRIDENT features of a 20x slide patched at 20x: 256 level-0 px (trident.h5 of ../features is a 40x slide: 512).
with h5py.File("trident_20x.h5", "w") as f:
    f["features"] = features(2, 16)
    c = f.create_dataset("coords", data=np.array([[0, 0], [256, 0]], dtype=np.int64))
    c.attrs["patch_size"] = 256
    c.attrs["patch_size_level0"] = 256
    c.attrs["level0_magnification"] = 20
    c.attrs["target_magnification"] = 20

# TRIDENT coordinates file (<slide>_patches.h5) with only the magnifications: 256 × 40 // 20 = 512.
with h5py.File("trident_patches/t1_patches.h5", "w") as f:
    c = f.create_dataset("coords", data=np.array([[0, 0], [512, 0]], dtype=np.int64))
    c.attrs["patch_size"] = 256
    c.attrs["level0_magnification"] = 40
    c.attrs["target_magnification"] = 20
    c.attrs["overlap"] = 0
    c.attrs["name"] = "t1"

# CLAM create_patches_fp.py (wsi_core/WholeSlideImage.py process_contour): 256 px at level 1, downsample 2.
with h5py.File("clam_patches/c1.h5", "w") as f:
    c = f.create_dataset("coords", data=np.array([[0, 0], [512, 0], [0, 512]], dtype=np.int64))
    c.attrs["patch_size"] = 256
    c.attrs["patch_level"] = 1
    c.attrs["downsample"] = np.array([2.0, 2.0])
    c.attrs["downsampled_level_dim"] = np.array([5000, 4000])
    c.attrs["level_dim"] = np.array([10000, 8000])
    c.attrs["name"] = "c1"
    c.attrs["save_path"] = "patches"

# Coords attributes read from any HDF5 file, one rule each:
def coords_only(name, attrs, root=None):
    with h5py.File(name, "w") as f:
        f["features"] = features(1, 4)
        c = f.create_dataset("coords", data=np.array([[0, 0]], dtype=np.int64))
        for key, value in attrs.items():
            c.attrs[key] = value
        for key, value in (root or {}).items():
            f.attrs[key] = value


coords_only("clam_odd_downsample.h5", {"patch_size": 256, "patch_level": 1,       # int(256 × 1.9999) = 511
                                       "downsample": np.array([1.9999, 1.9999])})
coords_only("patch_level_0.h5", {"patch_size": 224, "patch_level": 0})             # already level-0 pixels
coords_only("patch_size_only.h5", {"patch_size": 224})                             # at an unknown level: says nothing
coords_only("stamp_no_unit.h5", {}, {"tile_size_um": 300.0})                       # STAMP 2.0: no unit attribute, still µm

# CLAM's feature file for the same slide: features and coords, no attributes (extract_features_fp.py).
with h5py.File("clam_features/c1.h5", "w") as f:
    f["features"] = features(3, 4)
    f["coords"] = np.array([[0, 0], [512, 0], [0, 512]], dtype=np.int64)
