import XCTest
@testable import Engine

final class SmokeTests: XCTestCase {
    func testTensorZeros() { XCTAssertEqual(Tensor(zeros: [2, 3]).count, 6) }
}
