//! Golden values from `docs/sources.md`, an independent check for
//! hundreds of servers, and properties.

use proptest::prelude::*;

use crate::*;

/// The golden values are printed to six decimals.
#[track_caller]
fn close(what: &str, got: f64, want: f64) {
    assert!((got - want).abs() <= 5.1e-7, "{what}: got {got:.9}, want {want}");
}

/// λ, μ, c, P(wait), Wq, Lq and pairs (t, P(Wq > t)).
type GoldenRow = (f64, f64, u32, f64, f64, f64, &'static [(f64, f64)]);

#[test]
fn erlang_c_golden_values() {
    // From §2.
    let table: &[GoldenRow] = &[
        (9.0, 1.0, 10, 0.668732, 0.668732, 6.018584, &[(0.5, 0.405606), (1.0, 0.246013)]),
        (8.0, 1.0, 10, 0.409180, 0.204590, 1.636721, &[(0.5, 0.150529)]),
        (2.0, 1.0, 3, 0.444444, 0.444444, 0.888889, &[(0.5, 0.269569)]),
        (0.9, 1.0, 1, 0.9, 9.0, 8.1, &[(1.0, 0.814354)]),
        (95.0, 1.0, 100, 0.506457, 0.101291, 9.622680, &[(0.1, 0.307182)]),
    ];
    for &(lambda, mu, c, p_wait, wq, lq, tails) in table {
        let q = Mmc::new(lambda, mu, c).unwrap();
        let name = format!("λ={lambda} μ={mu} c={c}");
        close(&format!("{name} P(wait)"), q.p_wait(), p_wait);
        close(&format!("{name} Wq"), q.mean_wait(), wq);
        close(&format!("{name} Lq"), q.mean_queue(), lq);
        close(&format!("{name} W"), q.mean_response(), wq + 1.0 / mu);
        for &(t, p) in tails {
            close(&format!("{name} P(Wq > {t})"), q.p_wait_longer(t), p);
            // The quantile inverts the tail.
            close(&format!("{name} quantile"), q.wait_quantile(1.0 - q.p_wait_longer(t)), t);
        }
    }
    // pyworkforce's ErlangC(transactions=9, aht=60, interval=60).
    let q = Mmc::new(9.0, 1.0, 10).unwrap();
    assert!((q.p_wait() - 0.668731524).abs() < 1e-9);
    assert!((q.p_wait_longer(0.5) - 0.405606172).abs() < 1e-9);
}

#[test]
fn priority_classes_golden_values() {
    // λ urgent 2, routine 7, μ 1, c 10: Wq 0.0836 and 0.8359 (§1).
    let waits = priority_mean_waits(&[2.0, 7.0], 1.0, 10).unwrap();
    assert!((waits[0] - 0.0836).abs() < 5e-5, "{waits:?}");
    assert!((waits[1] - 0.8359).abs() < 5e-5, "{waits:?}");
    // One class is plain M/M/c; the classes' waits average to it.
    let one = priority_mean_waits(&[9.0], 1.0, 10).unwrap();
    close("one class", one[0], 0.668732);
    close("conservation", (2.0 * waits[0] + 7.0 * waits[1]) / 9.0, 0.668732);
}

#[test]
fn single_server_forms_reduce_to_m_m_1() {
    // M/M/1 at ρ = 0.9, E[S] = 1: Wq = ρ/(μ − λ) = 9.
    close("P-K, exponential service", pollaczek_khinchine(0.9, 1.0, 1.0).unwrap(), 9.0);
    close(
        "P-K, deterministic service (M/D/1 is half)",
        pollaczek_khinchine(0.9, 1.0, 0.0).unwrap(),
        4.5,
    );
    close("Kingman, c_a = c_s = 1", kingman(0.9, 1.0, 1.0, 1.0).unwrap(), 9.0);
    close("Kingman, M/D/1", kingman(0.9, 1.0, 1.0, 0.0).unwrap(), 4.5);
    close("Allen-Cunneen, c_a = c_s = 1", allen_cunneen(9.0, 1.0, 10, 1.0, 1.0).unwrap(), 0.668732);
    close("Allen-Cunneen, halved", allen_cunneen(9.0, 1.0, 10, 1.0, 0.0).unwrap(), 0.334366);
}

#[test]
fn waiting_list_golden_values() {
    close("load(30, 27)", queue_load(30.0, 27.0).unwrap(), 1.111111);
    close("target mean wait(52, 4)", target_mean_wait(52.0, 4.0).unwrap(), 13.0);
    close("target queue size(30, 52)", target_queue_size(30.0, 52.0, 4.0).unwrap(), 390.0);
    close("target queue size(30, 50)", target_queue_size(30.0, 50.0, 4.0).unwrap(), 375.0);
    close("target queue size(30, 50, 6)", target_queue_size(30.0, 50.0, 6.0).unwrap(), 250.0);
    close(
        "relief capacity(30, 1200, 390, 26)",
        relief_capacity(30.0, 1200.0, 390.0, 26.0, 0.0, 0.0).unwrap(),
        61.153846,
    );
    close(
        "target capacity(30, 52, 3, 1.1, 1.2)",
        target_capacity(30.0, 52.0, 3.0, 1.1, 1.2).unwrap(),
        30.076442,
    );
    close("pressure(63, 52)", waiting_list_pressure(63.0, 52.0).unwrap(), 2.423077);
    close("pressure(24, 4)", waiting_list_pressure(24.0, 4.0).unwrap(), 12.0);
    // With referrals and variable demand, demand is first raised:
    // x = 2·30·0.5/√3600 = 0.5, so demand 60, plus 810/26.
    close(
        "relief capacity with variable demand",
        relief_capacity(30.0, 1200.0, 390.0, 26.0, 3600.0, 0.5).unwrap(),
        60.0 + 810.0 / 26.0,
    );
}

/// Erlang C from the factorial formula in log space, independently of the
/// recursion: C = [aᶜ/c!·c/(c−a)] / [Σ_{k<c} aᵏ/k! + aᶜ/c!·c/(c−a)].
fn erlang_c_by_logs(c: u32, a: f64) -> f64 {
    let log_term = |k: u32| f64::from(k) * a.ln() - (1..=k).map(|i| f64::from(i).ln()).sum::<f64>();
    let log_top = log_term(c) + (f64::from(c) / (f64::from(c) - a)).ln();
    let max = (0..c).map(log_term).fold(log_top, f64::max);
    let sum: f64 = (0..c).map(|k| (log_term(k) - max).exp()).sum();
    let top = (log_top - max).exp();
    top / (sum + top)
}

#[test]
fn hundreds_and_thousands_of_servers_stay_exact() {
    for (c, a) in [(100, 95.0), (300, 290.0), (800, 760.0), (2000, 1990.0), (5000, 4000.0)] {
        let q = Mmc::new(a, 1.0, c).unwrap();
        let want = erlang_c_by_logs(c, a);
        assert!(
            (q.p_wait() - want).abs() < 1e-9 * want.max(1e-300),
            "c={c} a={a}: {} against {want}",
            q.p_wait()
        );
        assert!(q.p_wait().is_finite() && q.mean_wait().is_finite());
    }
}

#[test]
fn fewest_servers_meets_the_target_and_one_fewer_does_not() {
    // 90% answered within 0.5 h at λ = 9, μ = 1: 10 servers give
    // 1 − 0.405606 < 0.9, so more are needed.
    let q = fewest_servers(9.0, 1.0, 0.5, 0.9, 1000).unwrap();
    assert_eq!(q.servers(), 12);
    assert!(1.0 - q.p_wait_longer(0.5) >= 0.9);
    let fewer = Mmc::new(9.0, 1.0, 11).unwrap();
    assert!(1.0 - fewer.p_wait_longer(0.5) < 0.9);
    // A target on P(no wait).
    assert_eq!(fewest_servers(2.0, 1.0, 0.0, 0.5, 100).unwrap().servers(), 3);
    assert_eq!(fewest_servers(9.0, 1.0, 0.5, 0.9, 11), Err(Error::Unreachable { limit: 11 }));
}

#[test]
fn square_root_staffing_rounds_up_and_stays_stable() {
    assert_eq!(square_root_staffing(100.0, 1.0).unwrap(), 110);
    assert_eq!(square_root_staffing(9.0, 0.5).unwrap(), 11);
    assert_eq!(square_root_staffing(9.0, 0.0).unwrap(), 10);
}

#[test]
fn bad_inputs_are_named() {
    let errors = [
        Mmc::new(9.0, 1.0, 9).unwrap_err(),
        Mmc::new(-1.0, 1.0, 9).unwrap_err(),
        Mmc::new(1.0, f64::NAN, 9).unwrap_err(),
        Mmc::new(1.0, 1.0, 0).unwrap_err(),
        kingman(1.0, 1.0, -0.5, 1.0).unwrap_err(),
        pollaczek_khinchine(2.0, 0.5, 1.0).unwrap_err(),
        fewest_servers(9.0, 1.0, 0.5, 1.0, 100).unwrap_err(),
    ];
    let text: String = errors.iter().map(|e| format!("{e}\n")).collect();
    expect_test::expect![[r#"
        the queue is unstable: offered load 9.0000 is not below 9 server(s)
        arrival rate: expected a positive number, found -1
        service rate: expected a positive number, found NaN
        servers: expected at least 1, found 0
        arrival coefficient of variation: expected a number of 0 or more, found -0.5
        the queue is unstable: offered load 1.0000 is not below 1 server(s)
        target probability: expected a probability above 0 and below 1, found 1
    "#]]
    .assert_eq(&text);
}

proptest! {
    #[test]
    fn more_servers_never_wait_longer(a in 0.01f64..500.0, extra in 1u32..50) {
        let c = a.floor() as u32 + 1;
        let q = Mmc::new(a, 1.0, c).unwrap();
        let more = Mmc::new(a, 1.0, c + extra).unwrap();
        prop_assert!((0.0..=1.0).contains(&q.p_wait()));
        prop_assert!(more.p_wait() <= q.p_wait() + 1e-12);
        prop_assert!(more.mean_wait() <= q.mean_wait() + 1e-12);
    }

    #[test]
    fn the_fewest_servers_are_the_fewest(a in 0.1f64..200.0, t in 0.0f64..2.0, p in 0.05f64..0.99) {
        let q = fewest_servers(a, 1.0, t, p, 10_000).unwrap();
        prop_assert!(1.0 - q.p_wait_longer(t) >= p);
        let fewer = q.servers() - 1;
        if f64::from(fewer) > a {
            let f = Mmc::new(a, 1.0, fewer).unwrap();
            prop_assert!(1.0 - f.p_wait_longer(t) < p);
        }
    }
}
