import Foundation
import Testing

/// `rocky lineage <table>.<column>`: upstream and downstream across commits,
/// pruning, edge types, masking, classification, depth and every format.
@Suite struct LineageTests {
    // MARK: The 15-step chain

    @Test func fifteenStepChainTracesBackToTheSourceColumns() {
        let box = Sandbox()
        box.buildChain()
        let graph = box.lineage("report.value")

        // Every hop of the chain, one transformation each, back to the imported prices.
        let path = ["report.value", "s14.segment_value", "s13.segment_value", "s12.total_value", "s11.total_value", "s10.value",
                    "s09.value", "s08.value", "s07.market_value", "s06.avg_ma5", "s05.avg_ma5", "s04.avg_ma5", "s03.ma5",
                    "s02.close", "s01.close", "prices.close"]
        for (distance, name) in path.enumerated() {
            #expect(graph.node(name)?["distance"] as? Int == distance, "\(name) is \(distance) hops from report.value")
        }
        #expect(graph.node("positions.quantity")?["distance"] as? Int == 10)
        for source in ["prices.close", "positions.quantity"] {
            #expect(graph.node(source)?["source"] as? Bool == true)
            #expect(graph.node(source)?["origin"] as? String == "import")
            #expect((graph.node(source)?["steps"] as? [String])?.isEmpty == true)
        }
        #expect(graph.node("report.value")?["source"] as? Bool == false)

        // Edge types along the way (data flows from -> to).
        #expect(graph.edges("prices.close", "s01.close") == ["DIRECT IDENTITY column"])
        #expect(graph.edges("prices.volume", "s01.close") == ["INDIRECT FILTER dataset"])
        #expect(graph.edges("s02.close", "s03.ma5") == ["DIRECT AGGREGATION column"])
        #expect(graph.edges("s02.symbol", "s03.ma5") == ["INDIRECT WINDOW column"])
        #expect(graph.edges("s02.ts", "s03.ma5") == ["INDIRECT WINDOW column"])
        #expect(graph.edges("s03.symbol", "s04.avg_ma5") == ["INDIRECT GROUP_BY dataset"])
        #expect(graph.edges("positions.symbol", "s06.avg_ma5") == ["INDIRECT JOIN dataset"])
        #expect(graph.edges("s06.quantity", "s07.market_value") == ["DIRECT TRANSFORMATION column"])
        #expect(graph.edges("s12.total_value", "s13.segment_value") == ["DIRECT AGGREGATION column"])
        #expect(graph.edges("s13.segment_value", "s14.segment_value") == ["DIRECT TRANSFORMATION column"])
        #expect(graph.edges("s13.customers", "s14.segment_value") == ["INDIRECT FILTER dataset"])
        #expect(graph.edges("s14.segment_value", "report.value") == ["DIRECT IDENTITY column", "INDIRECT SORT dataset"])
        #expect(graph.edgeList.allSatisfy { $0["masking"] as? Bool == false })

        // Pruned: what does not contribute to report.value is absent.
        for pruned in ["s02.ret", "s03.ret", "s04.avg_ret", "s05.trend", "s04.total_volume", "s08.shares", "s09.value_rank",
                       "s11.best_rank", "s12.name", "prices.open", "prices.high", "report.customers", "report.segment"] {
            #expect(graph.node(pruned) == nil, "\(pruned) does not feed report.value")
        }
        // Columns reached only through indirect edges are leaves, marked when there is more.
        #expect(graph.node("s02.symbol")?["truncated"] as? Bool == true)
        #expect(graph.node("s01.symbol") == nil)
        #expect(graph.node("prices.volume")?["truncated"] as? Bool == false)
        #expect(graph.node("prices.volume")?["source"] as? Bool == true)

        // Steps: models and SQL statements, recorded in many commits.
        let steps = graph.transformations
        #expect(graph.step(of: "report.value")?["model"] as? String == "report")
        #expect(graph.step(of: "s01.close")?["kind"] as? String == "create_table_as")
        #expect((graph.step(of: "s01.close")?["statement"] as? String)?.hasPrefix("CREATE TABLE s01 AS") == true)
        #expect(Set(steps.compactMap { $0["commit"] as? String }).count == 13, "twelve SQL commits and the models commit")
        #expect(steps.first?["id"] as? String == graph.step(of: "s01.close")?["id"] as? String, "oldest first")
        #expect(graph.json["direction"] as? String == "upstream")
        #expect(graph.json["revision"] is NSNull, "no revision: the working set")

        // --indirect traces past the indirect leaves as well.
        let full = box.lineage("report.value", "--indirect")
        #expect(full.node("s01.symbol") != nil && full.node("prices.symbol")?["source"] as? Bool == true)
        #expect(full.node("s02.symbol")?["truncated"] as? Bool == false)
        #expect(full.nodes.count > graph.nodes.count)
    }

