//! The whole-timeline proof bundle (`GET /timeline/proof`) and its offline check
//! (`einblick verify-timeline`). Every v2 leaf of a customer names the customer's previous leaf
//! by index and hash and counts the customer's entries, so from the newest entry, included in a
//! signed checkpoint, the chain reaches back to the first: an entry dropped from the middle, or
//! hidden from the bundle, breaks it. Entries held back from the timeline are in the chain by
//! their leaf only (which says nothing of the access), with the date they will be shown. Entries
//! logged before v2 leaves (format v1) are not chained; each comes with its own inclusion proof
//! and, as its leaf names the employee, its hash only. The retention policy removes only the
//! oldest entries of a chain: the bundle then carries the removed leaf its first entry links
//! back to, by its hash and inclusion proof, and the check counts the entries before as removed
//! rather than missing. A gap anywhere else still fails.

use std::collections::HashMap;

use chrono::{Datelike, Months, NaiveDate};

use serde::{Deserialize, Serialize};
use signed_note::{StandardVerifier, VerifierList};
use tlog_tiles::{record_hash, Hash};

use super::bundle::{
    canonical, check_access, decode_hashes, parse_hex_hash, verify_checkpoint, VerifyError,
};
use super::leaf::LEAF_FORMAT_V2;
use super::retention::{read_pass_note, runs_line, LEAF_RUNS};

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
    /// The removed entry (under the retention policy) the first entry links back to: hash and
    /// inclusion proof of its leaf, which is all the log still has of it. At most one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_by_retention: Vec<UnchainedEntry>,
    /// Every retention pass of the log: its note, signed by the log's key (it names the first
    /// day kept), and the leaf runs the note states. What tells an entry removed under the
    /// policy from one removed otherwise, here and against an earlier download.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retention_passes: Vec<BundledPass>,
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
pub struct BundledPass {
    pub note: String,
    /// (first, end exclusive) leaf indices.
    pub leaf_runs: Vec<(u64, u64)>,
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
    /// Entries the chain counts that the bundle no longer holds, removed under the retention
    /// policy (the log still holds the leaf each kept entry links back to).
    pub removed_by_retention: i64,
    /// The bundle's retention passes whose notes the log's key signed: the first day each
    /// kept, and the leaf runs it removed.
    pub signed_passes: Vec<SignedPass>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedPass {
    pub removed_before: NaiveDate,
    pub leaf_runs: Vec<(u64, u64)>,
}

impl SignedPass {
    fn removed(&self, leaf_index: u64) -> bool {
        self.leaf_runs
            .iter()
            .any(|(first, end)| (*first..*end).contains(&leaf_index))
    }
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
    #[error(
        "the bundle says leaf {0} was removed under the retention policy, but carries no pass \
         note signed by the log's key that covers it"
    )]
    UnsignedRemoval(u64),
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
    let signed_passes = signed_passes(&bundle, checkpoint.origin(), public_key);
    let mut removed_leaves: HashMap<u64, Hash> = HashMap::new();
    for removed in &bundle.removed_by_retention {
        let hash = included(&checkpoint, removed)?;
        if !signed_passes
            .iter()
            .any(|pass| pass.removed(removed.leaf_index))
        {
            return Err(TimelineError::UnsignedRemoval(removed.leaf_index));
        }
        removed_leaves.insert(removed.leaf_index, hash);
    }
    // The first entry's link when the entries before it were removed: it must name a removed
    // leaf of the log by its hash.
    let links_to_removed = |linked: &serde_json::Value, leaf_index: u64| {
        let Some(index) = linked["index"].as_u64() else {
            return false;
        };
        let hash = linked["leaf_hash"].as_str().map(parse_hex_hash);
        index < leaf_index
            && matches!((removed_leaves.get(&index), hash), (Some(held), Some(Ok(hash))) if *held == hash)
    };
    let mut removed_by_retention = 0i64;
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
            None if count >= 2 && links_to_removed(linked, leaf_index) => {
                removed_by_retention += count - 1;
            }
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
                } else if Some(count) != before_count.checked_add(1) {
                    return Err(TimelineError::CountBroken {
                        leaf: leaf_index,
                        entry: count,
                        before: before_count,
                    });
                } else {
                    let committed = linked["leaf_hash"].as_str().map(parse_hex_hash);
                    if !matches!(committed, Some(Ok(hash)) if hash == before_hash) {
                        return Err(TimelineError::HashBroken(leaf_index));
                    }
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
        included(&checkpoint, unchained)?;
    }
    Ok(TimelineVerified {
        origin: checkpoint.origin().to_owned(),
        tree_size: checkpoint.size(),
        root: checkpoint.hash().to_string(),
        entries,
        unchained: bundle.unchained_entries.len() as u64,
        removed_by_retention,
        signed_passes,
    })
}

