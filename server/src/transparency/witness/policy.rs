//! A witness policy in the C2SP tlog-policy syntax: which witnesses there are, and how many of
//! them must have cosigned a checkpoint for it to count as witnessed.
//!
//! ```text
//! # lines starting with '#' and blank lines are ignored
//! log <log verifier key> [<url>]
//! witness <name> <cosignature/v1 verifier key> [<url of its add-checkpoint endpoint's prefix>]
//! group <name> <k | all | any> <member> <member> …    # members: witnesses or earlier groups
//! quorum <witness or group name | none>
//! ```
//! The log submits its checkpoints to every witness with a URL; a checker needs no URLs.

use std::collections::{BTreeSet, HashMap};

use signed_note::{Note, Signature};

use super::cosignature::WitnessKey;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witness {
    /// The policy's name for it, used by groups and shown to people.
    pub name: String,
    pub key: WitnessKey,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Threshold {
    All,
    AtLeast(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    threshold: Threshold,
    members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    pub logs: Vec<String>,
    pub witnesses: Vec<Witness>,
    /// In the order they are defined: a group names only what is defined above it.
    groups: Vec<(String, Group)>,
    /// `None`: no cosignature is needed (`quorum none`).
    quorum: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("witness policy, line {line}: {problem}")]
pub struct PolicyError {
    pub line: usize,
    pub problem: String,
}

/// What the cosignatures on a checkpoint amount to under a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Witnessed {
    /// The policy's names of the witnesses whose cosignature verified, in policy order.
    pub by: Vec<String>,
    pub satisfies_policy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    #[error("the checkpoint is not a well-formed signed note")]
    BadNote,
    #[error("the cosignature of witness {0:?} does not verify: the checkpoint or the cosignature was changed")]
    Invalid(String),
}

impl Policy {
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let mut policy = Policy {
            logs: Vec::new(),
            witnesses: Vec::new(),
            groups: Vec::new(),
            quorum: None,
        };
        let mut quorum_seen = false;
        for (number, line) in text.lines().enumerate() {
            let fail = |problem: String| PolicyError {
                line: number + 1,
                problem,
            };
            let line = line.trim_matches([' ', '\t']);
            if line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split([' ', '\t']).filter(|w| !w.is_empty()).collect();
            match words.as_slice() {
                [] => {}
                ["log", key] | ["log", key, _] => policy.logs.push((*key).to_owned()),
                ["witness", name, key, rest @ ..] if rest.len() <= 1 => {
                    if policy.knows(name) || *name == "none" {
                        return Err(fail(format!("the name {name:?} is used twice")));
                    }
                    let key = WitnessKey::parse(key).map_err(|e| fail(e.to_string()))?;
                    // One key counted under two names would count one cosignature twice.
                    if let Some(other) = policy.witnesses.iter().find(|w| w.key.same_key(&key)) {
                        return Err(fail(format!(
                            "{name:?} has the same key as {:?}",
                            other.name
                        )));
                    }
                    policy.witnesses.push(Witness {
                        name: (*name).to_owned(),
                        key,
                        url: rest.first().map(|url| url.trim_end_matches('/').to_owned()),
                    });
                }
                ["group", name, threshold, members @ ..] if !members.is_empty() => {
                    if policy.knows(name) || *name == "none" {
                        return Err(fail(format!("the name {name:?} is used twice")));
                    }
                    let distinct: BTreeSet<&&str> = members.iter().collect();
                    if distinct.len() != members.len() {
                        return Err(fail(format!("the group {name:?} names a member twice")));
                    }
                    if let Some(unknown) = members.iter().find(|m| !policy.knows(m)) {
                        return Err(fail(format!(
                            "{unknown:?} is neither a witness nor a group defined above"
                        )));
                    }
                    let threshold = match *threshold {
                        "all" => Threshold::All,
                        "any" => Threshold::AtLeast(1),
                        k => match k.parse::<usize>() {
                            Ok(k) if (1..=members.len()).contains(&k) => Threshold::AtLeast(k),
                            _ => {
                                return Err(fail(format!(
                                    "the threshold must be all, any or 1 to {}, not {k:?}",
                                    members.len()
                                )))
                            }
                        },
                    };
                    policy.groups.push((
                        (*name).to_owned(),
                        Group {
                            threshold,
                            members: members.iter().map(|m| (*m).to_owned()).collect(),
                        },
                    ));
                }
                ["quorum", name] => {
                    if quorum_seen {
                        return Err(fail("a second quorum line".into()));
                    }
                    quorum_seen = true;
                    if *name != "none" {
                        if !policy.knows(name) {
                            return Err(fail(format!(
                                "{name:?} is neither a witness nor a group defined above"
                            )));
                        }
                        policy.quorum = Some((*name).to_owned());
                    }
                }
                _ => {
                    return Err(fail(format!(
                        "expected `log`, `witness NAME KEY [URL]`, `group NAME k|all|any \
                         MEMBER…` or `quorum NAME|none`, not {line:?}"
                    )))
                }
            }
        }
        if !quorum_seen {
            return Err(PolicyError {
                line: text.lines().count(),
                problem: "no `quorum` line".into(),
            });
        }
        Ok(policy)
    }

    fn knows(&self, name: &str) -> bool {
        self.groups.iter().any(|(group, _)| group == name)
            || self.witnesses.iter().any(|w| w.name == name)
    }

    pub fn witness(&self, name: &str) -> Option<&Witness> {
        self.witnesses.iter().find(|w| w.name == name)
    }

    /// Whether the witnesses named in `cosigned` make a quorum. Each group is judged once, in
    /// the order of the file, so no policy makes this slow.
    pub fn is_satisfied_by(&self, cosigned: &BTreeSet<&str>) -> bool {
        let Some(quorum) = self.quorum.as_deref() else {
            return true;
        };
        let mut judged: HashMap<&str, bool> = HashMap::new();
        for (name, group) in &self.groups {
            let met = group
                .members
                .iter()
                .filter(|member| {
                    judged
                        .get(member.as_str())
                        .copied()
                        .unwrap_or_else(|| cosigned.contains(member.as_str()))
                })
                .count();
            let satisfied = match group.threshold {
                Threshold::All => met == group.members.len(),
                Threshold::AtLeast(k) => met >= k,
            };
            judged.insert(name, satisfied);
        }
        judged
            .get(quorum)
            .copied()
            .unwrap_or_else(|| cosigned.contains(quorum))
    }

    /// The fewest cosignatures that can make a quorum: checkpoints with fewer need no look.
    pub fn fewest_cosigners(&self) -> usize {
        let Some(quorum) = self.quorum.as_deref() else {
            return 0;
        };
        let mut fewest: HashMap<&str, usize> = HashMap::new();
        for (name, group) in &self.groups {
            let mut needs: Vec<usize> = group
                .members
                .iter()
                .map(|member| fewest.get(member.as_str()).copied().unwrap_or(1))
                .collect();
            needs.sort_unstable();
            let k = match group.threshold {
                Threshold::All => needs.len(),
                Threshold::AtLeast(k) => k,
            };
            fewest.insert(name, needs.iter().take(k).sum());
        }
        fewest.get(quorum).copied().unwrap_or(1)
    }

    /// Checks every cosignature on `note` from a witness of this policy and tells whether they
    /// make a quorum. The log's own signature is checked elsewhere; signatures of keys the
    /// policy does not name are ignored, as signed notes say.
    pub fn check(&self, note: &[u8]) -> Result<Witnessed, CosignatureError> {
        let (text, signatures) = split_note(note).ok_or(CosignatureError::BadNote)?;
        let mut cosigned = BTreeSet::new();
        for signature in &signatures {
            for witness in &self.witnesses {
                if witness.key.name() != signature.name() || witness.key.key_id() != signature.id()
                {
                    continue;
                }
                if witness.key.verify(text, signature.signature()).is_none() {
                    return Err(CosignatureError::Invalid(witness.name.clone()));
                }
                cosigned.insert(witness.name.as_str());
            }
        }
        Ok(Witnessed {
            by: self
                .witnesses
                .iter()
                .filter(|w| cosigned.contains(w.name.as_str()))
                .map(|w| w.name.clone())
                .collect(),
            satisfies_policy: self.is_satisfied_by(&cosigned),
        })
    }
}

