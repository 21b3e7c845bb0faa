// swift-tools-version:6.0
// hmil: hierarchical multi-instance learning for whole-slide images, as four small tools over one library.
import PackageDescription

let package = Package(
    name: "hmil",
    products: [
        .executable(name: "hmil-split", targets: ["hmil-split"]),
        .executable(name: "hmil-pack", targets: ["hmil-pack"]),
        .executable(name: "hmil-train", targets: ["hmil-train"]),
        .executable(name: "hmil-eval", targets: ["hmil-eval"]),
        .library(name: "Shared", targets: ["Shared"]),
        .executable(name: "hmil-heatmap", targets: ["hmil-heatmap"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        // System libraries (Debian: libopenblas-dev, libzstd-dev, libhdf5-dev; scripts/setup.sh installs them).
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd"),
        .systemLibrary(name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5"),

        // Vectorised kernels with a run-time AVX2+FMA choice (Swift code is built for baseline x86-64).
        .target(name: "CKernels", path: "Sources/CKernels"),

        .target(
            name: "Shared",
            dependencies: [
                "CKernels", "COpenBLAS", "CZstd", "CHDF5", "COpenSlide", "CPNG",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ],
            swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]
        ),

        .executableTarget(name: "hmil-split", dependencies: ["Shared", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "hmil-pack", dependencies: ["Shared", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "hmil-train", dependencies: ["Shared", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "hmil-eval", dependencies: ["Shared", .product(name: "ArgumentParser", package: "swift-argument-parser")]),

        // The demo data builder (Fashion-MNIST → hierarchical MIL bags), kept with the demo in pipelines/.
        .executableTarget(
            name: "hmil-demo-data", dependencies: ["Shared", "CHDF5", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "pipelines/demo/hmil-demo-data"),
        .executableTarget(
            name: "hmil-demo-report", dependencies: ["Shared", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "pipelines/demo/hmil-demo-report"),
        // The study summariser (`make -C pipelines study`, pipelines/study.mk): runs over fold×seed pairs.
        .executableTarget(
            name: "hmil-study", dependencies: ["Shared", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "pipelines/study/hmil-study"),

        // Benchmarks: `make bench` (scripts/bench.sh) runs each area's subcommand into Benchmarks/RESULTS.md.
        .executableTarget(
            name: "hmil-bench", dependencies: ["Shared", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks", exclude: ["RESULTS.md"]),

        // Heatmaps: hmil-heatmap draws attention on the slides, read through OpenSlide (Debian libopenslide-dev),
        // and writes PNGs with libpng (libpng-dev); hmil-demo-slides draws the demo's bags as slides (vips makes
        // them tiled pyramidal TIFFs).
        .systemLibrary(name: "COpenSlide", path: "Sources/COpenSlide", pkgConfig: "openslide"),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng"),
        .executableTarget(
            name: "hmil-heatmap", dependencies: ["Shared", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(
            name: "hmil-demo-slides", dependencies: ["Shared", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "pipelines/demo/hmil-demo-slides"),

        // What both test targets share: running a built tool (Tests/TestSupport).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SharedTests", dependencies: ["Shared", "CKernels", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "EndToEndTests", dependencies: ["Shared", "CHDF5", "TestSupport"])
    ],
    swiftLanguageModes: [.v5]
)
