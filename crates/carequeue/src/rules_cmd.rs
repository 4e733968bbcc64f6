//! `carequeue rules list` and `carequeue rules show`.

use std::io::{self, Write};

use anyhow::{Context, Result};
use rules::RuleSet;

use crate::Outcome;
use crate::cli::{RulesArgs, RulesCommand};

/// A shipped rule set by id, or a rule file by path.
pub(crate) fn load(id_or_path: &str) -> Result<RuleSet> {
    Ok(app::rule_sets::load(id_or_path)?)
}

pub(crate) fn run(args: &RulesArgs) -> Result<Outcome> {
    let mut out = io::stdout().lock();
    match &args.command {
        RulesCommand::List => {
            writeln!(out, "{:<24} {:>9}  name", "id", "standards")?;
            for (id, _) in rules::SHIPPED {
                let rule_set = load(id)?;
                writeln!(out, "{id:<24} {:>9}  {}", rule_set.standards.len(), rule_set.name)?;
            }
        }
        RulesCommand::Check { file } => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let rule_set = RuleSet::parse(&text, &file.display().to_string())?;
            writeln!(
                out,
                "{}: a valid rule set, {:?} ({}), {} standard{}",
                file.display(),
                rule_set.id,
                rule_set.name,
                rule_set.standards.len(),
                if rule_set.standards.len() == 1 { "" } else { "s" }
            )?;
        }
        RulesCommand::Show { rules } => {
            let rule_set = load(rules)?;
            writeln!(out, "{} — {}", rule_set.id, rule_set.name)?;
            writeln!(out, "source: {}", rule_set.source)?;
            writeln!(
                out,
                "threshold: {:.0}% ({}); default time zone {}",
                rule_set.threshold * 100.0,
                rule_set.threshold_source,
                rule_set.time_zone_name
            )?;
            writeln!(out)?;
            writeln!(
                out,
                "{:<22} {:>6} {:<18} {:<24} {:<14} applies to",
                "standard", "limit", "clock start", "stop", "calendar"
            )?;
            for standard in &rule_set.standards {
                let applies = &standard.applies;
                let list =
                    |items: Option<Vec<&str>>| items.map_or("any".to_owned(), |i| i.join("|"));
                writeln!(
                    out,
                    "{:<22} {:>6} {:<18} {:<24} {:<14} urgency {}; provider {}; visit {}{}{}",
                    standard.id,
                    standard.limit.to_string(),
                    format!("{:?}", standard.clock_start),
                    format!("{:?}", standard.stop),
                    standard.calendar.id(),
                    list(applies.urgency.as_ref().map(|v| v.iter().map(|u| u.as_str()).collect())),
                    list(
                        applies
                            .provider_types
                            .as_ref()
                            .map(|v| v.iter().map(|p| p.as_str()).collect())
                    ),
                    list(applies.visits.as_ref().map(|v| v.iter().map(|p| p.as_str()).collect())),
                    applies.prior_auth.map_or(String::new(), |p| format!("; prior auth {p}")),
                    applies.effective_from.map_or(String::new(), |d| format!("; clocks from {d}")),
                )?;
            }
            writeln!(out)?;
            out.write_all(rule_set.text.as_bytes())?;
        }
    }
    Ok(Outcome::Success)
}
