/// Identity of the twossp wire protocol. Every message's first frame starts with `magic`;
/// the hello carries the version: a different major is incompatible and rejected with a reason
/// both sides print, a different minor is accepted.
public enum WireVersion {
    public static let magic: [UInt8] = Array("2SSP".utf8)
    public static let major: UInt16 = 1
    public static let minor: UInt16 = 0
    public static var text: String { "\(major).\(minor)" }
}
