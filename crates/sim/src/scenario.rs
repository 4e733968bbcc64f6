//! Clinic-network scenarios: the documented TOML format (docs/simulation.md)
//! with defaults from the planning figures of `docs/sources.md`.

use serde::{Deserialize, Serialize};

/// A clinic network to simulate.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A name for reports.
    #[serde(default = "default_name")]
    pub name: String,
    /// The first day simulated (a local date, `2025-01-06`).
    pub start: String,
    /// How many days to simulate.
    #[serde(default = "default_days")]
    pub days: u32,
    /// Plan members.
    pub members: u32,
    /// Demand for care.
    #[serde(default)]
    pub demand: Demand,
    /// Courses of follow-up visits.
    #[serde(default)]
    pub course: Course,
    /// What clinicians offer.
    #[serde(default)]
    pub clinician: ClinicianTemplate,
    /// How patients behave.
    #[serde(default)]
    pub patients: Patients,
    /// How the plan books.
    #[serde(default)]
    pub policy: Policy,
    /// The clinics, with their clinicians.
    #[serde(rename = "clinic")]
    pub clinics: Vec<Clinic>,
}

fn default_name() -> String {
    "scenario".to_owned()
}

fn default_days() -> u32 {
    365
}

/// Demand for care.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Demand {
    /// New requests per 1,000 members per year. 12% (2013) to 16% (2020) of
    /// employer-insured people under 65 used outpatient mental-health care in
    /// a year (EBRI, 2022); not every user opens a new request each year.
    pub requests_per_1000: f64,
    /// Share of requests that are urgent.
    pub urgent_share: f64,
    /// Share of urgent requests that need prior authorization.
    pub prior_auth_share: f64,
    /// Shares of requests by provider type: non-physician mental health,
    /// psychiatrist, substance use disorder.
    pub provider_mix: [f64; 3],
    /// Share of requests for individual care (the rest accept any format).
    pub individual_share: f64,
    /// Relative demand Monday to Sunday.
    pub weekday_weights: [f64; 7],
    /// Seasonal swing: demand is (1 + amplitude × cos) with its peak in
    /// January.
    pub seasonal_amplitude: f64,
}

impl Default for Demand {
    fn default() -> Self {
        Demand {
            requests_per_1000: 100.0,
            urgent_share: 0.15,
            prior_auth_share: 0.2,
            provider_mix: [0.65, 0.2, 0.15],
            individual_share: 0.7,
            weekday_weights: [1.25, 1.15, 1.1, 1.05, 0.95, 0.3, 0.2],
            seasonal_amplitude: 0.1,
        }
    }
}

/// Courses of follow-up visits.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Course {
    /// Chance that an attended first visit starts a course of follow-ups
    /// (0.8 to 0.95 in the HSMA mental-health booking model).
    pub follow_up_probability: f64,
    /// Mean number of visits in a course: 7.9 psychotherapy visits per user
    /// per year (Olfson and Marcus, Am J Psychiatry 2010).
    pub mean_visits: f64,
    /// The target days between visits (7 to 14 in the HSMA model); a return
    /// visit is booked from three days before the target on.
    pub cadence_days: u32,
}

impl Default for Course {
    fn default() -> Self {
        Course { follow_up_probability: 0.8, mean_visits: 7.9, cadence_days: 10 }
    }
}

/// The weekly template of one full-time clinician.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClinicianTemplate {
    /// Individual sessions a week: 22 to 28 in group practice
    /// (docs/sources.md section 5, weak sources).
    pub sessions_per_week: u32,
    /// Share of sessions kept for first visits (intake); the rest are
    /// return visits.
    pub intake_share: f64,
    /// The intake share by provider type (therapists, psychiatrists, SUD
    /// counsellors), when it differs between them; overrides
    /// `intake_share`.
    pub intake_shares: Option<[f64; 3]>,
    /// Intake sessions a week held for urgent requests (the carve-out),
    /// released to routine requests a day ahead.
    pub urgent_carve_out: u32,
    /// Group sessions a week.
    pub group_sessions_per_week: u32,
    /// Places in a group session.
    pub group_capacity: u32,
    /// Weeks of leave a year, spread over the year.
    pub leave_weeks: u32,
    /// How many weeks ahead slots are published.
    pub horizon_weeks: u32,
}

