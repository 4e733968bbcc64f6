//! Reports as typed values: one definition of a report row's columns, from
//! which the CSV, the terminal table and the JSON (with serde) are written.

use metrics::{GroupBy, Report, Row};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

use crate::provenance::Provenance;

/// One cell of a report's row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Cell<'r> {
    /// Text, such as a standard's id.
    Text(&'r str),
    /// A count.
    Count(u64),
    /// A measure, absent when it cannot be measured; written in CSV with
    /// `decimals` decimals, in JSON to six.
    Number {
        /// The value.
        value: Option<f64>,
        /// The decimals of its CSV cell.
        decimals: usize,
    },
}

impl Cell<'_> {
    /// As a CSV or table cell: a measure to its decimals, empty when absent.
    pub fn text(&self) -> String {
        match *self {
            Cell::Text(text) => text.to_owned(),
            Cell::Count(n) => n.to_string(),
            Cell::Number { value, decimals } => value
                .filter(|v| v.is_finite())
                .map_or_else(String::new, |v| format!("{v:.decimals$}")),
        }
    }
}

impl Serialize for Cell<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            Cell::Text(text) => serializer.serialize_str(text),
            Cell::Count(n) => serializer.serialize_u64(n),
            Cell::Number { value, .. } => json_number(value).serialize(serializer),
        }
    }
}

/// A measure as JSON writes it: to six decimals, a whole number without a
/// fraction, `null` when absent or not finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JsonNumber(Option<f64>);

/// `value` for JSON (see [`JsonNumber`]).
pub fn json_number(value: Option<f64>) -> JsonNumber {
    JsonNumber(value.filter(|v| v.is_finite()).map(|v| (v * 1e6).round() / 1e6))
}

impl Serialize for JsonNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            None => serializer.serialize_none(),
            // Exactly representable as an integer: written as one (3, not 3.0).
            Some(v) if v.fract() == 0.0 && v.abs() < 9.0e15 => serializer.serialize_i64(v as i64),
            Some(v) => serializer.serialize_f64(v),
        }
    }
}

/// A column of a report's row, after the group keys.
#[derive(Debug)]
pub struct Column {
    /// Its name: the CSV header and the JSON key.
    pub name: &'static str,
    /// Its cell in a row.
    pub cell: fn(&Row) -> Cell<'_>,
}

const fn number(value: Option<f64>, decimals: usize) -> Cell<'static> {
    Cell::Number { value, decimals }
}

/// Every column of a report's row, in the CSV's order (those added later
/// at the end, so that columns read by position stay): the one definition
/// the CSV, the table and the JSON are written from.
pub static COLUMNS: [Column; 22] = [
    Column { name: "standard", cell: |r| Cell::Text(&r.standard) },
    Column { name: "requests", cell: |r| Cell::Count(r.requests) },
    Column { name: "met", cell: |r| Cell::Count(r.met) },
    Column { name: "missed", cell: |r| Cell::Count(r.missed) },
    Column { name: "open_within", cell: |r| Cell::Count(r.open_within) },
    Column { name: "open_overdue", cell: |r| Cell::Count(r.open_overdue) },
    Column { name: "excluded", cell: |r| Cell::Count(r.excluded) },
    Column { name: "rate", cell: |r| number(r.rate, 4) },
    Column { name: "threshold", cell: |r| number(Some(r.threshold), 2) },
    Column { name: "wait_p50_days", cell: |r| number(r.wait_p50_days, 1) },
    Column { name: "wait_p90_days", cell: |r| number(r.wait_p90_days, 1) },
    Column { name: "wait_p50_business_days", cell: |r| number(r.wait_p50_business_days, 0) },
    Column { name: "wait_p90_business_days", cell: |r| number(r.wait_p90_business_days, 0) },
    Column { name: "attended_p50_days", cell: |r| number(r.attended_p50_days, 1) },
    Column { name: "attended_p90_days", cell: |r| number(r.attended_p90_days, 1) },
    Column { name: "extensions", cell: |r| Cell::Count(r.extensions) },
    Column {
        name: "declines_patient_preference",
        cell: |r| Cell::Count(r.declines_patient_preference),
    },
    Column { name: "out_of_network", cell: |r| Cell::Count(r.out_of_network) },
    Column { name: "group_for_individual", cell: |r| Cell::Count(r.group_for_individual) },
    Column { name: "harm_while_waiting", cell: |r| Cell::Count(r.harm_while_waiting) },
    Column { name: "unjudged", cell: |r| Cell::Count(r.unjudged) },
    Column { name: "business_days_unmeasured", cell: |r| Cell::Count(r.business_days_unmeasured) },
];

