package report

import (
	"fmt"
	"html/template"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/opentid/opentid/conformance"
	"github.com/opentid/opentid/spec"
)

// htmlFailure is a failure with what the report shows next to it.
type htmlFailure struct {
	conformance.Failure
	ReqText  string
	Exchange *conformance.Exchange
}

type htmlCase struct {
	conformance.CaseResult
	Items []htmlFailure
}

type htmlData struct {
	Res   *conformance.Result
	Cases []htmlCase // the cases that did not pass, skip or stay disabled
	Other []conformance.CaseResult
}

// WriteHTML writes a self-contained report.html: no script, no external
// resource. Each failure shows the requirement it breaks, what was
// expected and what came, the request and response (secrets redacted)
// and a curl command that replays the request.
func WriteHTML(w io.Writer, res *conformance.Result) error {
	d := htmlData{Res: res}
	for _, c := range res.Cases {
		if c.Status != conformance.StatusFail && c.Status != conformance.StatusError {
			d.Other = append(d.Other, c)
			continue
		}
		hc := htmlCase{CaseResult: c}
		for _, f := range c.Failures {
			item := htmlFailure{Failure: f}
			if r, ok := spec.RequirementByID(f.Requirement); ok {
				item.ReqText = r.Text
			}
			if f.Exchange >= 0 && f.Exchange < len(c.Exchanges) {
				item.Exchange = &c.Exchanges[f.Exchange]
			}
			hc.Items = append(hc.Items, item)
		}
		d.Cases = append(d.Cases, hc)
	}
	return htmlTemplate.Execute(w, d)
}

// headerText renders headers as lines, sorted.
func headerText(h http.Header) string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var sb strings.Builder
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(&sb, "%s: %s\n", k, v)
		}
	}
	return sb.String()
}

var htmlTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"headers": headerText,
	"statusText": func(code int) string {
		return fmt.Sprintf("%d %s", code, http.StatusText(code))
	},
	"reqText": func(id spec.ReqID) string {
		r, _ := spec.RequirementByID(id)
		return r.Text
	},
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Res.Suite}}: {{.Res.Status}}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: .3em .6em; text-align: left; vertical-align: top; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.pass { color: #17702b; } .fail { color: #b00020; } .error { color: #a35200; } .skip, .disabled { color: #666; }
.case { border-left: 4px solid #b00020; padding-left: 1em; margin: 2em 0; }
.case.error { border-color: #a35200; }
blockquote { border-left: 3px solid #999; margin: .5em 0; padding-left: 1em; color: #444; }
</style>
</head>
<body>
<h1>{{.Res.Suite}} <span class="{{.Res.Status}}">{{.Res.Status}}</span></h1>
<table>
<tr><th>Product base URL</th><td>{{.Res.Config.BaseURL}}</td></tr>
<tr><th>Claimed classes</th><td>{{range $i, $c := .Res.Config.Classes}}{{if $i}}, {{end}}{{$c}}{{end}}</td></tr>
<tr><th>Specification</th><td>OpenTID {{.Res.SpecVersion}} (NGSI-LD {{.Res.NGSILDVersion}})</td></tr>
<tr><th>Suite</th><td>{{.Res.SuiteVersion}}{{with .Res.SuiteRevision}} ({{.}}){{end}}</td></tr>
<tr><th>Run</th><td>{{.Res.RunID}}, {{.Res.Start.Format "2006-01-02 15:04:05 MST"}} to {{.Res.Stop.Format "15:04:05"}}</td></tr>
<tr><th>Tenant</th><td>{{with .Res.Config.Tenant}}{{.}}{{else}}default{{end}}</td></tr>
</table>

<h2>Summary by class</h2>
<table>
<tr><th>Class</th><th>Claimed</th><th>Pass</th><th>Fail</th><th>Skip</th><th>Disabled</th><th>Error</th></tr>
{{range .Res.Classes}}{{if or .Counts.Pass .Counts.Fail .Counts.Skip .Counts.Disabled .Counts.Error}}
<tr><td>{{.Name}}</td><td>{{if .Claimed}}yes{{else}}no{{end}}</td><td>{{.Counts.Pass}}</td><td>{{.Counts.Fail}}</td><td>{{.Counts.Skip}}</td><td>{{.Counts.Disabled}}</td><td>{{.Counts.Error}}</td></tr>
{{end}}{{end}}
<tr><th>total</th><td></td><th>{{.Res.Counts.Pass}}</th><th>{{.Res.Counts.Fail}}</th><th>{{.Res.Counts.Skip}}</th><th>{{.Res.Counts.Disabled}}</th><th>{{.Res.Counts.Error}}</th></tr>
</table>
{{with .Res.Cleanup}}<p class="error">Not cleaned up:</p><ul>{{range .}}<li>{{.}}</li>{{end}}</ul>{{end}}

{{if .Cases}}<h2>Failures and errors</h2>{{end}}
{{range .Cases}}
<div class="case {{.Status}}">
<h3 id="{{.ID}}"><span class="{{.Status}}">{{.Status}}</span> {{.ID}}: {{.Title}}</h3>
<p>Covers: {{range $i, $r := .Covers}}{{if $i}}, {{end}}{{$r}}{{end}}</p>
{{with .Message}}<pre>{{.}}</pre>{{end}}
{{range .Items}}
<h4>{{.Message}}</h4>
{{with .Requirement}}<p>Requirement <strong>{{.}}</strong>:</p>{{end}}
{{with .ReqText}}<blockquote>{{.}}</blockquote>{{end}}
<table>
{{with .Expected}}<tr><th>Expected</th><td><pre>{{.}}</pre></td></tr>{{end}}
{{with .Got}}<tr><th>Got</th><td><pre>{{.}}</pre></td></tr>{{end}}
</table>
{{with .Exchange}}
<p>Request</p>
<pre>{{.Method}} {{.URL}}
{{headers .RequestHeader}}
{{.RequestBody}}</pre>
<p>Response{{with .Error}} (transport error: {{.}}){{end}}</p>
<pre>{{if .Status}}{{statusText .Status}}
{{headers .ResponseHeader}}
{{.ResponseBody}}{{end}}</pre>
<p>Replay</p>
<pre>{{.Curl}}</pre>
{{end}}
{{end}}
{{if .Exchanges}}<details><summary>Full transcript of the case ({{len .Exchanges}} exchanges)</summary>
{{range .Exchanges}}<pre>{{.Method}} {{.URL}} → {{if .Status}}{{statusText .Status}}{{else}}{{.Error}}{{end}}
{{.Curl}}</pre>{{end}}
</details>{{end}}
</div>
{{end}}

<h2>Other cases</h2>
<table>
<tr><th>Case</th><th>Status</th><th>Requirements</th><th>Note</th></tr>
{{range .Other}}<tr><td>{{.ID}}</td><td class="{{.Status}}">{{.Status}}</td><td>{{range $i, $r := .Covers}}{{if $i}}<br>{{end}}{{$r}}{{end}}</td><td>{{.Message}}</td></tr>
{{end}}
</table>

<h2>Requirements</h2>
<table>
<tr><th>Requirement</th><th>Level</th><th>Verdict</th><th>Cases</th></tr>
{{range .Res.Requirements}}<tr><td title="{{reqText .ID}}">{{.ID}}</td><td>{{.Level}}</td><td class="{{.Status}}">{{if .Untestable}}untestable{{else}}{{.Status}}{{end}}</td><td>{{range $i, $c := .Cases}}{{if $i}}<br>{{end}}{{$c}}{{end}}{{with .Untestable}}{{.}}{{end}}</td></tr>
{{end}}
</table>
</body>
</html>
`))
