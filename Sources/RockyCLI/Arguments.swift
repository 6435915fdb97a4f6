/// The arguments of one verb, consumed as the command parses them.
///
/// Options may come in any order before or after positionals, as `--name
/// value`, `--name=value` or, for short options, `-n value`; everything after
/// `--` is positional and kept apart (`rocky log -- <table>`). `finish()`
/// rejects anything left over, so a typo is a usage error, never ignored.
struct Arguments {
    private var tokens: [String]
    /// The tokens after `--`.
    private(set) var afterSeparator: [String] = []
    private var hadSeparator = false
    let command: (any Command.Type)?

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
            } else {
                i += 1
            }
        }
        return values
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
            throw usage("unknown option \(unknown)")
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
            throw usage(extra.hasPrefix("-") ? "unknown option \(extra)" : "unexpected argument \(extra)")
        }
    }
}
