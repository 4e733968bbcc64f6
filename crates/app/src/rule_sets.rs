//! Rule sets by name: a shipped one by id, or a rule file by path.

use rules::RuleSet;

use crate::{Error, Result};

/// A shipped rule set by id, or a rule file by path.
pub fn load(id_or_path: &str) -> Result<RuleSet> {
    if let Some(rule_set) = RuleSet::shipped(id_or_path) {
        return Ok(rule_set);
    }
    let path = std::path::Path::new(id_or_path);
    if !path.exists() {
        let ids: Vec<&str> = rules::SHIPPED.iter().map(|(id, _)| *id).collect();
        return Err(Error::UnknownRuleSet { name: id_or_path.to_owned(), shipped: ids.join(", ") });
    }
    let text = std::fs::read_to_string(path).map_err(|err| Error::io("read", path, err))?;
    Ok(RuleSet::parse(&text, id_or_path)?)
}
