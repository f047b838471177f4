//! Witnesses: other parties that cosign the log's checkpoints only when each is consistent with
//! everything they cosigned before, so the company cannot show one customer a different log than
//! another (a split view) or take entries back. The log submits every new checkpoint to its
//! witnesses (C2SP tlog-witness `add-checkpoint`) and keeps their cosignatures (C2SP
//! tlog-cosignature); a policy (C2SP tlog-policy syntax) says how many make a checkpoint
//! witnessed. `einblick witness serve` is such a witness for other Einblick logs.

pub mod cosignature;
pub mod policy;
pub mod protocol;
pub mod serve;
pub mod submit;
pub mod witnessed;

pub use cosignature::{WitnessKey, WitnessSigner};
pub use policy::Policy;
