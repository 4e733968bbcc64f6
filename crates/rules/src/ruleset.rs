//! Rule sets: the documented TOML format, checked into types.

use std::fmt;

use calendar::Calendar;
use events::{Field, ProviderType, Urgency, Visit};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::error::Error;

/// The rule sets shipped with carequeue: (id, TOML text).
pub const SHIPPED: &[(&str, &str)] = &[
    ("ca-dmhc", include_str!("../rulesets/ca-dmhc.toml")),
    ("us-medicaid-mc", include_str!("../rulesets/us-medicaid-mc.toml")),
    ("us-qhp", include_str!("../rulesets/us-qhp.toml")),
    ("nhs-talking-therapies", include_str!("../rulesets/nhs-talking-therapies.toml")),
];

/// The standards of one jurisdiction.
#[derive(Debug, Clone)]
pub struct RuleSet {
    /// A short id, such as `ca-dmhc`.
    pub id: String,
    /// A descriptive name.
    pub name: String,
    /// The jurisdiction.
    pub jurisdiction: String,
    /// The legal sources.
    pub source: String,
    /// The time zone of clinics never registered.
    pub time_zone: TimeZone,
    /// Its IANA name.
    pub time_zone_name: String,
    /// The standards, in file order.
    pub standards: Vec<Standard>,
    /// The rate of compliance the jurisdiction requires, from 0 to 1.
    pub threshold: f64,
    /// Where the threshold comes from.
    pub threshold_source: String,
    /// The TOML text the rule set was read from.
    pub text: String,
}

/// One standard: whom it covers, its clock, its limit, what stops it.
#[derive(Debug, Clone)]
pub struct Standard {
    /// A short id, unique in its rule set, such as `urgent-48h`.
    pub id: String,
    /// A descriptive name.
    pub name: String,
    /// The legal source.
    pub source: String,
    /// Which requests it applies to.
    pub applies: Conditions,
    /// Where its clock starts.
    pub clock_start: ClockStart,
    /// How long the clock runs.
    pub limit: Limit,
    /// The calendar for business-day limits.
    pub calendar: &'static Calendar,
    /// What stops the clock.
    pub stop: Stop,
    /// Which offers stop it.
    pub qualifying: Qualifying,
    /// The rate of compliance required for this standard, from 0 to 1.
    pub threshold: f64,
}

/// Which requests a standard applies to; an absent condition matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    /// The request's urgency (the most urgent it ever had).
    pub urgency: Option<Vec<Urgency>>,
    /// The provider type requested.
    pub provider_types: Option<Vec<ProviderType>>,
    /// Initial visit or follow-up.
    pub visits: Option<Vec<Visit>>,
    /// Whether prior authorization is required.
    pub prior_auth: Option<bool>,
    /// The first local date of clock start the standard covers.
    pub effective_from: Option<Date>,
    /// The last local date of clock start the standard covers.
    pub effective_until: Option<Date>,
}

/// Where a standard's clock starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockStart {
    /// At the request (`request.opened`), or at the triage that made it
    /// urgent, for an urgent standard.
    Request,
    /// At the prior appointment of a follow-up request (SB 221).
    PriorAppointment,
}

/// How long a clock runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Limit {
    /// Hours of absolute time: `48h`.
    Hours(u32),
    /// Business days after the start's local date, to the end of the last
    /// one: `10bd`.
    BusinessDays(u32),
    /// Calendar days, counted the same way: `7d`.
    Days(u32),
    /// Weeks of seven calendar days: `6w`.
    Weeks(u32),
}

impl Limit {
    /// Whether the limit is counted in whole local days (`bd`, `d` and `w`,
    /// a week being seven calendar days), so that its deadline is always the
    /// end of a local date in the clinic's time zone and is best shown as
    /// that date. Hours (`h`) run in absolute time and end at an instant.
    pub fn is_day_counted(self) -> bool {
        match self {
            Limit::Hours(_) => false,
            Limit::BusinessDays(_) | Limit::Days(_) | Limit::Weeks(_) => true,
        }
    }

    /// Parses `48h`, `10bd`, `7d` or `6w` (1 to 10000 of the unit).
    pub fn parse(text: &str) -> Option<Limit> {
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        let (number, unit) = text.split_at(digits);
        let n: u32 = number.parse().ok().filter(|n| (1..=10_000).contains(n))?;
        if number.starts_with('0') {
            return None;
        }
        match unit {
            "h" => Some(Limit::Hours(n)),
            "bd" => Some(Limit::BusinessDays(n)),
            "d" => Some(Limit::Days(n)),
            "w" => Some(Limit::Weeks(n)),
            _ => None,
        }
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Hours(n) => write!(f, "{n}h"),
            Limit::BusinessDays(n) => write!(f, "{n}bd"),
            Limit::Days(n) => write!(f, "{n}d"),
            Limit::Weeks(n) => write!(f, "{n}w"),
        }
    }
}

