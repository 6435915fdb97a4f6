import RockyBase

/// What type inference decided for one column, and why.
public struct InferredColumn: Hashable, Sendable {
    public var name: String
    public var type: ColumnType
    /// Whether some value was NULL.
    public var nullable: Bool
    /// One line for people, e.g. `all 200 values have 4 decimal places`.
    public var reason: String
    public var valueCount: Int
    public var nullCount: Int
}

/// Infers the type of one column from its fields, one at a time, in one pass.
///
/// The rules (also in `Docs/import.md`), over the non-NULL values:
/// - none at all (every value NULL, or no rows): TEXT;
/// - only `true`/`false`, `t`/`f`, `yes`/`no` (any case): BOOLEAN. `0`/`1`
///   are numbers: a column of them is INTEGER;
/// - only integers within the 64-bit range: INTEGER;
/// - only fixed-point numbers (`187.25`: digits, a point, digits, no
///   exponent) that all have the same number `s` of decimal places,
///   possibly mixed with integers: DECIMAL(p,s), exact, since financial data
///   must not drift. `p` is the digits the values need (at least `s+1`) plus
///   `DecimalHeadroom.digits` more before the point, so that later rows a
///   little larger still fit, at most 38;
/// - integers beyond the 64-bit range (up to 38 digits): DECIMAL(p,0);
/// - any other mix of numbers (decimal places that vary, exponents, `inf`,
///   `nan`, `.5`): DOUBLE;
/// - only dates (`YYYY-MM-DD`): DATE; timestamps, or dates mixed with
///   timestamps: TIMESTAMP;
/// - anything else (text, or a mix such as numbers and dates): TEXT.
///
/// A number written with a leading zero (`007`, `00.5`) counts as text: it
/// is an identifier, and reading it as a number would lose the zeros. Values
/// are taken as written: ` 42` (with a space) is text.
///
/// For JSON Lines (`quotedFieldsAreStrings`), a JSON string is a date, a
/// timestamp, `nan`/`inf` (which JSON cannot write as numbers) or text,
/// never a number or a boolean, so a column of `"0042"` stays TEXT.
public struct ColumnInference: Sendable {
    private let quotedFieldsAreStrings: Bool
    private(set) var rows = 0
    private(set) var nulls = 0
    private var booleans = 0, integers = 0, bigIntegers = 0, fixed = 0, floats = 0, dates = 0, timestamps = 0, texts = 0
    private var maxIntegerDigits = 0
    private var minScale = Int.max, maxScale = 0
    /// The first value of each kind seen, with its line, for the reason.
    private var examples = [Example?](repeating: nil, count: Kind.allCases.count)
    /// Which kinds have their example (a bit per `Kind`), checked without touching `examples`.
    private var noted: UInt8 = 0
    private var minScaleExample: Example?, maxScaleExample: Example?

    private struct Example: Sendable { var text: String; var line: Int }
    private enum Kind: Int, CaseIterable, Sendable { case boolean, number, temporal, float, text, bigInteger }

    public init(quotedFieldsAreStrings: Bool = false, precedingNulls: Int = 0) {
        self.quotedFieldsAreStrings = quotedFieldsAreStrings
        rows = precedingNulls
        nulls = precedingNulls
    }

    public mutating func addNull() {
        rows += 1
        nulls += 1
    }

    /// Adds one non-NULL field's text; `line` is only kept for the reason.
    public mutating func add(_ b: UnsafeBufferPointer<UInt8>, isQuoted: Bool, line: Int) {
        rows += 1
        if texts > 0 { return }   // decided: nothing can turn text back into anything else
        switch FieldShape.of(b, isString: isQuoted && quotedFieldsAreStrings) {
        case .boolean:
            booleans += 1
            note(.boolean, b, line)
        case let .integer(digits, fitsInt64):
            maxIntegerDigits = max(maxIntegerDigits, digits)
            if fitsInt64 { integers += 1 } else { bigIntegers += 1; note(.bigInteger, b, line) }
            note(.number, b, line)
        case let .fixed(integerDigits, scale):
            fixed += 1
            maxIntegerDigits = max(maxIntegerDigits, integerDigits)
            if scale < minScale { minScale = scale; minScaleExample = Example(text: text(b), line: line) }
            if scale > maxScale { maxScale = scale; maxScaleExample = Example(text: text(b), line: line) }
            note(.number, b, line)
        case .float:
            floats += 1
            note(.float, b, line)
            note(.number, b, line)
        case .date:
            dates += 1
            note(.temporal, b, line)
        case .timestamp:
            timestamps += 1
            note(.temporal, b, line)
        case .text:
            texts += 1
            note(.text, b, line)
        }
    }

