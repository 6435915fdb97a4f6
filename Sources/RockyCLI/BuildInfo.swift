// What `rocky --version` says built the binary.
//
// `make release`, `make install` and `make dist` write
// `Sources/RockyCLI/Stamp/BuildStamp.swift` (git-ignored: the git commit,
// `-dirty` when the work tree had changes, and the date) and compile with
// `-DROCKY_STAMPED`, which selects it. A plain `swift build` has no flag and
// uses the fallback below, so it never depends on the generated file or git.

#if !ROCKY_STAMPED
extension RockyCLI {
    static let build = "unstamped, plain swift build"
}
#endif
