//! Assertions whose signature and chain already verified, keyed by the SHA-256 of their exact
//! standalone bytes, so that a client sending the same assertion for an hour costs one XML-DSig
//! verification, not one per request.
//!
//! What a hit saves is only what depends on the bytes and the trust anchors alone (signature,
//! chain to the CPx CA, NameQualifier, NameID = the certificate's CN). What depends on the
//! clock is judged again on every request by the caller (the assertion's age and skew), and an
//! entry is used only inside the time window its verification holds for (from the moment it
//! was verified to the earliest `notAfter` of its chain). Failures are never stored: a refused
//! assertion is verified again, and refused again, every time.
//!
//! Bounded: at most `capacity` entries; a new one beyond that evicts the oldest inserted.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use super::PsIdentity;

/// SHA-256 of an assertion's standalone bytes.
pub type Digest = [u8; 32];

/// What a successful verification established, and for how long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    pub identity: PsIdentity,
    /// The assertion's `IssueInstant`: its freshness is checked per request against this.
    pub issued: jiff::Timestamp,
    /// When the signature and chain were checked; a clock now earlier than this is a miss.
    pub verified_at: jiff::Timestamp,
    /// Unix seconds from which the chain no longer verifies (earliest certificate `notAfter`).
    pub chain_not_after: i64,
}

impl Verified {
    fn holds_at(&self, now: jiff::Timestamp) -> bool {
        self.verified_at <= now && now.as_second() < self.chain_not_after
    }
}

/// Counters of a cache, for tests and figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub entries: usize,
    pub hits: u64,
    pub misses: u64,
}

#[derive(Debug, Default)]
struct Entries {
    by_digest: HashMap<Digest, Verified>,
    /// Insertion order, oldest first (each digest once).
    order: VecDeque<Digest>,
}

/// The bounded map of verified assertions.
#[derive(Debug)]
pub struct VerifiedCache {
    capacity: usize,
    entries: Mutex<Entries>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl VerifiedCache {
    /// A cache of at most `capacity` assertions (0: nothing is kept, every request verifies).
    pub fn new(capacity: usize) -> VerifiedCache {
        VerifiedCache {
            capacity,
            entries: Mutex::new(Entries::default()),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The digest a cache entry is found by.
    pub fn digest(standalone: &[u8]) -> Digest {
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, standalone);
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        out
    }

    /// The verification of this digest, if one is kept and still holds at `now`.
    pub fn get(&self, digest: &Digest, now: jiff::Timestamp) -> Option<Verified> {
        let found = {
            let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
            entries
                .by_digest
                .get(digest)
                .filter(|v| v.holds_at(now))
                .cloned()
        };
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps a successful verification (replacing an older one of the same digest).
    pub fn insert(&self, digest: Digest, verified: Verified) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.by_digest.insert(digest, verified).is_some() {
            return; // already in the order queue
        }
        entries.order.push_back(digest);
        while entries.order.len() > self.capacity {
            if let Some(oldest) = entries.order.pop_front() {
                entries.by_digest.remove(&oldest);
            }
        }
    }

    pub fn stats(&self) -> CacheStats {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        CacheStats {
            entries: entries.by_digest.len(),
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verified(at: i64, not_after: i64) -> Verified {
        Verified {
            identity: PsIdentity {
                name_id: "899700123456".into(),
                name_qualifier: "CPS".into(),
            },
            issued: jiff::Timestamp::from_second(at).unwrap(),
            verified_at: jiff::Timestamp::from_second(at).unwrap(),
            chain_not_after: not_after,
        }
    }

    fn t(s: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(s).unwrap()
    }

    #[test]
    fn an_entry_holds_only_inside_its_window() {
        let cache = VerifiedCache::new(4);
        let d = VerifiedCache::digest(b"<a/>");
        cache.insert(d, verified(1_000, 2_000));
        assert!(cache.get(&d, t(1_000)).is_some());
        assert!(cache.get(&d, t(1_999)).is_some());
        // The chain expired: the document no longer verifies, the entry is not used.
        assert!(cache.get(&d, t(2_000)).is_none());
        // The clock went back before the verification: not trusted either.
        assert!(cache.get(&d, t(999)).is_none());
        assert_eq!(
            cache.stats(),
            CacheStats {
                entries: 1,
                hits: 2,
                misses: 2
            }
        );
        // Another byte, another digest.
        assert!(
            cache
                .get(&VerifiedCache::digest(b"<a />"), t(1_500))
                .is_none()
        );
    }

    #[test]
    fn the_cache_never_holds_more_than_its_capacity() {
        let cache = VerifiedCache::new(2);
        let digests: Vec<Digest> = (0..5u8).map(|i| VerifiedCache::digest(&[i])).collect();
        for d in &digests {
            cache.insert(*d, verified(1_000, 2_000));
            // Inserting the same again does not grow the order queue.
            cache.insert(*d, verified(1_000, 2_000));
            assert!(cache.stats().entries <= 2);
        }
        assert_eq!(cache.stats().entries, 2);
        // The newest two are kept, the oldest were evicted.
        assert!(cache.get(&digests[4], t(1_500)).is_some());
        assert!(cache.get(&digests[3], t(1_500)).is_some());
        assert!(cache.get(&digests[0], t(1_500)).is_none());
        assert_eq!(cache.entries.lock().unwrap().order.len(), 2);
        let none = VerifiedCache::new(0);
        none.insert(digests[0], verified(1_000, 2_000));
        assert_eq!(none.stats().entries, 0);
    }
}
