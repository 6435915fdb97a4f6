import Foundation
import Testing

/// Imports that keep faith with the table and the file: a replace keeps the
/// table's types, a file Rocky cannot read is refused by name, TSV and other
/// delimiters are read as such, and export writes only what it says.
@Suite struct ImportFaithTests {
    /// A repository whose committed table `t` has a DOUBLE and an INTEGER column.
    func scores() -> Sandbox {
        let box = Sandbox()
        box.ok("init")
        box.write("all.csv", "id,risk_score,lim\n1,0.5,10\n2,0.125,20\n3,1.75,\n")
        box.ok("import", "t", "all.csv", "--key", "id")
        box.ok("commit", "-m", "scores")
        let schema = box.ok("schema", "t")
        #expect(schema.contains("DOUBLE") && schema.contains("INTEGER"), "\(schema)")
        return box
    }

    /// The repository's state as files, without caches and scratch space.
    func state(_ box: Sandbox) -> [String: Data] {
        box.snapshot().filter { !$0.key.hasPrefix("cache") && !$0.key.hasPrefix("tmp") }
    }

    @Test func replaceKeepsTheTablesTypes() {
        let box = scores()
        // Every score has three places (alone, DECIMAL(9,3)) and lim is all NULL (alone, TEXT).
        box.write("subset.csv", "id,risk_score,lim\n1,0.125,\n2,0.250,\n")
        let run = box.rocky("import", "t", "subset.csv")
        #expect(run.code == 0, "\(run)")
        #expect(!run.out.contains("inferred types"), "nothing was inferred: \(run.out)")
        let schema = box.ok("schema", "t")
        #expect(schema.contains("DOUBLE") && schema.contains("INTEGER") && !schema.contains("DECIMAL") && !schema.contains("TEXT"), "\(schema)")
        #expect(box.ok("export", "t") == "id,risk_score,lim\n1,0.125,\n2,0.25,\n")
        #expect(box.ok("status").contains("t"), "the table changed")
    }

    @Test func replaceInfersOnlyTheColumnsTheTableLacks() {
        let box = scores()
        box.write("wider.csv", "id,risk_score,note\n1,0.125,ok\n")
        let run = box.rocky("import", "t", "wider.csv")
        #expect(run.code == 0, "\(run)")
        #expect(run.out.contains("inferred types") && run.out.contains("note"), "\(run.out)")
        let schema = box.ok("schema", "t")
        #expect(schema.contains("DOUBLE") && schema.contains("note") && !schema.contains("lim"), "\(schema)")
    }

    @Test func aValueThatDoesNotFitIsAnErrorAtItsPositionAndChangesNothing() {
        let box = scores()
        box.write("bad.csv", "id,risk_score,lim\n1,0.5,10\n2,0.25,lots\n")
        let before = state(box)
        let run = box.rocky("import", "t", "bad.csv")
        #expect(run.code == 1, "\(run)")
        #expect(run.err.contains("bad.csv:3:8: 'lots' is not an INTEGER"), "\(run.err)")
        #expect(run.err.contains("--infer"), "the error says how to re-infer: \(run.err)")
        #expect(state(box) == before, "nothing was written")
        #expect(box.ok("status").contains("nothing to commit") || !box.ok("status").contains("modified"))
    }

    @Test func inferInfersEveryTypeAfresh() {
        let box = scores()
        box.write("subset.csv", "id,risk_score,lim\n1,0.125,\n2,0.250,\n")
        let run = box.rocky("import", "t", "subset.csv", "--infer")
        #expect(run.code == 0, "\(run)")
        #expect(run.out.contains("inferred types"), "\(run.out)")
        let schema = box.ok("schema", "t")
        #expect(schema.contains("DECIMAL(") && schema.contains("TEXT") && !schema.contains("DOUBLE"), "\(schema)")
        let refused = box.rocky("import", "t", "subset.csv", "--infer", "--mode", "upsert")
        #expect(refused.code == 2 && refused.err.contains("--infer applies to --mode replace"), "\(refused)")
    }

