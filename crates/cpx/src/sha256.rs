//! Host side of PSO HASH: SHA-256 over all complete blocks but the last, so the card finishes it
//! (CARDS.md §2.5 step 5: IAS requires the card to do the final hash step).

/// FIPS 180-4 §5.3.3 initial hash value.
const H0: [u32; 8] = [
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
];

/// What PSO HASH carries: the intermediate state and bit count, and the last (≤ 64-byte) block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Midstate {
    /// 32 bytes of state + 8-byte big-endian bit count; empty when the whole message is `last`.
    pub state: Vec<u8>,
    pub last: Vec<u8>,
}

/// Splits `message` for PSO HASH: every complete 64-byte block but the last is hashed here.
pub fn midstate(message: &[u8]) -> Midstate {
    if message.len() <= 64 {
        return Midstate {
            state: Vec::new(),
            last: message.to_vec(),
        };
    }
    // Keep 1..=64 bytes for the card.
    let keep = match message.len() % 64 {
        0 => 64,
        n => n,
    };
    let (head, last) = message.split_at(message.len() - keep);
    let mut state = H0;
    let blocks: Vec<[u8; 64]> = head
        .chunks_exact(64)
        .map(|c| std::array::from_fn(|i| c[i]))
        .collect();
    sha2::block_api::compress256(&mut state, &blocks);
    let mut out = Vec::with_capacity(40);
    for w in state {
        out.extend_from_slice(&w.to_be_bytes());
    }
    out.extend_from_slice(&(head.len() as u64 * 8).to_be_bytes());
    Midstate {
        state: out,
        last: last.to_vec(),
    }
}

/// DER prefix of a SHA-256 DigestInfo (RFC 8017 §9.2 note 1).
pub const SHA256_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// The 51-byte DigestInfo [`crate::Cpx::authenticate`] expects for a SHA-256 hash (what a TLS 1.2
/// `rsa_pkcs1_sha256` CertificateVerify signs).
pub fn digest_info_sha256(hash: &[u8; 32]) -> Vec<u8> {
    [&SHA256_DIGEST_INFO_PREFIX[..], hash].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_block_boundaries() {
        assert!(midstate(&[1; 64]).state.is_empty());
        let m = midstate(&[1; 128]);
        assert_eq!((m.state.len(), m.last.len()), (40, 64));
        assert_eq!(&m.state[32..], &512u64.to_be_bytes());
        let m = midstate(&[1; 130]);
        assert_eq!(m.last.len(), 2);
        assert_eq!(&m.state[32..], &1024u64.to_be_bytes());
    }
}