/// The bundle's retention passes whose notes the log's key signed and state the runs they
/// carry; any other is left out, so it excuses nothing.
fn signed_passes(bundle: &TimelineBundle, origin: &str, public_key: &str) -> Vec<SignedPass> {
    let Ok(verifier) = StandardVerifier::new(public_key.trim()) else {
        return Vec::new();
    };
    let verifiers = VerifierList::new(vec![Box::new(verifier)]);
    bundle
        .retention_passes
        .iter()
        .filter_map(|pass| {
            let note = read_pass_note(&pass.note, origin, &verifiers)?;
            let runs: Vec<(i64, i64)> = pass
                .leaf_runs
                .iter()
                .map(|(first, end)| Some((i64::try_from(*first).ok()?, i64::try_from(*end).ok()?)))
                .collect::<Option<_>>()?;
            (runs_line(LEAF_RUNS, &runs) == note.leaf_runs_line).then(|| SignedPass {
                removed_before: note.removed_before,
                leaf_runs: pass.leaf_runs.clone(),
            })
        })
        .collect()
}

/// The leaf hash of `entry`, once its inclusion proof holds in `checkpoint`.
fn included(
    checkpoint: &tlog_tiles::Checkpoint,
    entry: &UnchainedEntry,
) -> Result<Hash, TimelineError> {
    let proof = decode_hashes(&entry.inclusion_proof)?;
    let hash = parse_hex_hash(&entry.leaf_hash)?;
    tlog_tiles::check_record(
        &proof,
        checkpoint.size(),
        *checkpoint.hash(),
        entry.leaf_index,
        hash,
    )
    .map_err(|_| VerifyError::NotIncluded(entry.leaf_index))?;
    Ok(hash)
}

/// Every entry of an earlier, verified bundle must still be in the later one, unchanged: what
/// catches an entry removed after the earlier download even when the later bundle is whole.
/// An entry missing from the later one is excused if a signed retention pass of the later one
/// removed its leaf, kept from the first of a month at least a month before `today`, and the
/// entry happened before that day (its time is the earlier bundle's, checked against its leaf;
/// one held back then has none, and the pass's word stands): so retention never excuses a
/// recent access. How many were excused is returned.
pub fn compare_with_earlier(
    earlier: &TimelineVerified,
    later: &TimelineVerified,
    today: NaiveDate,
) -> Result<u64, TimelineError> {
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
    // A first day kept must be the first of a month, at least a month before this one.
    let latest_possible = today
        .with_day(1)
        .and_then(|month| month.checked_sub_months(Months::new(1)));
    let passes: Vec<&SignedPass> = later
        .signed_passes
        .iter()
        .filter(|pass| {
            pass.removed_before.day() == 1
                && latest_possible.is_some_and(|latest| pass.removed_before <= latest)
        })
        .collect();
    let mut excused = 0u64;
    for entry in &earlier.entries {
        match now.get(&entry.leaf_index) {
            Some(hash) if *hash == entry.leaf_hash => continue,
            Some(_) => {
                return Err(TimelineError::MissingSinceEarlier {
                    leaf: entry.leaf_index,
                    what: describe(entry),
                })
            }
            None => {}
        }
        let happened = entry.access["time"]
            .as_str()
            .and_then(|time| time.get(..10))
            .and_then(|day| day.parse::<NaiveDate>().ok());
        let removed = passes.iter().any(|pass| {
            pass.removed(entry.leaf_index) && happened.is_none_or(|day| day < pass.removed_before)
        });
        if removed {
            excused += 1;
            continue;
        }
        return Err(TimelineError::MissingSinceEarlier {
            leaf: entry.leaf_index,
            what: describe(entry),
        });
    }
    Ok(excused)
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
