//! `carequeue plan`: closed forms for one queue or a waiting list.

use std::io::{self, Write};

use anyhow::Result;
use planner::Mmc;
use serde_json::json;

use crate::Outcome;
use crate::cli::{PlanArgs, PlanCommand, PlanQueueArgs, QueueFormat, StaffArgs, WaitingListArgs};

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

const TYPE_NAMES: [&str; 3] = ["therapists", "psychiatrists", "SUD counsellors"];

fn staff_cmd(args: &StaffArgs) -> Result<Outcome> {
    let scenario = crate::simulate_cmd::load_scenario(&args.scenario)?;
    let rule_set = crate::rules_cmd::load(&args.rules)?;
    if let Some(target) = args.target
        && !(target > 0.0 && target < 1.0)
    {
        anyhow::bail!("--target: expected a rate above 0 and below 1, found {target}");
    }
    let targets: Vec<f64> =
        rule_set.standards.iter().map(|s| args.target.unwrap_or(s.threshold)).collect();
    let question = planner::Question {
        scenario: &scenario,
        rule_set: &rule_set,
        targets: targets.clone(),
        replications: args.replications,
        seed: args.seed,
        intake_shares: args.intake_shares.clone(),
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let started = std::time::Instant::now();
    let bar = crate::demo::spinner("simulating staffings");
    let mut tried = 0;
    let answer = planner::search(&question, &mut |evaluation| {
        tried += 1;
        if let Some(bar) = &bar {
            bar.set_message(format!(
                "simulated {tried} staffings; last {:?} at intake share {:?}",
                evaluation.staff, evaluation.intake_shares
            ));
        }
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let seconds = started.elapsed().as_secs_f64();
    let current: [f64; 3] =
        std::array::from_fn(|p| scenario.clinics.iter().map(|c| c.clinicians[p]).sum());
    let mut out = io::stdout().lock();
    match args.format {
        QueueFormat::Json => {
            let standards: Vec<&str> = rule_set.standards.iter().map(|s| s.id.as_str()).collect();
            let estimate = |e: &Option<planner::Estimate>| {
                e.map(|e| json!({"rate": e.mean, "ci95": e.half_width, "requests": e.requests}))
            };
            let types: Vec<serde_json::Value> = (0..3)
                .map(|p| {
                    let curve: Vec<serde_json::Value> = answer
                        .curve(p)
                        .into_iter()
                        .map(|(n, e)| {
                            let rates: serde_json::Map<String, serde_json::Value> = standards
                                .iter()
                                .zip(&e.rates)
                                .filter_map(|(s, r)| estimate(&r[p]).map(|v| ((*s).to_owned(), v)))
                                .collect();
                            json!({"clinicians": n, "rates": rates})
                        })
                        .collect();
                    json!({
                        "provider_type": planner::PROVIDER_TYPES[p].as_str(),
                        "current": current[p],
                        "closed_form_start": answer.start[p],
                        "clinicians": answer.staff[p],
                        "intake_share": answer.intake_shares[p],
                        "curve": curve,
                    })
                })
                .collect();
            let value = json!({
                "scenario": scenario.name,
                "rule_set": rule_set.id,
                "targets": standards.iter().zip(&targets).map(|(s, t)| json!({"standard": s, "target": t})).collect::<Vec<_>>(),
                "replications": args.replications,
                "seed": args.seed,
                "provider_types": types,
                "staffings_simulated": answer.evaluations.len(),
                "seconds": seconds,
            });
            writeln!(out, "{value}")?;
        }
        QueueFormat::Text => {
            writeln!(
                out,
                "{}: the fewest clinicians meeting every {} standard with 95% confidence (up to {} replications a staffing, seed {})",
                scenario.name, rule_set.id, args.replications, args.seed
            )?;
            writeln!(
                out,
                "{:<18} {:>9} {:>12} {:>8} {:>13}",
                "provider type", "current", "closed form", "needed", "intake share"
            )?;
            for p in 0..3 {
                writeln!(
                    out,
                    "{:<18} {:>9} {:>12} {:>8} {:>13}",
                    TYPE_NAMES[p],
                    current[p],
                    answer.start[p],
                    answer.staff[p],
                    answer.intake_shares[p]
                )?;
            }
            for (p, type_name) in TYPE_NAMES.iter().enumerate() {
                writeln!(out)?;
                writeln!(out, "compliance against staffing, {type_name}:")?;
                for (idx, (standard, target)) in rule_set.standards.iter().zip(&targets).enumerate()
                {
                    let points: Vec<String> = answer
                        .curve(p)
                        .into_iter()
                        .filter_map(|(n, e)| {
                            e.rates[idx][p].map(|r| {
                                format!("{n}: {:.1}% ± {:.1}", r.mean * 100.0, r.half_width * 100.0)
                            })
                        })
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
            writeln!(out)?;
            writeln!(out, "{} staffings simulated in {seconds:.1} s", answer.evaluations.len())?;
        }
    }
    Ok(Outcome::Success)
}
