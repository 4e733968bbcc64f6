//! Clinic-network scenarios: the documented TOML format (docs/simulation.md)
//! with defaults from the planning figures of `reference/`.

use serde::Deserialize;

/// A clinic network to simulate.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClinicianTemplate {
    /// Individual sessions a week: 22 to 28 in group practice
    /// (reference/timely-access-rules.md §5, weak sources).
    pub sessions_per_week: u32,
    /// Share of sessions kept for first visits (intake); the rest are
    /// return visits.
    pub intake_share: f64,
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
            intake_share: 0.3,
            urgent_carve_out: 2,
            group_sessions_per_week: 1,
            group_capacity: 8,
            leave_weeks: 6,
            horizon_weeks: 8,
        }
    }
}

/// How patients behave.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
            withdraw_per_day: 0.004,
            harm_hazard_per_day: 0.0004,
        }
    }
}

/// How the plan books.
#[derive(Debug, Clone, PartialEq, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
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

impl Scenario {
    /// Reads and checks a scenario.
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
        let check =
            |ok: bool, message: &str| if ok { Ok(()) } else { Err(err(0, message.to_owned())) };
        check(
            scenario.start.parse::<jiff::civil::Date>().is_ok(),
            "start must be a date such as 2025-01-06",
        )?;
        check(scenario.days >= 7 && scenario.days <= 3660, "days must be from 7 to 3660")?;
        check(scenario.members > 0, "members must be positive")?;
        check(!scenario.clinics.is_empty(), "at least one [[clinic]] is needed")?;
        let share: f64 = scenario.clinics.iter().map(|c| c.member_share).sum();
        check((share - 1.0).abs() < 1e-6, "the clinics' member_share must add up to 1")?;
        let probability = |p: f64| (0.0..=1.0).contains(&p);
        let p = &scenario.patients;
        check(
            [
                p.decline_probability,
                p.no_show_initial,
                p.no_show_follow_up,
                p.cancel_probability,
                p.withdraw_per_day,
                p.harm_hazard_per_day,
            ]
            .iter()
            .all(|x| probability(*x)),
            "patients' probabilities must be from 0 to 1",
        )?;
        let d = &scenario.demand;
        check(
            d.requests_per_1000 >= 0.0
                && probability(d.urgent_share)
                && probability(d.individual_share),
            "demand shares must be from 0 to 1",
        )?;
        check(
            (d.provider_mix.iter().sum::<f64>() - 1.0).abs() < 1e-6,
            "demand.provider_mix must add up to 1",
        )?;
        check(scenario.course.mean_visits >= 1.0, "course.mean_visits must be at least 1")?;
        check(
            scenario.clinician.sessions_per_week <= 60,
            "clinician.sessions_per_week must be at most 60",
        )?;
        for clinic in &scenario.clinics {
            check(
                events::TimeZoneName::parse(events::Field::TimeZone, &clinic.time_zone).is_ok(),
                "a clinic's time_zone must be an IANA name",
            )?;
            check(
                events::ClinicId::parse(events::Field::Clinic, &clinic.id).is_ok(),
                "a clinic's id must be an id (letters, digits, - _ . :)",
            )?;
        }
        Ok(scenario)
    }
}
