package main

import (
	"context"
	"encoding/json"
	"hepflow/workflow/demo"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// findChromium returns the headless browser, or "" without one; with
// HEPFLOW_REQUIRE_CHROMIUM=1 (CI installs it) a missing browser fails the
// test.
func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("HEPFLOW_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("HEPFLOW_REQUIRE_CHROMIUM=1 but no chromium on PATH (apt-get install chromium)")
	}
	return ""
}

// imageCheck is appended to a copy of report.html: once the page has
// loaded, it lists every image with its natural size (0 = failed to load)
// in a <pre> that --dump-dom prints.
const imageCheck = `<script>
window.addEventListener("load", function () {
  var out = [];
  for (var img of document.images) {
    out.push((img.complete && img.naturalWidth > 0 ? "OK " : "BROKEN ") + img.naturalWidth + "x" + img.naturalHeight + " " + img.getAttribute("src"));
  }
  var pre = document.createElement("pre");
  pre.id = "imagecheck";
  pre.textContent = "IMAGES " + document.images.length + "\n" + out.join("\n") + "\nEND";
  document.body.appendChild(pre);
});
</script>
`

// renderImages loads dir/report.html (plus extra markup) in headless
// Chromium and returns the image lines the check script wrote.
func renderImages(t *testing.T, browser, dir, extra string) []string {
	t.Helper()
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := strings.Replace(string(page), "</body>", extra+imageCheck+"</body>", 1)
	check := filepath.Join(dir, "imagecheck.html")
	if err := os.WriteFile(check, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(check)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--user-data-dir="+t.TempDir(),
		"--virtual-time-budget=10000", "--dump-dom", "file://"+check)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	dom, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`(?s)<pre id="imagecheck">IMAGES (\d+)\n(.*?)\nEND</pre>`).FindSubmatch(dom)
	if m == nil {
		t.Fatalf("the image check did not run; chromium printed %d bytes of DOM\n%s", len(dom), stderr.String())
	}
	lines := strings.Split(string(m[2]), "\n")
	if n, _ := strconv.Atoi(string(m[1])); n != len(lines) || n == 0 {
		t.Fatalf("image check saw %s images, listed %d", m[1], len(lines))
	}
	return lines
}

// TestDemoReportInBrowser runs the demo (shortened training) and checks its
// headline numbers, summary.json and that every image of its report loads
// in a real browser; a deliberately missing image proves the check can fail.
func TestDemoReportInBrowser(t *testing.T) {
	browser := findChromium(t)
	dir := filepath.Join(t.TempDir(), "demo")
	stdout, stderr, code := hepflow(t, "demo", "--out", dir, "--epochs", "25", "--threads", "2")
	if code != 0 {
		t.Fatalf("demo: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"chi2 p", "m_bb", "classifier two-sample test: accuracy", "anomaly detection, -log p(x): AUC", "latent check", "report.html"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var sum struct {
		Validation demo.Headline `json:"validation"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	v := sum.Validation
	if len(v.Compare.Features) != 18 || v.Compare.C2ST == nil || v.Compare.C2ST.NTest < 500 || len(v.Compare.Cuts) != 2 ||
		v.Anomaly.NSignal != 2924 || !(v.Anomaly.AUC > 0 && v.Anomaly.AUC < 1) || v.Latent.Dim != 18 || v.Latent.Rows < 500 {
		t.Errorf("demo validation summary: %+v", v)
	}
	report := filepath.Join(dir, "report")
	checkReportFiles(t, report)
	page, _ := os.ReadFile(filepath.Join(report, "report.html"))
	for _, want := range []string{"Per-feature distributions", "Correlations", "2D: lepton_pT vs m_lv", "After the cut m_bb",
		"Classifier two-sample test and density ratio", "anomaly score -log p(x)", "Latent space"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("demo report lacks the section %q", want)
		}
	}
	if browser == "" {
		t.Skip("no chromium on PATH: report files checked, rendering not")
	}
	lines := renderImages(t, browser, report, `<img src="no-such-figure.png">`)
	var ok int
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "OK "):
			ok++
		case !strings.HasSuffix(l, " no-such-figure.png"):
			t.Errorf("image did not load: %s", l)
		}
	}
	if ok != len(lines)-1 || !strings.HasPrefix(lines[len(lines)-1], "BROKEN ") {
		t.Errorf("%d of %d images loaded; the missing one must be the only BROKEN:\n%s", ok, len(lines), strings.Join(lines, "\n"))
	}
	t.Logf("%d report images rendered in %s", ok, browser)
}