/// What stops a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// The first qualifying offer (the California rule: the wait ends when an
    /// appointment is offered).
    FirstQualifyingOffer,
    /// The first attended appointment (NHS Talking Therapies: the first
    /// treatment).
    FirstAttended,
}

/// Which offers stop a clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qualifying {
    /// The provider types that qualify; `None`: the type the request asked
    /// for.
    pub provider_types: Option<Vec<ProviderType>>,
    /// Whether group care satisfies a request for individual care.
    pub group_satisfies_individual: bool,
    /// Whether an out-of-network offer qualifies.
    pub out_of_network: bool,
}

// The file format, as read; checked into the types above.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuleSet {
    id: toml::Spanned<String>,
    name: String,
    jurisdiction: String,
    source: String,
    calendar: toml::Spanned<String>,
    time_zone: toml::Spanned<String>,
    threshold: toml::Spanned<f64>,
    threshold_source: String,
    #[serde(default)]
    standard: Vec<RawStandard>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStandard {
    id: toml::Spanned<String>,
    name: String,
    source: String,
    urgency: Option<Vec<toml::Spanned<String>>>,
    provider_types: Option<Vec<toml::Spanned<String>>>,
    visits: Option<Vec<toml::Spanned<String>>>,
    prior_auth: Option<bool>,
    effective_from: Option<toml::Spanned<String>>,
    effective_until: Option<toml::Spanned<String>>,
    clock_start: Option<toml::Spanned<String>>,
    limit: toml::Spanned<String>,
    calendar: Option<toml::Spanned<String>>,
    stop: Option<toml::Spanned<String>>,
    threshold: Option<toml::Spanned<f64>>,
    qualifying_provider_types: Option<Vec<toml::Spanned<String>>>,
    group_satisfies_individual: Option<bool>,
    out_of_network_qualifies: Option<bool>,
}

/// Turns spans into line and column numbers.
pub(crate) struct Locator<'t> {
    pub(crate) source_name: &'t str,
    pub(crate) text: &'t str,
}

impl Locator<'_> {
    pub(crate) fn error<T>(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Result<T, Error> {
        let before = &self.text[..span.start.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |idx| idx + 1) + 1;
        Err(Error {
            source_name: self.source_name.to_owned(),
            line,
            column,
            message: message.into(),
        })
    }

    fn list<T>(
        &self,
        values: Option<Vec<toml::Spanned<String>>>,
        parse: impl Fn(Field, &str) -> Result<T, events::Error>,
        field: Field,
    ) -> Result<Option<Vec<T>>, Error> {
        let Some(values) = values else { return Ok(None) };
        if values.is_empty() {
            return Ok(None);
        }
        values
            .into_iter()
            .map(|value| {
                let span = value.span();
                parse(field, value.get_ref()).or_else(|err| self.error(span, err.to_string()))
            })
            .collect::<Result<Vec<T>, Error>>()
            .map(Some)
    }

    fn date(&self, value: Option<toml::Spanned<String>>) -> Result<Option<Date>, Error> {
        let Some(value) = value else { return Ok(None) };
        match value.get_ref().parse::<Date>() {
            Ok(date) => Ok(Some(date)),
            Err(_) => self.error(
                value.span(),
                format!("expected a date such as 2022-07-01, found {:?}", value.get_ref()),
            ),
        }
    }

    fn calendar(&self, value: &toml::Spanned<String>) -> Result<&'static Calendar, Error> {
        calendar::get(value.get_ref()).map_or_else(
            || {
                self.error(
                    value.span(),
                    format!(
                        "unknown calendar {:?}; the calendars are {}",
                        value.get_ref(),
                        calendar::IDS.join(", ")
                    ),
                )
            },
            Ok,
        )
    }

    fn threshold(&self, value: &toml::Spanned<f64>) -> Result<f64, Error> {
        let threshold = *value.get_ref();
        if !(0.0..=1.0).contains(&threshold) {
            return self
                .error(value.span(), format!("expected a rate from 0 to 1, found {threshold}"));
        }
        Ok(threshold)
    }
}