    private mutating func note(_ kind: Kind, _ b: UnsafeBufferPointer<UInt8>, _ line: Int) {
        let bit: UInt8 = 1 << UInt8(kind.rawValue)
        guard noted & bit == 0 else { return }
        noted |= bit
        examples[kind.rawValue] = Example(text: text(b), line: line)
    }

    private func text(_ b: UnsafeBufferPointer<UInt8>) -> String {
        ImportError.shown(String(decoding: b, as: UTF8.self))
    }

    private func quote(_ e: Example?) -> String {
        guard let e else { return "" }
        return "'\(e.text)' (line \(e.line))"
    }

    /// The type the values seen so far call for, and why.
    public func result(name: String) -> InferredColumn {
        let (type, why) = decide()
        let values = rows - nulls
        var reason = why
        if nulls > 0 && values > 0 { reason += "; \(nulls) NULL" }
        return InferredColumn(name: name, type: type, nullable: nulls > 0, reason: reason, valueCount: values, nullCount: nulls)
    }

    private func decide() -> (ColumnType, String) {
        let values = rows - nulls
        if rows == 0 { return (.text, "no rows") }
        if values == 0 { return (.text, "all \(rows) values are NULL") }
        if texts > 0 { return (.text, "\(quote(examples[Kind.text.rawValue])) is not a number, date, timestamp or boolean") }
        let numbers = integers + bigIntegers + fixed + floats
        let families = [booleans > 0, numbers > 0, dates + timestamps > 0].filter { $0 }.count
        if families > 1 {
            let shown = [examples[Kind.boolean.rawValue], examples[Kind.number.rawValue], examples[Kind.temporal.rawValue]].compactMap { $0 }.prefix(2)
            return (.text, "mixes kinds of values: " + shown.map { quote($0) }.joined(separator: " and "))
        }
        if booleans > 0 { return (.boolean, "all \(counted(values)) are true/false") }
        if dates + timestamps > 0 {
            if timestamps == 0 { return (.date, "all \(counted(values)) are dates") }
            if dates == 0 { return (.timestamp, "all \(counted(values)) are timestamps") }
            return (.timestamp, "\(timestamps) timestamps and \(dates) dates (read as midnight UTC)")
        }
        if floats > 0 {
            let e = examples[Kind.float.rawValue]!
            let bytes = Array(e.text.utf8)
            let why = bytes.contains(where: { $0 | 0x20 == UInt8(ascii: "e") }) && NumberSyntax.isDecimalOrExponent(bytes)
                ? "is in exponent notation"
                : NumberSyntax.isDecimalOrExponent(bytes) ? "is not in fixed-point notation" : "is not a finite number"
            return (.double, "\(quote(e)) \(why)")
        }
        if fixed == 0 {
            if bigIntegers == 0 { return (.integer, "all \(counted(values)) are integers") }
            guard maxIntegerDigits <= ColumnType.maxDecimalPrecision else {
                return (.double, "\(quote(examples[Kind.bigInteger.rawValue])) has more than \(ColumnType.maxDecimalPrecision) digits")
            }
            let p = DecimalHeadroom.precision(needed: maxIntegerDigits)
            return (.decimal(precision: p, scale: 0), "\(quote(examples[Kind.bigInteger.rawValue])) is beyond the 64-bit INTEGER range")
        }
        if minScale != maxScale {
            return (.double, "decimal places vary from \(minScale) \(quote(minScaleExample)) to \(maxScale) \(quote(maxScaleExample))")
        }
        let s = maxScale
        let needed = max(maxIntegerDigits + s, s + 1)
        guard needed <= ColumnType.maxDecimalPrecision else {
            return (.double, "values need more than \(ColumnType.maxDecimalPrecision) digits")
        }
        let places = "\(s) decimal place\(s == 1 ? "" : "s")"
        let head = fixed == values
            ? "all \(counted(values)) have \(places)"
            : "\(fixed) value\(fixed == 1 ? "" : "s") with \(places) and \(values - fixed) integer\(values - fixed == 1 ? "" : "s")"
        return (.decimal(precision: DecimalHeadroom.precision(needed: needed), scale: s),
                head + ", at most \(maxIntegerDigits) digit\(maxIntegerDigits == 1 ? "" : "s") before the point")
    }

