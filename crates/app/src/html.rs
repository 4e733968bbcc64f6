//! The self-contained HTML report: one file, no scripts, no network; charts
//! are inline SVG with axes, units and legends, so that it opens offline and
//! prints as it shows.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use metrics::{Report, Row, URGENT_WAIT_BINS, WAIT_BINS};
use rules::RuleSet;

use crate::provenance::Provenance;

const PALETTE: [&str; 8] =
    ["#1b6ca8", "#d1495b", "#00798c", "#edae49", "#66a182", "#8d5a97", "#30638e", "#a05c34"];

/// Escapes text for HTML.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn pct(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{:.1}%", v * 100.0))
}

fn days(value: Option<f64>) -> String {
    value.map_or_else(|| "not reached".to_owned(), |v| format!("{v:.1}"))
}

/// The top of an axis with four even steps of a round size (1, 1.25, 1.5,
/// 2, 2.5, 3, 4, 5, 6, 7.5 or 8 times a power of ten) at or above
/// `highest`: 41,353 gives 50,000 in steps of 12,500; 100 stays 100.
fn nice_ceiling(highest: f64) -> f64 {
    if !(highest.is_finite() && highest > 0.0) {
        return 1.0;
    }
    let step = highest / 4.0;
    let magnitude = 10f64.powf(step.log10().floor());
    let nice = [1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5, 8.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|candidate| *candidate >= step * (1.0 - 1e-12))
        .unwrap_or(10.0 * magnitude);
    nice * 4.0
}

/// A tick label: whole numbers unless the axis is short.
fn tick(value: f64, max: f64) -> String {
    if max < 10.0 {
        crate::staffing::human(value)
    } else if value.fract().abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        format!("{value:.1}")
    }
}

/// The frame every chart shares: a figure with a caption, the plot area, a
/// grid with ticks on the y axis, the axes, the y axis's unit and a legend.
struct Frame {
    y_max: f64,
}

impl Frame {
    const WIDTH: f64 = 760.0;
    const HEIGHT: f64 = 300.0;
    const LEFT: f64 = 60.0;
    // Room for the last x label, centred on the plot's right edge.
    const RIGHT: f64 = 40.0;
    const TOP: f64 = 20.0;
    const BOTTOM: f64 = 60.0;

    fn plot_w(&self) -> f64 {
        Frame::WIDTH - Frame::LEFT - Frame::RIGHT
    }

    fn plot_h(&self) -> f64 {
        Frame::HEIGHT - Frame::TOP - Frame::BOTTOM
    }

    fn y(&self, value: f64) -> f64 {
        Frame::TOP + self.plot_h() * (1.0 - (value / self.y_max).clamp(0.0, 1.0))
    }

    /// Opens the figure and draws the grid, the axes and the unit.
    fn open(&self, svg: &mut String, title: &str, y_unit: &str) {
        let (w, h, left, top) = (Frame::WIDTH, Frame::HEIGHT, Frame::LEFT, Frame::TOP);
        let right = w - Frame::RIGHT;
        let bottom = top + self.plot_h();
        let _ = write!(
            svg,
            r#"<figure><figcaption>{}</figcaption><svg viewBox="0 0 {w} {h}" role="img" aria-label="{}">"#,
            esc(title),
            esc(title)
        );
        for step in 0..=4 {
            let value = self.y_max * f64::from(step) / 4.0;
            let y = self.y(value);
            let _ = write!(
                svg,
                r##"<line x1="{left}" x2="{right}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
                left - 6.0,
                y + 4.0,
                tick(value, self.y_max)
            );
        }
        let _ = write!(
            svg,
            r##"<line x1="{left}" x2="{left}" y1="{top}" y2="{bottom}" stroke="#333"/><line x1="{left}" x2="{right}" y1="{bottom}" y2="{bottom}" stroke="#333"/>"##
        );
        let middle = top + self.plot_h() / 2.0;
        let _ = write!(
            svg,
            r#"<text x="14" y="{middle:.1}" transform="rotate(-90 14 {middle:.1})" text-anchor="middle" class="axis">{}</text>"#,
            esc(y_unit)
        );
    }

    /// A label under the x axis.
    fn x_label(&self, svg: &mut String, x: f64, label: &str) {
        let y = Frame::TOP + self.plot_h() + 16.0;
        // A label too long to centre on a tick near the edge ends at the
        // tick instead (11 px type: about 6.5 px a character).
        let half = label.chars().count() as f64 * 6.5 / 2.0;
        let anchor = if x + half > Frame::WIDTH - 2.0 { "end" } else { "middle" };
        let _ = write!(
            svg,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" class="tick">{}</text>"#,
            esc(label)
        );
    }

    /// The legend, four entries a line, and the end of the figure.
    fn close<'n>(&self, svg: &mut String, names: impl Iterator<Item = &'n str>) {
        for (idx, name) in names.enumerate() {
            let color = PALETTE[idx % PALETTE.len()];
            let x = Frame::LEFT + (idx % 4) as f64 * 175.0;
            let y = Frame::HEIGHT - 22.0 + (idx / 4) as f64 * 14.0;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{:.1}" width="10" height="10" fill="{color}"/><text x="{:.1}" y="{y:.1}" class="legend">{}</text>"#,
                y - 9.0,
                x + 14.0,
                esc(name)
            );
        }
        svg.push_str("</svg></figure>");
    }
}

