import Foundation

/// The 15-step transformation chain of the benchmarks (`rocky-bench engine`,
/// `workflow`, `dagster`) and of the engine conformance suite
/// (Tests/RockyCLITests/EngineConformanceTests.swift), in one place so the
/// statements the benchmarks time are the statements the tests check give
/// the same table ids on every engine.
///
/// Returns, moving averages, signals, volatility, joins with a small table
/// and aggregations over a `prices` table (symbol, ts, open, high, low,
/// close, volume; key (symbol, ts)) and a `symbols` table (symbol, sector,
/// beta, lot; key symbol).
public enum BenchmarkChain {
    public struct Step: Sendable {
        /// The table the step creates.
        public var name: String
        /// The result's key, as a model would declare it.
        public var key: [String]?
        /// The Rocky SQL statement (CREATE TABLE AS).
        public var rocky: String
        /// The same computation as a sqlite3 user would write it (REAL
        /// prices, ISO text times): the query, without CREATE TABLE.
        public var sqlite: String
    }

    /// The 15 steps, in order: each reads only `prices`, `symbols` and earlier steps.
    public static let steps: [Step] = [
        Step(name: "returns", key: ["symbol", "ts"],
             rocky: "CREATE TABLE returns AS SELECT symbol, ts, close, volume, LAG(close) OVER (PARTITION BY symbol ORDER BY ts) AS prev_close FROM prices",
             sqlite: "SELECT symbol, ts, close, volume, LAG(close) OVER (PARTITION BY symbol ORDER BY ts) AS prev_close FROM prices"),
        Step(name: "daily_returns", key: ["symbol", "ts"],
             rocky: "CREATE TABLE daily_returns AS SELECT symbol, ts, close, volume, ROUND((close - prev_close) / prev_close, 6) AS ret FROM returns WHERE prev_close IS NOT NULL AND prev_close <> 0",
             sqlite: "SELECT symbol, ts, close, volume, ROUND((close - prev_close) / prev_close, 6) AS ret FROM returns WHERE prev_close IS NOT NULL AND prev_close <> 0"),
        Step(name: "moving_avg", key: ["symbol", "ts"],
             rocky: """
                CREATE TABLE moving_avg AS SELECT symbol, ts, close,
                  AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS ma5,
                  AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) AS ma20
                FROM prices
                """,
             sqlite: """
                SELECT symbol, ts, close,
                  AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 4 PRECEDING AND CURRENT ROW) AS ma5,
                  AVG(close) OVER (PARTITION BY symbol ORDER BY ts ROWS BETWEEN 19 PRECEDING AND CURRENT ROW) AS ma20
                FROM prices
                """),
        Step(name: "signals", key: ["symbol", "ts"],
             rocky: "CREATE TABLE signals AS SELECT symbol, ts, close, ma5, ma20, CASE WHEN ma5 > ma20 THEN 'buy' WHEN ma5 < ma20 THEN 'sell' ELSE 'hold' END AS signal FROM moving_avg WHERE ts >= TIMESTAMP '2025-07-01 00:00:00'",
             sqlite: "SELECT symbol, ts, close, ma5, ma20, CASE WHEN ma5 > ma20 THEN 'buy' WHEN ma5 < ma20 THEN 'sell' ELSE 'hold' END AS signal FROM moving_avg WHERE ts >= '2025-07-01T00:00:00Z'"),
        Step(name: "vol_stats", key: ["symbol"],
             rocky: "CREATE TABLE vol_stats AS SELECT symbol, COUNT(*) AS days, AVG(ret) AS mean_ret, STDDEV(ret) AS vol, MIN(ret) AS worst, MAX(ret) AS best FROM daily_returns GROUP BY symbol",
             sqlite: "SELECT symbol, COUNT(*) AS days, AVG(ret) AS mean_ret, sqrt((SUM(ret * ret) - SUM(ret) * SUM(ret) / COUNT(*)) / (COUNT(*) - 1)) AS vol, MIN(ret) AS worst, MAX(ret) AS best FROM daily_returns GROUP BY symbol"),
        Step(name: "enriched", key: ["symbol"],
             rocky: "CREATE TABLE enriched AS SELECT v.symbol, s.sector, s.beta, v.vol, v.mean_ret, v.vol * s.beta AS risk FROM vol_stats v JOIN symbols s ON s.symbol = v.symbol",
             sqlite: "SELECT v.symbol, s.sector, s.beta, v.vol, v.mean_ret, v.vol * s.beta AS risk FROM vol_stats v JOIN symbols s ON s.symbol = v.symbol"),
        Step(name: "sector_stats", key: ["sector"],
             rocky: "CREATE TABLE sector_stats AS SELECT sector, COUNT(*) AS symbols, AVG(vol) AS avg_vol, MAX(risk) AS max_risk FROM enriched GROUP BY sector",
             sqlite: "SELECT sector, COUNT(*) AS symbols, AVG(vol) AS avg_vol, MAX(risk) AS max_risk FROM enriched GROUP BY sector"),
        Step(name: "monthly", key: ["symbol", "month"],
             rocky: "CREATE TABLE monthly AS SELECT symbol, DATE_TRUNC('month', ts) AS month, MIN(low) AS low, MAX(high) AS high, SUM(volume) AS volume, COUNT(*) AS days FROM prices GROUP BY symbol, DATE_TRUNC('month', ts)",
             sqlite: "SELECT symbol, substr(ts, 1, 7) AS month, MIN(low) AS low, MAX(high) AS high, SUM(volume) AS volume, COUNT(*) AS days FROM prices GROUP BY symbol, substr(ts, 1, 7)"),
        Step(name: "big_moves", key: ["symbol", "ts"],
             rocky: "CREATE TABLE big_moves AS SELECT symbol, ts, ret, volume FROM daily_returns WHERE ABS(ret) > 0.02",
             sqlite: "SELECT symbol, ts, ret, volume FROM daily_returns WHERE ABS(ret) > 0.02"),
        Step(name: "signal_counts", key: ["symbol", "signal"],
             rocky: "CREATE TABLE signal_counts AS SELECT symbol, signal, COUNT(*) AS n FROM signals GROUP BY symbol, signal",
             sqlite: "SELECT symbol, signal, COUNT(*) AS n FROM signals GROUP BY symbol, signal"),
        Step(name: "ranked", key: ["ts", "symbol"],
             rocky: "CREATE TABLE ranked AS SELECT symbol, ts, ret, RANK() OVER (PARTITION BY ts ORDER BY ret DESC) AS rnk FROM daily_returns",
             sqlite: "SELECT symbol, ts, ret, RANK() OVER (PARTITION BY ts ORDER BY ret DESC) AS rnk FROM daily_returns"),
        Step(name: "top_movers", key: ["ts", "symbol"],
             rocky: "CREATE TABLE top_movers AS SELECT ts, symbol, ret, rnk FROM ranked WHERE rnk <= 5",
             sqlite: "SELECT ts, symbol, ret, rnk FROM ranked WHERE rnk <= 5"),
        Step(name: "vwap", key: ["symbol"],
             rocky: "CREATE TABLE vwap AS SELECT symbol, ROUND(SUM(close * volume) / SUM(volume), 4) AS vwap, SUM(volume) AS volume FROM prices GROUP BY symbol",
             sqlite: "SELECT symbol, ROUND(SUM(close * volume) / SUM(volume), 4) AS vwap, SUM(volume) AS volume FROM prices GROUP BY symbol"),
        Step(name: "sector_daily", key: ["sector", "ts"],
             rocky: "CREATE TABLE sector_daily AS SELECT s.sector, d.ts, AVG(d.ret) AS sector_ret, SUM(d.volume) AS volume, COUNT(*) AS n FROM daily_returns d JOIN symbols s ON s.symbol = d.symbol GROUP BY s.sector, d.ts",
             sqlite: "SELECT s.sector, d.ts, AVG(d.ret) AS sector_ret, SUM(d.volume) AS volume, COUNT(*) AS n FROM daily_returns d JOIN symbols s ON s.symbol = d.symbol GROUP BY s.sector, d.ts"),
        Step(name: "report", key: ["symbol"],
             rocky: """
                CREATE TABLE report AS SELECT e.sector, e.symbol, e.vol, e.risk, w.vwap, COALESCE(c.n, 0) AS buy_days
                FROM enriched e JOIN vwap w ON w.symbol = e.symbol
                LEFT JOIN signal_counts c ON c.symbol = e.symbol AND c.signal = 'buy'
                """,
             sqlite: """
                SELECT e.sector, e.symbol, e.vol, e.risk, w.vwap, COALESCE(c.n, 0) AS buy_days
                FROM enriched e JOIN vwap w ON w.symbol = e.symbol
                LEFT JOIN signal_counts c ON c.symbol = e.symbol AND c.signal = 'buy'
                """),
    ]

