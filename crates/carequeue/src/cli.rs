//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// carequeue: waits for mental-health care, made visible, honest and fixable.
///
/// Every request for care and what happened to it is kept in a tamper-evident
/// ledger: an SQLite file (the default) or a PostgreSQL database.
#[derive(Debug, Parser)]
#[command(name = "carequeue", version, about, long_about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Store events from NDJSON or CSV files, each file whole or not at all.
    Ingest(IngestArgs),
    /// Walk the ledger's hash chain and check every event.
    Verify(VerifyArgs),
    /// Write the stored events as NDJSON (the inverse of ingest) or CSV.
    Events(EventsArgs),
    /// Judge every request under a rule set: one row per request and standard.
    Verdicts(VerdictsArgs),
    /// List or show the shipped rule sets, or check a rule file.
    Rules(RulesArgs),
    /// The compliance table per standard, grouped as asked.
    Report(ReportArgs),
    /// Open requests by time left to their deadline; overdue ones first.
    Worklist(WorklistArgs),
    /// Run the simulator: a clinic-network scenario's replications, or a
    /// plain queue.
    Simulate(SimulateArgs),
    /// Write the events of a simulated clinic network.
    Generate(GenerateArgs),
    /// Simulate a medium-sized plan into a fresh ledger here, and report on it.
    Demo(DemoArgs),
    /// Plan staffing: closed forms for one queue or a waiting list, and the
    /// fewest clinicians that meet every standard, now and as the plan grows.
    Plan(PlanArgs),
}

#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    #[command(subcommand)]
    pub(crate) command: PlanCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PlanCommand {
    /// One M/M/c queue by the closed forms: P(wait), mean wait and more; or,
    /// given a target instead of --servers, the fewest servers that meet it.
    Queue(PlanQueueArgs),
    /// The NHS waiting-list formulas (Fong et al. 2022): load, target queue
    /// size, target and relief capacity, pressure.
    WaitingList(WaitingListArgs),
    /// The fewest clinicians of each provider type, and their split between
    /// intake and return visits, that meet every standard (simulated).
    Staff(Box<StaffArgs>),
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("plan").required(true).args(["scenario", "from_db"])))]
pub(crate) struct StaffArgs {
    /// The plan, as a clinic-network scenario (TOML, see docs/simulation.md).
    #[arg(long, value_name = "FILE")]
    pub(crate) scenario: Option<PathBuf>,
    /// Fit the plan to a ledger's last year instead (docs/planning.md): an
    /// SQLite file or a postgres:// URL.
    #[arg(long, value_name = "DB")]
    pub(crate) from_db: Option<String>,
    /// With --from-db: read the ledger as recorded by this moment (RFC 3339);
    /// the year fitted ends with its last event. Default: now.
    #[arg(long, value_name = "T", value_parser = parse_moment, requires = "from_db")]
    pub(crate) as_of: Option<jiff::Timestamp>,
    /// With --from-db: the plan's members (the events do not say).
    #[arg(long, value_name = "N", requires = "from_db")]
    pub(crate) members: Option<u32>,
    /// Write the scenario planned (fitted, with --from-db) to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) write_scenario: Option<PathBuf>,
    /// The rule set whose standards must be met.
    #[arg(long, value_name = "ID|PATH", default_value = "ca-dmhc")]
    pub(crate) rules: String,
    /// The compliance every standard must reach; default: each standard's
    /// own threshold in the rule set.
    #[arg(long, value_name = "P")]
    pub(crate) target: Option<f64>,
    /// Replications of a staffing at most (three to start with).
    #[arg(long, value_name = "R", default_value_t = 4)]
    pub(crate) replications: u32,
    /// The seed of the random streams.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) seed: u64,
    /// The shares of sessions kept for intake to try.
    #[arg(long, value_name = "S", value_delimiter = ',', default_values_t = [0.15, 0.2, 0.3])]
    pub(crate) intake_shares: Vec<f64>,
    /// Days simulated before the plan's first day and not judged, so that
    /// caseloads have filled (courses last about 80 days by default).
    #[arg(long, value_name = "D", default_value_t = 91)]
    pub(crate) warm_up_days: u32,
    /// Years to project (0: none). Default: 0, or 1 with --from-db.
    #[arg(long, value_name = "N")]
    pub(crate) years: Option<u32>,
    /// Membership growth a year (0.03 is 3%). Default: with --from-db, the
    /// growth of requests over the year before when the ledger holds it;
    /// otherwise 0.
    #[arg(long, value_name = "G")]
    pub(crate) growth: Option<f64>,
    /// Share of clinicians leaving a year; one value, or three (therapists,
    /// psychiatrists, SUD counsellors). An assumption: set your own.
    #[arg(long, value_name = "A", value_delimiter = ',', default_values_t = [0.15])]
    pub(crate) attrition: Vec<f64>,
    /// Posts the plan can fill a year; one value or three. Default: a
    /// quarter of today's staff.
    #[arg(long, value_name = "H", value_delimiter = ',')]
    pub(crate) hires_per_year: Vec<f64>,
    /// Months from opening a post to the clinician's first day.
    #[arg(long, value_name = "M", default_value_t = 4.0)]
    pub(crate) months_to_hire: f64,
    /// Clinicians finishing training and joining a year; one value or three.
    #[arg(long, value_name = "T", value_delimiter = ',', default_values_t = [0.0])]
    pub(crate) trainees_per_year: Vec<f64>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Table)]
    pub(crate) format: PlanFormat,
    /// The file to write (required for html).
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PlanFormat {
    /// Aligned columns for a terminal.
    Table,
    /// One JSON document.
    Json,
    /// One self-contained HTML file with charts (use with --out).
    Html,
}

