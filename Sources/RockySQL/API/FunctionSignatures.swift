/// The functions the binder knows, with the shape of their arguments and
/// result as the binder checks them (Binder+Functions.swift): what "did you
/// mean" suggests, and what an editor's signature help and completion show.
///
/// A parameter's type is a description, not a single type: `NUMBER` is any
/// of INTEGER, DECIMAL and DOUBLE; `ANY` is any type; `'part'` is a constant
/// text naming a date part. The result's `same` means the argument's type.
public struct FunctionSignature: Sendable, Equatable {
    public enum Kind: String, Sendable { case scalar, aggregate, window }
    public var name: String
    public var kind: Kind
    /// "name TYPE" for each parameter; optional ones are in brackets.
    public var parameters: [String]
    /// The last parameter repeats (COALESCE(value, ...)).
    public var variadic: Bool
    public var returns: String
    public var summary: String

    /// `ROUND(value NUMBER, [places INTEGER]) -> same NUMBER`.
    public var label: String {
        let suffix = kind == .window ? " OVER (...)" : ""
        return "\(name.uppercased())(\(parameters.joined(separator: ", "))\(variadic ? ", ..." : ""))\(suffix) -> \(returns)"
    }
}

extension SQLCompiler {
    /// Every function the compiler binds, by name (lowercased).
    public static let functions: [FunctionSignature] = {
        func f(_ name: String, _ parameters: [String], _ returns: String, _ summary: String,
               kind: FunctionSignature.Kind = .scalar, variadic: Bool = false) -> FunctionSignature {
            FunctionSignature(name: name, kind: kind, parameters: parameters, variadic: variadic, returns: returns, summary: summary)
        }
        return [
            f("lower", ["text TEXT"], "TEXT", "the text in lower case"),
            f("upper", ["text TEXT"], "TEXT", "the text in upper case"),
            f("length", ["text TEXT"], "INTEGER", "the number of characters"),
            f("substr", ["text TEXT", "start INTEGER", "[count INTEGER]"], "TEXT", "characters from start (1-based)"),
            f("substring", ["text TEXT", "start INTEGER", "[count INTEGER]"], "TEXT", "characters from start (1-based)"),
            f("trim", ["text TEXT"], "TEXT", "the text without leading and trailing spaces"),
            f("ltrim", ["text TEXT"], "TEXT", "the text without leading spaces"),
            f("rtrim", ["text TEXT"], "TEXT", "the text without trailing spaces"),
            f("replace", ["text TEXT", "from TEXT", "to TEXT"], "TEXT", "every occurrence of from replaced by to"),
            f("position", ["needle TEXT", "haystack TEXT"], "INTEGER", "where needle starts in haystack (1-based; 0: absent)"),
            f("concat", ["value ANY"], "TEXT NOT NULL", "the values as text, one after another; NULL counts as ''", variadic: true),
            f("abs", ["value NUMBER"], "same NUMBER", "the absolute value"),
            f("round", ["value NUMBER", "[places INTEGER constant]"], "same NUMBER", "rounded half away from zero to places decimals"),
            f("trunc", ["value NUMBER", "[places INTEGER constant]"], "same NUMBER", "truncated toward zero to places decimals"),
            f("floor", ["value NUMBER"], "INTEGER or DECIMAL", "the largest whole number not above the value"),
            f("ceil", ["value NUMBER"], "INTEGER or DECIMAL", "the smallest whole number not below the value"),
            f("ceiling", ["value NUMBER"], "INTEGER or DECIMAL", "the smallest whole number not below the value"),
            f("sign", ["value NUMBER"], "INTEGER", "-1, 0 or 1"),
            f("mod", ["dividend NUMBER", "divisor NUMBER"], "NUMBER", "the remainder, as dividend % divisor"),
            f("sqrt", ["value NUMBER"], "DOUBLE", "the square root (NULL for a negative value)"),
            f("ln", ["value NUMBER"], "DOUBLE", "the natural logarithm"),
            f("log10", ["value NUMBER"], "DOUBLE", "the base-10 logarithm"),
            f("exp", ["value NUMBER"], "DOUBLE", "e to the power of the value"),
            f("power", ["base NUMBER", "exponent NUMBER"], "DOUBLE", "base to the power of exponent"),
            f("pow", ["base NUMBER", "exponent NUMBER"], "DOUBLE", "base to the power of exponent"),
            f("coalesce", ["value ANY"], "common type", "the first value that is not NULL", variadic: true),
            f("nullif", ["value ANY", "other ANY"], "common type", "NULL when value = other, else value"),
            f("greatest", ["value ANY"], "common type", "the largest value (NULLs ignored)", variadic: true),
            f("least", ["value ANY"], "common type", "the smallest value (NULLs ignored)", variadic: true),
            f("date_trunc", ["'part' TEXT constant", "value DATE or TIMESTAMP"], "same type", "the value truncated to year, quarter, month, week, day, hour, minute or second"),
            f("date_part", ["'part' TEXT constant", "value DATE or TIMESTAMP"], "INTEGER", "one field of the value"),
            f("extract", ["part FROM value DATE or TIMESTAMP"], "INTEGER", "one field of the value: EXTRACT(YEAR FROM d)"),
            f("count", ["value ANY or *"], "INTEGER NOT NULL", "the number of rows (or of values that are not NULL)", kind: .aggregate),
            f("sum", ["value NUMBER"], "NUMBER", "the sum", kind: .aggregate),
            f("avg", ["value NUMBER"], "DOUBLE or DECIMAL", "the mean", kind: .aggregate),
            f("min", ["value ANY"], "same type", "the smallest value", kind: .aggregate),
            f("max", ["value ANY"], "same type", "the largest value", kind: .aggregate),
            f("stddev", ["value NUMBER"], "DOUBLE", "the sample standard deviation", kind: .aggregate),
            f("stddev_samp", ["value NUMBER"], "DOUBLE", "the sample standard deviation", kind: .aggregate),
            f("stddev_pop", ["value NUMBER"], "DOUBLE", "the population standard deviation", kind: .aggregate),
            f("variance", ["value NUMBER"], "DOUBLE", "the sample variance", kind: .aggregate),
            f("var_samp", ["value NUMBER"], "DOUBLE", "the sample variance", kind: .aggregate),
            f("var_pop", ["value NUMBER"], "DOUBLE", "the population variance", kind: .aggregate),
            f("string_agg", ["value TEXT", "'separator' TEXT constant"], "TEXT",
              "the values joined by the separator, in the order of an ORDER BY after the arguments (ties, or none: by the value)",
              kind: .aggregate),
            f("row_number", [], "INTEGER NOT NULL", "the row's number in its partition, from 1", kind: .window),
            f("rank", [], "INTEGER NOT NULL", "the rank with gaps", kind: .window),
            f("dense_rank", [], "INTEGER NOT NULL", "the rank without gaps", kind: .window),
            f("percent_rank", [], "DOUBLE NOT NULL", "(rank - 1) / (rows - 1)", kind: .window),
            f("cume_dist", [], "DOUBLE NOT NULL", "the fraction of rows up to this one", kind: .window),
            f("ntile", ["buckets INTEGER constant"], "INTEGER NOT NULL", "the bucket of the row, from 1", kind: .window),
            f("lag", ["value ANY", "[offset INTEGER constant]", "[default ANY]"], "same type", "the value offset rows before", kind: .window),
            f("lead", ["value ANY", "[offset INTEGER constant]", "[default ANY]"], "same type", "the value offset rows after", kind: .window),
            f("first_value", ["value ANY"], "same type", "the value of the frame's first row", kind: .window),
            f("last_value", ["value ANY"], "same type", "the value of the frame's last row", kind: .window),
            f("nth_value", ["value ANY", "n INTEGER constant"], "same type", "the value of the frame's n-th row", kind: .window),
        ]
    }()

    /// The signature of a function, by name in any case.
    public static func function(named name: String) -> FunctionSignature? {
        let key = name.lowercased()
        return functions.first { $0.name == key }
    }
}
