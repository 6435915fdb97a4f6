import Foundation
import RockyTable

/// A one-line progress bar on stderr, drawn only on a terminal and at most
/// ten times a second: rows, MB/s and, when the size is known, the ETA.
final class ProgressBar {
    private let err: OutputStream
    private let label: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(err: OutputStream, label: String) {
        self.err = err
        self.label = label
    }

    func update(_ p: ImportProgress) {
        guard err.isTerminal else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 0.001)
        let rate = Double(p.bytes) / elapsed / 1_000_000
        var text = "\r\(label): \(p.inferring ? "reading types, " : "")\(p.rows.formatted()) rows, \(String(format: "%.1f", rate)) MB/s"
        if let total = p.totalBytes, total > 0, p.bytes > 0 {
            let fraction = min(1, Double(p.bytes) / Double(total))
            let remaining = elapsed * (1 - fraction) / fraction
            text += String(format: ", %3.0f%%, ETA %.0fs", fraction * 100, remaining)
        }
        err.write(text + "\u{1B}[K")
        err.flush()
        drawn = true
    }

    /// Clears the line.
    func finish() {
        guard drawn else { return }
        err.write("\r\u{1B}[K")
        err.flush()
    }
}
