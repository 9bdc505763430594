import XCTest
@testable import Engine

/// Balancing against the worked values of 2ssp-method.md and the issue.
final class BalancingTests: XCTestCase {
    func llama2_7B() -> ModelConfig {
        ModelConfig(modelType: "llama", hiddenSize: 4096, intermediateSize: 11008, numHiddenLayers: 32,
                    numAttentionHeads: 32, numKeyValueHeads: 32, vocabSize: 32000, rmsNormEps: 1e-5,
                    ropeTheta: 10000, maxPositionEmbeddings: 4096, tieWordEmbeddings: false, attentionBias: false)
    }
    func qwen25_7B() -> ModelConfig {
        ModelConfig(modelType: "qwen2", hiddenSize: 3584, intermediateSize: 18944, numHiddenLayers: 28,
                    numAttentionHeads: 28, numKeyValueHeads: 4, vocabSize: 152064, rmsNormEps: 1e-6,
                    ropeTheta: 1e6, maxPositionEmbeddings: 32768, tieWordEmbeddings: false, attentionBias: true)
    }
    func smolLM2() -> ModelConfig {
        ModelConfig(modelType: "llama", hiddenSize: 576, intermediateSize: 1536, numHiddenLayers: 30,
                    numAttentionHeads: 9, numKeyValueHeads: 3, vocabSize: 49152, rmsNormEps: 1e-5,
                    ropeTheta: 100000, maxPositionEmbeddings: 8192, tieWordEmbeddings: true, attentionBias: false)
    }

    func assertPlan(_ c: ModelConfig, _ s: Double, _ n: Int, _ k: Int, line: UInt = #line) throws {
        let plan = try Balancing.plan(config: c, sparsity: s)
        XCTAssertEqual(plan.attentionRemovals, n, "N_attn at s=\(s)", line: line)
        XCTAssertEqual(plan.ffnWidth, k, "K at s=\(s)", line: line)
        XCTAssertEqual(plan.realisedSparsity, s, accuracy: 0.002, line: line)
    }

    func testLlama2_7B() throws {
        try assertPlan(llama2_7B(), 0.25, 5, 7744)
        try assertPlan(llama2_7B(), 0.375, 9, 6368)
        try assertPlan(llama2_7B(), 0.5, 13, 4992)
    }

    func testQwen25_7BHasNoDepthPruningAtQuarterSparsity() throws {
        XCTAssertEqual(try Balancing.plan(config: qwen25_7B(), sparsity: 0.25).attentionRemovals, 0)
        XCTAssertEqual(try Balancing.plan(config: qwen25_7B(), sparsity: 0.375).attentionRemovals, 0)
    }

    func testSmolLM2() throws {
        // s = 0.5 is the round-half-to-even case: 30 * 0.5^2 = 7.5 → 8.
        try assertPlan(smolLM2(), 0.25, 2, 1058)
        try assertPlan(smolLM2(), 0.375, 4, 836)
        try assertPlan(smolLM2(), 0.5, 8, 648)
    }

    func testParameterCounts() {
        let p = BlockParameters(config: smolLM2())
        XCTAssertEqual(p.attention, 2 * 576 * 576 + 2 * 576 * 192)
        XCTAssertEqual(p.ffn, 3 * 576 * 1536)
        let q = BlockParameters(config: qwen25_7B())
        XCTAssertEqual(q.attention, 2 * 3584 * 3584 + 2 * 3584 * 512 + 3584 + 2 * 512)
    }

    func testInfeasibleTargetsSayWhy() {
        XCTAssertThrowsError(try Balancing.plan(config: smolLM2(), sparsity: 0.05, attentionOverride: 30)) { e in
            XCTAssertTrue("\(e)".contains("exceeds the target"), "\(e)")
        }
        XCTAssertThrowsError(try Balancing.plan(config: smolLM2(), sparsity: 0.9, attentionOverride: 0)) { e in
            XCTAssertTrue("\(e)".contains("unreachable"), "\(e)")
        }
        for bad in [0.0, 1.0, -0.1, 1.5, .nan] {
            XCTAssertThrowsError(try Balancing.plan(config: smolLM2(), sparsity: bad))
        }
    }
}
