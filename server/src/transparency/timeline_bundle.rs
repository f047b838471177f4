//! The whole-timeline proof bundle (`GET /timeline/proof`) and its offline check
//! (`einblick verify-timeline`). Every v2 leaf of a customer names the customer's previous leaf
//! by index and hash and counts the customer's entries, so from the newest entry, included in a
//! signed checkpoint, the chain reaches back to the first: an entry dropped from the middle, or
//! hidden from the bundle, breaks it. Entries held back from the timeline are in the chain by
//! their leaf only (which says nothing of the access), with the date they will be shown. Entries
//! logged before v2 leaves (format v1) are not chained; each comes with its own inclusion proof
//! and, as its leaf names the employee, its hash only.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tlog_tiles::{record_hash, Hash};

use super::bundle::{
    canonical, check_access, decode_hashes, parse_hex_hash, verify_checkpoint, VerifyError,
};
use super::leaf::LEAF_FORMAT_V2;

pub const TIMELINE_FORMAT: &str = "einblick.timeline-bundle.v1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineBundle {
    pub format: String,
    pub log_origin: String,
    /// The key the log says it signs with; a checker should get it elsewhere, not trust this.
    pub log_public_key: String,
    /// The signed checkpoint (with witnesses' cosignatures, if any), verbatim.
    pub checkpoint: String,
    /// The customer's keyed hash, as every leaf of theirs shows it.
    pub customer: String,
    /// The chained entries (v2 leaves), oldest first.
    pub entries: Vec<TimelineEntry>,
    /// The RFC 6962 inclusion proof of the newest chained entry in the checkpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub newest_inclusion_proof: Vec<String>,
    /// Entries logged before chaining (format v1): hash and inclusion proof each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unchained_entries: Vec<UnchainedEntry>,
    /// The witnesses (by the names of the log's witness policy) whose cosignatures are on the
    /// checkpoint. For people; a checker counts the cosignatures it can verify itself.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub witnessed_by: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub how_to_verify: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub leaf_index: u64,
    /// The v2 leaf, canonical JSON.
    pub leaf: String,
    /// The access document; absent while the entry is held back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
    /// Held back from the timeline: until this day (RFC 3339), or until further notice when
    /// the date may not be told (`"until_further_notice"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_back_until: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnchainedEntry {
    pub leaf_index: u64,
    pub leaf_hash: String,
    pub inclusion_proof: Vec<String>,
}

/// What a timeline bundle proves once it checks out.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineVerified {
    pub origin: String,
    pub tree_size: u64,
    pub root: String,
    /// Chained entries, oldest first: leaf index, leaf hash, and the access (`Null` if held
    /// back) with the held-back date.
    pub entries: Vec<VerifiedEntry>,
    pub unchained: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedEntry {
    pub leaf_index: u64,
    pub leaf_hash: Hash,
    pub access: serde_json::Value,
    pub held_back_until: Option<String>,
}

/// Which link of the chain failed, said for a person.
#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    #[error("this is not an Einblick timeline bundle ({0})")]
    NotABundle(serde_json::Error),
    #[error("unknown timeline bundle format {0:?} (expected {TIMELINE_FORMAT})")]
    UnknownFormat(String),
    #[error(transparent)]
    Proof(#[from] VerifyError),
    #[error("entry at leaf {0}: not a v2 leaf")]
    NotChained(u64),
    #[error("entry at leaf {0}: the leaf is of another customer")]
    OtherCustomer(u64),
    #[error("the entries are not in log order at leaf {0}")]
    OutOfOrder(u64),
    #[error(
        "the first entry (leaf {leaf}) is the customer's entry {entry}, not their first: {missing} \
         earlier entries are missing from the bundle"
    )]
    MissingAtStart { leaf: u64, entry: i64, missing: i64 },
    #[error(
        "entry at leaf {leaf} follows leaf {expected} in the customer's chain, but the bundle's \
         entry before it is leaf {found}: an entry is missing (removed or hidden)"
    )]
    Gap {
        leaf: u64,
        expected: u64,
        found: u64,
    },
    #[error(
        "entry at leaf {leaf} is the customer's entry {entry}, but follows their entry {before}: \
         the count does not hold"
    )]
    CountBroken { leaf: u64, entry: i64, before: i64 },
    #[error(
        "entry at leaf {0}: the previous entry's hash it commits to is not the hash of the entry \
         the bundle holds there (changed or replaced)"
    )]
    HashBroken(u64),
    #[error("entry at leaf {0} has neither its access nor a held-back date")]
    NoContent(u64),
    #[error(
        "the earlier bundle's entry at leaf {leaf} ({what}) is not in this one: it was removed \
         from the customer's timeline or hidden"
    )]
    MissingSinceEarlier { leaf: u64, what: String },
    #[error("the earlier bundle's checkpoint ({earlier}) is larger than this one's ({later})")]
    EarlierIsLarger { earlier: u64, later: u64 },
}

