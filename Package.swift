// swift-tools-version:6.0
// Rocky: a content-addressed, versioned data store for tables.
// The targets follow the layers of DESIGN.md; arrows only point down:
// rocky -> RockyCLI -> Rocky -> RockyEngineSQLite / RockyEnginePostgres / RockyEngineSpark -> RockyEngine -> RockySQL / RockyTable -> RockyStore -> RockyBase.
import PackageDescription

// No target carries `unsafeFlags`: SwiftPM refuses them in a package that
// another one depends on by version, so the `Rocky` library could not be
// used. The release builds of the Makefile (`make release`, `install`,
// `dist`) pass `-enforce-exclusivity=unchecked` on the command line instead
// (Docs/benchmarks.md, "Exclusivity checks"); FirstHourTests checks that the
// manifest stays free of them.
let package = Package(
    name: "Rocky",
    products: [
        .executable(name: "rocky", targets: ["rocky"]),
        .library(name: "Rocky", targets: ["Rocky"]),
    ],
    targets: [
        // System libraries: a module map and a shim header, nothing else.
        .systemLibrary(name: "CCrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPostgres", providers: [.apt(["libpq-dev"])]),
        // TLS for the HTTPS remote client (libssl; libcrypto comes with it).
        .systemLibrary(name: "CSSL", providers: [.apt(["libssl-dev"])]),

        // Vocabulary shared by the table store and the SQL compiler.
        .target(name: "RockyBase", exclude: ["README.md"]),
        .target(name: "RockyStore", dependencies: ["RockyBase", "CCrypto", "CZlib"], exclude: ["README.md"]),
        .target(name: "RockyTable", dependencies: ["RockyStore", "RockyBase"], exclude: ["README.md"]),
        .target(name: "RockySQL", dependencies: ["RockyBase"], exclude: ["README.md"]),
        // The engine-neutral executor and the ExecutionBackend protocol; one
        // target per backend, each the only importer of its C library.
        .target(name: "RockyEngine", dependencies: ["RockyTable", "RockySQL", "RockyStore", "RockyBase"],
                exclude: ["README.md"]),
        .target(name: "RockyEngineSQLite", dependencies: ["RockyEngine", "RockyTable", "RockySQL", "RockyStore", "RockyBase", "CSQLite"],
                exclude: ["README.md"]),
        // The PostgreSQL backend over libpq (connection, streaming, COPY,
        // retries; Docs/postgres.md).
        .target(name: "RockyEnginePostgres", dependencies: ["RockyEngine", "RockyTable", "RockySQL", "RockyStore", "RockyBase", "CPostgres"],
                exclude: ["README.md"]),
        // The Spark backend over HiveServer2 (TCLIService over the Thrift
        // binary protocol, sockets of its own; no C library).
        .target(name: "RockyEngineSpark", dependencies: ["RockyEngine", "RockyTable", "RockySQL", "RockyStore", "RockyBase"],
                exclude: ["README.md"]),
        .target(name: "Rocky", dependencies: ["RockyEngine", "RockyEngineSQLite", "RockyEnginePostgres", "RockyEngineSpark", "RockySQL", "RockyTable",
                                              "RockyStore", "RockyBase", "CSSL"],
                exclude: ["README.md"]),
        .target(name: "RockyCLI", dependencies: ["Rocky", "RockyEngine", "RockyTable", "RockySQL"], exclude: ["README.md"]),
        .executableTarget(name: "rocky", dependencies: ["RockyCLI"]),
        // rocky-bench starts its own throw-away PostgreSQL cluster and web server
        // and times the benchmark chain the engine tests check (all in RockyTestSupport).
        .executableTarget(name: "rocky-bench", dependencies: ["Rocky", "RockyCLI", "RockyStore", "RockySQL", "RockyEngine", "RockyEngineSQLite",
                                                             "RockyEnginePostgres", "RockyEngineSpark", "RockyTestSupport"]),
        // The library example of the README, run by `make demo` and by FirstHourTests.
        .executableTarget(name: "rocky-example", dependencies: ["Rocky"], exclude: ["README.md"]),

        .testTarget(name: "RockyBaseTests", dependencies: ["RockyBase"]),
        .testTarget(name: "RockyStoreTests", dependencies: ["RockyStore"]),
        .testTarget(name: "RockyTableTests", dependencies: ["RockyTable"]),
        .testTarget(name: "RockySQLTests", dependencies: ["RockySQL"], exclude: ["Corpus", "Harness"]),
        .testTarget(name: "RockyEngineSQLiteTests", dependencies: ["RockyEngineSQLite", "RockyEngine"]),
        // Test harnesses shared by test targets and rocky-bench (throw-away
        // PostgreSQL, Spark and web servers, the benchmark chain); no product includes it.
        .target(name: "RockyTestSupport", dependencies: ["RockyTable", "RockySQL", "RockyBase", "RockyStore", "RockyEngine", "RockyEngineSQLite"], path: "Tests/Support"),
        .testTarget(name: "RockyEnginePostgresTests", dependencies: ["RockyEnginePostgres", "RockyTestSupport", "RockyEngineSQLite", "RockyEngine",
                                                                    "RockySQL", "RockyTable", "RockyStore", "RockyBase"]),
        .testTarget(name: "RockyEngineSparkTests", dependencies: ["RockyEngineSpark", "RockyTestSupport", "RockyEngineSQLite", "RockyEngine",
                                                                 "RockySQL", "RockyTable", "RockyStore", "RockyBase"]),
        .testTarget(name: "RockyTests", dependencies: ["Rocky"]),
        .testTarget(name: "RockyCLITests", dependencies: ["RockyCLI", "RockyTestSupport", "RockyEnginePostgres", "RockyEngineSpark"], exclude: ["Golden"]),
    ],
    swiftLanguageModes: [.v6]
)
