//! `carequeue verdicts`: every request judged under a rule set.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};
use events::{Body, Event};
use jiff::tz::TimeZone;
use ledger::Ledger;
use rules::{Verdict, assemble, evaluate};

use crate::Outcome;
use crate::cli::{VerdictsArgs, VerdictsFormat};

pub(crate) fn run(args: &VerdictsArgs) -> Result<Outcome> {
    let rule_set = crate::rules_cmd::load(&args.judge.rules)?;
    let as_of = args.judge.as_of.unwrap_or_else(jiff::Timestamp::now);
    let ledger = Ledger::open(&args.db.db)?;

    // The events recorded by as-of, voided ones left out.
    let mut events: Vec<Event> = Vec::new();
    ledger.for_each_event(Some(as_of), |stored| {
        if stored.voided_by.is_none() {
            events.push(stored.event);
        }
        Ok(())
    })?;

    // Each clinic's time zone: its latest registration.
    let mut zones: HashMap<&str, TimeZone> = HashMap::new();
    for event in &events {
        if let Body::ClinicRegistered(clinic) = &event.body {
            zones.insert(clinic.clinic.as_str(), clinic.time_zone.time_zone());
        }
    }
    let mut unregistered: BTreeSet<&str> = BTreeSet::new();

    let stdout = io::stdout().lock();
    let mut out = BufWriter::with_capacity(1 << 16, stdout);
    match args.format {
        VerdictsFormat::Csv => writeln!(
            out,
            "request_id,clinic,standard,verdict,clock_start,deadline,stop_at,stop_event,reason"
        )?,
        VerdictsFormat::Json => write!(
            out,
            "{{\"rule_set\":{},\"as_of\":\"{}\",\"verdicts\":[",
            serde_json::to_string(&rule_set.id)?,
            ledger::format_recorded_at(as_of)
        )?,
    }
    let mut verdicts: Vec<Verdict<'_, '_>> = Vec::new();
    let mut problems = Vec::new();
    let mut n_written = 0u64;
    for history in assemble(&events) {
        let clinic = history.request.clinic.as_str();
        let tz = zones.get(clinic).unwrap_or_else(|| {
            unregistered.insert(clinic);
            &rule_set.time_zone
        });
        verdicts.clear();
        problems.clear();
        evaluate(&history, &rule_set, tz, as_of, &mut verdicts, &mut problems);
        let request_id = history.request.request_id.as_str();
        for problem in &problems {
            writeln!(
                io::stderr(),
                "warning: request {request_id}, standard {}: {}",
                problem.standard,
                problem.message
            )?;
        }
        for verdict in &verdicts {
            let stop_at = verdict.stop_at.map(|t| t.to_string()).unwrap_or_default();
            let stop_event = verdict.stop_event.map(|e| e.event_id.as_str()).unwrap_or_default();
            match args.format {
                VerdictsFormat::Csv => writeln!(
                    out,
                    "{request_id},{clinic},{},{},{},{},{stop_at},{stop_event},{}",
                    verdict.standard.id,
                    verdict.outcome,
                    verdict.clock_start,
                    verdict.deadline,
                    verdict.reasons
                )?,
                VerdictsFormat::Json => {
                    if n_written > 0 {
                        out.write_all(b",")?;
                    }
                    let optional = |text: &str| {
                        if text.is_empty() { "null".to_owned() } else { format!("\"{text}\"") }
                    };
                    write!(
                        out,
                        "\n{{\"request_id\":\"{request_id}\",\"clinic\":\"{clinic}\",\"standard\":\"{}\",\
                         \"verdict\":\"{}\",\"clock_start\":\"{}\",\"deadline\":\"{}\",\"stop_at\":{},\
                         \"stop_event\":{},\"reason\":\"{}\"}}",
                        verdict.standard.id,
                        verdict.outcome,
                        verdict.clock_start,
                        verdict.deadline,
                        optional(&stop_at),
                        optional(stop_event),
                        verdict.reasons
                    )?;
                }
            }
            n_written += 1;
        }
    }
    if args.format == VerdictsFormat::Json {
        out.write_all(b"\n]}\n")?;
    }
    out.flush().context("write verdicts")?;
    if !unregistered.is_empty() {
        let list: Vec<&str> = unregistered.into_iter().collect();
        writeln!(
            io::stderr(),
            "warning: clinics never registered, judged in the rule set's time zone {}: {}",
            rule_set.time_zone_name,
            list.join(", ")
        )?;
    }
    Ok(Outcome::Success)
}