#[derive(Debug, Args)]
pub(crate) struct PlanQueueArgs {
    /// Arrival rate (customers per unit of time); several, separated by
    /// commas, make non-pre-emptive priority classes, the first served first.
    #[arg(long, value_name = "L", value_delimiter = ',', required = true)]
    pub(crate) arrival_rate: Vec<f64>,
    /// Service rate of one server (the same unit of time).
    #[arg(long, value_name = "M")]
    pub(crate) service_rate: f64,
    /// Number of servers; leave out to find the fewest that meet
    /// --target-wait and --target-probability.
    #[arg(long, value_name = "C", required_unless_present = "target_wait")]
    pub(crate) servers: Option<u32>,
    /// The target wait in the queue, in the rates' unit of time.
    #[arg(long, value_name = "T")]
    pub(crate) target_wait: Option<f64>,
    /// The share of arrivals that must wait no longer than --target-wait.
    #[arg(long, value_name = "P", default_value_t = 0.9)]
    pub(crate) target_probability: f64,
    /// Coefficient of variation of interarrival times, for the Allen-Cunneen
    /// (and, with one server, Kingman) approximations.
    #[arg(long, value_name = "CV", default_value_t = 1.0)]
    pub(crate) cv_arrival: f64,
    /// Coefficient of variation of service times.
    #[arg(long, value_name = "CV", default_value_t = 1.0)]
    pub(crate) cv_service: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QueueFormat::Text)]
    pub(crate) format: QueueFormat,
}

#[derive(Debug, Args)]
pub(crate) struct WaitingListArgs {
    /// Demand: referrals per unit of time (weeks, say).
    #[arg(long, value_name = "D")]
    pub(crate) demand: f64,
    /// Capacity: patients removed from the list per unit of time.
    #[arg(long, value_name = "C")]
    pub(crate) capacity: f64,
    /// The target wait, in the same unit.
    #[arg(long, value_name = "T")]
    pub(crate) target_wait: f64,
    /// The factor: the target is missed by e^(-factor) of patients (4: 1.8%).
    #[arg(long, value_name = "F", default_value_t = 4.0)]
    pub(crate) factor: f64,
    /// The list's size today, for the relief capacity.
    #[arg(long, value_name = "N")]
    pub(crate) queue_size: Option<f64>,
    /// Time to bring the list down to its target size.
    #[arg(long, value_name = "T", default_value_t = 26.0)]
    pub(crate) time_to_target: f64,
    /// The mean wait today, for the pressure.
    #[arg(long, value_name = "W")]
    pub(crate) mean_wait: Option<f64>,
    /// Coefficient of variation of demand.
    #[arg(long, value_name = "CV", default_value_t = 1.0)]
    pub(crate) cv_demand: f64,
    /// Coefficient of variation of capacity.
    #[arg(long, value_name = "CV", default_value_t = 1.0)]
    pub(crate) cv_capacity: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QueueFormat::Text)]
    pub(crate) format: QueueFormat,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub(crate) struct SimulateArgs {
    #[command(subcommand)]
    pub(crate) command: Option<SimulateCommand>,
    /// A clinic-network scenario (TOML, see docs/simulation.md).
    #[arg(long, value_name = "FILE")]
    pub(crate) scenario: Option<PathBuf>,
    /// Replications, run in parallel.
    #[arg(long, value_name = "R", default_value_t = 10)]
    pub(crate) replications: u32,
    /// The seed of the random streams.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) seed: u64,
    /// The rule set to judge the simulated requests by.
    #[arg(long, value_name = "ID|PATH", default_value = "ca-dmhc")]
    pub(crate) rules: String,
}