    /// One row per generated symbol (S00001...): a sector, a beta, a lot size.
    public static func symbolsText() -> String {
        let sectors = ["Technology", "Financials", "Health Care", "Energy", "Industrials", "Utilities", "Materials",
                       "Real Estate", "Consumer Staples", "Consumer Discretionary", "Communication Services"]
        var lines = ["symbol,sector,beta,lot"]
        for i in 1...9999 {
            let beta = 0.4 + Double((i * 37) % 160) / 100
            lines.append(String(format: "S%05d,%@,%.2f,%d", i, sectors[i % sectors.count], beta, [1, 10, 100][i % 3]))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A small prices table in the layout of `Fixtures/generate.py prices`
    /// (symbols S00001..., one row per symbol and weekday from 2025-06-02 at
    /// 20:00Z, prices with 4 decimals, integer volumes), for tests: a
    /// deterministic random walk, so every run imports the same version.
    public static func pricesText(symbols: Int, days: Int) -> String {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        var dates: [String] = []
        var day = DateComponents(calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"),
                                 year: 2025, month: 6, day: 2).date!
        while dates.count < days {
            let weekday = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: day).weekday!
            if weekday != 1 && weekday != 7 {
                let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: day)
                dates.append(String(format: "%04d-%02d-%02dT20:00:00Z", c.year!, c.month!, c.day!))
            }
            day += 86_400
        }
        func price(_ cents: Int) -> String { String(format: "%d.%02d00", cents / 100, cents % 100) }
        var lines = ["symbol,ts,open,high,low,close,volume"]
        for s in 1...symbols {
            var close = 2_000 + next(30_000)
            for date in dates {
                let open = max(100, close + (next(201) - 100) * close / 10_000)
                close = max(100, open + (next(601) - 300) * open / 10_000)
                let high = max(open, close) + next(50), low = max(50, min(open, close) - next(50))
                lines.append("S\(String(format: "%05d", s)),\(date),\(price(open)),\(price(high)),\(price(low)),\(price(close)),\((1 + next(900)) * 1_000)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