/// The column named `name`.
pub fn column(name: &str) -> Option<&'static Column> {
    COLUMNS.iter().find(|c| c.name == name)
}

/// The header of a report's CSV: the group keys, then every column.
pub fn header(by: &[GroupBy]) -> Vec<&'static str> {
    by.iter().map(|g| g.as_str()).chain(COLUMNS.iter().map(|c| c.name)).collect()
}

/// A row's CSV cells: its group keys, then every column.
pub fn cells(row: &Row) -> Vec<String> {
    row.keys.iter().cloned().chain(COLUMNS.iter().map(|c| (c.cell)(row).text())).collect()
}

/// Rows with their group keys, serialised as a list of objects: one key per
/// grouping, then every column.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    /// What the rows are grouped by.
    pub by: &'a [GroupBy],
    /// The rows.
    pub rows: &'a [Row],
}

struct RowObject<'a> {
    by: &'a [GroupBy],
    row: &'a Row,
}

impl Serialize for RowObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.by.len() + COLUMNS.len()))?;
        for (group, key) in self.by.iter().zip(&self.row.keys) {
            map.serialize_entry(group.as_str(), key)?;
        }
        for column in &COLUMNS {
            map.serialize_entry(column.name, &(column.cell)(self.row))?;
        }
        map.end()
    }
}

impl Serialize for Rows<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.rows.len()))?;
        for row in self.rows {
            seq.serialize_element(&RowObject { by: self.by, row })?;
        }
        seq.end()
    }
}

/// The measurement period, as JSON writes it.
#[derive(Debug, Serialize)]
pub struct PeriodJson {
    /// The first clock-start date counted, if any.
    pub from: Option<String>,
    /// The last, if any.
    pub to: Option<String>,
}

/// An integrity check's findings, as JSON writes them.
#[derive(Debug, Serialize)]
pub struct FindingJson<'a> {
    /// The check's id.
    pub check: &'static str,
    /// What it looks for.
    pub description: &'static str,
    /// How many events it found.
    pub count: usize,
    /// Their ids.
    pub events: Vec<&'a str>,
}

/// The third next available appointment on a day, as JSON writes it.
#[derive(Debug, Serialize)]
pub struct TnaJson<'a> {
    /// The clinic.
    pub clinic: &'a str,
    /// The provider type.
    pub provider_type: &'a str,
    /// The day.
    pub date: String,
    /// Days to the third open slot; `None` when fewer than three.
    pub days: Option<i32>,
}

/// Open requests of an age band, as JSON writes them.
#[derive(Debug, Serialize)]
pub struct AgeJson<'a> {
    /// The provider type asked for.
    pub provider_type: &'a str,
    /// The band of days since the request.
    pub band: &'static str,
    /// Open requests.
    pub requests: u64,
}

/// Gaps between attended visits in a month, as JSON writes them.
#[derive(Debug, Serialize)]
pub struct GapJson<'a> {
    /// The clinic.
    pub clinic: &'a str,
    /// The month.
    pub month: &'a str,
    /// Gaps measured.
    pub gaps: u64,
    /// Their median, in days.
    pub p50_days: JsonNumber,
    /// Their 90th percentile, in days.
    pub p90_days: JsonNumber,
    /// Gaps over 14 days.
    pub over_14_days: u64,
}

/// Appointments for new and returning patients in a month.
#[derive(Debug, Serialize)]
pub struct ShareJson<'a> {
    /// The clinic.
    pub clinic: &'a str,
    /// The month.
    pub month: &'a str,
    /// Appointments for new patients.
    pub new_patients: u64,
    /// For returning ones.
    pub returning: u64,
}

/// A failing request with one of the longest waits of its standard.
#[derive(Debug, Serialize)]
pub struct FailingJson<'a> {
    /// The standard.
    pub standard: &'a str,
    /// `missed` or `open_overdue`.
    pub verdict: &'static str,
    /// The request.
    pub request_id: &'a str,
    /// The patient's id, as the source gave it.
    pub patient_id: &'a str,
    /// The clinic.
    pub clinic: &'a str,
    /// When the clock started, in the clinic's local time.
    pub clock_start: String,
    /// The deadline, in the clinic's local time.
    pub deadline: String,
    /// The earliest suitable appointment offered, if any.
    pub first_offer_at: Option<String>,
    /// Days waited (to the offer, or still waiting).
    pub wait_days: JsonNumber,
}

