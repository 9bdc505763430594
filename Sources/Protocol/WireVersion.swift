public enum WireVersion { public static let major = 1 }
