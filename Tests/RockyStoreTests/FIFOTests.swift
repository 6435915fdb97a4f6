import RockyStore
import Testing

@Suite struct FIFOTests {
    /// Elements come out in the order they went in, across the compactions
    /// that drop the popped front, with appends between pops.
    @Test func elementsComeOutInTheOrderTheyWentIn() {
        var queue = FIFO<Int>()
        #expect(queue.isEmpty && queue.popFirst() == nil)
        var expected = 0, next = 0
        for round in 0..<50 {
            for _ in 0..<(round % 7 + 3) {
                queue.append(next)
                next += 1
            }
            for _ in 0..<(round % 5 + 1) {
                #expect(queue.popFirst() == expected)
                expected += 1
            }
            #expect(queue.count == next - expected)
        }
        while let value = queue.popFirst() {
            #expect(value == expected)
            expected += 1
        }
        #expect(expected == next && queue.isEmpty)
    }
}