#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    /// A clinic-network scenario (TOML, see docs/simulation.md).
    #[arg(long, value_name = "FILE")]
    pub(crate) scenario: PathBuf,
    /// The seed of the random streams.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) seed: u64,
    /// The file to write: NDJSON, or CSV when it ends in .csv.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// The seed of the random streams.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) seed: u64,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SimulateCommand {
    /// A plain M/M/c queue, to check the engine against the closed forms:
    /// prints the mean wait with its 95% confidence interval and P(wait).
    Queue(QueueArgs),
}

#[derive(Debug, Args)]
pub(crate) struct QueueArgs {
    /// Arrival rate (customers per unit of time); several, separated by
    /// commas, make priority classes, the first served first.
    #[arg(long, value_name = "L", value_delimiter = ',', required = true)]
    pub(crate) arrival_rate: Vec<f64>,
    /// Service rate of one server.
    #[arg(long, value_name = "M")]
    pub(crate) service_rate: f64,
    /// Number of servers.
    #[arg(long, value_name = "C")]
    pub(crate) servers: u32,
    /// Customers to simulate; the first 1% are dropped as warm-up.
    #[arg(long, value_name = "N", default_value_t = 1_000_000)]
    pub(crate) customers: u64,
    /// The seed of the random streams.
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QueueFormat::Text)]
    pub(crate) format: QueueFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum QueueFormat {
    /// Words.
    Text,
    /// One JSON object with `mean_wait`, `mean_wait_ci95`, `p_wait`, ...
    Json,
}

/// The rule set to judge by, and the moment to judge as of.
#[derive(Debug, Args)]
pub(crate) struct JudgeArgs {
    /// A shipped rule set (`carequeue rules list`) or the path of a rule
    /// file. `report` and `worklist` take --plan instead, to judge each
    /// network under its own rule set.
    #[arg(long, value_name = "ID|PATH")]
    pub(crate) rules: Option<String>,
    /// Judge as of this moment (RFC 3339 with an offset): only the events
    /// recorded by then count, and "now" is then. Default: now.
    #[arg(long, value_name = "T", value_parser = parse_moment)]
    pub(crate) as_of: Option<jiff::Timestamp>,
    /// The measurement period: only requests whose clock started in it
    /// (local dates in each clinic's zone): a year `2025`, a quarter
    /// `2025-Q3` or a month `2025-07`.
    #[arg(long, value_name = "P", value_parser = parse_period, conflicts_with_all = ["opened_from", "opened_to"])]
    pub(crate) period: Option<metrics::Period>,
    /// Only requests whose clock started on or after this local date
    /// (YYYY-MM-DD, in each clinic's zone).
    #[arg(long, value_name = "DATE")]
    pub(crate) opened_from: Option<jiff::civil::Date>,
    /// Only requests whose clock started on or before this local date.
    #[arg(long, value_name = "DATE")]
    pub(crate) opened_to: Option<jiff::civil::Date>,
}

impl JudgeArgs {
    /// The rule set of a command that judges under one.
    pub(crate) fn rule_set(&self) -> anyhow::Result<rules::RuleSet> {
        match &self.rules {
            Some(rules) => crate::rules_cmd::load(rules),
            None => anyhow::bail!("--rules is required (a shipped rule set or a rule file)"),
        }
    }

    /// The measurement period asked for (every request when none).
    pub(crate) fn period(&self) -> anyhow::Result<metrics::Period> {
        if let (Some(from), Some(to)) = (self.opened_from, self.opened_to)
            && from > to
        {
            anyhow::bail!(
                "--opened-from {from} is after --opened-to {to}: no request could be in it"
            );
        }
        Ok(self.period.unwrap_or(metrics::Period { from: self.opened_from, to: self.opened_to }))
    }
}

