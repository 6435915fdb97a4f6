import CCrypto

/// An incremental SHA-256 through OpenSSL's EVP interface. One instance hashes
/// one message; it owns its EVP context and frees it in `deinit`.
public final class SHA256 {
    private let context: OpaquePointer

    /// SHA-256 fetched from OpenSSL's providers once: passing `EVP_sha256()`
    /// to every initialisation made OpenSSL 3 look the algorithm up again
    /// each time, a noticeable share of hashing small objects.
    nonisolated(unsafe) private static let algorithm: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    public init() {
        guard let ctx = EVP_MD_CTX_new(), EVP_DigestInit_ex(ctx, SHA256.algorithm ?? EVP_sha256(), nil) == 1 else {
            fatalError("OpenSSL could not initialise SHA-256")
        }
        context = ctx
    }

    deinit { EVP_MD_CTX_free(context) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        _ = EVP_DigestUpdate(context, base, bytes.count)
    }

    public func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The 32-byte digest. The instance must not be used afterwards.
    public func finish() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = digest.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        return digest
    }

    /// The digest of one buffer.
    public static func digest(_ bytes: [UInt8]) -> [UInt8] {
        let h = SHA256()
        h.update(bytes)
        return h.finish()
    }

    /// HMAC-SHA-256 of `message` under `key`, as 32 bytes.
    public static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                _ = HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &out, &length)
            }
        }
        return out
    }
}