impl Default for ClinicianTemplate {
    fn default() -> Self {
        ClinicianTemplate {
            sessions_per_week: 25,
            intake_share: 0.2,
            intake_shares: None,
            urgent_carve_out: 2,
            group_sessions_per_week: 1,
            group_capacity: 8,
            leave_weeks: 6,
            horizon_weeks: 8,
        }
    }
}

/// How patients behave.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Patients {
    /// Chance that a patient declines an offer (patient preference).
    pub decline_probability: f64,
    /// No-shows at first visits: about 25% (a forensic clinic saw 24.9%;
    /// 36% of referred intakes were missed).
    pub no_show_initial: f64,
    /// No-shows at follow-ups: about 9% (8.8% of 1,620 follow-up visits;
    /// 9.8% in the forensic clinic).
    pub no_show_follow_up: f64,
    /// Chance that a booked appointment is cancelled by the patient.
    pub cancel_probability: f64,
    /// Chance that a patient who asked for individual care accepts a
    /// group session offered instead.
    pub accept_group: f64,
    /// Chance that a patient who missed a first visit cannot be reached
    /// again (the request closes as unreachable); the others are booked
    /// again.
    pub unreachable_after_no_show: f64,
    /// Chance per day of waiting that a patient withdraws.
    pub withdraw_per_day: f64,
    /// Harm while waiting, ILLUSTRATIVE ONLY: the daily hazard of a harm
    /// event for a patient waiting for a first visit, which grows with the
    /// wait as `base × (1 + days waited / 30)`. Not an estimate of real risk.
    pub harm_hazard_per_day: f64,
}

impl Default for Patients {
    fn default() -> Self {
        Patients {
            decline_probability: 0.12,
            no_show_initial: 0.2,
            no_show_follow_up: 0.09,
            cancel_probability: 0.04,
            accept_group: 0.5,
            unreachable_after_no_show: 0.3,
            withdraw_per_day: 0.004,
            harm_hazard_per_day: 0.0004,
        }
    }
}

/// How the plan books.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Policy {
    /// Days within which a routine first visit should be offered (about 10
    /// business days).
    pub routine_target_days: u32,
    /// Hours within which an urgent visit should be offered.
    pub urgent_target_hours: u32,
    /// Offer group care when no individual slot is free within the target.
    pub group_when_short: bool,
    /// Refer out of network when nothing is free within the target.
    pub out_of_network_when_short: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            routine_target_days: 14,
            urgent_target_hours: 48,
            group_when_short: true,
            out_of_network_when_short: false,
        }
    }
}

/// A clinic and its staff.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Clinic {
    /// Its id.
    pub id: String,
    /// Its IANA time zone.
    #[serde(default = "default_time_zone")]
    pub time_zone: String,
    /// Its network.
    #[serde(default = "default_network")]
    pub network: String,
    /// Share of the plan's members it serves.
    pub member_share: f64,
    /// Full-time clinicians: non-physician mental health, psychiatrists,
    /// substance use disorder.
    pub clinicians: [f64; 3],
    /// This clinic's urgent carve-out, when it differs from the template's.
    #[serde(default)]
    pub urgent_carve_out: Option<u32>,
}

fn default_time_zone() -> String {
    "America/Los_Angeles".to_owned()
}

fn default_network() -> String {
    "plan".to_owned()
}

/// A scenario that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file's name.
    pub source_name: String,
    /// The 1-based line, 0 when not about a place in the file.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}: {}", self.source_name, self.line, self.message)
        } else {
            write!(f, "{}: {}", self.source_name, self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}

/// The 1-based line where `key` is set in the `nth` (from 0) table headed
/// `header` (`""`: the top level); 0 when it is not set there.
fn line_of(text: &str, header: &str, nth: usize, key: &str) -> usize {
    let mut inside = header.is_empty();
    let mut seen = 0;
    for (idx, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == header && {
                seen += 1;
                seen == nth + 1
            };
        } else if inside
            && line.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
        {
            return idx + 1;
        }
    }
    0
}

