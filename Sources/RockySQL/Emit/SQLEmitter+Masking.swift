import RockyBase

/// Masking functions, applied where a classified column is read. Every
/// strategy maps NULL to NULL. The exact results are specified in Docs/sql.md.
extension SQLEmitter {
    func mask(_ strategy: MaskingStrategy, _ value: BoundExpr, type: ColumnType) -> String {
        let raw = expr(value)
        let text = value.type == .text ? raw : cast(value, to: .text)
        switch strategy {
        case .none, .deny:
            return raw
        case .hash:
            return emitter.maskHash(text, self)
        case .redact:
            return "CASE WHEN \(raw) IS NULL THEN NULL ELSE '[REDACTED]' END"
        case .partial:
            return "CASE WHEN \(text) IS NULL THEN NULL WHEN length(\(text)) >= 3 THEN substr(\(text), 1, 1) || '****' || substr(\(text), length(\(text)), 1) ELSE '****' END"
        case .email:
            let at = position("'@'", in: text)
            return "CASE WHEN \(text) IS NULL THEN NULL WHEN \(at) > 0 THEN '***' || substr(\(text), \(at)) ELSE '***' END"
        case .nullify:
            return isSQLite ? "NULL" : "CAST(NULL AS \(dialect.typeName(type)))"
        case .year:
            return dateTrunc(.year, value)
        }
    }

    /// The 1-based position of `needle` in `haystack`, 0 when absent.
    private func position(_ needle: String, in haystack: String) -> String {
        emitter.position(needle, in: haystack)
    }
}
