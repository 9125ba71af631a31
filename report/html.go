package report

import (
	"bytes"
	"fmt"
	"html/template"
	"path/filepath"
	"regexp"
	"strings"

	"hepflow/internal/atomicfile"
)

// Status marks a metric or table cell: StatusOK, StatusWarn or StatusFail
// (empty: neutral).
type Status string

// Statuses.
const (
	StatusOK   Status = "ok"
	StatusWarn Status = "warn"
	StatusFail Status = "fail"
)

// Image is a figure saved as PNG (shown) and SVG (linked), both given by
// file name relative to the report directory.
type Image struct {
	PNG     string
	SVG     string
	Caption string
}

// Cell is one table cell.
type Cell struct {
	Text   string
	Status Status
}

// Table is a plain table with a header row.
type Table struct {
	Header []string
	Rows   [][]Cell
}

// Metric is one line of the summary table.
type Metric struct {
	Name   string
	Value  string
	Note   string
	Status Status
}

// Section is one check: a title, one sentence on how to read it, and
// optionally a table and figures.
type Section struct {
	ID        string
	Title     string
	HowToRead string
	Table     *Table
	Images    []Image
}

// Report is the whole page: the summary table comes first, then one
// section per check.
type Report struct {
	Title    string
	Subtitle string
	Summary  []Metric
	Sections []Section
}

// HTMLName is the file name of the report page.
const HTMLName = "report.html"

var idChars = regexp.MustCompile(`[^a-z0-9-]+`)

func anchor(s string) string {
	return strings.Trim(idChars.ReplaceAllString(strings.ToLower(s), "-"), "-")
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{"anchor": anchor}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1400px; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.1em; }
.subtitle { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.92em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ok { background: #e6f4e6; }
.warn { background: #fff4d6; }
.fail { background: #fbe0e0; }
.how { color: #444; font-style: italic; }
.figs { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
nav ul { columns: 3; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
{{if .Subtitle}}<p class="subtitle">{{.Subtitle}}</p>{{end}}
<h2 id="summary">Summary</h2>
<table class="summary">
<tr><th>metric</th><th>value</th><th>note</th></tr>
{{range .Summary}}<tr class="{{.Status}}"><td>{{.Name}}</td><td class="num">{{.Value}}</td><td>{{.Note}}</td></tr>
{{end}}</table>
{{if .Sections}}<nav><ul>{{range .Sections}}<li><a href="#{{anchor .ID}}">{{.Title}}</a></li>{{end}}</ul></nav>{{end}}
{{range .Sections}}
<section id="{{anchor .ID}}">
<h2>{{.Title}}</h2>
{{if .HowToRead}}<p class="how">{{.HowToRead}}</p>{{end}}
{{with .Table}}<table>
<tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range .}}<td class="{{.Status}}">{{.Text}}</td>{{end}}</tr>
{{end}}</table>{{end}}
{{if .Images}}<div class="figs">
{{range .Images}}<figure>{{if .SVG}}<a href="{{.SVG}}">{{end}}<img src="{{.PNG}}" alt="{{.Caption}}">{{if .SVG}}</a>{{end}}{{if .Caption}}<figcaption>{{.Caption}}</figcaption>{{end}}</figure>
{{end}}</div>{{end}}
</section>
{{end}}
</body>
</html>
`))

// RenderHTML returns the report page. Every text is escaped by
// html/template; images are referenced by relative path.
func RenderHTML(r Report) ([]byte, error) {
	for i, s := range r.Sections {
		if s.ID == "" {
			r.Sections[i].ID = s.Title
		}
		for _, im := range s.Images {
			for _, f := range []string{im.PNG, im.SVG} {
				if f != "" && (filepath.IsAbs(f) || strings.Contains(f, "..")) {
					return nil, fmt.Errorf("render report: image %q must be a path inside the report folder", f)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, r); err != nil {
		return nil, fmt.Errorf("render report: %w", err)
	}
	return buf.Bytes(), nil
}

// WriteHTML writes dir/report.html atomically.
func WriteHTML(dir string, r Report) error {
	b, err := RenderHTML(r)
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(filepath.Join(dir, HTMLName), b)
}
