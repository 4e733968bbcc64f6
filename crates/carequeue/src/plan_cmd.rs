//! `carequeue plan`: closed forms for one queue or a waiting list, and the
//! staffing search with calibration and the workforce projection.

use std::io::{self, Write};

use anyhow::Result;
use app::staffing::{Plan, TYPE_NAMES, curve_points, human};
use planner::Mmc;
use serde_json::json;

use crate::Outcome;
use crate::cli::{
    PlanArgs, PlanCommand, PlanFormat, PlanQueueArgs, QueueFormat, StaffArgs, WaitingListArgs,
};
use crate::provenance::Announce;

pub(crate) fn run(args: &PlanArgs) -> Result<Outcome> {
    match &args.command {
        PlanCommand::Queue(queue) => queue_cmd(queue),
        PlanCommand::WaitingList(list) => waiting_list(list),
        PlanCommand::Staff(staff) => staff_cmd(staff),
    }
}

/// Servers tried at most when looking for the fewest that meet a target.
const SERVER_LIMIT: u32 = 1_000_000;

fn queue_cmd(args: &PlanQueueArgs) -> Result<Outcome> {
    let total: f64 = args.arrival_rate.iter().sum();
    let queue = match (args.servers, args.target_wait) {
        (Some(servers), _) => Mmc::new(total, args.service_rate, servers)?,
        (None, Some(target)) => planner::fewest_servers(
            total,
            args.service_rate,
            target,
            args.target_probability,
            SERVER_LIMIT,
        )?,
        (None, None) => unreachable!("clap requires --servers or --target-wait"),
    };
    let classes = if args.arrival_rate.len() > 1 {
        planner::priority_mean_waits(&args.arrival_rate, args.service_rate, queue.servers())?
    } else {
        Vec::new()
    };
    let allen_cunneen = planner::allen_cunneen(
        total,
        args.service_rate,
        queue.servers(),
        args.cv_arrival,
        args.cv_service,
    )?;
    let kingman = (queue.servers() == 1)
        .then(|| planner::kingman(total, 1.0 / args.service_rate, args.cv_arrival, args.cv_service))
        .transpose()?;
    let pollaczek_khinchine = (queue.servers() == 1)
        .then(|| planner::pollaczek_khinchine(total, 1.0 / args.service_rate, args.cv_service))
        .transpose()?;
    let target = args.target_wait.map(|t| (t, 1.0 - queue.p_wait_longer(t)));
    let mut out = io::stdout().lock();
    match args.format {
        QueueFormat::Json => {
            let value = json!({
                "arrival_rate": total,
                "service_rate": args.service_rate,
                "servers": queue.servers(),
                "offered_load": queue.offered_load(),
                "utilisation": queue.utilisation(),
                "p_wait": queue.p_wait(),
                "mean_wait": queue.mean_wait(),
                "mean_queue": queue.mean_queue(),
                "mean_response": queue.mean_response(),
                "wait_p50": queue.wait_quantile(0.5),
                "wait_p90": queue.wait_quantile(0.9),
                "target_wait": target.map(|(t, _)| t),
                "p_within_target": target.map(|(_, p)| p),
                "target_probability": target.map(|_| args.target_probability),
                "class_mean_waits": classes,
                "allen_cunneen_mean_wait": allen_cunneen,
                "kingman_mean_wait": kingman,
                "pollaczek_khinchine_mean_wait": pollaczek_khinchine,
                "cv_arrival": args.cv_arrival,
                "cv_service": args.cv_service,
            });
            writeln!(out, "{value}")?;
        }
        QueueFormat::Text => {
            let how = if args.servers.is_none() {
                format!(
                    "the fewest servers with {:.1}% waiting at most {}",
                    args.target_probability * 100.0,
                    args.target_wait.unwrap_or_default()
                )
            } else {
                "as given".to_owned()
            };
            writeln!(
                out,
                "M/M/{} ({how}): arrival rate {total}, service rate {}, offered load {:.4} erlangs, utilisation {:.4}",
                queue.servers(),
                args.service_rate,
                queue.offered_load(),
                queue.utilisation()
            )?;
            let rows: Vec<(String, f64)> = [
                ("P(wait), Erlang C".to_owned(), queue.p_wait()),
                ("mean wait in queue, Wq".to_owned(), queue.mean_wait()),
                ("mean number waiting, Lq".to_owned(), queue.mean_queue()),
                ("mean time in system, W".to_owned(), queue.mean_response()),
                ("median wait in queue".to_owned(), queue.wait_quantile(0.5)),
                ("90th percentile wait".to_owned(), queue.wait_quantile(0.9)),
            ]
            .into_iter()
            .chain(target.map(|(t, p)| (format!("P(wait <= {t})"), p)))
            .chain(
                classes.iter().enumerate().map(|(k, w)| (format!("class {} mean wait", k + 1), *w)),
            )
            .chain([(
                format!("Allen-Cunneen Wq (c_a {}, c_s {})", args.cv_arrival, args.cv_service),
                allen_cunneen,
            )])
            .chain(kingman.map(|w| ("Kingman Wq (one server)".to_owned(), w)))
            .chain(pollaczek_khinchine.map(|w| ("Pollaczek-Khinchine Wq (M/G/1)".to_owned(), w)))
            .collect();
            for (name, value) in rows {
                writeln!(out, "  {name:<34} {value:.6}")?;
            }
        }
    }
    Ok(Outcome::Success)
}