    private func counted(_ n: Int) -> String { n == 1 ? "1 value" : "\(n) values" }
}

/// How much larger than the largest value seen an inferred DECIMAL column may grow.
public enum DecimalHeadroom {
    /// Digits added before the point: values up to 100,000 times the largest
    /// one seen still fit, so the next delivery of prices does not overflow
    /// a column inferred from the first.
    public static let digits = 5

    /// The precision for values that need `needed` digits: `needed + digits`, at most 38.
    public static func precision(needed: Int) -> Int {
        min(ColumnType.maxDecimalPrecision, needed + digits)
    }
}

/// Infers every column's type from a stream of records.
public struct TypeInference: Sendable {
    public private(set) var columns: [ColumnInference] = []
    public private(set) var rowCount = 0
    private let quotedFieldsAreStrings: Bool

    public init(quotedFieldsAreStrings: Bool = false) {
        self.quotedFieldsAreStrings = quotedFieldsAreStrings
    }

    /// Adds a record; a record with more fields than seen before adds
    /// columns that were NULL in every earlier row (JSON Lines keys that
    /// appear late), and missing trailing fields are NULL.
    public mutating func add(_ record: Record) {
        while columns.count < record.count {
            columns.append(ColumnInference(quotedFieldsAreStrings: quotedFieldsAreStrings, precedingNulls: rowCount))
        }
        let slots = record.slots
        record.bytes.withUnsafeBufferPointer { storage in
            columns.withUnsafeMutableBufferPointer { columns in
                for c in 0..<slots.count {
                    let slot = slots[c]
                    if slot.isNull {
                        columns[c].addNull()
                    } else {
                        columns[c].add(UnsafeBufferPointer(rebasing: storage[slot.start..<(slot.start + slot.count)]),
                                       isQuoted: slot.isQuoted, line: slot.line)
                    }
                }
            }
        }
        for c in record.count..<columns.count { columns[c].addNull() }
        rowCount += 1
    }

    /// The result for each column, named by `header` (which may name more
    /// columns than any record had: those were never seen, so all NULL).
    public func result(header: [String]) -> [InferredColumn] {
        header.enumerated().map { c, name in
            c < columns.count
                ? columns[c].result(name: name)
                : ColumnInference(quotedFieldsAreStrings: quotedFieldsAreStrings, precedingNulls: rowCount).result(name: name)
        }
    }

    /// Reads up to `limit` records of `source` (all by default) and infers
    /// its columns' types, reporting progress every 65,536 records.
    public static func infer(_ source: some RecordSource, limit: Int = .max,
                             progress: ((ImportProgress) -> Void)? = nil) throws(ImportError) -> [InferredColumn] {
        var inference = TypeInference(quotedFieldsAreStrings: source.quotedFieldsAreStrings)
        while inference.rowCount < limit, let record = try source.next() {
            inference.add(record)
            if inference.rowCount & 0xFFFF == 0 {
                progress?(ImportProgress(rows: inference.rowCount, bytes: source.bytesConsumed, totalBytes: nil, inferring: true))
            }
        }
        return inference.result(header: source.header)
    }
}
