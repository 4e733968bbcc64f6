//! Who must be offered care, most urgent first: the open requests of a
//! ledger under each rule set of a plan, merged by time left.

use events::ProviderType;
use jiff::Timestamp;
use ledger::Ledger;
use metrics::WorkItem;
use serde::Serialize;

use crate::plan::Governed;
use crate::provenance::Provenance;
use crate::{Error, Result};

/// Which open requests a worklist keeps.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these clinics (all when empty).
    pub clinics: Vec<String>,
    /// Only these provider types (all when empty).
    pub provider_types: Vec<ProviderType>,
}

impl Filter {
    fn keeps(&self, item: &WorkItem) -> bool {
        (self.clinics.is_empty() || self.clinics.contains(&item.clinic))
            && (self.provider_types.is_empty() || self.provider_types.contains(&item.provider_type))
    }
}

/// A worklist and what its reads saw of the ledger.
#[derive(Debug)]
pub struct Worklist {
    /// The open requests (those that cannot be judged first), the least
    /// time left first.
    pub items: Vec<WorkItem>,
    /// What the reads saw of the ledger.
    pub provenance: Provenance,
}

/// The open requests recorded by `as_of` (whose clock started in `period`)
/// under each rule set over the networks it governs, kept by `filter`:
/// one read per rule set, each checking the whole chain; the reads must
/// have counted the same batches.
pub fn compute(
    ledger: &Ledger,
    governed: &[Governed],
    as_of: Timestamp,
    period: &metrics::Period,
    filter: &Filter,
) -> Result<Worklist> {
    let mut items = Vec::new();
    let mut provenance: Option<Provenance> = None;
    for governed in governed {
        let rule_set = &governed.rule_set;
        let mut split = crate::read::split(ledger, rule_set, as_of)?;
        let mut part = split
            .fold(
                |events, seqs, shared| {
                    let (events, _) = governed.networks.select(events, seqs, shared);
                    metrics::worklist_part(&events, shared, rule_set, as_of, period)
                },
                |items, more| items.extend(more),
            )?
            .unwrap_or_default();
        metrics::sort_worklist(&mut part, rule_set);
        items.extend(part);
        let counted = |p: &Provenance| p.last_batch_counted.as_ref().map(|b| b.batch_id);
        if let Some(first) = &provenance
            && counted(first) != counted(&split.provenance)
        {
            return Err(Error::ChangedBetweenReads {
                first: counted(first),
                other: counted(&split.provenance),
            });
        }
        provenance = Some(split.provenance);
    }
    let Some(provenance) = provenance else {
        return Err(Error::Work("no rule set to judge by".to_owned()));
    };
    items.retain(|item| filter.keeps(item));
    // Rule sets' lists merged: the least time left first (each already in
    // its rule set's order of standards for ties; those that cannot be
    // judged, with no time left, first).
    items.sort_by(|a, b| {
        a.seconds_left.cmp(&b.seconds_left).then_with(|| a.request_id.cmp(&b.request_id))
    });
    Ok(Worklist { items, provenance })
}

/// One open request under one standard, as every output gives it (its
/// fields in the CSV's order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WorkRow {
    /// The request.
    pub request_id: String,
    /// The patient, as the source named them.
    pub patient_id: String,
    /// The provider type asked for.
    pub provider_type: &'static str,
    /// The clinic.
    pub clinic: String,
    /// The standard.
    pub standard: String,
    /// `open_within`, `open_overdue`, or `unjudged`.
    pub verdict: String,
    /// When the clock started, in the clinic's offset.
    pub clock_start: String,
    /// The last moment within the deadline, if it can be judged.
    pub deadline: Option<String>,
    /// A day-counted deadline's last day, in the clinic's zone.
    pub deadline_date: Option<String>,
    /// The clinic's time zone.
    pub time_zone: String,
    /// Seconds to the deadline (negative: overdue).
    pub seconds_left: Option<i64>,
    /// Whether the plan must now arrange care out of network.
    pub arrange_out_of_network: bool,
    /// Why it cannot be judged, when it cannot.
    pub problem: Option<String>,
}

impl WorkRow {
    /// The CSV header: the fields' names, in order.
    pub const CSV_HEADER: [&'static str; 13] = [
        "request_id",
        "patient_id",
        "provider_type",
        "clinic",
        "standard",
        "verdict",
        "clock_start",
        "deadline",
        "deadline_date",
        "time_zone",
        "seconds_left",
        "arrange_out_of_network",
        "problem",
    ];

    /// A worklist item as a row.
    pub fn of(item: &WorkItem) -> WorkRow {
        WorkRow {
            request_id: item.request_id.clone(),
            patient_id: item.patient_id.clone(),
            provider_type: item.provider_type.as_str(),
            clinic: item.clinic.clone(),
            standard: item.standard.clone(),
            verdict: item.outcome.map_or_else(|| "unjudged".to_owned(), |o| o.to_string()),
            clock_start: item.clock_start.to_string(),
            deadline: item.deadline.map(|d| d.to_string()),
            deadline_date: item.deadline_day.map(|d| d.to_string()),
            time_zone: item.time_zone.clone(),
            seconds_left: item.seconds_left,
            arrange_out_of_network: item.arrange_out_of_network,
            problem: item.problem.clone(),
        }
    }

    /// Its CSV cells, in [`WorkRow::CSV_HEADER`]'s order.
    pub fn cells(&self) -> [String; 13] {
        [
            self.request_id.clone(),
            self.patient_id.clone(),
            self.provider_type.to_owned(),
            self.clinic.clone(),
            self.standard.clone(),
            self.verdict.clone(),
            self.clock_start.clone(),
            self.deadline.clone().unwrap_or_default(),
            self.deadline_date.clone().unwrap_or_default(),
            self.time_zone.clone(),
            self.seconds_left.map(|s| s.to_string()).unwrap_or_default(),
            self.arrange_out_of_network.to_string(),
            self.problem.clone().unwrap_or_default(),
        ]
    }
}