    @Test(arguments: ["data.parquet", "data.csv", "data"])
    func aParquetFileIsRefusedNamingTheFormatsRockyReads(name: String) {
        let box = Sandbox()
        box.ok("init")
        // A Parquet file begins (and ends) with PAR1.
        let bytes: [UInt8] = Array("PAR1".utf8) + [0x15, 0x04, 0x15, 0x30, 0x15, 0x2e, 0x4c, 0x15, 0x02] + Array("PAR1".utf8)
        FileManager.default.createFile(atPath: box.path + "/" + name, contents: Data(bytes))
        let before = state(box)
        let run = box.rocky("import", "t", name)
        #expect(run.code == 2, "\(run)")
        #expect(run.err.contains("CSV (.csv), TSV (.tsv) and JSON Lines (.jsonl, .ndjson)"), "\(run.err)")
        if name != "data.parquet" { #expect(run.err.contains("looks like Parquet"), "\(run.err)") }
        #expect(state(box) == before)
        #expect(box.rocky("tables").out.contains("t") == false)
    }

    @Test func aBinaryFileIsRefused() {
        let box = Sandbox()
        box.ok("init")
        FileManager.default.createFile(atPath: box.path + "/blob.csv", contents: Data([0x69, 0x64, 0x0A, 0x01, 0x00, 0x02, 0x0A]))
        let run = box.rocky("import", "t", "blob.csv")
        #expect(run.code == 2, "\(run)")
        #expect(run.err.contains("binary (a NUL byte at offset 4)") && run.err.contains("JSON Lines"), "\(run.err)")
        let gz = box.rocky("import", "t", "prices.csv.gz")
        #expect(gz.code == 2 && gz.err.contains("not .gz"), "an extension Rocky does not read: \(gz)")
    }

    @Test func tsvIsReadByItsExtensionAndWrittenBack() {
        let box = Sandbox()
        box.ok("init")
        let tsv = "id\tname\tprice\n1\tone, two\t1.50\n2\t\"tab\there\"\t2.25\n"
        box.write("items.tsv", tsv)
        let run = box.rocky("import", "items", "items.tsv", "--key", "id")
        #expect(run.code == 0, "\(run)")
        #expect(box.ok("export", "items") == "id,name,price\n1,\"one, two\",1.50\n2,tab\there,2.25\n")
        box.ok("export", "items", "-o", "out.tsv")
        #expect(box.read("out.tsv") == tsv, "a TSV Rocky wrote reads back byte for byte")
        // Standard input has no extension: its first line says TSV.
        let piped = box.rocky(["import", "piped", "-", "--key", "id"], stdin: tsv)
        #expect(piped.code == 0, "\(piped)")
        #expect(box.ok("export", "piped") == box.ok("export", "items"))
    }

    @Test func aDelimiterIsTaken() {
        let box = Sandbox()
        box.ok("init")
        box.write("semi.csv", "id;city;amount\n1;Paris, France;3.50\n2;Oslo;4.25\n")
        let run = box.rocky("import", "t", "semi.csv", "--delimiter", ";", "--key", "id")
        #expect(run.code == 0, "\(run)")
        #expect(box.ok("export", "t") == "id,city,amount\n1,\"Paris, France\",3.50\n2,Oslo,4.25\n")
        #expect(box.rocky("import", "t", "semi.csv", "--delimiter", "\"").code == 2)
        box.write("rows.jsonl", "{\"id\": 1}\n")
        #expect(box.rocky("import", "j", "rows.jsonl", "--delimiter", ";").code == 2, "no delimiter in JSON Lines")
    }

    @Test func exportRefusesAnExtensionItWillNotHonour() {
        let box = scores()
        let run = box.rocky("export", "t", "-o", "c.parquet")
        #expect(run.code == 2, "\(run)")
        #expect(run.err.contains("rocky export writes CSV (.csv), TSV (.tsv) and JSON Lines (.jsonl, .ndjson), not .parquet"), "\(run.err)")
        #expect(!FileManager.default.fileExists(atPath: box.path + "/c.parquet"))
        #expect(!run.err.contains("wrote"))
        box.ok("export", "t", "-o", "c.jsonl")
        #expect(box.read("c.jsonl")?.hasPrefix("{") == true)
    }

    /// A schema file that does not parse or declares nonsense is bad input,
    /// not a usage error: exit 1 with a code of its own, naming the file.
    @Test func aMalformedSchemaFileIsAFailureNamingTheFile() {
        let box = Sandbox()
        box.ok("init")
        box.write("a.csv", "id,x\n1,2\n")
        let before = box.snapshot()
        for (file, text, needle) in [("broken.json", "{\"columns\": [", "broken.json:"),
                                     ("typo.json", "{\"columns\": [{\"name\": \"id\", \"type\": \"INTEGR\"}]}", "unknown type 'INTEGR'")] {
            box.write(file, text)
            let run = box.rocky("import", "t", "a.csv", "--schema", file, "--json")
            #expect(run.code == 1, "\(run)")
            let error = box.json(run)["error"] as? [String: Any]
            #expect(error?["code"] as? String == "malformed_file")
            #expect((error?["message"] as? String)?.contains(needle) == true && (error?["message"] as? String)?.contains(file) == true, "\(run)")
        }
        // Nothing written (the scratch folders an import makes aside).
        let scratch: Set<String> = ["tmp", "objects/pack"]
        #expect(box.snapshot().filter { !scratch.contains($0.key) } == before.filter { !scratch.contains($0.key) })
    }
}
