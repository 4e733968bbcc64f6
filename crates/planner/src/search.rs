//! Searching for the fewest servers (or clinicians) that meet a target,
//! for several independent kinds at once, when each trial is costly.

use crate::Error;

/// The smallest number of each kind in `asked` at or above `floor` for
/// which `decide` says the targets are met, assuming that more never
/// hurts. `decide(staff, asked)` tries one staffing and says, for the
/// kinds asked, whether each meets; kinds not asked keep their last value.
///
/// From `start`, a kind that meets shrinks by a third until it fails; one
/// that fails grows by half until it meets (when `grow`; otherwise it has
/// no answer: `None`), up to 64 times its start and 100 more. Then every kind is
/// bisected at once, to within `resolution(staff)`; the answer is the
/// smallest number seen to meet.
pub fn fewest_each<const N: usize>(
    start: [u32; N],
    floor: u32,
    asked: [bool; N],
    grow: bool,
    resolution: impl Fn(u32) -> u32,
    mut decide: impl FnMut([u32; N], [bool; N]) -> [bool; N],
) -> Result<[Option<u32>; N], Error> {
    let limit = start.map(|s| s.saturating_mul(64).saturating_add(100));
    let mut lo: [Option<u32>; N] = std::array::from_fn(|p| (!asked[p]).then_some(0));
    let mut hi: [Option<u32>; N] = std::array::from_fn(|p| (!asked[p]).then_some(0));
    let mut done = [false; N];
    let mut candidate = start.map(|s| s.max(floor));
    while (0..N).any(|p| !done[p] && (lo[p].is_none() || hi[p].is_none())) {
        let asked_now: [bool; N] =
            std::array::from_fn(|p| !done[p] && (lo[p].is_none() || hi[p].is_none()));
        let meets = decide(candidate, asked_now);
        for p in (0..N).filter(|p| asked_now[*p]) {
            if meets[p] {
                hi[p] = Some(candidate[p]);
                if lo[p].is_none() {
                    if candidate[p] <= floor {
                        lo[p] = Some(floor);
                    } else {
                        // A third less, and at least one.
                        candidate[p] = (candidate[p] - (candidate[p] / 3).max(1)).max(floor);
                    }
                }
            } else {
                lo[p] = Some(candidate[p] + 1);
                if hi[p].is_none() {
                    if !grow {
                        done[p] = true;
                    } else if candidate[p] >= limit[p] {
                        return Err(Error::Unreachable { limit: limit[p] });
                    } else {
                        // Half as many again, and at least one more.
                        candidate[p] =
                            (candidate[p] + candidate[p].div_ceil(2).max(1)).min(limit[p]);
                    }
                }
            }
        }
    }
    let open = |lo: &[Option<u32>; N], hi: &[Option<u32>; N], p: usize| match (lo[p], hi[p]) {
        (Some(l), Some(h)) => asked[p] && !done[p] && l + resolution(h) <= h,
        _ => false,
    };
    while (0..N).any(|p| open(&lo, &hi, p)) {
        let asked_now: [bool; N] = std::array::from_fn(|p| open(&lo, &hi, p));
        // Kinds not being bisected keep a number that meets, if known.
        let mid: [u32; N] = std::array::from_fn(|p| match (lo[p], hi[p]) {
            (Some(l), Some(h)) if asked_now[p] => l + (h - l) / 2,
            (_, Some(h)) if asked[p] && !done[p] => h,
            _ => candidate[p],
        });
        let meets = decide(mid, asked_now);
        for p in (0..N).filter(|p| asked_now[*p]) {
            if meets[p] {
                hi[p] = Some(mid[p]);
            } else {
                lo[p] = Some(mid[p] + 1);
            }
        }
    }
    Ok(std::array::from_fn(|p| if asked[p] && !done[p] { hi[p] } else { None }))
}