/// A signed note's text (with its final newline) and its signatures, checked for form the way
/// `signed_note` checks it (which keeps its signatures to itself).
pub fn split_note(note: &[u8]) -> Option<(&[u8], Vec<Signature>)> {
    Note::from_bytes(note).ok()?;
    let text = std::str::from_utf8(note).ok()?;
    let (body, signatures) = text.rsplit_once("\n\n")?;
    let signatures = signatures
        .strip_suffix('\n')?
        .split('\n')
        .map(|line| Signature::from_bytes(line.as_bytes()).ok())
        .collect::<Option<Vec<_>>>()?;
    Some((&note[..=body.len()], signatures))
}

#[cfg(test)]
mod tests {
    use super::super::cosignature::WitnessSigner;
    use super::*;
    use ed25519_dalek::SigningKey;

    fn signer(name: &str, seed: u8) -> WitnessSigner {
        WitnessSigner::new(name, SigningKey::from_bytes(&[seed; 32]))
    }

    fn two_of_three() -> (Policy, Vec<WitnessSigner>) {
        let signers = vec![
            signer("w1.example", 1),
            signer("w2.example", 2),
            signer("w3.example", 3),
        ];
        let text = format!(
            "# the supervisory authorities\nwitness a {} http://127.0.0.1:1/\nwitness b {}\nwitness c {}\n\
             group two 2 a b c\nquorum two\n",
            signers[0].public().encode(),
            signers[1].public().encode(),
            signers[2].public().encode()
        );
        (Policy::parse(&text).unwrap(), signers)
    }

