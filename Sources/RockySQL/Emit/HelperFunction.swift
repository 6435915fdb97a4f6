/// A function the emitted SQL calls that the engine, not the database,
/// provides: registered on each SQLite connection by the SQLite backend,
/// created in the session's `pg_temp` schema on each PostgreSQL connection
/// (`PostgresSessionSetup`), and as a temporary SQL function of each Spark
/// session (`DatabricksSessionSetup`). Docs/sql.md says what each one computes.
public enum HelperFunction: String, CaseIterable, Hashable, Sendable {
    // SQLite (Docs/sql.md, "Helper functions").
    case muldiv = "rocky_muldiv"
    case cast = "rocky_cast"
    case fromText = "rocky_from_text"
    case toText = "rocky_to_text"
    case scalar = "rocky_scalar"
    case recursionLimit = "rocky_recursion_limit"
    case upper = "rocky_upper"
    case lower = "rocky_lower"
    case varSamp = "rocky_var_samp"
    case varPop = "rocky_var_pop"
    case stddevSamp = "rocky_stddev_samp"
    case stddevPop = "rocky_stddev_pop"
    /// Exact variances of scaled integers (INTEGER, DECIMAL): (units, scale).
    case exactVarSamp = "rocky_exact_var_samp"
    case exactVarPop = "rocky_exact_var_pop"
    case exactStddevSamp = "rocky_exact_stddev_samp"
    case exactStddevPop = "rocky_exact_stddev_pop"
    case stringAgg = "rocky_string_agg"
    /// Exact arithmetic on DECIMALs of up to 38 digits (a wide one is a BLOB).
    case decAdd = "rocky_dec_add"
    case decSub = "rocky_dec_sub"
    case decMulDiv = "rocky_dec_muldiv"
    case decRescale = "rocky_dec_rescale"
    case decMod = "rocky_dec_mod"
    case decNeg = "rocky_dec_neg"
    case decAbs = "rocky_dec_abs"
    case decSign = "rocky_dec_sign"
    case decDouble = "rocky_dec_double"
    case decSum = "rocky_dec_sum"
    /// SQLite, PostgreSQL and Spark: HMAC-SHA-256 hex under the masking key.
    case maskHash = "rocky_mask_hash"

    // PostgreSQL (Docs/sql.md, "PostgreSQL").
    case castInteger = "rocky_cast_integer"
    case castDouble = "rocky_cast_double"
    case castBoolean = "rocky_cast_boolean"
    case fromTextDecimal = "rocky_from_text_decimal"
    case fromTextDate = "rocky_from_text_date"
    case fromTextTimestamp = "rocky_from_text_timestamp"
    case doubleText = "rocky_double_text"
    case round = "rocky_round"
    case roundAway = "rocky_round_away"
    case substr = "rocky_substr"
    case sqrt = "rocky_sqrt"
    case ln = "rocky_ln"
    case exp = "rocky_exp"
    case power = "rocky_power"

    // Spark (Docs/sql.md, "Spark SQL and Databricks").
    case doubleDigits = "rocky_double_digits"

    /// The dialects whose engine provides the function.
    public var dialects: Set<Dialect> {
        switch self {
        case .maskHash: [.sqlite, .postgres, .databricks]
        case .muldiv, .cast, .fromText, .toText, .scalar, .recursionLimit, .upper, .lower, .varSamp, .varPop, .stddevSamp, .stddevPop,
             .exactVarSamp, .exactVarPop, .exactStddevSamp, .exactStddevPop, .stringAgg,
             .decAdd, .decSub, .decMulDiv, .decRescale, .decMod, .decNeg, .decAbs, .decSign, .decDouble, .decSum: [.sqlite]
        case .castInteger, .castDouble, .castBoolean, .fromTextDecimal, .fromTextDate, .fromTextTimestamp, .doubleText, .round,
             .substr: [.postgres, .databricks]
        case .doubleDigits: [.databricks]
        default: [.postgres]
        }
    }

    /// The function's name as SQL of `dialect` calls it: PostgreSQL finds
    /// functions of `pg_temp` only when qualified.
    public func name(in dialect: Dialect) -> String {
        dialect == .postgres ? "pg_temp." + rawValue : rawValue
    }
}

extension SQLEmitter {
    /// A call of `function` with the given SQL arguments, in this emitter's dialect.
    func helper(_ function: HelperFunction, _ arguments: String...) -> String {
        "\(function.name(in: dialect))(\(arguments.joined(separator: ", ")))"
    }
}
