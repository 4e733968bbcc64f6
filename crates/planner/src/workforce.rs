//! Growth and workforce: year by year, the clinicians a growing plan needs,
//! the clinicians it will have given hiring, attrition and training, the
//! gap, and the compliance to expect.
//!
//! The model is deterministic and monthly. Membership grows at a constant
//! yearly rate; each month a share of the staff leaves, trainees join, and
//! the plan opens posts for the gap between what it will need and what it
//! has or has coming, at most its hiring capacity; a post is filled after
//! the time to hire. What a membership needs is the staffing search's
//! answer at today's membership, scaled by the closed forms (which carry
//! the economies of scale of larger pools).

/// How the workforce changes, per provider type where there are three.
#[derive(Debug, Clone, PartialEq)]
pub struct Workforce {
    /// Membership growth a year (0.03 is 3%).
    pub growth: f64,
    /// Share of clinicians who leave in a year.
    pub attrition: [f64; 3],
    /// Posts the plan can fill in a year.
    pub hires_per_year: [f64; 3],
    /// Months from opening a post to the clinician's first day.
    pub months_to_hire: f64,
    /// Clinicians finishing training and joining in a year.
    pub trainees_per_year: [f64; 3],
}

/// One year of the projection, at its end.
#[derive(Debug, Clone, PartialEq)]
pub struct YearRow {
    /// Years from now (0: today).
    pub year: u32,
    /// Members.
    pub members: f64,
    /// Clinicians needed to meet every target.
    pub needed: [f64; 3],
    /// Clinicians the plan will have.
    pub staff: [f64; 3],
}

impl YearRow {
    /// Clinicians short (negative: more than needed).
    pub fn gap(&self) -> [f64; 3] {
        std::array::from_fn(|p| self.needed[p] - self.staff[p])
    }

    /// Staff as a share of what is needed.
    pub fn coverage(&self) -> [f64; 3] {
        std::array::from_fn(|p| {
            if self.needed[p] > 0.0 { self.staff[p] / self.needed[p] } else { f64::INFINITY }
        })
    }
}

/// Projects `years` years from `members` and `staff` today. `needed(m)` is
/// what a membership of `m` needs.
pub fn project(
    members: f64,
    staff: [f64; 3],
    needed: &dyn Fn(f64) -> [f64; 3],
    workforce: &Workforce,
    years: u32,
) -> Vec<YearRow> {
    let months_to_hire = workforce.months_to_hire.max(0.0).round() as usize;
    let attrition = workforce.attrition.map(|a| a.clamp(0.0, 1.0) / 12.0);
    let mut staff = staff;
    // Posts filled in each coming month, the next month first.
    let mut coming: std::collections::VecDeque<[f64; 3]> =
        std::iter::repeat_n([0.0; 3], months_to_hire).collect();
    let mut rows = vec![YearRow { year: 0, members, needed: needed(members), staff }];
    for month in 1..=years as usize * 12 {
        let members_now = members * (1.0 + workforce.growth).powf(month as f64 / 12.0);
        let arriving = if months_to_hire > 0 { coming.pop_front() } else { None };
        let arriving = arriving.unwrap_or([0.0; 3]);
        for p in 0..3 {
            staff[p] = staff[p] * (1.0 - attrition[p])
                + arriving[p]
                + workforce.trainees_per_year[p].max(0.0) / 12.0;
        }
        // Posts opened now are filled after the time to hire: they are
        // opened for the membership then, net of who leaves meanwhile.
        let members_then =
            members * (1.0 + workforce.growth).powf((month + months_to_hire) as f64 / 12.0);
        let target = needed(members_then);
        let opened: [f64; 3] = std::array::from_fn(|p| {
            let pipeline: f64 = coming.iter().map(|c| c[p]).sum();
            let leaving = staff[p] * attrition[p] * months_to_hire as f64;
            let short = target[p] - (staff[p] - leaving + pipeline);
            short.clamp(0.0, workforce.hires_per_year[p].max(0.0) / 12.0)
        });
        if months_to_hire == 0 {
            for p in 0..3 {
                staff[p] += opened[p];
            }
        } else {
            coming.push_back(opened);
        }
        if month % 12 == 0 {
            rows.push(YearRow {
                year: (month / 12) as u32,
                members: members_now,
                needed: needed(members_now),
                staff,
            });
        }
    }
    rows
}

/// The compliance to expect from a curve of (clinicians, rate) points at
/// today's membership, for `coverage` of what is needed, where `needed` is
/// today's answer: linear between the points, and held at the ends (a
/// staffing outside the points simulated is reported at the nearest).
pub fn expected_rate(curve: &[(u32, f64)], needed: u32, coverage: f64) -> Option<f64> {
    let x = coverage * f64::from(needed);
    let (first, last) = (curve.first()?, curve.last()?);
    if x <= f64::from(first.0) {
        return Some(first.1);
    }
    if x >= f64::from(last.0) {
        return Some(last.1);
    }
    curve.windows(2).find(|w| x <= f64::from(w[1].0)).map(|w| {
        let ((x0, y0), (x1, y1)) = ((f64::from(w[0].0), w[0].1), (f64::from(w[1].0), w[1].1));
        y0 + (y1 - y0) * (x - x0) / (x1 - x0)
    })
}
