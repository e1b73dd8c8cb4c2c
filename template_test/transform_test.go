package templatetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// templatePath is the template under test, relative to this package.
const templatePath = "../template.yaml"

// translate is run by python3 with the template's path. It translates the
// template the way cfn-lint does (cfnlint/template/transforms/_sam.py): the
// template parsed with its short-form intrinsics, a local CodeUri replaced by
// an S3 URI (the translator accepts no other), cfn-lint's managed policy map,
// a fake region and account, passthrough_metadata. What it does not copy is
// cfn-lint's substitution of parameter defaults for Refs when
// AWS::LanguageExtensions is declared: that is a linting shortcut, not what
// CloudFormation does, and it would hide which values come from parameters.
// It prints the parsed source and the transformed template as one JSON object.
const translate = `
import copy, json, os, sys
try:
    from samtranslator.parser import parser
    from samtranslator.public.exceptions import InvalidDocumentException
    from samtranslator.translator.translator import Translator
    from samtranslator.yaml_helper import yaml_parse
except ImportError as e:
    sys.stderr.write("cannot import samtranslator: %s\n" % e)
    sys.exit(3)
try:
    from cfnlint.data import Serverless
    from cfnlint.helpers import load_resource
    policies = load_resource(Serverless, "ManagedPolicies.json")
except Exception:
    policies = {}
with open(sys.argv[1]) as f:
    source = yaml_parse(f.read())
sam = copy.deepcopy(source)
for r in sam.get("Resources", {}).values():
    if r.get("Type") == "AWS::Serverless::Function" and isinstance(r.get("Properties"), dict):
        r["Properties"]["CodeUri"] = "s3://bucket/value"
try:
    out = Translator(managed_policy_map=policies, sam_parser=parser.Parser()).translate(
        sam_template=sam,
        parameter_values={"AWS::Region": "us-east-1", "AWS::AccountId": "123456789012"},
        passthrough_metadata=True,
    )
except InvalidDocumentException as e:
    sys.stderr.write("the SAM translator refused the template:\n" + "\n".join(c.message for c in e.causes) + "\n")
    sys.exit(1)
json.dump({"source": source, "transformed": out}, sys.stdout)
`

// Template is template.yaml as written (Source) and as CloudFormation
// receives it after the SAM transform (Out).
type Template struct {
	Source map[string]any `json:"source"`
	Out    map[string]any `json:"transformed"`
}

var (
	loadOnce sync.Once
	loaded   *Template
	loadErr  error
)

// load translates the template once per test binary and hands each caller
// its own copy, so that a test may change it.
func load(t *testing.T) *Template {
	t.Helper()
	loadOnce.Do(func() { loaded, loadErr = runTranslator(templatePath) })
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded.clone()
}

func runTranslator(path string) (*Template, error) {
	pythons := interpreters()
	if len(pythons) == 0 {
		return nil, errors.New("python3 is not installed: these tests transform template.yaml with the SAM translator " +
			"(the Python package samtranslator), as cfn-lint does; install Python 3, then `pip install cfn-lint`, which installs samtranslator")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, python := range pythons {
		cmd := exec.Command(python, "-c", translate, abs)
		cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1", "PYTHONIOENCODING=utf-8")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err = cmd.Run()
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit) && exit.ExitCode() == 3:
			missing = append(missing, python+": "+strings.TrimSpace(stderr.String()))
			continue
		case err != nil:
			return nil, fmt.Errorf("transforming %s with the SAM translator (%s): %v\n%s", path, python, err, stderr.String())
		}
		var tpl Template
		if err := json.Unmarshal(stdout.Bytes(), &tpl); err != nil {
			return nil, fmt.Errorf("reading the SAM translator's output: %v", err)
		}
		if tpl.Out == nil || tpl.Source == nil {
			return nil, errors.New("the SAM translator printed no template")
		}
		return &tpl, nil
	}
	return nil, fmt.Errorf("the SAM translator (Python package samtranslator) is missing: `pip install cfn-lint` installs it\n%s",
		strings.Join(missing, "\n"))
}

// interpreters are the Pythons that may have samtranslator: the one cfn-lint
// runs with when its script names it (a pipx or virtualenv install), then
// python3.
func interpreters() []string {
	var out []string
	if lint, err := exec.LookPath("cfn-lint"); err == nil {
		if b, err := os.ReadFile(lint); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if py, ok := strings.CutPrefix(first, "#!"); ok {
				if f := strings.Fields(py); len(f) > 0 && strings.Contains(filepath.Base(f[0]), "python") {
					out = append(out, f[0])
				}
			}
		}
	}
	if py, err := exec.LookPath("python3"); err == nil && !slices.Contains(out, py) {
		out = append(out, py)
	}
	return out
}

func (t *Template) clone() *Template {
	b, err := json.Marshal(t)
	if err != nil {
		panic(err)
	}
	var c Template
	if err := json.Unmarshal(b, &c); err != nil {
		panic(err)
	}
	return &c
}
