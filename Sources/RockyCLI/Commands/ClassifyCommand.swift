import Rocky
import RockyBase

/// `rocky classify`.
struct ClassifyCommand: Command {
    static let name = "classify"
    static let abstract = "Declare a column's governance fields in rocky.toml"
    static let usage = ["classify <table>.<column> <classification> [--owner <o>] [--description <d>] [--mask <env>=<strategy>]... [--access <role>]... [--retention <r>] [--source <s>] [--tag <t>]..."]
    static let help = """
    Writes (or updates) [columns."<table>.<column>"] in rocky.toml. The next
    commit applies the declaration to the table's schema, so it is versioned,
    shown by 'rocky schema' and diffed like any schema change. Classifications:
    public, internal, financial, pii, restricted, or a custom label. Masking
    strategies: none, hash, redact, partial, nullify, email, year, deny.
    """

    let table: String
    let column: String
    let fields: ColumnGovernance

    init(parsing arguments: inout Arguments) throws {
        var g = ColumnGovernance()
        g.owner = try arguments.option("--owner")
        g.description = try arguments.option("--description")
        g.retention = try arguments.option("--retention")
        g.source = try arguments.option("--source")
        g.access = try arguments.options("--access")
        g.tags = try arguments.options("--tag")
        for mask in try arguments.options("--mask") {
            let parts = mask.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let strategy = MaskingStrategy(rawValue: parts[1]) else {
                throw arguments.usage("--mask is <env>=<strategy> with a strategy among \(MaskingStrategy.allCases.map(\.rawValue).joined(separator: ", ")), not '\(mask)'")
            }
            g.masking[parts[0]] = strategy
        }
        let names = try arguments.positionals(max: 2, names: "<table>.<column> <classification>")
        guard names.count == 2 else { throw arguments.usage("classify needs <table>.<column> and a classification") }
        let target = names[0].split(separator: ".", maxSplits: 1).map(String.init)
        guard target.count == 2 else { throw arguments.usage("name the column as <table>.<column>, not '\(names[0])'") }
        (table, column) = (target[0], target[1])
        g.classification = Classification(names[1])
        fields = g
    }

    func run(_ context: CommandContext) throws {
        let merged = try context.repository().classify(table: table, column: column, fields: fields)
        if context.json {
            context.emit(.object(["column": .string("\(table).\(column)"), "governance": merged.json]))
        } else {
            context.out.line("declared \(table).\(column) as \(merged.classification?.label ?? "-") in rocky.toml (applied at the next commit)")
        }
    }
}
