//! Plan files: which rule set governs each network of a plan.
//!
//! A plan runs several lines of business under different regulators: a
//! California network under the DMHC's rules, a Marketplace network under
//! the federal ones. A plan file names the plan and maps each network to
//! the rule set that governs it; networks it does not name take
//! `default_rules`. The format (TOML, documented in docs/rules.md):
//!
//! ```toml
//! name = "Golden State Health (synthetic)"
//! default_rules = "ca-dmhc"
//!
//! [[network]]
//! id = "marketplace"
//! rules = "us-qhp"          # a shipped rule set, or a rule file's path
//! ```

use serde::Deserialize;

use crate::error::Error;
use crate::ruleset::Locator;

/// A plan and the rule set governing each of its networks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanFile {
    /// The plan's name, for reports.
    pub name: String,
    /// The rule set (a shipped id, or a rule file's path) of every network
    /// not named below.
    pub default_rules: String,
    /// Networks governed by another rule set, in file order.
    pub networks: Vec<NetworkRules>,
}

/// One network and the rule set that governs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRules {
    /// The network, as `clinic.registered` names it.
    pub network: String,
    /// A shipped rule set's id, or a rule file's path (relative to the plan
    /// file).
    pub rules: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlan {
    name: toml::Spanned<String>,
    default_rules: toml::Spanned<String>,
    #[serde(default)]
    network: Vec<RawNetwork>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNetwork {
    id: toml::Spanned<String>,
    rules: toml::Spanned<String>,
}

impl PlanFile {
    /// Parses a plan file; `source_name` names it in errors, which give
    /// the line and column.
    pub fn parse(text: &str, source_name: &str) -> Result<PlanFile, Error> {
        let locate = Locator { source_name, text };
        let raw: RawPlan = toml::from_str(text).or_else(|err| {
            let span = err.span().unwrap_or(0..0);
            locate.error(span, err.message().to_owned())
        })?;
        for field in [&raw.name, &raw.default_rules] {
            if field.get_ref().trim().is_empty() {
                return locate.error(field.span(), "expected a non-empty text");
            }
        }
        let mut networks: Vec<NetworkRules> = Vec::with_capacity(raw.network.len());
        for network in raw.network {
            let id = network.id.get_ref();
            if events::NetworkId::parse(events::Field::Network, id).is_err() {
                return locate
                    .error(network.id.span(), format!("expected a network id, found {id:?}"));
            }
            if networks.iter().any(|n| n.network == *id) {
                return locate.error(network.id.span(), format!("network {id:?} is named twice"));
            }
            if network.rules.get_ref().trim().is_empty() {
                return locate.error(network.rules.span(), "expected a rule set");
            }
            networks.push(NetworkRules { network: id.clone(), rules: network.rules.into_inner() });
        }
        Ok(PlanFile {
            name: raw.name.into_inner(),
            default_rules: raw.default_rules.into_inner(),
            networks,
        })
    }

    /// The rule set (as named in the file) that governs `network`.
    pub fn rules_of(&self, network: &str) -> &str {
        self.networks
            .iter()
            .find(|n| n.network == network)
            .map_or(self.default_rules.as_str(), |n| n.rules.as_str())
    }

    /// The rule sets named, each once, in file order (the default first).
    pub fn rule_sets(&self) -> Vec<&str> {
        let mut names = vec![self.default_rules.as_str()];
        for network in &self.networks {
            if !names.contains(&network.rules.as_str()) {
                names.push(&network.rules);
            }
        }
        names
    }
}