fn waiting_list(args: &WaitingListArgs) -> Result<Outcome> {
    let load = planner::queue_load(args.demand, args.capacity)?;
    let target_mean_wait = planner::target_mean_wait(args.target_wait, args.factor)?;
    let target_queue_size = planner::target_queue_size(args.demand, args.target_wait, args.factor)?;
    let target_capacity = planner::target_capacity(
        args.demand,
        args.target_wait,
        args.factor,
        args.cv_demand,
        args.cv_capacity,
    )?;
    let relief_capacity = args
        .queue_size
        .map(|size| {
            planner::relief_capacity(
                args.demand,
                size,
                target_queue_size,
                args.time_to_target,
                0.0,
                0.0,
            )
        })
        .transpose()?;
    let pressure =
        args.mean_wait.map(|w| planner::waiting_list_pressure(w, args.target_wait)).transpose()?;
    let mut out = io::stdout().lock();
    match args.format {
        QueueFormat::Json => {
            let value = json!({
                "queue_load": load,
                "target_mean_wait": target_mean_wait,
                "target_queue_size": target_queue_size,
                "target_capacity": target_capacity,
                "relief_capacity": relief_capacity,
                "waiting_list_pressure": pressure,
            });
            writeln!(out, "{value}")?;
        }
        QueueFormat::Text => {
            let verdict = if load < 1.0 { "the list shrinks" } else { "the list grows" };
            writeln!(out, "  queue load (demand / capacity)     {load:.6}  ({verdict})")?;
            writeln!(out, "  target mean wait                   {target_mean_wait:.6}")?;
            writeln!(out, "  target queue size                  {target_queue_size:.6}")?;
            writeln!(out, "  target capacity                    {target_capacity:.6}")?;
            if let Some(relief) = relief_capacity {
                writeln!(
                    out,
                    "  relief capacity                    {relief:.6}  (to reach the target size in {})",
                    args.time_to_target
                )?;
            }
            if let Some(pressure) = pressure {
                let verdict = if pressure > 1.0 { "likely to miss" } else { "on course" };
                writeln!(out, "  waiting-list pressure              {pressure:.6}  ({verdict})")?;
            }
        }
    }
    Ok(Outcome::Success)
}

fn staff_cmd(args: &StaffArgs) -> Result<Outcome> {
    let rule_set = crate::rules_cmd::load(&args.rules)?;
    let (scenario, fitted) = match (&args.scenario, &args.from_db) {
        (Some(path), _) => (crate::simulate_cmd::load_scenario(path)?, None),
        (None, Some(db)) => {
            let ledger = ledger::Ledger::open(db)?;
            let as_of = args.as_of.unwrap_or_else(jiff::Timestamp::now);
            let (fitted, provenance) = app::staffing::fit(&ledger, as_of, args.members)?;
            if !provenance.announce(None, false)? {
                anyhow::bail!("no plan was fitted to {db}: its chain is broken");
            }
            let Some(fitted) = fitted else {
                anyhow::bail!("{db} holds no initial request recorded by {as_of}: nothing to fit");
            };
            // What was fitted is checked as a scenario file would be.
            let text = fitted.calibration.scenario.to_toml()?;
            let scenario = sim::Scenario::parse(&text, "the fitted scenario").map_err(|e| {
                anyhow::format_err!("{e} (write it with --write-scenario to see it)")
            })?;
            (scenario, Some(fitted))
        }
        (None, None) => unreachable!("clap requires --scenario or --from-db"),
    };
    if let Some(path) = &args.write_scenario {
        std::fs::write(path, scenario.to_toml()?)
            .map_err(|e| anyhow::format_err!("cannot write {}: {e}", path.display()))?;
    }
    if args.format == PlanFormat::Html && args.out.is_none() {
        anyhow::bail!("--format html needs --out FILE");
    }
    let options = app::staffing::Options {
        target: args.target,
        replications: args.replications,
        seed: args.seed,
        intake_shares: args.intake_shares.clone(),
        warm_up_days: args.warm_up_days,
        years: args.years,
        growth: args.growth,
        attrition: args.attrition.clone(),
        hires_per_year: args.hires_per_year.clone(),
        months_to_hire: args.months_to_hire,
        trainees_per_year: args.trainees_per_year.clone(),
    };
    let bar = crate::demo::spinner("simulating staffings");
    let mut tried = 0;
    let plan = app::staffing::plan(scenario, fitted, rule_set, &options, &mut |evaluation| {
        tried += 1;
        if let Some(bar) = &bar {
            bar.set_message(format!(
                "simulated {tried} staffings; last {:?} at intake shares {:?}",
                evaluation.staff, evaluation.intake_shares
            ));
        }
    });
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let plan = plan?;
    match args.format {
        PlanFormat::Json => writeln!(io::stdout().lock(), "{}", app::staffing::plan_json(&plan))?,
        PlanFormat::Table => write_plan_table(&mut io::stdout().lock(), &plan)?,
        PlanFormat::Html => {
            let path = args.out.as_ref().map_or_else(Default::default, |p| p.clone());
            std::fs::write(&path, app::html::render_plan(&plan))
                .map_err(|e| anyhow::format_err!("cannot write {}: {e}", path.display()))?;
            writeln!(io::stdout().lock(), "wrote {}", path.display())?;
        }
    }
    Ok(Outcome::Success)
}

