import RockyBase

/// The arguments of one verb, consumed as the command parses them.
///
/// Options may come in any order before or after positionals, as `--name
/// value`, `--name=value` or, for short options, `-n value`, `-n1` or `-n=1`
/// (as git takes them); everything after `--` is positional and kept apart
/// (`rocky log -- <table>`). `finish()` rejects anything left over, so a
/// typo is a usage error, never ignored, and it names the option the
/// command knows that is nearest (`--keyy`: did you mean '--key'?).
struct Arguments {
    private var tokens: [String]
    /// The tokens after `--`.
    private(set) var afterSeparator: [String] = []
    private var hadSeparator = false
    let command: (any Command.Type)?
    /// Every option name the command asked for, for "did you mean".
    private var known: [String] = []
    /// Options every command takes (CLI.run removes them before the verb's parsing).
    static let globalOptions = ["--json", "--as", "--env", "--run-id", "--help", "-h", "-C"]

    init(_ tokens: [String], command: (any Command.Type)? = nil) {
        if let separator = tokens.firstIndex(of: "--") {
            self.tokens = Array(tokens[..<separator])
            afterSeparator = Array(tokens[(separator + 1)...])
            hadSeparator = true
        } else {
            self.tokens = tokens
        }
        self.command = command
    }

    func usage(_ message: String) -> UsageError { UsageError(message, command: command) }

    /// Whether a flag is present (removing every occurrence).
    mutating func flag(_ names: String...) -> Bool {
        known += names
        var found = false
        tokens.removeAll { token in
            let hit = names.contains(token)
            found = found || hit
            return hit
        }
        return found
    }

    /// `--force`, spelled out: `-f` names a file in every rocky command
    /// (`sql -f <file>`), so here it is refused rather than taken as force.
    mutating func forceFlag() throws -> Bool {
        if tokens.contains("-f") { throw usage("-f names a file in rocky; to force, spell out --force") }
        return flag("--force")
    }

    /// The value of an option given at most once.
    mutating func option(_ names: String...) throws -> String? {
        let values = try collect(names)
        guard values.count <= 1 else { throw usage("\(names[0]) is given more than once") }
        return values.first
    }

    /// Every value of a repeatable option, in order.
    mutating func options(_ names: String...) throws -> [String] { try collect(names) }

    private mutating func collect(_ names: [String]) throws -> [String] {
        known += names
        var values: [String] = []
        var i = 0
        while i < tokens.count {
            let token = tokens[i]
            if names.contains(token) {
                guard i + 1 < tokens.count else { throw usage("\(token) needs a value") }
                values.append(tokens[i + 1])
                tokens.removeSubrange(i...(i + 1))
            } else if let eq = token.firstIndex(of: "="), token.hasPrefix("--"), names.contains(String(token[..<eq])) {
                values.append(String(token[token.index(after: eq)...]))
                tokens.remove(at: i)
            } else if let short = Arguments.attachedShortOption(token, names) {
                // `-n1` or `-n=1`: a short option with its value attached.
                var value = token.dropFirst(short.count)
                if value.first == "=" { value = value.dropFirst() }
                values.append(String(value))
                tokens.remove(at: i)
            } else {
                i += 1
            }
        }
        return values
    }

    /// The short option (`-n`) among `names` that `token` starts with and
    /// has a value attached to (`-n1`, `-n=1`), if any.
    private static func attachedShortOption(_ token: String, _ names: [String]) -> String? {
        guard token.count > 2, !token.hasPrefix("--") else { return nil }
        return names.first { $0.count == 2 && $0.hasPrefix("-") && $0 != "--" && token.hasPrefix($0) }
    }

    /// An integer option.
    mutating func intOption(_ names: String...) throws -> Int? {
        let values = try collect(names)
        guard values.count <= 1 else { throw usage("\(names[0]) is given more than once") }
        guard let text = values.first else { return nil }
        guard let n = Int(text), n >= 0 else { throw usage("\(names[0]) needs a non-negative number, not '\(text)'") }
        return n
    }

    /// The remaining positionals, after all options were taken, followed by
    /// whatever came after `--` unless `separate` keeps that apart. An
    /// unrecognised `-x` before `--` is a usage error.
    mutating func positionals(max: Int, names: String, separate: Bool = false) throws -> [String] {
        if !separate {
            tokens += afterSeparator.map { "\u{0}" + $0 }
            afterSeparator = []
        }
        if let unknown = tokens.first(where: { $0.hasPrefix("-") && $0 != "-" }) {
            throw unknownOption(unknown)
        }
        let values = tokens.map { $0.hasPrefix("\u{0}") ? String($0.dropFirst()) : $0 }
        guard values.count <= max else {
            throw usage("too many arguments: \(values.dropFirst(max).joined(separator: " ")) (expected \(names))")
        }
        tokens = []
        return values
    }

    /// What is left, with the `--` separator and what followed it.
    var remainingTokens: [String] { hadSeparator ? tokens + ["--"] + afterSeparator : tokens }

    /// Fails when any token is left over.
    func finish() throws {
        if let extra = tokens.first {
            throw extra.hasPrefix("-") ? unknownOption(extra) : usage("unexpected argument \(extra)")
        }
    }

    /// `unknown option --keyy; did you mean '--key'?`, among the options the
    /// command asked for and the global ones (compared without the `=value`).
    private func unknownOption(_ token: String) -> UsageError {
        let name = token.hasPrefix("--") ? String(token.prefix { $0 != "=" }) : token
        var candidates: [String] = []
        for option in known + Arguments.globalOptions where !candidates.contains(option) { candidates.append(option) }
        // Compared without their dashes, so `-x` does not suggest `-n`.
        func bare(_ option: String) -> String { String(option.drop { $0 == "-" }) }
        let nearest = Suggestion.nearest(to: bare(name), among: candidates.map(bare))
        let suggestion = candidates.first { bare($0) == nearest }.map { "; did you mean '\($0)'?" } ?? ""
        return usage("unknown option \(token)" + suggestion)
    }
}
