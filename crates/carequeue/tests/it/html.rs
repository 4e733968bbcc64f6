//! The HTML report opens in headless Chromium with no console errors.
//!
//! Chromium (Debian's `chromium`) must be installed: `.ci/run` installs it.
//! Outside CI the test warns and passes when it is missing; with `CI` set it
//! fails.

use std::process::Command;

use crate::support::{BIN, repo};

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

/// Opens `page` in headless Chromium and returns its DOM, after checking
/// that the page is self-contained and logs nothing to the console; `None`
/// when Chromium is not installed outside CI.
fn open_in_chromium(dir: &std::path::Path, page: &std::path::Path) -> Option<String> {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but Chromium is not installed (apt-get install chromium)"
        );
        eprintln!("warning: Chromium not installed; the HTML test is skipped");
        return None;
    };
    let html = std::fs::read_to_string(page).unwrap();
    assert!(
        !html.contains("<script") && !html.contains("http://") && !html.contains("https://"),
        "the page must be self-contained"
    );
    let profile = dir.join("chromium-profile");
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log = String::from_utf8_lossy(&output.stderr);
    let console: Vec<&str> =
        log.lines().filter(|l| l.contains("CONSOLE") || l.contains("Uncaught")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// Lays `page` out in Chromium at `width` CSS pixels and lists what does
/// not fit: a page that scrolls sideways, an element whose content is wider
/// than its box, a chart's legend outside its drawing. A wrapper page (with
/// the only script, the measuring one) holds the report in a frame.
pub(crate) fn layout_problems(
    dir: &std::path::Path,
    page: &std::path::Path,
    width: u32,
) -> Option<String> {
    let Some(browser) = chromium() else {
        assert!(std::env::var_os("CI").is_none(), "CI is set but Chromium is not installed");
        return None;
    };
    let wrapper = dir.join(format!("measure-{width}.html"));
    std::fs::write(
        &wrapper,
        format!(
            r#"<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="{}" style="width:{width}px;height:900px;border:0"></iframe><pre id="out">not measured</pre>
<script>
document.getElementById("f").addEventListener("load", function () {{
  var d = this.contentDocument, found = [], root = d.documentElement;
  if (root.scrollWidth > root.clientWidth + 1) found.push("the page scrolls sideways: " + root.scrollWidth + " > " + root.clientWidth);
  d.querySelectorAll("body *").forEach(function (e) {{
    if (e.closest("svg")) return;
    if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0) found.push(e.tagName + " '" + e.textContent.slice(0, 40) + "': " + e.scrollWidth + " > " + e.clientWidth);
    if (e.tagName == "TABLE" && e.getBoundingClientRect().right > root.clientWidth + 1) found.push("TABLE '" + e.textContent.slice(0, 40) + "' ends past the page: " + e.getBoundingClientRect().right + " > " + root.clientWidth);
  }});
  d.querySelectorAll("svg").forEach(function (svg) {{
    var box = svg.getBoundingClientRect();
    svg.querySelectorAll("text").forEach(function (t) {{
      var b = t.getBoundingClientRect();
      if (b.left < box.left - 1 || b.right > box.right + 1 || b.top < box.top - 1 || b.bottom > box.bottom + 1) found.push("svg text '" + t.textContent + "' outside its chart");
    }});
  }});
  document.getElementById("out").textContent = found.length ? found.join("\n") : "fits";
}});
</script></body></html>"#,
            page.file_name().unwrap().to_string_lossy()
        ),
    )
    .unwrap();
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            "--virtual-time-budget=10000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", dir.join("chromium-measure").display()))
        .arg(format!("file://{}", wrapper.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    let start = dom.find("<pre id=\"out\">")? + "<pre id=\"out\">".len();
    let end = dom[start..].find("</pre>")? + start;
    Some(dom[start..end].to_owned())
}

/// Prints `page` to PDF in headless Chromium, without header or footer.
fn print_to_pdf(dir: &std::path::Path, page: &std::path::Path) -> Vec<u8> {
    let browser = chromium().expect("Chromium, as the caller checked");
    let pdf = page.with_extension("pdf");
    let output = Command::new(browser)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"])
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("--user-data-dir={}", dir.join("chromium-print").display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    std::fs::read(&pdf).unwrap()
}

#[test]
fn the_html_report_opens_in_chromium_without_console_errors() {
    let dir = tempfile::tempdir().unwrap();
    let plan = repo().join("examples/small-plan.ndjson");
    let status = Command::new(BIN)
        .args(["ingest", "--db", "l.db"])
        .arg(&plan)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(status.status.success());
    let report = dir.path().join("report.html");
    let output = Command::new(BIN)
        .args([
            "report",
            "--db",
            "l.db",
            "--rules",
            "ca-dmhc",
            "--by",
            "clinic,month",
            "--format",
            "html",
            "--out",
        ])
        .arg(&report)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let Some(dom) = open_in_chromium(dir.path(), &report) else { return };
    assert!(dom.contains("Rate of compliance by month"), "the charts did not render");
    assert_eq!(dom.matches("<svg").count(), 5, "five charts");
    assert!(dom.contains("Integrity findings"));
    // What a compliance officer files: rates network by network, the
    // methods with every standard's source, a sign-off block.
    for section in [
        "Rates by network",
        "Methods",
        "28 CCR 1300.67.2.2",
        "Sign-off",
        // Urgent waits in hours, the others in days; sample sizes by month;
        // the failing requests, the third next available as a table.
        "standards counted in hours",
        "standards counted in days",
        "<span class=\"n\">n=",
        "Appendix: failing requests",
        "<th>worst day</th>",
    ] {
        assert!(dom.contains(section), "no {section:?} in the report");
    }
    // It fits a 1280-pixel screen and a narrower window: nothing scrolls
    // sideways, no text overflows its cell, every legend is in its chart.
    for width in [1280, 800] {
        let problems = layout_problems(dir.path(), &report, width).unwrap();
        assert_eq!(problems, "fits", "at {width} px");
    }
    // Printed: the print styles applied on A4 (about 680 CSS pixels between
    // 1.5 cm margins; Letter is wider).
    let html = std::fs::read_to_string(&report).unwrap();
    let printed = dir.path().join("printed.html");
    std::fs::write(&printed, html.replace("@media print", "@media all")).unwrap();
    assert_eq!(layout_problems(dir.path(), &printed, 680).unwrap(), "fits", "printed on A4");
    // And printed to PDF on Letter (Chromium's default) and on A4.
    let a4 = dir.path().join("a4.html");
    std::fs::write(&a4, html.replacen("<style>", "<style>@page{size:A4}", 1)).unwrap();
    for (page, paper, media_box) in
        [(&report, "Letter", "[0 0 612 792]"), (&a4, "A4", "[0 0 594.95996 841.91998]")]
    {
        let pdf = print_to_pdf(dir.path(), page);
        let text: String = pdf.iter().map(|&b| char::from(b)).collect();
        let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
        assert!(text.contains(&format!("/MediaBox {media_box}")), "{paper}: not {media_box}");
        assert!(pages >= 2, "{paper}: {pages} pages");
    }
    // A plan's page, each network under its own rule set, fits too.
    std::fs::write(
        dir.path().join("plan.toml"),
        "name = \"Two coasts (synthetic)\"\ndefault_rules = \"ca-dmhc\"\n[[network]]\nid = \"east\"\nrules = \"us-qhp\"\n",
    )
    .unwrap();
    let planned = dir.path().join("plan.html");
    let output = Command::new(BIN)
        .args(["report", "--db", "l.db", "--plan", "plan.toml", "--by", "clinic,month"])
        .args(["--format", "html", "--out"])
        .arg(&planned)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    open_in_chromium(dir.path(), &planned).unwrap();
    for width in [1280, 800] {
        assert_eq!(
            layout_problems(dir.path(), &planned, width).unwrap(),
            "fits",
            "plan at {width} px"
        );
    }
}

#[test]
fn the_html_staffing_plan_opens_in_chromium_without_console_errors() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("small.toml"), crate::plan::SMALL).unwrap();
    let page = dir.path().join("plan.html");
    let output = Command::new(BIN)
        .args([
            "plan",
            "staff",
            "--scenario",
            "small.toml",
            "--years",
            "2",
            "--format",
            "html",
            "--out",
        ])
        .arg(&page)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let Some(dom) = open_in_chromium(dir.path(), &page) else { return };
    assert!(dom.contains("Compliance against therapists"), "the charts did not render");
    assert_eq!(dom.matches("<svg").count(), 4, "a curve per provider type and the projection");
    assert!(dom.contains("expected worst rate"));
}
