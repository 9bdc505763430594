import XCTest
@testable import Coordinator