    @Test func aColumnOnlySomeStepsFeedIsPrunedToThoseSteps() {
        let box = Sandbox()
        box.buildChain()
        // COUNT(*) reads no column: only the last three steps shape report.customers.
        let graph = box.lineage("report.customers")
        #expect(Set(graph.nodes.map { "\($0["table"]!).\($0["column"]!)" })
            == ["report.customers", "s14.customers", "s13.customers", "s12.segment", "s14.segment_value"])
        #expect(graph.edges("s14.customers", "report.customers") == ["DIRECT IDENTITY column"])
        #expect(graph.edges("s13.customers", "s14.customers") == ["DIRECT IDENTITY column", "INDIRECT FILTER dataset"])
        #expect(graph.edges("s12.segment", "s13.customers") == ["INDIRECT GROUP_BY dataset"])
        #expect(graph.edges("s14.segment_value", "report.customers") == ["INDIRECT SORT dataset"])
        #expect(Set(graph.transformations.compactMap { $0["model"] as? String }) == ["report", "s14", "s13"])
        let statements = graph.transformations.filter { $0["model"] == nil }.compactMap { $0["statement"] as? String }
        #expect(statements.count == 1 && statements.first?.hasPrefix("CREATE TABLE s12 AS") == true,
                "only the step that wrote the s12.segment leaf, none of s01..s11: \(statements)")

        let text = box.ok("lineage", "report.customers")
        #expect(text.hasPrefix("report.customers  model report "))
        #expect(text.contains("└── s13.customers  DIRECT identity, INDIRECT filter  model s13 "))
        #expect(text.contains("s12.segment  INDIRECT group by  CREATE TABLE AS "))
        #expect(text.contains("(+ more upstream)"), "s12.segment has inputs that are not traced")
        #expect(!text.contains("prices"))
    }

    @Test func downstreamAndDepth() {
        let box = Sandbox()
        box.buildChain()
        let down = box.lineage("prices.close", "--downstream")
        #expect(down.json["direction"] as? String == "downstream")
        #expect(down.node("prices.close")?["distance"] as? Int == 0)
        #expect(down.node("report.value")?["distance"] as? Int == 15)
        #expect(down.edges("s02.close", "s03.ma5") == ["DIRECT AGGREGATION column"])
        #expect(down.edges("s04.avg_ret", "s05.trend") == ["INDIRECT CONDITIONAL column"])
        #expect(down.edges("s14.segment_value", "report.customers") == ["INDIRECT SORT dataset"])
        #expect(down.node("s09.value_rank")?["truncated"] as? Bool == true, "value_rank feeds s10 and s11, not traced (indirect)")
        for absent in ["s06.quantity", "s04.total_volume", "s12.name", "positions.quantity", "s10.value_rank"] {
            #expect(down.node(absent) == nil, "\(absent) is not fed by prices.close")
        }
        let text = box.ok("lineage", "prices.close", "--downstream")
        #expect(text.hasPrefix("prices.close  imported\n└── s01.close  DIRECT identity  CREATE TABLE AS "))

        // --depth counts transformations from the column.
        let shallow = box.lineage("report.value", "--depth", "3")
        #expect(shallow.nodes.map { $0["distance"] as? Int ?? 99 }.max() == 3)
        #expect(shallow.node("s12.total_value")?["truncated"] as? Bool == true)
        #expect(shallow.node("s11.total_value") == nil)
        #expect(shallow.json["depth"] as? Int == 3)
        #expect(box.ok("lineage", "report.value", "--depth", "1")
            .replacingHex() == """
            report.value  model report ########
            └── s14.segment_value  DIRECT identity, INDIRECT sort  model s14 ########  (+ more upstream)

            """)
        let shallowDown = box.lineage("prices.close", "--downstream", "--depth", "2")
        #expect(Set(shallowDown.nodes.map { $0["id"] as! String }.map { String($0.prefix { $0 != "@" }) })
            == ["prices.close", "s01.close", "s02.close", "s02.ret"])
        #expect(shallowDown.node("s02.close")?["truncated"] as? Bool == true)
        #expect(box.lineage("prices.close", "--downstream", "--depth", "0").nodes.count == 1)
    }

    // MARK: Formats

    @Test func everyFormat() {
        let box = Sandbox()
        box.buildChain()
        let json = box.ok("lineage", "s03.ma5", "--format", "json")
        #expect(json == box.ok("lineage", "s03.ma5", "--json"))
        let wrapped = box.rocky("lineage", "s03.ma5", "--json", "--format", "dot")
        #expect(wrapped.code == 0)
        #expect(box.json(wrapped)["format"] as? String == "dot")
        #expect(box.json(wrapped)["content"] as? String == box.ok("lineage", "s03.ma5", "--format", "dot"), "--json with another format: that output in one document")
        #expect(box.rocky("lineage", "s03.ma5", "--format", "svg").code == 2)

        let graph = box.lineage("s03.ma5")
        let ma5 = graph.node("s03.ma5")!["id"] as! String, close = graph.node("s02.close")!["id"] as! String
        let symbol = graph.node("s02.symbol")!["id"] as! String

        let dot = box.ok("lineage", "s03.ma5", "--format", "dot")
        #expect(dot.hasPrefix("digraph lineage {\n  rankdir=LR;\n"))
        #expect(dot.hasSuffix("}\n"))
        #expect(dot.contains("\"\(close)\" -> \"\(ma5)\" [label=\"DIRECT aggregation\"];"))
        #expect(dot.contains("\"\(symbol)\" -> \"\(ma5)\" [label=\"INDIRECT window\", style=dashed];"))
        #expect(dot.contains("\"\(ma5)\" [label=\"s03.ma5\\nCREATE TABLE AS "), "the requested column, bold")
        #expect(dot.contains(", style=bold];"))
        #expect(dot.contains("shape=cylinder"), "imported sources")

        let mermaid = box.ok("lineage", "s03.ma5", "--format", "mermaid")
        let lines = mermaid.split(separator: "\n").map(String.init)
        #expect(lines.first == "flowchart LR")
        #expect(lines.contains { $0.hasPrefix("  n0[\"s03.ma5<br/>CREATE TABLE AS ") })
        let closeIndex = graph.nodes.firstIndex { $0["id"] as? String == close }!
        let symbolIndex = graph.nodes.firstIndex { $0["id"] as? String == symbol }!
        #expect(lines.contains("  n\(closeIndex) -->|\"DIRECT aggregation\"| n0"))
        #expect(lines.contains("  n\(symbolIndex) -.->|\"INDIRECT window\"| n0"))
        #expect(lines.contains("  class n0 requested"))

        let text = box.ok("lineage", "s03.ma5", "--format", "text")
        #expect(text == box.ok("lineage", "s03.ma5"))
        #expect(text.hasPrefix("s03.ma5  CREATE TABLE AS "))
    }

    @Test func openLineageOutputFollowsTheColumnLineageFacet() throws {
        let box = Sandbox()
        box.buildChain()
        let run = box.rocky("lineage", "report.value", "--format", "openlineage")
        #expect(run.code == 0, "\(run)")
        let events = run.out.split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
        }
        let graph = box.lineage("report.value")
        let outputs = Set(graph.edgeList.map { ($0["to"] as! String).split(separator: ".").first.map(String.init)! })
        #expect(events.count == outputs.count, "one document per output dataset")
        #expect(outputs.count == 15)
        let namespace = "rocky://" + URL(fileURLWithPath: box.path).standardizedFileURL.path
        let direct: Set<String> = ["IDENTITY", "TRANSFORMATION", "AGGREGATION"]
        let indirect: Set<String> = ["JOIN", "GROUP_BY", "FILTER", "SORT", "WINDOW", "CONDITIONAL"]
        var names: [String] = []

        /// InputField: namespace, name and field are required strings; each
        /// transformation has a type (DIRECT or INDIRECT), a subtype of that
        /// type, a description and a masking flag.
        func checkInputField(_ field: [String: Any], datasetLevel: Bool) {
            #expect(field["namespace"] as? String == namespace)
            #expect(field["name"] is String && field["field"] is String)
            let transformations = field["transformations"] as? [[String: Any]] ?? []
            #expect(!transformations.isEmpty)
            for t in transformations {
                let type = t["type"] as? String, subtype = t["subtype"] as? String ?? ""
                #expect(type == "DIRECT" || type == "INDIRECT")
                #expect(type == "DIRECT" ? direct.contains(subtype) : indirect.contains(subtype), "\(t)")
                if datasetLevel { #expect(type == "INDIRECT" && ["JOIN", "GROUP_BY", "FILTER", "SORT"].contains(subtype)) }
                #expect(t["description"] is String)
                #expect(t["masking"] != nil)
            }
        }

        // masking is a JSON boolean wherever it appears.
        let maskings = run.out.components(separatedBy: "\"masking\":").count - 1
        #expect(maskings > 0 && maskings == run.out.components(separatedBy: "\"masking\":false").count - 1
            + run.out.components(separatedBy: "\"masking\":true").count - 1)
        for event in events {
            // DatasetEvent: eventTime, producer, schemaURL, dataset {namespace, name, facets}.
            #expect((event["eventTime"] as? String).map { ISO8601DateFormatter().date(from: $0) != nil } == true)
            #expect(event["producer"] as? String == "urn:rocky:0.1.0")
            #expect(event["schemaURL"] as? String == "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent")
            let dataset = try #require(event["dataset"] as? [String: Any])
            #expect(dataset["namespace"] as? String == namespace)
            let name = try #require(dataset["name"] as? String)
            names.append(name)
            let facets = try #require(dataset["facets"] as? [String: Any])
            let facet = try #require(facets["columnLineage"] as? [String: Any])
            #expect(facet["_producer"] as? String == "urn:rocky:0.1.0")
            #expect(facet["_schemaURL"] as? String
                == "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet")
            let fields = try #require(facet["fields"] as? [String: Any], "fields is required")
            for (_, value) in fields {
                let inputFields = try #require((value as? [String: Any])?["inputFields"] as? [[String: Any]], "inputFields is required")
                #expect(!inputFields.isEmpty)
                for field in inputFields { checkInputField(field, datasetLevel: false) }
            }
            for field in facet["dataset"] as? [[String: Any]] ?? [] { checkInputField(field, datasetLevel: true) }
            let version = facets["version"] as? [String: Any]
            #expect((version?["datasetVersion"] as? String)?.count == 64)
            #expect(version?["_schemaURL"] as? String
                == "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet")
        }
        #expect(names.first == "report" && Set(names) == outputs)

        // What the facet says about two datasets.
        let s01 = events.first { ($0["dataset"] as? [String: Any])?["name"] as? String == "s01" }
        let facet = ((s01?["dataset"] as? [String: Any])?["facets"] as? [String: Any])?["columnLineage"] as? [String: Any]
        let fields = facet?["fields"] as? [String: [String: Any]]
        #expect(fields.map { Set($0.keys) } == ["close"], "only the column on the path")
        let close = (fields?["close"]?["inputFields"] as? [[String: Any]])?.first
        #expect(close?["name"] as? String == "prices" && close?["field"] as? String == "close")
        let transformation = (close?["transformations"] as? [[String: Any]])?.first
        #expect(transformation?["type"] as? String == "DIRECT" && transformation?["subtype"] as? String == "IDENTITY")
        #expect((transformation?["description"] as? String)?.hasPrefix("CREATE TABLE AS ") == true)
        let filters = facet?["dataset"] as? [[String: Any]]
        #expect(filters?.map { "\($0["name"]!).\($0["field"]!)" } == ["prices.volume"])
        let report = events.first
        let reportFields = (((report?["dataset"] as? [String: Any])?["facets"] as? [String: Any])?["columnLineage"] as? [String: Any])?["fields"] as? [String: Any]
        #expect(reportFields.map { Set($0.keys) } == ["value"])

        let custom = box.ok("lineage", "report.value", "--format", "openlineage", "--namespace", "rocky://research")
        #expect(custom.contains("\"namespace\":\"rocky://research\"") && !custom.contains(namespace))
    }

    // MARK: Governance on the graph

    @Test func aMaskedColumnIsMarked() {
        let box = Sandbox()
        box.loadFixtures()
        box.write("rocky.toml", "[environments.dev]\n[environments.prod.masking]\npii = \"hash\"\n")
        box.ok("classify", "customers.email", "pii")
        box.ok("commit", "-m", "Mask pii in prod")
        let prod = box.rocky(["--env", "prod", "sql", "CREATE TABLE contacts AS SELECT customer_id, email FROM customers"])
        #expect(prod.code == 0, "\(prod)")
        let graph = box.lineage("contacts.email")
        let edge = graph.edgeList.first { ($0["from"] as? String)?.hasPrefix("customers.email@") == true }
        #expect(edge?["masking"] as? Bool == true)
        #expect(edge?["strategy"] as? String == "hash")
        #expect(graph.node("customers.email")?["classification"] as? String == "pii")
        #expect(graph.node("contacts.email")?["classification"] is NSNull, "a masked value carries no classification")
        #expect(box.ok("lineage", "contacts.email").replacingHex() == """
            contacts.email  CREATE TABLE AS ########
            └── customers.email [pii]  DIRECT identity masked (hash)  source: imported

            """)
        #expect(box.ok("lineage", "contacts.email", "--format", "openlineage").contains("\"masking\":true"))
        #expect(box.ok("lineage", "contacts.email", "--format", "dot").contains("color=red"))
        #expect(box.ok("lineage", "contacts.email", "--format", "mermaid").contains("linkStyle 0 stroke:red"))
        // The unmasked column next to it is not marked.
        let id = box.lineage("contacts.customer_id")
        #expect(id.edgeList.allSatisfy { $0["masking"] as? Bool == false })
    }

    @Test func classificationIsShownOnEveryNode() {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("classify", "customers.ssn", "pii")
        box.ok("commit", "-m", "Classify ssn")
        box.ok("sql", "CREATE TABLE kyc AS SELECT customer_id, UPPER(ssn) AS ssn_upper, name FROM customers WHERE country = 'US'")
        box.ok("sql", "CREATE TABLE kyc_report AS SELECT ssn_upper AS id_number FROM kyc")
        // Declared in rocky.toml, not yet committed: it applies as in the SQL catalog.
        box.ok("classify", "customers.country", "internal")
        let graph = box.lineage("kyc_report.id_number")
        #expect(graph.node("kyc_report.id_number")?["classification"] as? String == "pii")
        #expect(graph.node("kyc.ssn_upper")?["classification"] as? String == "pii")
        #expect(graph.node("customers.ssn")?["classification"] as? String == "pii")
        #expect(graph.node("customers.country")?["classification"] as? String == "internal")
        #expect(box.ok("lineage", "kyc_report.id_number").replacingHex() == """
            kyc_report.id_number [pii]  CREATE TABLE AS ########
            └── kyc.ssn_upper [pii]  DIRECT identity  CREATE TABLE AS ########
                ├── customers.country [internal]  INDIRECT filter  source: imported
                └── customers.ssn [pii]  DIRECT transformation  source: imported

            """)
        #expect(box.ok("lineage", "kyc_report.id_number", "--format", "dot").contains("label=\"kyc.ssn_upper\\n[pii]\\n"))
        #expect(box.ok("lineage", "kyc_report.id_number", "--format", "mermaid").contains("[\"kyc.ssn_upper<br/>[pii]<br/>"))
    }

    // MARK: History

    @Test func inPlaceStatementsKeepTheColumnAndAddTheirInputs() {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("sql", "CREATE TABLE watch (symbol TEXT NOT NULL, note TEXT, PRIMARY KEY (symbol))")
        box.ok("sql", "INSERT INTO watch VALUES ('AAPL', 'core')")
        box.ok("commit", "-m", "Watch list")
        // A table written only by CREATE TABLE and INSERT ... VALUES is a source.
        let seed = box.lineage("watch.note")
        #expect(seed.nodes.count == 1 && seed.edgeList.isEmpty)
        #expect(seed.node("watch.note")?["source"] as? Bool == true)
        #expect(seed.node("watch.note")?["origin"] as? String == "sql")
        #expect((seed.node("watch.note")?["steps"] as? [String])?.count == 2)
        #expect(box.ok("lineage", "watch.note").replacingHex() == "watch.note  source: INSERT ######## (+1 earlier)\n")

        box.ok("sql", "INSERT INTO watch SELECT DISTINCT symbol, LOWER(symbol) FROM positions WHERE symbol <> 'AAPL'")
        box.ok("commit", "-m", "More")
        box.ok("sql", "UPDATE watch SET note = UPPER(note) WHERE symbol IN (SELECT symbol FROM prices WHERE volume > 50000000)")
        box.ok("sql", "ALTER TABLE watch RENAME COLUMN note TO label")
        let graph = box.lineage("watch.label")
        #expect(graph.nodes.filter { $0["table"] as? String == "watch" }.map { $0["column"] as? String } == ["label", "symbol"],
                "one node for the column through INSERT, UPDATE and the rename")
        #expect(graph.edges("positions.symbol", "watch.label") == ["DIRECT TRANSFORMATION column", "INDIRECT FILTER dataset"])
        #expect(graph.edges("prices.symbol", "watch.label") == ["INDIRECT FILTER dataset"])
        #expect(graph.edges("prices.volume", "watch.label") == ["INDIRECT FILTER dataset"])
        #expect(graph.edges("watch.symbol", "watch.label") == ["INDIRECT FILTER dataset"])
        let kinds = (graph.node("watch.label")?["steps"] as? [String] ?? []).compactMap { id in
            graph.transformations.first { $0["id"] as? String == id }?["kind"] as? String
        }
        #expect(kinds == ["update", "insert", "insert", "create_table"], "newest first")
        #expect(graph.node("watch.label")?["source"] as? Bool == false)

        let down = box.lineage("positions.symbol", "--downstream")
        #expect(down.node("watch.label") != nil, "named by its newest version")
        #expect(down.edges("positions.symbol", "watch.label") == ["DIRECT TRANSFORMATION column", "INDIRECT FILTER dataset"])

        // Columns of one table feeding each other in place, and a column dropped since.
        box.ok("sql", """
            CREATE TABLE swap AS SELECT symbol, close AS a, open AS b, volume FROM prices;
            UPDATE swap SET a = b + 1; UPDATE swap SET b = a * 2; DELETE FROM swap WHERE volume < 1000;
            ALTER TABLE swap DROP COLUMN volume
            """)
        let swap = box.lineage("swap.a")
        #expect(swap.edges("swap.b", "swap.a") == ["DIRECT TRANSFORMATION column"])
        #expect(swap.edges("swap.a", "swap.b") == ["DIRECT TRANSFORMATION column"])
        #expect(swap.edges("prices.open", "swap.b") == ["DIRECT IDENTITY column"])
        #expect(swap.edges("swap.volume", "swap.a") == ["INDIRECT FILTER dataset"], "DELETE's filter, on the version before the drop")
        #expect(swap.node("swap.volume")?["version"] as? String != swap.node("swap.a")?["version"] as? String)
        let text = box.ok("lineage", "swap.a")
        #expect(text.contains("(see above)") && text.contains("swap.a@"), "a cycle is printed once; two versions of swap are told apart")
    }

    @Test func governanceAppliedAtCommitKeepsTheLineageAndAnImportStartsAnew() {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("sql", "CREATE TABLE recent AS SELECT symbol, close FROM prices WHERE ts >= TIMESTAMP '2026-05-10 00:00:00'")
        let written = box.tableID("recent")
        box.ok("classify", "recent.close", "financial")
        box.ok("commit", "-m", "Recent, classified")
        #expect(box.tableID("recent", at: "HEAD") != written, "the commit wrote a version no record wrote")
        let graph = box.lineage("recent.close")
        #expect(graph.edges("prices.close", "recent.close") == ["DIRECT IDENTITY column"])
        #expect(graph.edges("prices.ts", "recent.close") == ["INDIRECT FILTER dataset"])
        #expect(graph.node("recent.close")?["classification"] as? String == "financial")
        #expect(graph.node("recent.close")?["version"] as? String == box.tableID("recent", at: "HEAD"))
        box.ok("sql", "CREATE TABLE recent_copy AS SELECT close FROM recent")
        #expect(box.lineage("prices.close", "--downstream").node("recent_copy.close")?["distance"] as? Int == 2)

        // Classifying an imported table restates it too: downstream from the
        // version before still finds what read the classified one.
        box.ok("classify", "prices.volume", "internal")
        box.ok("commit", "-m", "Classify volume")
        box.ok("sql", "CREATE TABLE liquidity AS SELECT symbol, volume FROM prices")
        #expect(box.lineage("prices.volume", "HEAD~1", "--downstream").node("liquidity.volume")?["distance"] as? Int == 1)

        // An import over a table starts it anew: Rocky cannot tell what of the
        // earlier rows survived, so the column is a source from there.
        box.write("recent.csv", "symbol,close\nAAPL,1.00\n")
        box.ok("import", "recent", "recent.csv", "--mode", "append")
        let imported = box.lineage("recent.close")
        #expect(imported.nodes.count == 1 && imported.edgeList.isEmpty)
        #expect(imported.node("recent.close")?["origin"] as? String == "import")
        #expect(imported.node("recent.close")?["source"] as? Bool == true)
    }

    @Test func theWorkingSetIsTheDefaultAndRevisionsReachThePast() {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("sql", "CREATE TABLE daily AS SELECT symbol, close FROM prices")
        // Uncommitted: the working set has it, HEAD does not.
        let pending = box.lineage("daily.close")
        #expect(pending.edges("prices.close", "daily.close") == ["DIRECT IDENTITY column"])
        #expect(pending.transformations.first?["commit"] is NSNull)
        let missing = box.rocky("lineage", "daily.close", "HEAD")
        #expect(missing.code == 1 && missing.err.contains("no table named 'daily'"), "\(missing)")
        box.ok("commit", "-m", "Daily")
        let head = box.ok("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let committed = box.lineage("daily.close", "HEAD")
        #expect(committed.json["revision"] as? String == head)
        #expect(committed.transformations.first?["commit"] as? String == head)

        box.ok("sql", "CREATE OR REPLACE TABLE daily AS SELECT symbol, open AS close FROM prices")
        box.ok("commit", "-m", "Daily from open")
        #expect(box.lineage("daily.close").edges("prices.open", "daily.close") == ["DIRECT IDENTITY column"])
        let past = box.lineage("daily.close", "HEAD~1")
        #expect(past.edges("prices.close", "daily.close") == ["DIRECT IDENTITY column"])
        #expect(past.node("prices.open") == nil)
        // Downstream from the past version: what read it, up to the working set.
        box.ok("sql", "CREATE TABLE weekly AS SELECT symbol, close FROM daily")
        let fromPast = box.lineage("prices.close", "HEAD~1", "--downstream")
        #expect(fromPast.node("daily.close") != nil && fromPast.node("weekly.close") == nil,
                "weekly read the new daily, which prices.close does not feed")
        #expect(box.lineage("prices.open", "--downstream").node("weekly.close")?["distance"] as? Int == 2)
    }

    @Test func acrossBranchesAndMerges() {
        let box = Sandbox()
        box.loadFixtures()
        box.ok("sql", "CREATE TABLE marks AS SELECT symbol, ts, close, volume FROM prices")
        box.ok("commit", "-m", "Marks")
        box.ok("branch", "feature")
        box.ok("checkout", "feature")
        box.ok("sql", "UPDATE marks SET close = close * 2 WHERE symbol = 'AAPL'")
        box.ok("sql", "CREATE TABLE halves AS SELECT symbol, close / 2 AS half FROM marks")
        box.ok("commit", "-m", "Feature")
        box.ok("checkout", "main")
        box.ok("sql", "UPDATE marks SET volume = volume + 1 WHERE symbol = 'MSFT'")
        box.ok("commit", "-m", "Main")
        box.ok("merge", "feature")
        box.ok("sql", "CREATE TABLE after AS SELECT symbol, close FROM marks")
        // halves came from the feature branch through the merge commit.
        let halves = box.lineage("halves.half")
        #expect(halves.edges("marks.close", "halves.half") == ["DIRECT TRANSFORMATION column"])
        #expect(halves.edges("prices.close", "marks.close") == ["DIRECT IDENTITY column"])
        // marks was changed on both sides: the merged version has both sides' steps.
        let marks = box.lineage("marks.close")
        let kinds = Set((marks.node("marks.close")?["steps"] as? [String] ?? []).compactMap { id in
            marks.transformations.first { $0["id"] as? String == id }?["kind"] as? String
        })
        #expect(kinds == ["update", "create_table_as"])
        #expect(marks.edges("marks.symbol", "marks.close") == ["INDIRECT FILTER dataset"])
        // Downstream crosses the merge to what read the merged version.
        let down = box.lineage("prices.close", "--downstream")
        #expect(down.node("halves.half") != nil && down.node("after.close")?["distance"] as? Int == 2)
    }

    @Test func mistakesAreReportedAndSQLModeStillWorks() {
        let box = Sandbox()
        box.loadFixtures()
        let column = box.rocky("lineage", "prices.nope")
        #expect(column.code == 1 && column.err.contains("table 'prices' has no column 'nope' (columns: symbol, ts, open"), "\(column)")
        #expect(box.rocky("lineage", "nope.close").code == 1)
        #expect(box.rocky("lineage", "prices").code == 2)
        #expect(box.rocky("lineage").code == 2)
        #expect(box.rocky("lineage", "prices.close", "--depth", "x").code == 2)
        #expect(box.rocky("lineage", "--sql", "SELECT close FROM prices", "--downstream").code == 2)
        let unknown = box.rocky("lineage", "prices.close", "--json", "nope")
        #expect(unknown.code == 1 && (box.json(unknown)["error"] as? [String: Any])?["message"] as? String
            == "unknown revision 'nope': no branch, ref or object of that name")
        // --sql as before.
        let sql = box.ok("lineage", "--sql", "SELECT close * 2 AS doubled FROM prices WHERE volume > 0")
        #expect(sql.contains("prices.close  DIRECT transformation"))
        let sqlJSON = box.json(box.rocky("lineage", "--sql", "SELECT close FROM prices", "--json"))
        #expect(sqlJSON["target"] is NSNull)
    }
}

// MARK: Helpers

/// A lineage graph as `rocky lineage --json` prints it, read through Foundation.
struct LineageJSON {
    let json: [String: Any]
    var nodes: [[String: Any]] { json["nodes"] as? [[String: Any]] ?? [] }
    var edgeList: [[String: Any]] { json["edges"] as? [[String: Any]] ?? [] }
    var transformations: [[String: Any]] { json["transformations"] as? [[String: Any]] ?? [] }

    /// The node of `table.column` (any version).
    func node(_ name: String) -> [String: Any]? {
        nodes.first { ($0["id"] as? String)?.hasPrefix(name + "@") == true }
    }

    /// `TYPE SUBTYPE scope` of each edge from one column to another, sorted.
    func edges(_ from: String, _ to: String) -> [String] {
        edgeList.filter { ($0["from"] as? String)?.hasPrefix(from + "@") == true && ($0["to"] as? String)?.hasPrefix(to + "@") == true }
            .map { "\($0["type"] as? String ?? "?") \($0["subtype"] as? String ?? "?") \($0["scope"] as? String ?? "?")" }
            .sorted()
    }

    /// The newest transformation that wrote a node.
    func step(of name: String) -> [String: Any]? {
        guard let id = (node(name)?["steps"] as? [String])?.first else { return nil }
        return transformations.first { $0["id"] as? String == id }
    }
}

extension Sandbox {
    func lineage(_ arguments: String..., sourceLocation: SourceLocation = #_sourceLocation) -> LineageJSON {
        LineageJSON(json: json(rocky(["lineage"] + arguments + ["--json"]), sourceLocation: sourceLocation))
    }

    /// Fifteen transformations, each committed on its own (twelve `rocky sql`
    /// statements, then three models run together): prices -> cleaned ->
    /// returns -> moving averages -> per symbol -> trend, joined to positions
    /// -> market value -> per account -> ranked -> joined to accounts -> per
    /// customer -> joined to customers -> per segment -> rounded -> report.
    func buildChain() {
        loadFixtures()
        ok("import", "accounts", fixture("accounts.csv"), "--key", "account_id")
        ok("commit", "-m", "Accounts")
        let steps = [
            "CREATE TABLE s01 AS SELECT symbol, ts, close, volume FROM prices WHERE volume > 0",
            "CREATE TABLE s02 AS SELECT symbol, ts, close, close / LAG(close) OVER (PARTITION BY symbol ORDER BY ts) - 1 AS ret, volume FROM s01",
            "CREATE TABLE s03 AS SELECT symbol, ts, ret, AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS ma5, volume FROM s02",
            "CREATE TABLE s04 AS SELECT symbol, MAX(ts) AS last_ts, AVG(ret) AS avg_ret, AVG(ma5) AS avg_ma5, SUM(volume) AS total_volume FROM s03 GROUP BY symbol",
            "CREATE TABLE s05 AS SELECT symbol, avg_ret, avg_ma5, total_volume, CASE WHEN avg_ret > 0 THEN 'up' ELSE 'down' END AS trend FROM s04",
            "CREATE TABLE s06 AS SELECT p.account_id, p.symbol, p.quantity, s.avg_ma5 FROM positions p JOIN s05 s ON p.symbol = s.symbol",
            "CREATE TABLE s07 AS SELECT account_id, symbol, quantity * avg_ma5 AS market_value, quantity FROM s06",
            "CREATE TABLE s08 AS SELECT account_id, SUM(market_value) AS value, SUM(quantity) AS shares FROM s07 GROUP BY account_id",
            "CREATE TABLE s09 AS SELECT account_id, value, shares, RANK() OVER (ORDER BY value DESC) AS value_rank FROM s08",
            "CREATE TABLE s10 AS SELECT a.customer_id, s.account_id, s.value, s.value_rank FROM s09 s JOIN accounts a ON a.account_id = s.account_id",
            "CREATE TABLE s11 AS SELECT customer_id, SUM(value) AS total_value, MIN(value_rank) AS best_rank FROM s10 GROUP BY customer_id",
            "CREATE TABLE s12 AS SELECT c.customer_id, c.name, c.segment, s.total_value FROM customers c JOIN s11 s ON c.customer_id = s.customer_id",
        ]
        for (i, step) in steps.enumerated() {
            ok("sql", step)
            ok("commit", "-m", "Step \(i + 1)")
        }
        write("models/s13.sql", "SELECT segment, SUM(total_value) AS segment_value, COUNT(*) AS customers FROM s12 GROUP BY segment\n")
        write("models/s14.sql", "SELECT segment, ROUND(segment_value, 2) AS segment_value, customers FROM s13 WHERE customers > 0\n")
        write("models/report.sql", "-- description: Value per customer segment\nSELECT segment, segment_value AS value, customers FROM s14 ORDER BY segment_value DESC\n")
        ok("run")
        ok("commit", "-m", "Steps 13 to 15: models")
    }
}

extension String {
    /// Transformation ids (8 hex digits in text) replaced by `########`, so
    /// expected output does not depend on run times recorded in the records.
    func replacingHex(keep: Int = 8) -> String {
        replacingOccurrences(of: "\\b[0-9a-f]{\(keep)}\\b", with: "########", options: .regularExpression)
    }
}