/// A line chart: one series per name, values (or gaps) at each x label, and
/// an optional dashed reference line.
fn line_chart(
    title: &str,
    x_labels: &[String],
    series: &[(String, Vec<Option<f64>>)],
    y_unit: &str,
    y_max: f64,
    reference: Option<(f64, &str)>,
) -> String {
    let frame = Frame { y_max: nice_ceiling(y_max) };
    let n = x_labels.len().max(1);
    let x = |idx: usize| {
        Frame::LEFT
            + if n == 1 {
                frame.plot_w() / 2.0
            } else {
                frame.plot_w() * idx as f64 / (n - 1) as f64
            }
    };
    let mut svg = String::new();
    frame.open(&mut svg, title, y_unit);
    let every = n.div_ceil(8).max(1);
    for (idx, label) in x_labels.iter().enumerate().filter(|(idx, _)| idx % every == 0) {
        frame.x_label(&mut svg, x(idx), label);
    }
    if let Some((value, label)) = reference {
        let (y, right) = (frame.y(value), Frame::WIDTH - Frame::RIGHT);
        let _ = write!(
            svg,
            r##"<line x1="{}" x2="{right}" y1="{y:.1}" y2="{y:.1}" stroke="#555" stroke-dasharray="6 4"/><text x="{right}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
            Frame::LEFT,
            y - 4.0,
            esc(label)
        );
    }
    for (idx, (_, values)) in series.iter().enumerate() {
        let color = PALETTE[idx % PALETTE.len()];
        let mut path = String::new();
        let mut pen_down = false;
        for (i, value) in values.iter().enumerate() {
            match value {
                Some(v) => {
                    let (px, py) = (x(i), frame.y(*v));
                    let _ = write!(path, "{}{px:.1} {py:.1} ", if pen_down { "L" } else { "M" });
                    let _ = write!(
                        svg,
                        r#"<circle cx="{px:.1}" cy="{py:.1}" r="2.5" fill="{color}"/>"#
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        if !path.is_empty() {
            let _ = write!(
                svg,
                r#"<path d="{}" fill="none" stroke="{color}" stroke-width="2"/>"#,
                path.trim_end()
            );
        }
    }
    frame.close(&mut svg, series.iter().map(|(name, _)| name.as_str()));
    svg
}

/// A grouped bar chart: one group of bars per category, one bar per series.
fn bar_chart(
    title: &str,
    categories: &[String],
    series: &[(String, Vec<f64>)],
    y_unit: &str,
) -> String {
    let highest = series.iter().flat_map(|(_, v)| v.iter().copied()).fold(0.0_f64, f64::max);
    let frame = Frame { y_max: nice_ceiling(highest.max(1.0)) };
    let group_w = frame.plot_w() / categories.len().max(1) as f64;
    let bar_w = (group_w * 0.8 / series.len().max(1) as f64).max(1.0);
    let bottom = Frame::TOP + frame.plot_h();
    let mut svg = String::new();
    frame.open(&mut svg, title, y_unit);
    for (c, category) in categories.iter().enumerate() {
        let x0 = Frame::LEFT + group_w * c as f64 + group_w * 0.1;
        for (s, (_, values)) in series.iter().enumerate() {
            let value = values.get(c).copied().unwrap_or(0.0);
            let y = frame.y(value);
            let _ = write!(
                svg,
                r#"<rect x="{:.1}" y="{y:.1}" width="{bar_w:.1}" height="{:.1}" fill="{}"><title>{}: {value}</title></rect>"#,
                x0 + bar_w * s as f64,
                (bottom - y).max(0.0),
                PALETTE[s % PALETTE.len()],
                esc(category)
            );
        }
        frame.x_label(&mut svg, Frame::LEFT + group_w * (c as f64 + 0.5), category);
    }
    frame.close(&mut svg, series.iter().map(|(name, _)| name.as_str()));
    svg
}

/// The page's head and style, and the start of its body.
fn head(title: &str) -> String {
    let mut html = String::with_capacity(64 * 1024);
    let _ = write!(
        html,
        r#"<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>{}</title><style>
body{{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:980px;color:#222;padding:0 1rem}}
h1{{font-size:1.5rem}}h2{{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ccc}}
table{{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}}th,td{{border:1px solid #ccc;padding:.25rem .5rem;text-align:right}}
th:first-child,td:first-child{{text-align:left}}td.bad{{background:#fde2e4}}td.good{{background:#e2f5e9}}
figure{{margin:1rem 0}}figcaption{{font-weight:600;margin-bottom:.25rem}}svg{{width:100%;height:auto;font-size:11px}}
.tick{{fill:#444}}.axis{{fill:#222;font-weight:600}}.legend{{fill:#222}}p.note{{color:#555;font-size:.85rem}}p.broken{{background:#fde8e8;border:2px solid #b00;color:#600;padding:.6rem}}
table.wide{{width:100%;table-layout:auto}}span.n{{color:#666;font-size:.75rem}}h2.part{{font-size:1.4rem;border-bottom:3px solid #333}}@media print{{section.part,section.appendix{{break-before:page}}}}table.signoff{{width:100%}}table.signoff td{{height:2.2rem;min-width:8rem}}table.wide th{{vertical-align:bottom}}td{{overflow-wrap:break-word}}th{{overflow-wrap:break-word;hyphens:manual}}@media (max-width:900px){{table{{font-size:.75rem}}th,td{{padding:.2rem .3rem}}}}thead{{display:table-header-group}}tr{{break-inside:avoid}}figure{{break-inside:avoid}}
@page{{margin:1.5cm}}@media print{{body{{max-width:none;margin:0;padding:0;font-size:10pt}}table{{font-size:8pt}}th,td{{padding:.2rem .3rem}}h2{{break-after:avoid}}}}
</style></head><body>"#,
        esc(title)
    );
    html
}

/// The staffing plan as one self-contained HTML file: the answer, the
/// compliance-against-staffing curves, and the projection.
pub fn render_plan(plan: &crate::staffing::Plan) -> String {
    use crate::staffing::{TYPE_NAMES, curve_points};
    let answer = &plan.answer;
    let mut html = head(&format!("carequeue staffing plan: {}", plan.scenario.name));
    let _ = write!(
        html,
        "<h1>Staffing plan: {}</h1><p>{} members. The fewest clinicians of each type meeting every standard of {} ({}) with 95% confidence, from up to {} simulated replications a staffing (seed {}); {} staffings simulated in {:.1} s.</p>",
        esc(&plan.scenario.name),
        plan.scenario.members,
        esc(&plan.rule_set.id),
        esc(&plan.rule_set.name),
        plan.replications,
        plan.seed,
        answer.evaluations.len(),
        plan.seconds
    );
    if let Some(fitted) = &plan.fitted {
        let _ = write!(
            html,
            "<p class=\"note\">Fitted to the ledger's last year: {:.0} initial requests a year. ",
            fitted.calibration.requests_per_year
        );
        for note in &fitted.calibration.notes {
            let _ = write!(html, "{}. ", esc(note));
        }
        html.push_str("</p>");
    }
    html.push_str("<h2>Clinicians needed</h2><table><tr><th>provider type</th><th>today</th><th>closed forms</th><th>needed</th><th>intake share</th></tr>");
    for (p, name) in TYPE_NAMES.iter().enumerate() {
        let class = if plan.current[p] >= f64::from(answer.staff[p]) { "good" } else { "bad" };
        let _ = write!(
            html,
            "<tr><td>{name}</td><td class=\"{class}\">{}</td><td>{}</td><td>{}</td><td>{:.0}%</td></tr>",
            crate::staffing::human(plan.current[p]),
            answer.start[p],
            answer.staff[p],
            answer.intake_shares[p] * 100.0
        );
    }
    html.push_str("</table>");
    let strictest = plan.targets.iter().copied().fold(0.0, f64::max);
    html.push_str("<h2>Compliance against staffing</h2><p class=\"note\">Each point is one simulated staffing at the chosen intake share: the mean rate of compliance over its replications.</p>");
    for (p, name) in TYPE_NAMES.iter().enumerate() {
        let mut xs: Vec<u32> = answer.curve(p).into_iter().map(|(n, _)| n).collect();
        xs.dedup();
        let series: Vec<(String, Vec<Option<f64>>)> = plan
            .rule_set
            .standards
            .iter()
            .enumerate()
            .filter_map(|(s, standard)| {
                let points = curve_points(answer, p, s);
                (!points.is_empty()).then(|| {
                    let values = xs
                        .iter()
                        .map(|x| points.iter().find(|(n, _)| n == x).map(|(_, r)| r.mean * 100.0))
                        .collect();
                    (standard.id.clone(), values)
                })
            })
            .collect();
        let labels: Vec<String> = xs.iter().map(u32::to_string).collect();
        html.push_str(&line_chart(
            &format!("Compliance against {name} (x: clinicians)"),
            &labels,
            &series,
            "% compliant",
            100.0,
            Some((strictest * 100.0, &format!("target {:.0}%", strictest * 100.0))),
        ));
    }
    if !plan.projection.is_empty() {
        html.push_str("<h2>Projection</h2>");
        if let Some(w) = &plan.workforce {
            let _ = write!(
                html,
                "<p class=\"note\">Membership growth {:+.1}% a year; attrition {} a year; hiring capacity {} a year; {} months to hire; trainees {} a year (therapists / psychiatrists / SUD counsellors). Needed: the answer scaled by the closed forms to each year's membership. Expected: the simulated curve at the staff's share of what is needed (the worst standard).</p>",
                w.growth * 100.0,
                w.attrition.map(crate::staffing::human).join(" / "),
                w.hires_per_year.map(crate::staffing::human).join(" / "),
                crate::staffing::human(w.months_to_hire),
                w.trainees_per_year.map(crate::staffing::human).join(" / ")
            );
        }
        let labels: Vec<String> =
            plan.projection.iter().map(|r| format!("year {}", r.year)).collect();
        let mut series = Vec::new();
        for (p, name) in TYPE_NAMES.iter().enumerate() {
            series.push((
                format!("{name} needed"),
                plan.projection.iter().map(|r| Some(r.needed[p])).collect(),
            ));
            series.push((
                format!("{name} on staff"),
                plan.projection.iter().map(|r| Some(r.staff[p])).collect(),
            ));
        }
        let y_max = plan
            .projection
            .iter()
            .flat_map(|r| r.needed.iter().chain(&r.staff))
            .copied()
            .fold(1.0, f64::max)
            * 1.1;
        html.push_str(&line_chart(
            "Clinicians needed and on staff",
            &labels,
            &series,
            "clinicians",
            y_max,
            None,
        ));
        html.push_str("<table><tr><th>year</th><th>members</th><th>provider type</th><th>needed</th><th>on staff</th><th>gap</th><th>expected worst rate</th></tr>");
        for (row, expected) in plan.projection.iter().zip(&plan.expected) {
            let gap = row.gap();
            for (p, name) in TYPE_NAMES.iter().enumerate() {
                let class = if gap[p] > 0.5 { "bad" } else { "good" };
                let _ = write!(
                    html,
                    "<tr><td>{}</td><td>{:.0}</td><td>{name}</td><td>{:.1}</td><td>{:.1}</td><td class=\"{class}\">{:.1}</td><td>{}</td></tr>",
                    row.year,
                    row.members,
                    row.needed[p],
                    row.staff[p],
                    gap[p],
                    pct(expected[p])
                );
            }
        }
        html.push_str("</table>");
    }
    html.push_str("</body></html>");
    html
}

/// Sums rows per standard (over every group); waits are not summed.
fn per_standard(rows: &[Row], rule_set: &RuleSet) -> Vec<Row> {
    rule_set
        .standards
        .iter()
        .filter_map(|standard| {
            let mut mine = rows.iter().filter(|r| r.standard == standard.id);
            let mut total = mine.next()?.clone();
            total.keys.clear();
            for row in mine {
                total.requests += row.requests;
                total.unjudged += row.unjudged;
                total.met += row.met;
                total.missed += row.missed;
                total.open_within += row.open_within;
                total.open_overdue += row.open_overdue;
                total.excluded += row.excluded;
                for (sum, n) in total.wait_histogram.iter_mut().zip(row.wait_histogram) {
                    *sum += n;
                }
            }
            let denominator = total.met + total.missed + total.open_overdue;
            total.rate = (denominator > 0).then(|| total.met as f64 / denominator as f64);
            Some(total)
        })
        .collect()
}

/// The methods statement (every standard's clock, with its source) and a
/// block for the people who sign the report off.
fn methods(html: &mut String, rule_set: &RuleSet) {
    html.push_str("<h2>Methods</h2><p>Every request recorded in the ledger by the as-of moment is judged under each standard of the rule set that applies to it, from the events about it (voided events count for nothing). A standard is met when its clock stopped in time: for most standards when a qualifying appointment was offered (an offer the patient declined still counts), for those stopped by the first attended visit when that visit took place. Its rate of compliance is met / (met + missed + open overdue). The clock rules applied:</p><table><thead><tr><th>standard</th><th>limit</th><th>clock starts</th><th>clock stops</th><th>business days of</th><th>source</th></tr></thead><tbody>");
    for standard in &rule_set.standards {
        let start = match standard.clock_start {
            rules::ClockStart::Request => {
                "at the request (urgent: at the triage that made it urgent)"
            }
            rules::ClockStart::PriorAppointment => "at the prior appointment",
        };
        let stop = match standard.stop {
            rules::Stop::FirstQualifyingOffer => "first qualifying offer",
            rules::Stop::FirstAttended => "first attended visit",
        };
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{start}</td><td>{stop}</td><td>{}</td><td>{}</td></tr>",
            esc(&standard.name),
            esc(&standard.limit.to_string()),
            esc(standard.calendar.description()),
            esc(&standard.source)
        );
    }
    let _ = write!(
        html,
        "</tbody></table><p class=\"note\">A day-counted deadline is the whole last day in the clinic's time zone; a clinical extension recorded by the deadline moves it, for a day-counted standard to the end of the date named. Every judgement call, with the regulation's words, is documented in carequeue's docs/rules.md; the rule set: {} ({}).</p>",
        esc(&rule_set.name),
        esc(&rule_set.source)
    );
}

/// The block for the people who sign the report off: once a page.
fn sign_off(html: &mut String) {
    html.push_str("<h2>Sign-off</h2><table class=\"signoff\"><tbody><tr><th>Prepared by</th><td></td><th>Date</th><td></td></tr><tr><th>Reviewed by (compliance officer)</th><td></td><th>Date</th><td></td></tr><tr><th>Signature</th><td colspan=\"3\"></td></tr></tbody></table>");
}

/// The HTML report: one rule set's, or a plan's with a section per rule set.
pub fn page(
    plan: Option<&str>,
    governed: &[crate::plan::Governed],
    parts: &[crate::plan::Judged<'_>],
    period: &metrics::Period,
) -> String {
    let pages: Vec<String> = parts
        .iter()
        .map(|part| {
            render(&part.report, &part.governed.rule_set, &part.provenance, period, plan.is_some())
        })
        .collect();
    match plan {
        None => pages.into_iter().next().unwrap_or_default(),
        Some(name) => combine(name, governed, pages),
    }
}

/// A plan's report: one page holding each rule set's report, in order,
/// under the plan's name.
pub fn combine(plan: &str, governed: &[crate::plan::Governed], pages: Vec<String>) -> String {
    let mut html = head(&format!("carequeue report: {plan}"));
    let _ = write!(
        html,
        "<h1>{}</h1><p>Each network is judged under the rule set that governs it:</p><ul>",
        esc(plan)
    );
    for governed in governed {
        let _ = write!(
            html,
            "<li>{}: {} ({})</li>",
            esc(&governed.describe()),
            esc(&governed.rule_set.name),
            esc(&governed.rule_set.id)
        );
    }
    html.push_str("</ul>");
    for (governed, page) in governed.iter().zip(pages) {
        // Each report's body, under its own heading.
        let body = page
            .split_once("<body>")
            .map_or(page.as_str(), |(_, body)| body)
            .trim_end()
            .trim_end_matches("</html>")
            .trim_end_matches("</body>");
        let _ = write!(
            html,
            "<section class=\"part\"><h2 class=\"part\">{} under {}</h2>{body}</section>",
            esc(&governed.describe()),
            esc(&governed.rule_set.id)
        );
    }
    sign_off(&mut html);
    html.push_str("</body></html>\n");
    html
}

/// The rate of each standard by month with the number of requests it
/// stands on, the month holding the as-of moment marked partial.
fn monthly_table(
    html: &mut String,
    report: &Report,
    summary: &[Row],
    months: &[String],
    partial: &str,
) {
    html.push_str("<table class=\"monthly\"><thead><tr><th>month of request</th>");
    for total in summary {
        let _ = write!(html, "<th>{}</th>", esc(&total.standard));
    }
    html.push_str("</tr></thead><tbody>");
    for month in months {
        let label = if month == partial {
            format!(
                "{} <span class=\"n\">(partial: the as-of moment falls in it)</span>",
                esc(month)
            )
        } else {
            esc(month)
        };
        let _ = write!(html, "<tr><td>{label}</td>");
        for total in summary {
            let row = report
                .by_month
                .iter()
                .find(|r| &r.keys[0] == month && r.standard == total.standard);
            match row {
                Some(row) => {
                    let n = row.met + row.missed + row.open_overdue;
                    let _ = write!(
                        html,
                        "<td class=\"{}\">{} <span class=\"n\">n={}</span></td>",
                        rate_class(row),
                        pct(row.rate),
                        n
                    );
                }
                None => html.push_str("<td>–</td>"),
            }
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table><p class=\"note\">n: the requests the rate stands on (met, missed and open overdue); a month's requests still within their deadline are not yet judged, so a recent month's rate rests on fewer than it will.</p>");
}

/// The third next available appointment as a person reads it: per clinic
/// and provider type, the median over each month's days, and the worst day;
/// half a year to a table, so that it fits a printed page.
fn third_next_available_table(
    html: &mut String,
    tna: &BTreeMap<String, BTreeMap<String, Option<i32>>>,
) {
    // Each month's days measured, per clinic and provider type.
    let mut cells: BTreeMap<(&str, &str), Vec<(i32, &str)>> = BTreeMap::new();
    let mut months: std::collections::BTreeSet<&str> = Default::default();
    for (name, by_date) in tna {
        for (date, days) in by_date {
            let month = date.get(..7).unwrap_or(date);
            if let Some(days) = days {
                cells.entry((name.as_str(), month)).or_default().push((*days, date.as_str()));
                months.insert(month);
            }
        }
    }
    // From the first month measured to the last, gaps included.
    let (Some(first), Some(last)) = (months.first().copied(), months.last().copied()) else {
        html.push_str("<h2>Third next available appointment</h2><p class=\"note\">No day had three open published slots.</p>");
        return;
    };
    let mut span: Vec<String> = Vec::new();
    let mut month = first.to_owned();
    while month.as_str() <= last && span.len() < 1200 {
        span.push(month.clone());
        month = next_month(&month).unwrap_or_else(|| "9999-99".to_owned());
    }
    html.push_str("<h2>Third next available appointment</h2><p class=\"note\">Days from each day to the third open published slot after it, per clinic and provider type: each month's median day, and the worst day of the months shown. A dash: fewer than three open slots were published on every day of the month.</p>");
    for chunk in span.chunks(6) {
        html.push_str("<table class=\"wide tna\"><thead><tr><th>clinic, provider type</th>");
        for month in chunk {
            // "2025-03" as "Mar" over "2025", narrow enough for a page.
            let name = month
                .get(5..7)
                .and_then(|m| m.parse::<usize>().ok())
                .and_then(|m| MONTH_NAMES.get(m.wrapping_sub(1)))
                .copied()
                .unwrap_or("?");
            let _ = write!(html, "<th>{name}<br>{}</th>", esc(month.get(..4).unwrap_or(month)));
        }
        html.push_str("<th>worst day</th></tr></thead><tbody>");
        for name in tna.keys() {
            let _ = write!(html, "<tr><td>{}</td>", esc(name));
            let mut worst: Option<(i32, &str)> = None;
            for month in chunk {
                match cells.get(&(name.as_str(), month.as_str())) {
                    Some(days) => {
                        let mut sorted: Vec<i32> = days.iter().map(|(d, _)| *d).collect();
                        sorted.sort_unstable();
                        let median = sorted[(sorted.len() - 1) / 2];
                        let _ = write!(html, "<td>{median}</td>");
                        worst = worst.max(days.iter().copied().max());
                    }
                    None => html.push_str("<td>–</td>"),
                }
            }
            match worst {
                Some((days, date)) => {
                    let _ =
                        write!(html, "<td>{days} <span class=\"n\">({})</span></td>", esc(date));
                }
                None => html.push_str("<td>–</td>"),
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody></table>");
    }
}

/// The month after `YYYY-MM`.
fn next_month(month: &str) -> Option<String> {
    let year: i32 = month.get(..4)?.parse().ok()?;
    let number: u32 = month.get(5..7)?.parse().ok()?;
    Some(if number >= 12 {
        format!("{:04}-01", year + 1)
    } else {
        format!("{year:04}-{:02}", number + 1)
    })
}

const MONTH_NAMES: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A moment as a person reads it in the clinic's local time: date, hour
/// and minute, and the offset from UTC.
fn local_time(instant: events::Instant) -> String {
    let offset = instant.offset();
    let at = offset.to_datetime(instant.timestamp());
    let seconds = offset.seconds();
    let (sign, seconds) = if seconds < 0 { ('−', -seconds) } else { ('+', seconds) };
    format!(
        "{} {:02}:{:02} <span class=\"n\">UTC{sign}{:02}:{:02}</span>",
        at.date(),
        at.hour(),
        at.minute(),
        seconds / 3600,
        seconds % 3600 / 60
    )
}

/// The appendix of failing requests: per standard, the longest waits among
/// the requests that missed it or are past its deadline still waiting.
fn failing_appendix(html: &mut String, report: &Report, summary: &[Row]) {
    let _ = write!(
        html,
        "<section class=\"appendix\"><h2>Appendix: failing requests</h2><p class=\"note\">For each standard, the requests that missed it or are past its deadline and still waiting, longest wait first (at most {} per standard; every one, with every verdict, is in <code>carequeue verdicts --format csv</code>). Times are the clinic's local time. Patient ids are as the source gave them: pseudonymous ids keep this appendix fit to share.</p>",
        metrics::FAILING_LISTED
    );
    for total in summary {
        let failing: Vec<&metrics::Failing> =
            report.failing.iter().filter(|f| f.standard == total.standard).collect();
        let count = total.missed + total.open_overdue;
        let _ = write!(
            html,
            "<h3>{}: {count} failing ({} missed, {} open overdue){}</h3>",
            esc(&total.standard),
            total.missed,
            total.open_overdue,
            if count as usize > failing.len() {
                format!(", the {} longest waits", failing.len())
            } else {
                String::new()
            }
        );
        if failing.is_empty() {
            continue;
        }
        html.push_str("<table class=\"wide failing\"><thead><tr><th>request</th><th>patient</th><th>clinic</th><th>verdict</th><th>clock start</th><th>deadline</th><th>earliest offer</th><th>wait (days)</th></tr></thead><tbody>");
        for f in failing {
            let _ = write!(
                html,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}{:.1}</td></tr>",
                esc(&f.request_id),
                esc(&f.patient_id),
                esc(&f.clinic),
                f.outcome.replace('_', " "),
                local_time(f.clock_start),
                local_time(f.deadline),
                f.first_offer_at.map_or_else(|| "none".to_owned(), local_time),
                if f.first_offer_at.is_none() && f.outcome == "open_overdue" {
                    "still waiting: "
                } else {
                    ""
                },
                f.wait_days
            );
        }
        html.push_str("</tbody></table>");
    }
    html.push_str("</section>");
}

/// A rate's cell class: met the required rate, or not, or no rate.
fn rate_class(row: &Row) -> &'static str {
    match row.rate {
        Some(rate) if rate >= row.threshold => "good",
        Some(_) => "bad",
        None => "",
    }
}

/// Renders the whole report.
pub fn render(
    report: &Report,
    rule_set: &RuleSet,
    provenance: &Provenance,
    period: &metrics::Period,
    part_of_plan: bool,
) -> String {
    // For a reader: to the minute, in UTC (the JSON keeps the exact moment).
    let as_of = report.as_of.strftime("%Y-%m-%d %H:%M UTC").to_string();
    let mut html = head(&format!("carequeue report: {} as of {as_of}", rule_set.id));
    if let Some(broken) = provenance.broken() {
        let _ = write!(
            html,
            "<p class=\"broken\" role=\"alert\"><strong>The ledger's hash chain is broken</strong> ({}): what it holds may have been changed since it was recorded, so no figure in this report can be trusted. Run <code>carequeue verify</code>.</p>",
            esc(broken)
        );
    }
    // Harm in a simulated ledger is the simulator's illustration, not data.
    let harm_label = if provenance.simulated {
        "harm while waiting (simulated: illustrative only)"
    } else {
        "harm while waiting"
    };
    let _ = write!(
        html,
        "<h1>Timely access: {}</h1><p>{} — as of {as_of}. Source: {}. Required rate of compliance: {:.0}% ({}).</p>",
        esc(&rule_set.name),
        esc(&rule_set.jurisdiction),
        esc(&rule_set.source),
        rule_set.threshold * 100.0,
        esc(&rule_set.threshold_source)
    );
    let _ = write!(
        html,
        "<p class=\"note\">Rate of compliance = met / (met + missed + open_overdue). Waits run from the clock start to the earliest appointment date offered that suits the standard, in days; medians and 90th percentiles are Kaplan-Meier estimates in which requests still waiting count as censored, not dropped. Unjudged: requests a standard applies to that cannot be judged under it (listed in the integrity findings). Ledger chain check: <strong>{}</strong>. The ledger read: {}.</p>",
        if provenance.broken().is_none() {
            "passed"
        } else {
            "FAILED (see above and the integrity findings)"
        },
        esc(&provenance.summary())
    );
    if !period.is_all() {
        let _ = write!(
            html,
            "<p><strong>Measurement period:</strong> requests whose {}, in each clinic's time zone.</p>",
            esc(&period.to_string())
        );
    }
    if provenance.simulated {
        html.push_str("<p class=\"note\"><strong>Simulated data.</strong> This ledger was written by the simulator (<code>carequeue demo</code>): it describes no real plan, and its harm events are illustrative only, drawn from an assumed hazard rather than measured.</p>");
    }

    // Summary per standard.
    let summary = per_standard(&report.by_month, rule_set);
    html.push_str("<h2>Summary by standard</h2><table><tr><th>standard</th><th>requests</th><th>unjudged</th><th>met</th><th>missed</th><th>open within</th><th>open overdue</th><th>excluded</th><th>rate</th><th>required</th></tr>");
    for row in &summary {
        let class = rate_class(row);
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td>{:.0}%</td></tr>",
            esc(&row.standard),
            row.requests,
            row.unjudged,
            row.met,
            row.missed,
            row.open_within,
            row.open_overdue,
            row.excluded,
            pct(row.rate),
            row.threshold * 100.0
        );
    }
    html.push_str("</table>");

    // Network by network, as regulators judge a plan (California's DMHC
    // tests each network against the required rate).
    html.push_str("<h2>Rates by network</h2><p class=\"note\">Each network's rate of compliance per standard against the standard's required rate; n is the number of requests judged (every verdict: open within and excluded ones too).</p><table><thead><tr><th>network</th>");
    for standard in &rule_set.standards {
        let _ = write!(html, "<th>{}</th>", esc(&standard.id));
    }
    html.push_str("</tr></thead><tbody>");
    let networks: std::collections::BTreeSet<&str> =
        report.by_network.iter().map(|r| r.keys[0].as_str()).collect();
    for network in networks {
        let _ = write!(html, "<tr><td>{}</td>", esc(network));
        for standard in &rule_set.standards {
            let row = report
                .by_network
                .iter()
                .find(|r| r.keys[0] == network && r.standard == standard.id);
            match row {
                Some(row) => {
                    let class = rate_class(row);
                    let _ = write!(
                        html,
                        "<td class=\"{class}\">{} <span class=\"n\">n={}</span></td>",
                        pct(row.rate),
                        row.requests
                    );
                }
                None => html.push_str("<td>–</td>"),
            }
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");

    // Compliance by month per standard.
    let months: Vec<String> = report
        .by_month
        .iter()
        .map(|r| r.keys[0].clone())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let series: Vec<(String, Vec<Option<f64>>)> = summary
        .iter()
        .map(|total| {
            let values = months
                .iter()
                .map(|month| {
                    report
                        .by_month
                        .iter()
                        .find(|r| &r.keys[0] == month && r.standard == total.standard)
                        .and_then(|r| r.rate)
                        .map(|r| r * 100.0)
                })
                .collect();
            (total.standard.clone(), values)
        })
        .collect();
    // The month holding the as-of moment is not over: requests still within
    // their deadline are not yet judged, so its rate stands on few.
    let partial = report.as_of.strftime("%Y-%m").to_string();
    let month_labels: Vec<String> = months
        .iter()
        .map(|m| if *m == partial { format!("{m} (partial)") } else { m.clone() })
        .collect();
    html.push_str("<h2>Compliance by month</h2>");
    html.push_str(&line_chart(
        "Rate of compliance by month of request, per standard",
        &month_labels,
        &series,
        "rate of compliance (%)",
        100.0,
        Some((rule_set.threshold * 100.0, "required rate")),
    ));
    monthly_table(&mut html, report, &summary, &months, &partial);

    // Wait distribution: standards counted in hours (urgent care) apart
    // from those counted in days, each in its own unit.
    html.push_str("<h2>Waits to the earliest date offered</h2>");
    for (hours, bins, unit) in [(true, &URGENT_WAIT_BINS, "hours"), (false, &WAIT_BINS, "days")] {
        let bars: Vec<(String, Vec<f64>)> = summary
            .iter()
            .filter(|total| {
                rule_set.standards.iter().any(|s| {
                    s.id == total.standard && matches!(s.limit, rules::Limit::Hours(_)) == hours
                })
            })
            .map(|total| {
                (total.standard.clone(), total.wait_histogram.iter().map(|n| *n as f64).collect())
            })
            .collect();
        if bars.is_empty() {
            continue;
        }
        let mut categories: Vec<String> =
            bins.iter().map(|(_, label)| (*label).to_owned()).collect();
        categories.push("still waiting".to_owned());
        html.push_str(&bar_chart(
            &format!("Requests by wait to the earliest date offered, standards counted in {unit}"),
            &categories,
            &bars,
            "requests",
        ));
    }

    // The table as asked.
    // Two tables of the same rows, narrow enough for a page: the verdicts,
    // then the waits and what happened while people waited.
    html.push_str("<h2>Compliance table</h2><table class=\"wide\"><thead><tr>");
    let group_headers: String =
        report.by.iter().map(|group| format!("<th>{}</th>", esc(group.as_str()))).collect();
    html.push_str(&group_headers);
    html.push_str("<th>standard</th><th>requests</th><th>unjudged</th><th>met</th><th>missed</th><th>open within</th><th>open overdue</th><th>excluded</th><th>rate</th></tr></thead><tbody>");
    let group_cells = |row: &Row| -> String {
        row.keys.iter().map(|key| format!("<td>{}</td>", esc(key))).collect()
    };
    for row in &report.rows {
        let class = rate_class(row);
        let _ = write!(
            html,
            "<tr>{}<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td></tr>",
            group_cells(row),
            esc(&row.standard),
            row.requests,
            row.unjudged,
            row.met,
            row.missed,
            row.open_within,
            row.open_overdue,
            row.excluded,
            pct(row.rate),
        );
    }
    html.push_str("</tbody></table>");
    html.push_str(
        "<h3>Waits, and what happened while people waited</h3><table class=\"wide\"><thead><tr>",
    );
    html.push_str(&group_headers);
    let _ = write!(
        html,
        "<th>standard</th><th>wait p50 (days)</th><th>wait p90 (days)</th><th>extensions</th><th>patient-preference declines</th><th>out of network</th><th>group for individual</th><th>{}</th></tr></thead><tbody>",
        esc(harm_label)
    );
    for row in &report.rows {
        let _ = write!(
            html,
            "<tr>{}<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            group_cells(row),
            esc(&row.standard),
            days(row.wait_p50_days),
            days(row.wait_p90_days),
            row.extensions,
            row.declines_patient_preference,
            row.out_of_network,
            row.group_for_individual,
            row.harm_while_waiting
        );
    }
    html.push_str("</tbody></table>");

    // Third next available over time.
    let access = &report.access;
    let mut tna: BTreeMap<String, BTreeMap<String, Option<i32>>> = BTreeMap::new();
    for row in &access.third_next_available {
        tna.entry(format!("{} {}", row.clinic, row.provider_type))
            .or_default()
            .insert(row.date.to_string(), row.days);
    }
    third_next_available_table(&mut html, &tna);

    // Open-request age profile.
    let bands = ["0-7", "8-14", "15-30", "31-60", "61-90", "91-180", "over 180"];
    let mut providers: Vec<String> =
        access.open_age.iter().map(|r| r.provider_type.clone()).collect();
    providers.sort();
    providers.dedup();
    let age_series: Vec<(String, Vec<f64>)> = providers
        .iter()
        .map(|p| {
            (
                p.clone(),
                bands
                    .iter()
                    .map(|b| {
                        access
                            .open_age
                            .iter()
                            .filter(|r| &r.provider_type == p && r.band == *b)
                            .map(|r| r.requests as f64)
                            .sum()
                    })
                    .collect(),
            )
        })
        .collect();
    html.push_str("<h2>Open requests by age</h2>");
    html.push_str(&bar_chart(
        "Open requests (not closed, never attended) by days since the request",
        &bands.iter().map(|b| format!("{b} days")).collect::<Vec<_>>(),
        &age_series,
        "requests",
    ));

    // Substitution and harm by month.
    // A count summed over every standard, month by month.
    let per_month = |count: fn(&Row) -> u64| -> Vec<f64> {
        months
            .iter()
            .map(|m| {
                report.by_month.iter().filter(|r| &r.keys[0] == m).map(|r| count(r) as f64).sum()
            })
            .collect()
    };
    let substitution = per_month(|r| r.group_for_individual);
    let harm = per_month(|r| r.harm_while_waiting);
    let _ = write!(html, "<h2>Group care substituted, and {harm_label}</h2>");
    let harm_series = if provenance.simulated {
        "harm events while waiting (illustrative)"
    } else {
        "harm events while waiting"
    };
    html.push_str(&bar_chart("Requests for individual care offered group care, and harm reported while waiting, by month of request", &months, &[("group offered for individual care".to_owned(), substitution), (harm_series.to_owned(), harm)], "count"));

    // Follow-up gaps and new against returning.
    html.push_str("<h2>Gaps between attended visits</h2><table><tr><th>clinic</th><th>month</th><th>gaps</th><th>median (days)</th><th>90th percentile (days)</th><th>over 14 days</th></tr>");
    for row in &access.follow_up_gaps {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&row.clinic),
            esc(&row.month),
            row.gaps,
            days(row.p50_days),
            days(row.p90_days),
            row.over_14_days
        );
    }
    html.push_str("</table><h2>Appointments for new and returning patients</h2><table><tr><th>clinic</th><th>month</th><th>new patients</th><th>returning</th><th>share new</th></tr>");
    for row in &access.new_vs_returning {
        let total = row.new_patients + row.returning;
        let share = (total > 0).then(|| row.new_patients as f64 / total as f64);
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&row.clinic),
            esc(&row.month),
            row.new_patients,
            row.returning,
            pct(share)
        );
    }
    html.push_str("</table>");

    // Integrity findings.
    html.push_str("<h2>Integrity findings</h2><table><tr><th>check</th><th>what it looks for</th><th>events</th><th>first events</th></tr>");
    for finding in &report.integrity {
        let first: Vec<String> = finding.events.iter().take(10).map(esc).collect();
        let class = if finding.events.is_empty() { "good" } else { "bad" };
        let _ = write!(
            html,
            "<tr><td>{}</td><td style=\"text-align:left\">{}</td><td class=\"{class}\">{}</td><td style=\"text-align:left\">{}</td></tr>",
            esc(finding.check),
            esc(finding.description),
            finding.events.len(),
            first.join(" ")
        );
    }
    html.push_str("</table>");
    methods(&mut html, rule_set);
    // A plan's page signs off once, after every rule set's part.
    if !part_of_plan {
        sign_off(&mut html);
    }
    failing_appendix(&mut html, report, &summary);
    html.push_str("<p class=\"note\">Generated by carequeue from the events recorded by the as-of moment; computing the same report as of the same moment later gives the same figures.</p></body></html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::nice_ceiling;

    #[test]
    fn axes_end_on_round_numbers() {
        let tops: Vec<f64> = [41_353.0, 100.0, 95.0, 7.3, 1.0, 0.0, 3.0, 12.0]
            .iter()
            .map(|v| nice_ceiling(*v))
            .collect();
        assert_eq!(tops, [50_000.0, 100.0, 100.0, 8.0, 1.0, 1.0, 3.0, 12.0]);
    }
}
