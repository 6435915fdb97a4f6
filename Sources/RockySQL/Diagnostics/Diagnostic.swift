import RockyBase

/// A problem found while compiling SQL: what, where, and how bad.
///
/// Every diagnostic has a stable `code` (listed in Docs/sql.md), a severity,
/// a one-line message and the source range it is about. `help` is an optional
/// hint printed under the caret (for instance "did you mean 'symbol'?").
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    /// How bad a diagnostic is. Any `error` means the statement is not run.
    public enum Severity: String, Hashable, Sendable {
        case error
        case warning
    }

    public var code: DiagnosticCode
    public var severity: Severity
    public var message: String
    public var range: SourceRange
    public var help: String?
    /// The 0-based index of the statement in its script, when known.
    public var statementIndex: Int?

    public init(
        _ code: DiagnosticCode, _ message: String, at range: SourceRange,
        severity: Severity = .error, help: String? = nil, statementIndex: Int? = nil
    ) {
        self.code = code
        self.severity = severity
        self.message = message
        self.range = range
        self.help = help
        self.statementIndex = statementIndex
    }

    public var isError: Bool { severity == .error }

    /// `line:column: error[E0202]: message`.
    public var description: String {
        "\(range.start): \(severity.rawValue)[\(code.rawValue)]: \(message)"
    }
}

/// A diagnostic's stable identifier, such as `E0202`.
///
/// `E00xx` lexical, `E01xx` syntax, `E02xx` names, `E03xx` types, `E04xx`
/// query structure, `E05xx` governance, `E06xx` schema changes; `Wxxxx` are
/// warnings. Codes never change meaning once released.
public struct DiagnosticCode: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    /// An `E05xx` code: the governance rules refused the statement (exit code 5).
    public var isGovernanceRefusal: Bool { rawValue.hasPrefix("E05") }

    // Lexical
    public static let unexpectedCharacter = DiagnosticCode("E0001")
    public static let unterminatedString = DiagnosticCode("E0002")
    public static let unterminatedIdentifier = DiagnosticCode("E0003")
    public static let unterminatedComment = DiagnosticCode("E0004")
    public static let invalidNumber = DiagnosticCode("E0005")
    // Syntax
    public static let unexpectedToken = DiagnosticCode("E0101")
    public static let unsupportedSyntax = DiagnosticCode("E0102")
    public static let nestingTooDeep = DiagnosticCode("E0103")
    public static let invalidLiteral = DiagnosticCode("E0104")
    // Names
    public static let unknownTable = DiagnosticCode("E0201")
    public static let unknownColumn = DiagnosticCode("E0202")
    public static let ambiguousColumn = DiagnosticCode("E0203")
    public static let unknownFunction = DiagnosticCode("E0204")
    public static let duplicateName = DiagnosticCode("E0205")
    public static let wrongArgumentCount = DiagnosticCode("E0206")
    public static let unknownQualifier = DiagnosticCode("E0207")
    public static let tableExists = DiagnosticCode("E0208")
    public static let columnExists = DiagnosticCode("E0209")
    public static let starWithoutFrom = DiagnosticCode("E0210")
    public static let reservedName = DiagnosticCode("E0211")
    // Types
    public static let operatorTypeMismatch = DiagnosticCode("E0301")
    public static let argumentTypeMismatch = DiagnosticCode("E0302")
    public static let invalidCast = DiagnosticCode("E0303")
    public static let conditionNotBoolean = DiagnosticCode("E0304")
    public static let setOperationMismatch = DiagnosticCode("E0305")
    public static let noCommonType = DiagnosticCode("E0306")
    public static let notAssignable = DiagnosticCode("E0307")
    public static let subqueryColumnCount = DiagnosticCode("E0308")
    public static let notNullViolation = DiagnosticCode("E0309")
    public static let invalidType = DiagnosticCode("E0310")
    public static let constantRequired = DiagnosticCode("E0311")
    // Query structure
    public static let notGrouped = DiagnosticCode("E0401")
    public static let aggregateNotAllowed = DiagnosticCode("E0402")
    public static let windowNotAllowed = DiagnosticCode("E0403")
    public static let positionOutOfRange = DiagnosticCode("E0404")
    // Governance
    public static let maskingDenied = DiagnosticCode("E0501")
    public static let maskingNotApplicable = DiagnosticCode("E0502")
    public static let writesMaskedValues = DiagnosticCode("W0503")
    public static let maskingNotExpressible = DiagnosticCode("E0504")
    // Schema changes
    public static let invalidPrimaryKey = DiagnosticCode("E0601")
    public static let invalidSchemaChange = DiagnosticCode("E0602")
    public static let notATableDefinition = DiagnosticCode("E0603")
    public static let invalidConstraint = DiagnosticCode("E0604")
}