fn is_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl RuleSet {
    /// A shipped rule set, by id.
    pub fn shipped(id: &str) -> Option<RuleSet> {
        let (_, text) = SHIPPED.iter().find(|(shipped, _)| *shipped == id)?;
        RuleSet::parse(text, &format!("{id}.toml")).ok()
    }

    /// Reads a rule set from its TOML text (the format of `docs/rules.md`).
    /// `source_name` names the file in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<RuleSet, Error> {
        let locate = Locator { source_name, text };
        let raw: RawRuleSet = toml::from_str(text).or_else(|err| {
            let span = err.span().unwrap_or(0..0);
            locate.error(span, err.message().to_owned())
        })?;
        if !is_id(raw.id.get_ref()) {
            return locate
                .error(raw.id.span(), "expected an id of lower-case letters, digits and -");
        }
        let default_calendar = locate.calendar(&raw.calendar)?;
        let time_zone_name = events::TimeZoneName::parse(Field::TimeZone, raw.time_zone.get_ref())
            .or_else(|err| locate.error(raw.time_zone.span(), err.to_string()))?;
        let threshold = locate.threshold(&raw.threshold)?;
        if raw.standard.is_empty() {
            return locate.error(0..0, "a rule set needs at least one [[standard]]");
        }
        let mut standards: Vec<Standard> = Vec::with_capacity(raw.standard.len());
        for s in raw.standard {
            if !is_id(s.id.get_ref()) {
                return locate
                    .error(s.id.span(), "expected an id of lower-case letters, digits and -");
            }
            if standards.iter().any(|other| other.id == *s.id.get_ref()) {
                return locate
                    .error(s.id.span(), format!("standard {:?} appears twice", s.id.get_ref()));
            }
            let limit = Limit::parse(s.limit.get_ref()).map_or_else(
                || {
                    locate.error(
                        s.limit.span(),
                        format!(
                            "expected a limit such as 48h, 10bd, 7d or 6w, found {:?}",
                            s.limit.get_ref()
                        ),
                    )
                },
                Ok,
            )?;
            let clock_start = match s.clock_start {
                None => ClockStart::Request,
                Some(value) => match value.get_ref().as_str() {
                    "request" => ClockStart::Request,
                    "prior_appointment" => ClockStart::PriorAppointment,
                    other => {
                        return locate.error(
                            value.span(),
                            format!("expected request or prior_appointment, found {other:?}"),
                        );
                    }
                },
            };
            let stop = match s.stop {
                None => Stop::FirstQualifyingOffer,
                Some(value) => {
                    match value.get_ref().as_str() {
                        "first_qualifying_offer" => Stop::FirstQualifyingOffer,
                        "first_attended" => Stop::FirstAttended,
                        other => {
                            return locate.error(
                            value.span(),
                            format!("expected first_qualifying_offer or first_attended, found {other:?}"),
                        );
                        }
                    }
                }
            };
            let applies = Conditions {
                urgency: locate.list(s.urgency, Urgency::parse, Field::Urgency)?,
                provider_types: locate.list(
                    s.provider_types,
                    ProviderType::parse,
                    Field::ProviderType,
                )?,
                visits: locate.list(s.visits, Visit::parse, Field::Visit)?,
                prior_auth: s.prior_auth,
                effective_from: locate.date(s.effective_from)?,
                effective_until: locate.date(s.effective_until)?,
            };
            if let (Some(from), Some(until)) = (applies.effective_from, applies.effective_until)
                && until < from
            {
                return locate.error(s.id.span(), "effective_until is before effective_from");
            }
            let calendar = match &s.calendar {
                Some(value) => locate.calendar(value)?,
                None => default_calendar,
            };
            let qualifying = Qualifying {
                provider_types: locate.list(
                    s.qualifying_provider_types,
                    ProviderType::parse,
                    Field::ProviderType,
                )?,
                group_satisfies_individual: s.group_satisfies_individual.unwrap_or(false),
                out_of_network: s.out_of_network_qualifies.unwrap_or(true),
            };
            let standard_threshold = match &s.threshold {
                Some(value) => locate.threshold(value)?,
                None => threshold,
            };
            standards.push(Standard {
                id: s.id.into_inner(),
                name: s.name,
                source: s.source,
                applies,
                clock_start,
                limit,
                calendar,
                stop,
                qualifying,
                threshold: standard_threshold,
            });
        }
        Ok(RuleSet {
            id: raw.id.into_inner(),
            name: raw.name,
            jurisdiction: raw.jurisdiction,
            source: raw.source,
            time_zone: time_zone_name.time_zone(),
            time_zone_name: time_zone_name.as_str().to_owned(),
            standards,
            threshold,
            threshold_source: raw.threshold_source,
            text: text.to_owned(),
        })
    }
}