fn parse_period(text: &str) -> Result<metrics::Period, String> {
    metrics::Period::parse(text).ok_or_else(|| {
        "expected a year (2025), a quarter (2025-Q3) or a month (2025-07)".to_owned()
    })
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("rule_source").args(["rules", "plan"]).required(true)))]
pub(crate) struct WorklistArgs {
    #[command(flatten)]
    pub(crate) db: DbArg,
    #[command(flatten)]
    pub(crate) chain: ChainArg,
    #[command(flatten)]
    pub(crate) judge: JudgeArgs,
    /// A plan file (TOML, docs/rules.md): the plan's name and the rule set
    /// governing each network; each network is judged under its own.
    #[arg(long, value_name = "FILE")]
    pub(crate) plan: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = WorklistFormat::Table)]
    pub(crate) format: WorklistFormat,
    /// The same as --format csv (kept for scripts written before --format).
    #[arg(long, hide = true, conflicts_with = "format")]
    pub(crate) csv: bool,
    /// Only these clinics (ids; several separated by commas).
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub(crate) clinic: Vec<String>,
    /// Only requests for these provider types (several separated by commas).
    #[arg(long, value_name = "TYPE", value_delimiter = ',', value_parser = parse_provider_type)]
    pub(crate) provider_type: Vec<events::ProviderType>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum WorklistFormat {
    /// Aligned columns for a terminal.
    Table,
    /// A header, then one row per request and standard.
    Csv,
}

fn parse_provider_type(text: &str) -> Result<events::ProviderType, String> {
    events::ProviderType::parse(events::Field::ProviderType, text).map_err(|err| {
        let message = err.to_string();
        message.strip_prefix("field `provider_type`: ").unwrap_or(&message).to_owned()
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// Aligned columns for a terminal.
    Table,
    /// A header, then one row per group and standard.
    Csv,
    /// One JSON document (see docs/reports.md).
    Json,
    /// One self-contained HTML file with charts (use with --out).
    Html,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("rule_source").args(["rules", "plan"]).required(true)))]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    pub(crate) db: DbArg,
    #[command(flatten)]
    pub(crate) chain: ChainArg,
    #[command(flatten)]
    pub(crate) judge: JudgeArgs,
    /// A plan file (TOML, docs/rules.md): the plan's name and the rule set
    /// governing each network; each network is judged under its own.
    #[arg(long, value_name = "FILE")]
    pub(crate) plan: Option<PathBuf>,
    /// Group rows by any of clinic, network, provider_type, urgency, month.
    #[arg(long, value_name = "KEYS", value_delimiter = ',', value_parser = parse_group)]
    pub(crate) by: Vec<metrics::GroupBy>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub(crate) format: ReportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: Option<PathBuf>,
    /// Print how long each phase took (reading and checking the ledger,
    /// the parts, the totals) and how many parts there were, to standard
    /// error.
    #[arg(long)]
    pub(crate) timings: bool,
}