fn write_plan_table(out: &mut impl Write, plan: &Plan) -> Result<()> {
    let answer = &plan.answer;
    if let Some(fitted) = &plan.fitted {
        writeln!(
            out,
            "fitted to the ledger: {:.0} initial requests a year, {} members; growth over the year before: {}",
            fitted.calibration.requests_per_year,
            plan.scenario.members,
            fitted.growth.map_or("not known (less than two years)".to_owned(), |g| format!(
                "{:+.1}%",
                g * 100.0
            ))
        )?;
        for note in &fitted.calibration.notes {
            writeln!(out, "  note: {note}")?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "{}: the fewest clinicians meeting every {} standard with 95% confidence (up to {} replications a staffing, seed {})",
        plan.scenario.name, plan.rule_set.id, plan.replications, plan.seed
    )?;
    writeln!(
        out,
        "{:<18} {:>9} {:>12} {:>8} {:>13}",
        "provider type", "current", "closed form", "needed", "intake share"
    )?;
    for (p, name) in TYPE_NAMES.iter().enumerate() {
        writeln!(
            out,
            "{:<18} {:>9} {:>12} {:>8} {:>13}",
            name,
            human(plan.current[p]),
            answer.start[p],
            answer.staff[p],
            human(answer.intake_shares[p])
        )?;
    }
    for (p, name) in TYPE_NAMES.iter().enumerate() {
        writeln!(out)?;
        writeln!(out, "compliance against staffing, {name}:")?;
        for (s, (standard, target)) in plan.rule_set.standards.iter().zip(&plan.targets).enumerate()
        {
            let points: Vec<String> = curve_points(answer, p, s)
                .into_iter()
                .map(|(n, r)| format!("{n}: {:.1}% ± {:.1}", r.mean * 100.0, r.half_width * 100.0))
                .collect();
            if !points.is_empty() {
                writeln!(
                    out,
                    "  {:<22} (target {:.0}%)  {}",
                    standard.id,
                    target * 100.0,
                    points.join("  ")
                )?;
            }
        }
    }
    if let Some(w) = &plan.workforce {
        writeln!(out)?;
        writeln!(
            out,
            "projection: growth {:+.1}% a year, attrition {} a year, hires {} a year, {} months to hire, trainees {} a year",
            w.growth * 100.0,
            w.attrition.map(human).join(" / "),
            w.hires_per_year.map(human).join(" / "),
            human(w.months_to_hire),
            w.trainees_per_year.map(human).join(" / ")
        )?;
        writeln!(
            out,
            "{:>4} {:>10}  {:<16} {:>8} {:>8} {:>8} {:>22}",
            "year", "members", "provider type", "needed", "staff", "gap", "expected worst rate"
        )?;
        for (row, expected) in plan.projection.iter().zip(&plan.expected) {
            let gap = row.gap();
            for (p, name) in TYPE_NAMES.iter().enumerate() {
                let (year, members) = if p == 0 {
                    (row.year.to_string(), format!("{:.0}", row.members))
                } else {
                    (String::new(), String::new())
                };
                writeln!(
                    out,
                    "{year:>4} {members:>10}  {name:<16} {:>8.1} {:>8.1} {:>8.1} {:>22}",
                    row.needed[p],
                    row.staff[p],
                    gap[p],
                    expected[p].map_or("–".to_owned(), |r| format!("{:.1}%", r * 100.0))
                )?;
            }
        }
        writeln!(
            out,
            "(needed: the answer scaled by the closed forms to each year's membership; expected rate: the simulated curve at the staff's share of what is needed)"
        )?;
    }
    writeln!(out)?;
    writeln!(out, "{} staffings simulated in {:.1} s", answer.evaluations.len(), plan.seconds)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn numbers_as_a_person_writes_them() {
        let shown: Vec<String> = [2.4000000000000004, 3.0, -0.001, 0.15, 12.345, 1e-9]
            .iter()
            .map(|v| human(*v))
            .collect();
        assert_eq!(shown, ["2.4", "3", "0", "0.15", "12.35", "0"]);
    }
}