impl ClinicianTemplate {
    /// The intake share of a provider type (0 therapists, 1 psychiatrists,
    /// 2 SUD counsellors).
    pub fn intake_share_of(&self, provider: usize) -> f64 {
        self.intake_shares.map_or(self.intake_share, |shares| shares[provider.min(2)])
    }
}

impl Scenario {
    /// The scenario as TOML that [`Scenario::parse`] reads back.
    pub fn to_toml(&self) -> Result<String, ScenarioError> {
        toml::to_string(self).map_err(|e| ScenarioError {
            source_name: self.name.clone(),
            line: 0,
            message: format!("cannot be written as TOML: {e}"),
        })
    }

    /// Reads and checks a scenario. Errors name the file, the line when the
    /// value is written in it, the field and what was expected.
    pub fn parse(text: &str, source_name: &str) -> Result<Scenario, ScenarioError> {
        let err = |line: usize, message: String| ScenarioError {
            source_name: source_name.to_owned(),
            line,
            message,
        };
        let scenario: Scenario = toml::from_str(text).map_err(|e| {
            let line =
                e.span().map_or(0, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            err(line, e.message().to_owned())
        })?;
        // `field` is `table.key`, `clinic.key` for the nth clinic, or `key`.
        let check = |ok: bool, field: &str, nth: usize, expected: &str, found: String| {
            if ok {
                return Ok(());
            }
            let (header, key) = match field.split_once('.') {
                Some(("clinic", key)) => ("[[clinic]]".to_owned(), key),
                Some((table, key)) => (format!("[{table}]"), key),
                None => (String::new(), field),
            };
            let line = line_of(text, &header, nth, key);
            let field = if header == "[[clinic]]" {
                format!("clinic {} {key}", nth + 1)
            } else {
                field.to_owned()
            };
            Err(err(line, format!("{field}: expected {expected}, found {found}")))
        };
        check(
            scenario
                .start
                .parse::<jiff::civil::Date>()
                .is_ok_and(|d| (1900..=2190).contains(&d.year())),
            "start",
            0,
            "a date from 1900 to 2190, such as 2025-01-06",
            format!("{:?}", scenario.start),
        )?;
        check(
            (7..=3660).contains(&scenario.days),
            "days",
            0,
            "a number of days from 7 to 3660",
            scenario.days.to_string(),
        )?;
        check(scenario.members > 0, "members", 0, "at least 1", scenario.members.to_string())?;
        check(
            !scenario.clinics.is_empty(),
            "clinic",
            0,
            "at least one [[clinic]] table",
            "none".to_owned(),
        )?;
        let share: f64 = scenario.clinics.iter().map(|c| c.member_share).sum();
        check(
            (share - 1.0).abs() < 1e-6,
            "clinic.member_share",
            0,
            "shares over all clinics that add up to 1",
            format!("a total of {share}"),
        )?;
        let p = &scenario.patients;
        for (key, value) in [
            ("decline_probability", p.decline_probability),
            ("no_show_initial", p.no_show_initial),
            ("no_show_follow_up", p.no_show_follow_up),
            ("cancel_probability", p.cancel_probability),
            ("accept_group", p.accept_group),
            ("unreachable_after_no_show", p.unreachable_after_no_show),
            ("withdraw_per_day", p.withdraw_per_day),
            ("harm_hazard_per_day", p.harm_hazard_per_day),
        ] {
            let field = format!("patients.{key}");
            check(
                (0.0..=1.0).contains(&value),
                &field,
                0,
                "a probability from 0 to 1",
                value.to_string(),
            )?;
        }
        let d = &scenario.demand;
        for (key, value) in [
            ("urgent_share", d.urgent_share),
            ("prior_auth_share", d.prior_auth_share),
            ("individual_share", d.individual_share),
            ("seasonal_amplitude", d.seasonal_amplitude),
        ] {
            let field = format!("demand.{key}");
            check(
                (0.0..=1.0).contains(&value),
                &field,
                0,
                "a share from 0 to 1",
                value.to_string(),
            )?;
        }
        check(
            d.requests_per_1000.is_finite() && (0.0..=10_000.0).contains(&d.requests_per_1000),
            "demand.requests_per_1000",
            0,
            "a rate from 0 to 10000",
            d.requests_per_1000.to_string(),
        )?;
        check(
            d.provider_mix.iter().all(|x| *x >= 0.0)
                && (d.provider_mix.iter().sum::<f64>() - 1.0).abs() < 1e-6,
            "demand.provider_mix",
            0,
            "three shares that add up to 1",
            format!("{:?}", d.provider_mix),
        )?;
        check(
            d.weekday_weights.iter().all(|w| w.is_finite() && *w >= 0.0)
                && d.weekday_weights.iter().sum::<f64>() > 0.0,
            "demand.weekday_weights",
            0,
            "seven weights, not negative, not all 0",
            format!("{:?}", d.weekday_weights),
        )?;
        let c = &scenario.course;
        check(
            (0.0..=1.0).contains(&c.follow_up_probability),
            "course.follow_up_probability",
            0,
            "a probability from 0 to 1",
            c.follow_up_probability.to_string(),
        )?;
        check(
            (2.0..=60.0).contains(&c.mean_visits),
            "course.mean_visits",
            0,
            "a mean from 2 to 60 visits (the first and at least one more)",
            c.mean_visits.to_string(),
        )?;
        check(
            (3..=90).contains(&c.cadence_days),
            "course.cadence_days",
            0,
            "a number of days from 3 to 90",
            c.cadence_days.to_string(),
        )?;
        let t = &scenario.clinician;
        check(
            (1..=35).contains(&t.sessions_per_week),
            "clinician.sessions_per_week",
            0,
            "from 1 to 35 (seven a day, Monday to Friday)",
            t.sessions_per_week.to_string(),
        )?;
        check(
            (0.0..=1.0).contains(&t.intake_share),
            "clinician.intake_share",
            0,
            "a share from 0 to 1",
            t.intake_share.to_string(),
        )?;
        if let Some(shares) = t.intake_shares {
            check(
                shares.iter().all(|s| (0.0..=1.0).contains(s)),
                "clinician.intake_shares",
                0,
                "three shares from 0 to 1",
                format!("{shares:?}"),
            )?;
        }
        check(
            (1..=52).contains(&t.horizon_weeks),
            "clinician.horizon_weeks",
            0,
            "a number of weeks from 1 to 52",
            t.horizon_weeks.to_string(),
        )?;
        check(
            t.leave_weeks <= 40,
            "clinician.leave_weeks",
            0,
            "at most 40 weeks of leave a year",
            t.leave_weeks.to_string(),
        )?;
        for (nth, clinic) in scenario.clinics.iter().enumerate() {
            let id = |field, text: &str| match field {
                events::Field::Clinic => events::ClinicId::parse(field, text).is_ok(),
                _ => events::NetworkId::parse(field, text).is_ok(),
            };
            check(
                id(events::Field::Clinic, &clinic.id),
                "clinic.id",
                nth,
                "an id of letters, digits and - _ . : / @ + # ~ =",
                format!("{:?}", clinic.id),
            )?;
            check(
                id(events::Field::Network, &clinic.network),
                "clinic.network",
                nth,
                "an id of letters, digits and - _ . : / @ + # ~ =",
                format!("{:?}", clinic.network),
            )?;
            check(
                events::TimeZoneName::parse(events::Field::TimeZone, &clinic.time_zone).is_ok(),
                "clinic.time_zone",
                nth,
                "an IANA time zone such as America/Los_Angeles",
                format!("{:?}", clinic.time_zone),
            )?;
            check(
                clinic.member_share.is_finite() && clinic.member_share >= 0.0,
                "clinic.member_share",
                nth,
                "a share from 0 to 1",
                clinic.member_share.to_string(),
            )?;
            check(
                clinic.clinicians.iter().all(|n| n.is_finite() && (0.0..=10_000.0).contains(n)),
                "clinic.clinicians",
                nth,
                "three numbers of full-time clinicians from 0 to 10000",
                format!("{:?}", clinic.clinicians),
            )?;
        }
        let ids: std::collections::HashSet<&str> =
            scenario.clinics.iter().map(|c| c.id.as_str()).collect();
        check(
            ids.len() == scenario.clinics.len(),
            "clinic.id",
            scenario.clinics.len() - 1,
            "a different id for each clinic",
            "a repeated id".to_owned(),
        )?;
        Ok(scenario)
    }
}