fn parse_group(text: &str) -> Result<metrics::GroupBy, String> {
    metrics::GroupBy::parse(text).ok_or_else(|| {
        let names: Vec<&str> = metrics::GroupBy::ALL.iter().map(|g| g.as_str()).collect();
        format!("expected one of {}", names.join(", "))
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum VerdictsFormat {
    /// A header, then one row per verdict.
    Csv,
    /// One JSON document: `rule_set`, `as_of` and `verdicts`.
    Json,
}

#[derive(Debug, Args)]
#[command(mut_arg("rules", |arg| arg.required(true)))]
pub(crate) struct VerdictsArgs {
    #[command(flatten)]
    pub(crate) db: DbArg,
    #[command(flatten)]
    pub(crate) chain: ChainArg,
    #[command(flatten)]
    pub(crate) judge: JudgeArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerdictsFormat::Csv)]
    pub(crate) format: VerdictsFormat,
}

#[derive(Debug, Args)]
pub(crate) struct RulesArgs {
    #[command(subcommand)]
    pub(crate) command: RulesCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// The shipped rule sets.
    List,
    /// A rule set's standards and its TOML text; a path is checked first.
    Show {
        /// A shipped rule set's id, or the path of a rule file.
        #[arg(value_name = "ID|PATH")]
        rules: String,
    },
    /// Check a rule file: its first problem with its line and column, and
    /// exit 1, when it is not a valid rule set.
    Check {
        /// The rule file (TOML, see docs/rules.md).
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// What to do when the ledger's chain does not verify.
#[derive(Debug, Args)]
pub(crate) struct ChainArg {
    /// Write the output even when the ledger's hash chain does not verify,
    /// for forensic work: CSV and tables then start with a line saying the
    /// chain is broken, and the command still exits 1. Without it, only
    /// JSON and HTML (which mark the break) are written.
    #[arg(long)]
    pub(crate) allow_broken_chain: bool,
}

/// The ledger to use.
#[derive(Debug, Args)]
pub(crate) struct DbArg {
    /// The ledger: the path of an SQLite file or a postgres:// URL. Only
    /// ingest (and demo) create one; every other command needs it to exist.
    #[arg(long, env = "CAREQUEUE_DB", value_name = "DB")]
    pub(crate) db: String,
}

#[derive(Debug, Args)]
pub(crate) struct IngestArgs {
    #[command(flatten)]
    pub(crate) db: DbArg,
    /// Files of events, NDJSON or CSV (told apart by their content); `-` reads
    /// standard input. Each file is stored whole or not at all.
    #[arg(required = true, value_name = "FILE")]
    pub(crate) files: Vec<PathBuf>,
    /// How many problems to list for a rejected file before only counting
    /// them.
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub(crate) max_errors: usize,
    /// Check each file against the ledger exactly as ingest would, and
    /// store nothing (each file is checked against the ledger as it is, not
    /// against the other files named).
    #[arg(long)]
    pub(crate) check: bool,
    /// Record a file that holds no event (empty, or a CSV header alone) as
    /// an empty batch instead of rejecting it.
    #[arg(long)]
    pub(crate) allow_empty: bool,
    /// Mark each file's batch as a backfill: history loaded after the fact
    /// (the batch says so in the ledger, in its hash chain). Its events that
    /// give no entered_at and occurred before the ledger's live feed began
    /// are then not counted as late entries but in the integrity check
    /// late_entry_unknown_backfill (docs/events.md, "entered_at, and loading history").
    #[arg(long)]
    pub(crate) backfill: bool,
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    pub(crate) db: DbArg,
    /// A head recorded earlier (`SEQ:HASH`, as ingest and verify print it):
    /// the chain must pass through it. Keep heads outside the database to
    /// detect a chain rewritten from some point on.
    #[arg(long, value_name = "SEQ:HASH", value_parser = parse_head)]
    pub(crate) expect_head: Option<ledger::Head>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum EventsFormat {
    /// One canonical JSON object per line; ingest reads it back unchanged.
    Ndjson,
    /// A header with every field, then one event per row.
    Csv,
}

#[derive(Debug, Args)]
pub(crate) struct EventsArgs {
    #[command(flatten)]
    pub(crate) db: DbArg,
    #[command(flatten)]
    pub(crate) chain: ChainArg,
    /// Only the events recorded by this moment (RFC 3339 with an offset),
    /// with voids as they stood then.
    #[arg(long, value_name = "T", value_parser = parse_moment)]
    pub(crate) as_of: Option<jiff::Timestamp>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = EventsFormat::Ndjson)]
    pub(crate) format: EventsFormat,
    /// Wrap each NDJSON event with its ledger entry: `seq`, `recorded_at`,
    /// `backfill` (whether its batch is a backfill), `hash` and `voided_by`
    /// (for auditors; not for ingest).
    #[arg(long, conflicts_with = "format")]
    pub(crate) with_chain: bool,
}

fn parse_head(text: &str) -> Result<ledger::Head, String> {
    ledger::Head::parse(text).ok_or_else(|| {
        "expected SEQ:HASH (a number, a colon and 64 lower-case hex digits)".to_owned()
    })
}

/// Parses a moment given on the command line: RFC 3339 with an offset.
pub(crate) fn parse_moment(text: &str) -> Result<jiff::Timestamp, String> {
    events::Instant::parse(events::Field::RecordedAt, text).map(events::Instant::timestamp).map_err(
        |_| {
            "expected an RFC 3339 timestamp with an offset, such as 2024-03-01T00:00:00Z".to_owned()
        },
    )
}