    #[test]
    fn a_policy_reads_witnesses_groups_and_the_quorum() {
        let (policy, _) = two_of_three();
        assert_eq!(policy.witnesses.len(), 3);
        assert_eq!(
            policy.witnesses[0].url.as_deref(),
            Some("http://127.0.0.1:1")
        );
        assert!(policy.is_satisfied_by(&BTreeSet::from(["a", "c"])));
        assert!(!policy.is_satisfied_by(&BTreeSet::from(["b"])));
        assert!(!policy.is_satisfied_by(&BTreeSet::new()));
    }

    #[test]
    fn nested_groups_and_quorum_none() {
        let (a, b) = (signer("a", 1), signer("b", 2));
        let text = format!(
            "witness a {}\nwitness b {}\ngroup one any a\ngroup both all one b\nquorum both\n",
            a.public().encode(),
            b.public().encode()
        );
        let policy = Policy::parse(&text).unwrap();
        assert!(policy.is_satisfied_by(&BTreeSet::from(["a", "b"])));
        assert!(!policy.is_satisfied_by(&BTreeSet::from(["a"])));
        assert!(Policy::parse("quorum none\n")
            .unwrap()
            .is_satisfied_by(&BTreeSet::new()));
    }

    #[test]
    fn a_policy_with_a_mistake_names_its_line() {
        let a = signer("a", 1).public().encode();
        for (text, line) in [
            (format!("witness a {a}\ngroup g 2 a\nquorum g\n"), 2),
            (format!("witness a {a}\nquorum b\n"), 2),
            (format!("witness a {a}\nwitness a {a}\nquorum a\n"), 2),
            ("witness a not-a-key\nquorum none\n".to_owned(), 1),
            (format!("witness a {a}\n"), 1),
            ("frobnicate\nquorum none\n".to_owned(), 1),
        ] {
            assert_eq!(Policy::parse(&text).unwrap_err().line, line, "{text}");
        }
    }

    #[test]
    fn a_key_or_member_counted_twice_is_refused() {
        let a = signer("a", 1).public().encode();
        let same_key_other_name = signer("a", 1).public().encode();
        assert!(Policy::parse(&format!(
            "witness a {a}\nwitness b {same_key_other_name}\nquorum a\n"
        ))
        .is_err());
        assert!(Policy::parse(&format!("witness a {a}\ngroup g 2 a a\nquorum g\n")).is_err());
        assert!(Policy::parse(&format!("witness none {a}\nquorum none\n")).is_err());
    }

    #[test]
    fn the_fewest_cosigners_of_a_quorum() {
        let (policy, _) = two_of_three();
        assert_eq!(policy.fewest_cosigners(), 2);
        assert_eq!(
            Policy::parse("quorum none\n").unwrap().fewest_cosigners(),
            0
        );
    }

    #[test]
    fn k_minus_one_cosignatures_do_not_make_a_quorum() {
        let (policy, signers) = two_of_three();
        let text = b"example.test/log\n3\nAAAA\n";
        let note = format!(
            "{}\n— example.test/log AAAAAAAA\n",
            std::str::from_utf8(text).unwrap()
        );
        let one = format!("{note}{}", signers[0].cosign(text, 1));
        let checked = policy.check(one.as_bytes()).unwrap();
        assert_eq!(checked.by, vec!["a"]);
        assert!(!checked.satisfies_policy);
        let two = format!("{one}{}", signers[2].cosign(text, 2));
        let checked = policy.check(two.as_bytes()).unwrap();
        assert_eq!(checked.by, vec!["a", "c"]);
        assert!(checked.satisfies_policy);
        let other_checkpoint = format!(
            "{one}{}",
            signers[2].cosign(b"example.test/log\n4\nAAAA\n", 2)
        );
        assert_eq!(
            policy.check(other_checkpoint.as_bytes()),
            Err(CosignatureError::Invalid("c".into()))
        );
    }
}
