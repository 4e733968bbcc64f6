//! Which rule set judges which networks: one for all, or a plan file's,
//! network by network; and a report under each.

use std::path::Path;

use ledger::Ledger;
use metrics::{GroupBy, Networks, Period, Report};
use rules::{PlanFile, RuleSet};

use crate::provenance::Provenance;
use crate::read::Timing;
use crate::{Error, Result};

/// The networks a plan file names (for checking them against the ledger).
pub fn named_networks(governed: &[Governed]) -> Vec<&str> {
    governed
        .iter()
        .flat_map(|g| match &g.networks {
            Networks::All => Vec::new(),
            Networks::Only(list) | Networks::Except(list) => {
                list.iter().map(String::as_str).collect()
            }
        })
        .collect()
}

/// One rule set and the networks it governs.
#[derive(Debug, Clone)]
pub struct Governed {
    /// The rule set.
    pub rule_set: RuleSet,
    /// The networks it governs.
    pub networks: Networks,
}

impl Governed {
    /// The networks in words, for headings.
    pub fn describe(&self) -> String {
        match &self.networks {
            Networks::All => "every network".to_owned(),
            Networks::Only(only) => format!("network{} {}", plural(only), only.join(", ")),
            Networks::Except(except) if except.is_empty() => "every network".to_owned(),
            Networks::Except(except) => {
                format!("every network but {}", except.join(", "))
            }
        }
    }
}

fn plural(items: &[String]) -> &'static str {
    if items.len() == 1 { "" } else { "s" }
}

/// One rule set for every network.
pub fn everywhere(rule_set: RuleSet) -> Vec<Governed> {
    vec![Governed { rule_set, networks: Networks::All }]
}

/// A plan file's name and the rule sets to judge by, each with the
/// networks it governs: every network is judged under exactly one.
pub fn from_file(path: &Path) -> Result<(String, Vec<Governed>)> {
    let text = std::fs::read_to_string(path).map_err(|err| Error::io("read", path, err))?;
    from_text(&text, path)
}

/// A plan file's text, read from `path` (rule files are named relative to
/// it): its name and the rule sets with the networks each governs.
pub fn from_text(text: &str, path: &Path) -> Result<(String, Vec<Governed>)> {
    let plan = PlanFile::parse(text, &path.display().to_string())?;
    let load = |name: &str| -> Result<RuleSet> {
        // A rule file is named relative to the plan file.
        if RuleSet::shipped(name).is_some() {
            return crate::rule_sets::load(name);
        }
        let beside = path.parent().unwrap_or(Path::new(".")).join(name);
        crate::rule_sets::load(&beside.display().to_string())
    };
    let mut groups = Vec::new();
    for name in plan.rule_sets() {
        let networks = if name == plan.default_rules {
            Networks::Except(
                plan.networks
                    .iter()
                    .filter(|n| n.rules != plan.default_rules)
                    .map(|n| n.network.clone())
                    .collect(),
            )
        } else {
            Networks::Only(
                plan.networks
                    .iter()
                    .filter(|n| n.rules == name)
                    .map(|n| n.network.clone())
                    .collect(),
            )
        };
        let rule_set = load(name)?;
        if let Some(same) = groups.iter().find(|g: &&Governed| g.rule_set.id == rule_set.id) {
            return Err(Error::RuleSetNamedTwice {
                path: path.display().to_string(),
                id: rule_set.id.clone(),
                name: name.to_owned(),
                other: same.describe(),
            });
        }
        groups.push(Governed { rule_set, networks });
    }
    Ok((plan.name, groups))
}

/// One rule set's report over the networks it governs, what the read saw
/// of the ledger, and how long it took.
#[derive(Debug)]
pub struct Judged<'g> {
    /// The rule set and its networks.
    pub governed: &'g Governed,
    /// The report.
    pub report: Report,
    /// What the read saw of the ledger.
    pub provenance: Provenance,
    /// How long each phase took.
    pub timing: Timing,
}

/// Each rule set's report over the networks it governs, as of `as_of`.
pub fn judge<'g>(
    ledger: &Ledger,
    governed: &'g [Governed],
    as_of: jiff::Timestamp,
    by: &[GroupBy],
    period: &Period,
) -> Result<Vec<Judged<'g>>> {
    let mut parts = Vec::with_capacity(governed.len());
    for governed in governed {
        let read =
            crate::read::report(ledger, &governed.rule_set, as_of, by, period, &governed.networks)?;
        parts.push(Judged {
            governed,
            report: read.report,
            provenance: read.provenance,
            timing: read.timing,
        });
    }
    // Each rule set's part is its own read: every one must have counted the
    // same batches (one recorded by the as-of moment could commit between
    // two reads, when clocks disagree).
    let counted =
        |part: &Judged<'_>| part.provenance.last_batch_counted.as_ref().map(|b| b.batch_id);
    if let Some(first) = parts.first()
        && let Some(other) = parts.iter().find(|part| counted(part) != counted(first))
    {
        return Err(Error::ChangedBetweenReads { first: counted(first), other: counted(other) });
    }
    Ok(parts)
}

/// The networks a plan names that no request of the ledger belongs to:
/// most likely misspelt, their requests are judged under the default.
pub fn unseen_networks<'g>(governed: &'g [Governed], parts: &[Judged<'_>]) -> Vec<&'g str> {
    named_networks(governed)
        .into_iter()
        .filter(|network| {
            !parts.iter().any(|part| {
                part.report
                    .by_network
                    .iter()
                    .any(|row| row.keys.first().is_some_and(|k| k == network))
            })
        })
        .collect()
}
