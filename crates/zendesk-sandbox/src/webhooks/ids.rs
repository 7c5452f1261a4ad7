//! Ids of webhooks and invocations: ULIDs, as Zendesk's (`01HANAN7NVBM93Z21ZGCXESV8X`): 48 bits
//! of milliseconds then 80 random bits, in Crockford's base 32, so they sort by creation time.
//! Ids made within one millisecond are monotonic (the random part counts up), so they still
//! sort in the order they were made. Event payload ids are UUIDs, as Zendesk's.
//! These ids name records; they are not secrets (the signing secret is made in `definition`).

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_BITS: u32 = 80;
const RANDOM_MASK: u128 = (1 << RANDOM_BITS) - 1;
/// The largest time a ULID holds (48 bits of milliseconds).
const MAX_MS: u64 = (1 << 48) - 1;

/// Makes ULIDs, monotonic within a millisecond (and across a clock that steps back).
#[derive(Debug, Default)]
pub struct UlidGenerator {
    last_ms: u64,
    last_random: u128,
}

impl UlidGenerator {
    pub const fn new() -> UlidGenerator {
        UlidGenerator {
            last_ms: 0,
            last_random: 0,
        }
    }

    /// The next id at `now_ms`, drawing `random` (80 bits used) when the millisecond is new.
    pub fn next(&mut self, now_ms: u64, random: u128) -> String {
        let now_ms = now_ms.min(MAX_MS);
        if now_ms > self.last_ms {
            self.last_ms = now_ms;
            self.last_random = random & RANDOM_MASK;
        } else if self.last_random < RANDOM_MASK {
            // Same millisecond (or the clock stepped back): count up from the last id.
            self.last_random += 1;
        } else {
            // The random part is spent: borrow the next millisecond.
            self.last_ms = (self.last_ms + 1).min(MAX_MS);
            self.last_random = random & RANDOM_MASK;
        }
        encode(self.last_ms, self.last_random)
    }
}

/// The 26 characters of a ULID.
pub fn encode(ms: u64, random: u128) -> String {
    let value = ((ms as u128 & MAX_MS as u128) << RANDOM_BITS) | (random & RANDOM_MASK);
    (0..26)
        .map(|i| CROCKFORD[((value >> (125 - 5 * i)) & 31) as usize] as char)
        .collect()
}

/// The milliseconds a ULID was made at; `None` when the text is not a ULID.
pub fn decode_time(id: &str) -> Option<u64> {
    if !is_ulid(id) {
        return None;
    }
    let mut value: u128 = 0;
    for byte in id.bytes() {
        let digit = CROCKFORD
            .iter()
            .position(|c| *c == byte.to_ascii_uppercase())?;
        value = (value << 5) | digit as u128;
    }
    Some((value >> RANDOM_BITS) as u64)
}

/// True for 26 characters of Crockford base 32 that fit 128 bits (the first is 0-7).
pub fn is_ulid(id: &str) -> bool {
    id.len() == 26
        && id
            .bytes()
            .all(|b| CROCKFORD.contains(&b.to_ascii_uppercase()))
        && id.as_bytes()[0] <= b'7'
}

static GENERATOR: Mutex<UlidGenerator> = Mutex::new(UlidGenerator::new());

/// A fresh ULID from this process's generator and the machine's clock.
pub fn new_ulid() -> String {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let mut generator = GENERATOR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    generator.next(now_ms, fastrand::u128(..))
}

/// A random (version 4) UUID, as Zendesk's event payloads carry in `id`.
pub fn new_event_id() -> String {
    uuid_v4(fastrand::u128(..))
}

/// `random` shaped as a version 4 UUID: `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
pub fn uuid_v4(random: u128) -> String {
    let value = (random & !(0xF << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62);
    let hex = format!("{value:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulids_encode_time_first_and_decode_back() {
        let id = encode(1_469_918_176_385, 0);
        // The time part of the ULID spec's own example.
        assert_eq!(&id[..10], "01ARYZ6S41");
        assert_eq!(id.len(), 26);
        assert!(is_ulid(&id));
        assert_eq!(decode_time(&id), Some(1_469_918_176_385));
        assert_eq!(encode(MAX_MS, RANDOM_MASK), "7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
        assert!(!is_ulid("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"));
        assert!(!is_ulid("01ARYZ6S41-not-a-ulid-0000"));
    }

    #[test]
    fn ids_within_a_millisecond_count_up_and_never_go_back() {
        let mut generator = UlidGenerator::new();
        let a = generator.next(1_000, 5);
        let b = generator.next(1_000, 1);
        let c = generator.next(999, 0);
        let d = generator.next(1_001, 0);
        assert!(a < b && b < c && c < d, "{a} {b} {c} {d}");
        assert_eq!(b, encode(1_000, 6));
        assert_eq!(c, encode(1_000, 7));
        // A spent random part borrows the next millisecond.
        let mut full = UlidGenerator::new();
        let e = full.next(2_000, RANDOM_MASK);
        let f = full.next(2_000, 3);
        assert!(e < f);
        assert_eq!(decode_time(&f), Some(2_001));
    }

    #[test]
    fn the_process_generator_is_monotonic() {
        let ids: Vec<String> = (0..1_000).map(|_| new_ulid()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn event_ids_are_version_4_uuids() {
        let id = uuid_v4(u128::MAX);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(uuid_v4(0), "00000000-0000-4000-8000-000000000000");
        let fresh = new_event_id();
        assert_eq!(fresh.len(), 36);
        assert_eq!(&fresh[14..15], "4");
    }
}