/// A report as its JSON says it.
#[derive(Debug, Serialize)]
pub struct ReportJson<'a> {
    /// The rule set's id.
    pub rule_set: &'a str,
    /// The as-of moment, as the ledger writes moments.
    pub as_of: String,
    /// What the rows are grouped by.
    pub by: Vec<&'static str>,
    /// The measurement period.
    pub period: PeriodJson,
    /// What the read saw of the ledger.
    pub ledger: &'a Provenance,
    /// The compliance table.
    pub rows: Rows<'a>,
    /// The same by network.
    pub by_network: Rows<'a>,
    /// The integrity checks.
    pub integrity: Vec<FindingJson<'a>>,
    /// The third next available appointment, day by day.
    pub third_next_available: Vec<TnaJson<'a>>,
    /// Open requests by age.
    pub open_age: Vec<AgeJson<'a>>,
    /// Gaps between attended visits.
    pub follow_up_gaps: Vec<GapJson<'a>>,
    /// New against returning patients.
    pub new_vs_returning: Vec<ShareJson<'a>>,
    /// The failing requests with the longest waits, per standard.
    pub failing: Vec<FailingJson<'a>>,
}

/// The report, its provenance and period as the JSON report.
pub fn report_json<'a>(
    report: &'a Report,
    provenance: &'a Provenance,
    period: &metrics::Period,
) -> ReportJson<'a> {
    const NETWORK: &[GroupBy] = &[GroupBy::Network];
    let access = &report.access;
    ReportJson {
        rule_set: &report.rule_set,
        as_of: ledger::format_recorded_at(report.as_of),
        by: report.by.iter().map(|g| g.as_str()).collect(),
        period: PeriodJson {
            from: period.from.map(|d| d.to_string()),
            to: period.to.map(|d| d.to_string()),
        },
        ledger: provenance,
        rows: Rows { by: &report.by, rows: &report.rows },
        by_network: Rows { by: NETWORK, rows: &report.by_network },
        integrity: report
            .integrity
            .iter()
            .map(|f| FindingJson {
                check: f.check,
                description: f.description,
                count: f.events.len(),
                events: f.events.iter().collect(),
            })
            .collect(),
        third_next_available: access
            .third_next_available
            .iter()
            .map(|r| TnaJson {
                clinic: &r.clinic,
                provider_type: &r.provider_type,
                date: r.date.to_string(),
                days: r.days,
            })
            .collect(),
        open_age: access
            .open_age
            .iter()
            .map(|r| AgeJson {
                provider_type: &r.provider_type,
                band: r.band,
                requests: r.requests,
            })
            .collect(),
        follow_up_gaps: access
            .follow_up_gaps
            .iter()
            .map(|r| GapJson {
                clinic: &r.clinic,
                month: &r.month,
                gaps: r.gaps,
                p50_days: json_number(r.p50_days),
                p90_days: json_number(r.p90_days),
                over_14_days: r.over_14_days,
            })
            .collect(),
        new_vs_returning: access
            .new_vs_returning
            .iter()
            .map(|r| ShareJson {
                clinic: &r.clinic,
                month: &r.month,
                new_patients: r.new_patients,
                returning: r.returning,
            })
            .collect(),
        failing: report
            .failing
            .iter()
            .map(|f| FailingJson {
                standard: &f.standard,
                verdict: f.outcome,
                request_id: &f.request_id,
                patient_id: &f.patient_id,
                clinic: &f.clinic,
                clock_start: f.clock_start.to_string(),
                deadline: f.deadline.to_string(),
                first_offer_at: f.first_offer_at.map(|i| i.to_string()),
                wait_days: json_number(Some(f.wait_days)),
            })
            .collect(),
    }
}

/// The networks a rule set governs, as a plan's JSON says them:
/// `{"all":true}`, `{"only":[...]}` or `{"except":[...]}`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworksJson<'a> {
    /// Every network.
    All(bool),
    /// These networks.
    Only(&'a [String]),
    /// Every network but these.
    Except(&'a [String]),
}

impl<'a> NetworksJson<'a> {
    /// As JSON says `networks`.
    pub fn of(networks: &'a metrics::Networks) -> NetworksJson<'a> {
        match networks {
            metrics::Networks::All => NetworksJson::All(true),
            metrics::Networks::Only(only) => NetworksJson::Only(only),
            metrics::Networks::Except(except) => NetworksJson::Except(except),
        }
    }
}

/// One rule set's part of a plan's JSON report.
#[derive(Debug, Serialize)]
pub struct PartJson<'a> {
    /// The rule set's id.
    pub rule_set: &'a str,
    /// The networks it governs.
    pub networks: NetworksJson<'a>,
    /// Its report over them.
    pub report: ReportJson<'a>,
}

/// A plan's JSON report: `{"plan": NAME, "parts": [...]}`.
#[derive(Debug, Serialize)]
pub struct PlanJson<'a> {
    /// The plan's name.
    pub plan: &'a str,
    /// A part per rule set.
    pub parts: Vec<PartJson<'a>>,
}
