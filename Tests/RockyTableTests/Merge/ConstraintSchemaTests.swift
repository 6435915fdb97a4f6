import RockyBase
import RockyStore
@testable import RockyTable
import Testing

/// Column defaults and UNIQUE/CHECK constraints in the stored schema and in
/// the three-way schema merge.
@Suite struct ConstraintSchemaTests {
    /// id 1 (key), name 2, qty 3; next id 4.
    let base = try! Schema(named: [("id", .integer), ("name", .text), ("qty", .integer)], key: ["id"])

    func constrained(_ schema: Schema) -> Schema {
        var s = schema
        s.columns[1].defaultValue = "'none'"
        s.constraints = [TableConstraint(name: "t_name_key", rule: .unique, columns: [2]),
                         TableConstraint(name: "t_qty_check", rule: .check("qty >= 0"), columns: [3])]
        return s
    }

    @Test func theStoredSchemaKeepsThemAndLeavesThemOutWhenEmpty() throws {
        let schema = constrained(base)
        #expect(try Schema(json: try JSON(parsing: schema.json.canonicalText)) == schema)
        let text = schema.json.canonicalText
        #expect(text.contains(#""constraints":[{"columns":[2],"kind":"unique","name":"t_name_key"},{"check":"qty >= 0","columns":[3],"kind":"check","name":"t_qty_check"}]"#), "\(text)")
        #expect(text.contains(#"{"default":"'none'","id":2"#), "\(text)")
        let plain = base.json.canonicalText
        #expect(!plain.contains("constraints") && !plain.contains("default"), "\(plain)")
        var broken = schema
        broken.constraints.append(TableConstraint(name: "T_NAME_KEY", rule: .unique, columns: [1]))
        #expect(throws: SchemaError.self) { try broken.validate() }
    }

    @Test func theyMergeThreeWay() {
        // One side adds them: they are merged in.
        let ours = constrained(base)
        var r = SchemaMerge.merge(base: base, ours: base, theirs: ours, table: "t", strategy: nil)
        #expect(r.conflicts.isEmpty && r.schema.constraints == ours.constraints && r.schema.columns[1].defaultValue == "'none'")
        // Both change them differently: a conflict, resolved by a strategy.
        var theirs = base
        theirs.constraints = [TableConstraint(name: "t_qty_key", rule: .unique, columns: [3])]
        theirs.columns[1].defaultValue = "'?'"
        r = SchemaMerge.merge(base: base, ours: ours, theirs: theirs, table: "t", strategy: nil)
        #expect(Set(r.conflicts.map(\.field)) == ["constraints", "default"], "\(r.conflicts)")
        r = SchemaMerge.merge(base: base, ours: ours, theirs: theirs, table: "t", strategy: .theirs)
        #expect(r.isClean && r.schema.constraints == theirs.constraints && r.schema.columns[1].defaultValue == "'?'")
        // A column the other side drops takes its constraints with it.
        var dropped = base
        dropped.columns.removeAll { $0.id == 3 }
        r = SchemaMerge.merge(base: ours, ours: ours, theirs: dropped.with(constraints: [ours.constraints[0]], default: "'none'"),
                              table: "t", strategy: nil)
        #expect(r.conflicts.isEmpty, "\(r.conflicts)")
        #expect(r.schema.constraints.map(\.name) == ["t_name_key"] && r.schema.column(id: 3) == nil)
    }
}

private extension Schema {
    func with(constraints: [TableConstraint], default value: String?) -> Schema {
        var s = self
        s.constraints = constraints
        s.columns[1].defaultValue = value
        return s
    }
}
