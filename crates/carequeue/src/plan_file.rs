//! Which rule set judges which networks: one (`--rules`) for all, or a
//! plan file's, network by network (`--plan`).

use std::path::Path;

use anyhow::{Context, Result};
use ledger::Ledger;
use metrics::{GroupBy, Networks, Period, Report};
use rules::{PlanFile, RuleSet};

use crate::provenance::Provenance;

use crate::cli::JudgeArgs;

/// The networks a plan file names (for checking them against the ledger).
pub(crate) fn named_networks(governed: &[Governed]) -> Vec<&str> {
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
pub(crate) struct Governed {
    pub(crate) rule_set: RuleSet,
    pub(crate) networks: Networks,
}

impl Governed {
    /// The networks in words, for headings.
    pub(crate) fn describe(&self) -> String {
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

/// The plan's name (with `--plan`) and the rule sets to judge by, each with
/// the networks it governs: every network is judged under exactly one.
pub(crate) fn governed(
    judge: &JudgeArgs,
    plan: Option<&Path>,
) -> Result<(Option<String>, Vec<Governed>)> {
    let Some(path) = plan else {
        return Ok((None, vec![Governed { rule_set: judge.rule_set()?, networks: Networks::All }]));
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let (name, groups) = from_text(&text, path)?;
    Ok((Some(name), groups))
}

/// A plan file's text, read from `path` (rule files are named relative to
/// it): its name and the rule sets with the networks each governs.
pub(crate) fn from_text(text: &str, path: &Path) -> Result<(String, Vec<Governed>)> {
    let plan = PlanFile::parse(text, &path.display().to_string())?;
    let load = |name: &str| -> Result<RuleSet> {
        // A rule file is named relative to the plan file.
        if RuleSet::shipped(name).is_some() {
            return crate::rules_cmd::load(name);
        }
        let beside = path.parent().unwrap_or(Path::new(".")).join(name);
        crate::rules_cmd::load(&beside.display().to_string())
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
            anyhow::bail!(
                "{}: the rule set {:?} is named in two ways ({name:?} and another for {}); name \
                 it one way, so that its networks are judged and reported together",
                path.display(),
                rule_set.id,
                same.describe()
            );
        }
        groups.push(Governed { rule_set, networks });
    }
    Ok((plan.name, groups))
}

/// One rule set's report over the networks it governs, and what the read
/// saw of the ledger.
pub(crate) struct Judged<'g> {
    pub(crate) governed: &'g Governed,
    pub(crate) report: Report,
    pub(crate) provenance: Provenance,
}

/// Each rule set's report over the networks it governs, as of `as_of`. A
/// network the plan names that no request of the ledger belongs to is
/// warned of: most likely misspelt, its requests are judged under the
/// default.
pub(crate) fn judge<'g>(
    ledger: &Ledger,
    governed: &'g [Governed],
    as_of: jiff::Timestamp,
    by: &[GroupBy],
    period: &Period,
    timings: bool,
) -> Result<Vec<Judged<'g>>> {
    let mut parts = Vec::with_capacity(governed.len());
    for governed in governed {
        let (report, provenance) = crate::parts::report(
            ledger,
            &governed.rule_set,
            as_of,
            by,
            period,
            &governed.networks,
            timings,
        )?;
        parts.push(Judged { governed, report, provenance });
    }
    // Each rule set's part is its own read: every one must have counted the
    // same batches (one recorded by the as-of moment could commit between
    // two reads, when clocks disagree).
    let counted =
        |part: &Judged<'_>| part.provenance.last_batch_counted.as_ref().map(|b| b.batch_id);
    if let Some(first) = parts.first()
        && let Some(other) = parts.iter().find(|part| counted(part) != counted(first))
    {
        anyhow::bail!(
            "the ledger changed while the plan's rule sets were read one by one (one read \
             counted up to batch {:?}, another up to {:?}): run again, or give --as-of a moment \
             before the latest batch",
            counted(first),
            counted(other)
        );
    }
    for network in named_networks(governed) {
        let seen = parts.iter().any(|part| {
            part.report.by_network.iter().any(|row| row.keys.first().is_some_and(|k| k == network))
        });
        if !seen {
            eprintln!(
                "warning: the plan names network {network:?}, but no request of the ledger \
                 belongs to it (networks are named as clinic.registered names them)"
            );
        }
    }
    Ok(parts)
}
