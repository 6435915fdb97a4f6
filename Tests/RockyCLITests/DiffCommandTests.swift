import Foundation
import Testing

@Suite struct DiffCommandTests {
    let header = "id,region,qty,price,note\n"

    func repo(_ rows: String, key: String = "id") -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.write("t.csv", header + rows)
        box.ok("import", "t", "t.csv", "--key", key)
        box.ok("commit", "-m", "base")
        return box
    }

    @Test func rowsAddedRemovedAndChangedCellByCell() {
        let box = repo("1,eu,10,1.50,a\n2,us,20,2.50,\n3,us,30,3.50,c\n")
        box.write("t.csv", header + "1,eu,11,1.50,a\n2,us,20,2.50,now set\n4,ap,40,4.50,d\n")
        box.ok("import", "t", "t.csv")
        let json = box.json(box.rocky("diff", "--json"))
        let table = (json["tables"] as? [[String: Any]])?.first
        let rows = table?["rows"] as? [[String: Any]] ?? []
        #expect(rows.map { $0["change"] as? String } == ["modified", "modified", "removed", "added"])
        let cells = rows[0]["cells"] as? [[String: Any]]
        #expect(cells?.count == 1)
        #expect(cells?.first?["column"] as? String == "qty")
        #expect(cells?.first?["old"] as? Int == 10 && cells?.first?["new"] as? Int == 11)
        let nullToValue = (rows[1]["cells"] as? [[String: Any]])?.first
        #expect(nullToValue?["old"] is NSNull && nullToValue?["new"] as? String == "now set", "NULL to a value")
        #expect((rows[2]["key"] as? [String: Any])?["id"] as? Int == 3)
        let stats = json["stats"] as? [String: Int]
        #expect(stats == ["added": 1, "removed": 1, "modified": 2, "cells_changed": 2])
        let text = box.ok("diff")
        #expect(text.contains("~ 1  qty: 10 -> 11"))
        #expect(text.contains("+ 4"))
        #expect(text.contains("- 3"))
        #expect(box.ok("diff", "--stat").contains("+1 -1 ~2"))
        box.ok("commit", "-m", "change")
        box.write("t.csv", header + "1,eu,11,1.50,a\n2,us,20,2.50,\n4,ap,40,4.50,d\n")
        box.ok("import", "t", "t.csv")
        let back = box.json(box.rocky("diff", "--json"))
        let cell = (((back["tables"] as? [[String: Any]])?.first?["rows"] as? [[String: Any]])?.first?["cells"] as? [[String: Any]])?.first
        #expect(cell?["old"] as? String == "now set" && cell?["new"] is NSNull, "and back to NULL")
    }

    @Test func revisionsRangesAndTheWorkingSet() {
        let box = repo("1,eu,10,1.50,a\n")
        box.write("t.csv", header + "1,eu,10,1.50,a\n2,us,20,2.50,b\n")
        box.ok("import", "t", "t.csv")
        box.ok("commit", "-m", "second")
        #expect(box.ok("diff").isEmpty, "identical: nothing printed")
        #expect(box.rocky("diff").code == 0)
        #expect(box.ok("diff", "HEAD~1", "HEAD") == box.ok("diff", "HEAD~1..HEAD"))
        #expect(box.ok("diff", "HEAD~1").contains("+ 2"), "one revision: against the working set")
        #expect(box.ok("diff", "HEAD", "HEAD~1").contains("- 2"))
        let same = box.json(box.rocky("diff", "--json", "HEAD", "HEAD"))
        #expect((same["tables"] as? [Any])?.isEmpty == true)
    }

    @Test func tablesAddedAndRemovedAndTheTableFilter() {
        let box = repo("1,eu,10,1.50,a\n")
        box.write("u.csv", "k,v\n1,x\n")
        box.ok("import", "u", "u.csv", "--key", "k")
        let json = box.json(box.rocky("diff", "--json"))
        #expect((json["tables"] as? [[String: Any]])?.first?["change"] as? String == "added")
        #expect(box.ok("diff", "--table", "t").isEmpty)
        #expect(box.rocky("diff", "--table", "nope").code == 1)
    }

    @Test func keylessTablesDiffAsMultisets() {
        let box = Sandbox()
        box.ok("init")
        box.write("k.csv", "a,b\n1,x\n1,x\n2,y\n")
        box.ok("import", "k", "k.csv")
        box.ok("commit", "-m", "base")
        box.write("k.csv", "a,b\n1,x\n2,y\n2,y\n2,y\n3,z\n")
        box.ok("import", "k", "k.csv")
        let rows = ((box.json(box.rocky("diff", "--json"))["tables"] as? [[String: Any]])?.first?["rows"] as? [[String: Any]]) ?? []
        let counts = rows.map { [($0["row"] as? [String: Any])?["a"] as? Int ?? -1, $0["old_count"] as? Int ?? -1, $0["new_count"] as? Int ?? -1] }
        #expect(counts == [[1, 2, 1], [2, 1, 3], [3, 0, 1]])
    }

    @Test func compositeKeys() {
        let box = repo("1,eu,10,1.50,a\n1,us,20,2.50,b\n", key: "id,region")
        box.write("t.csv", header + "1,eu,10,1.50,a\n1,us,21,2.50,b\n2,us,5,1.00,c\n")
        box.ok("import", "t", "t.csv")
        let rows = ((box.json(box.rocky("diff", "--json"))["tables"] as? [[String: Any]])?.first?["rows"] as? [[String: Any]]) ?? []
        #expect(rows.count == 2)
        #expect((rows[0]["key"] as? [String: Any])?["region"] as? String == "us")
    }

    @Test func anAddedColumnIsOneSchemaChangeNotAChangeOnEveryRow() {
        let box = repo("1,eu,10,1.50,a\n2,us,20,2.50,b\n")
        box.write("t.csv", "id,region,qty,price,note,desk\n1,eu,10,1.50,a,\n2,us,25,2.50,b,\n")
        box.ok("import", "t", "t.csv")
        let table = (box.json(box.rocky("diff", "--json"))["tables"] as? [[String: Any]])?.first
        let schema = table?["schema_changes"] as? [[String: Any]]
        #expect(schema?.count == 1)
        #expect(schema?.first?["change"] as? String == "column_added")
        let rows = table?["rows"] as? [[String: Any]] ?? []
        #expect(rows.count == 1, "only the row whose shared cells changed")
        #expect(box.ok("diff").contains("schema + column desk"))
    }

    @Test func aDecimalScaleChangeIsARetypeAndLeavesEqualValuesAlone() {
        let box = Sandbox()
        box.ok("init")
        box.write("s2.json", #"{"columns":[{"name":"id","type":"INTEGER"},{"name":"amount","type":"DECIMAL(10,2)"}],"key":["id"]}"#)
        box.write("s4.json", #"{"columns":[{"name":"id","type":"INTEGER"},{"name":"amount","type":"DECIMAL(12,4)"}],"key":["id"]}"#)
        box.write("m.csv", "id,amount\n1,1.50\n2,2.25\n")
        box.ok("import", "m", "m.csv", "--schema", "s2.json")
        box.ok("commit", "-m", "two places")
        box.write("m.csv", "id,amount\n1,1.5000\n2,2.2501\n")
        box.ok("import", "m", "m.csv", "--schema", "s4.json")
        let table = (box.json(box.rocky("diff", "--json"))["tables"] as? [[String: Any]])?.first
        let change = (table?["schema_changes"] as? [[String: Any]])?.first
        #expect(change?["change"] as? String == "column_retyped")
        #expect(change?["from"] as? String == "DECIMAL(10,2)" && change?["to"] as? String == "DECIMAL(12,4)")
        let rows = table?["rows"] as? [[String: Any]] ?? []
        #expect(rows.count == 1, "1.50 = 1.5000; only 2.25 -> 2.2501 changed")
    }

    @Test func emptyTables() {
        let box = Sandbox()
        box.ok("init")
        box.write("e.csv", "id,v\n")
        box.ok("import", "e", "e.csv", "--key", "id")
        box.ok("commit", "-m", "empty")
        box.write("e.csv", "id,v\n1,x\n")
        box.ok("import", "e", "e.csv")
        #expect(box.ok("diff", "--stat").contains("+1 -0 ~0"))
    }

    @Test func sqlAndCSVFormats() {
        let box = repo("1,eu,10,1.50,a\n2,us,20,2.50,b\n")
        box.write("t.csv", header + "1,eu,11,1.50,a\n3,ap,30,3.50,it's\n")
        box.ok("import", "t", "t.csv")
        let sql = box.ok("diff", "--format", "sql")
        #expect(sql.contains("UPDATE t SET qty = 11 WHERE id = 1;"))
        #expect(sql.contains("DELETE FROM t WHERE id = 2;"))
        #expect(sql.contains("INSERT INTO t (id, region, qty, price, note) VALUES (3, 'ap', 30, 3.50, 'it''s');"))
        let csv = box.ok("diff", "--format", "csv")
        #expect(csv.hasPrefix("diff_type,id,region,qty,price,note\nbefore,1,eu,10,1.50,a\nafter,1,eu,11,1.50,a\n"))
        #expect(box.rocky("diff", "--format", "xml").code == 2)
    }

    @Test func theJSONShapeIsStable() {
        let box = repo("1,eu,10,1.50,a\n")
        box.write("t.csv", header + "1,eu,10,1.75,a\n")
        box.ok("import", "t", "t.csv")
        let json = box.json(box.rocky("diff", "--json"))
        #expect(Set(json.keys) == ["from", "to", "tables", "stats"])
        let table = (json["tables"] as? [[String: Any]])?.first ?? [:]
        #expect(Set(table.keys) == ["table", "change", "old_id", "new_id", "schema_changes", "rows", "stats"])
        #expect(json["to"] is NSNull, "the working set has no id")
    }
}