/// Checks `bundle` (JSON) against `public_key`: the checkpoint's signature, the chain from the
/// first entry to the newest, the newest entry's inclusion, every shown access against its
/// leaf, and every unchained entry's inclusion.
pub fn verify_timeline(bundle: &[u8], public_key: &str) -> Result<TimelineVerified, TimelineError> {
    let bundle: TimelineBundle =
        serde_json::from_slice(bundle).map_err(TimelineError::NotABundle)?;
    if bundle.format != TIMELINE_FORMAT {
        return Err(TimelineError::UnknownFormat(bundle.format));
    }
    let checkpoint = verify_checkpoint(&bundle.checkpoint, public_key)?;
    let mut entries = Vec::with_capacity(bundle.entries.len());
    let mut previous: Option<(u64, Hash, i64)> = None;
    for entry in &bundle.entries {
        let leaf_index = entry.leaf_index;
        let leaf = canonical(&entry.leaf)?;
        if leaf["format"] != LEAF_FORMAT_V2 {
            return Err(TimelineError::NotChained(leaf_index));
        }
        if leaf["customer"].as_str() != Some(bundle.customer.as_str()) {
            return Err(TimelineError::OtherCustomer(leaf_index));
        }
        let count = leaf["customer_entry"].as_i64().unwrap_or_default();
        let linked = &leaf["customer_previous"];
        match previous {
            None => {
                if count != 1 || !linked.is_null() {
                    return Err(TimelineError::MissingAtStart {
                        leaf: leaf_index,
                        entry: count,
                        missing: count.saturating_sub(1),
                    });
                }
            }
            Some((before_index, before_hash, before_count)) => {
                if leaf_index <= before_index {
                    return Err(TimelineError::OutOfOrder(leaf_index));
                }
                let expected = linked["index"].as_u64().unwrap_or(u64::MAX);
                if expected != before_index {
                    return Err(TimelineError::Gap {
                        leaf: leaf_index,
                        expected,
                        found: before_index,
                    });
                }
                if Some(count) != before_count.checked_add(1) {
                    return Err(TimelineError::CountBroken {
                        leaf: leaf_index,
                        entry: count,
                        before: before_count,
                    });
                }
                let committed = linked["leaf_hash"].as_str().map(parse_hex_hash);
                if !matches!(committed, Some(Ok(hash)) if hash == before_hash) {
                    return Err(TimelineError::HashBroken(leaf_index));
                }
            }
        }
        let access = match (&entry.access, &entry.held_back_until) {
            (Some(access), _) => check_access(&leaf, access)?,
            (None, Some(_)) => serde_json::Value::Null,
            (None, None) => return Err(TimelineError::NoContent(leaf_index)),
        };
        let leaf_hash = record_hash(entry.leaf.as_bytes());
        previous = Some((leaf_index, leaf_hash, count));
        entries.push(VerifiedEntry {
            leaf_index,
            leaf_hash,
            access,
            held_back_until: entry.held_back_until.clone(),
        });
    }
    if let Some((newest, hash, _)) = previous {
        let proof = decode_hashes(&bundle.newest_inclusion_proof)?;
        tlog_tiles::check_record(&proof, checkpoint.size(), *checkpoint.hash(), newest, hash)
            .map_err(|_| VerifyError::NotIncluded(newest))?;
    }
    for unchained in &bundle.unchained_entries {
        let proof = decode_hashes(&unchained.inclusion_proof)?;
        let hash = parse_hex_hash(&unchained.leaf_hash)?;
        tlog_tiles::check_record(
            &proof,
            checkpoint.size(),
            *checkpoint.hash(),
            unchained.leaf_index,
            hash,
        )
        .map_err(|_| VerifyError::NotIncluded(unchained.leaf_index))?;
    }
    Ok(TimelineVerified {
        origin: checkpoint.origin().to_owned(),
        tree_size: checkpoint.size(),
        root: checkpoint.hash().to_string(),
        entries,
        unchained: bundle.unchained_entries.len() as u64,
    })
}

/// Every entry of an earlier, verified bundle must still be in the later one, unchanged: what
/// catches an entry removed after the earlier download even when the later bundle is whole.
pub fn compare_with_earlier(
    earlier: &TimelineVerified,
    later: &TimelineVerified,
) -> Result<(), TimelineError> {
    if earlier.tree_size > later.tree_size {
        return Err(TimelineError::EarlierIsLarger {
            earlier: earlier.tree_size,
            later: later.tree_size,
        });
    }
    let now: HashMap<u64, Hash> = later
        .entries
        .iter()
        .map(|entry| (entry.leaf_index, entry.leaf_hash))
        .collect();
    for entry in &earlier.entries {
        if now.get(&entry.leaf_index) != Some(&entry.leaf_hash) {
            return Err(TimelineError::MissingSinceEarlier {
                leaf: entry.leaf_index,
                what: describe(entry),
            });
        }
    }
    Ok(())
}

/// "2026-11-20T14:02:11Z, cs_agent_t1, purchase_history" or "held back".
pub fn describe(entry: &VerifiedEntry) -> String {
    if entry.access.is_null() {
        return match &entry.held_back_until {
            Some(until) if until != UNTIL_FURTHER_NOTICE => format!("held back until {until}"),
            _ => "held back until further notice".to_owned(),
        };
    }
    let text = |value: &serde_json::Value| value.as_str().unwrap_or("-").to_owned();
    format!(
        "{}, {}, {}",
        text(&entry.access["time"]),
        text(&entry.access["data"]["actor"]["role"]),
        text(&entry.access["data"]["data_category"])
    )
}

/// `held_back_until` when the date may not be told (a confidential supervisory case).
pub const UNTIL_FURTHER_NOTICE: &str = "until_further_notice";
