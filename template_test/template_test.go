package templatetest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// A check reads the transformed template and says what is wrong with it.
// The checks never pass vacuously: mutation_test.go breaks the template in
// each way a check guards against and expects the check to say so.
type check func(t *Template) []string

var checks = map[string]check{
	"AlarmTarget":            checkAlarmTarget,
	"DeadLetterAlarms":       checkDeadLetterAlarms,
	"CredentialAlarms":       checkCredentialAlarms,
	"FunctionAlarms":         checkFunctionAlarms,
	"Api5xxAlarm":            checkAPI5xxAlarm,
	"FailedDeliveriesAlarms": checkFailedDeliveriesAlarms,
	"AlarmsSayWhatToDo":      checkAlarmsSayWhatToDo,
	"Dashboard":              checkDashboard,
	"EventSources":           checkEventSources,
	"Queues":                 checkQueues,
	"Table":                  checkTable,
	"Roles":                  checkRoles,
	"Secrets":                checkSecrets,
	"Concurrency":            checkConcurrency,
	"BrazeContract":          checkBrazeContract,
	"PrivateComments":        checkPrivateComments,
}

func TestTemplate(t *testing.T) {
	tpl := load(t)
	names := make([]string, 0, len(checks))
	for name := range checks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			for _, p := range checks[name](tpl) {
				t.Error(p)
			}
		})
	}
}

const (
	namespace = "BrazeZendeskBridge"
	// The SQS event source's smallest ScalingConfig.MaximumConcurrency.
	minConsumers = 2
)

// Zendesk calls a consumer makes a minute at most, per function: a ticket
// costs 2 to 4 calls of about 250 ms each, filed one after another (240);
// a Zendesk -> Braze delivery reads at most 2 resources (480). The
// template's ZendeskPacing mapping must follow this arithmetic.
var callsPerConsumer = map[string]int{"BrazeToZendesk": 240, "ZendeskToBraze": 480}

// alarmTargets are the parameter cases the alarm target is checked under.
var alarmTargets = []map[string]string{
	{"AlarmTopicArn": "", "AlarmEmail": ""},
	{"AlarmTopicArn": "", "AlarmEmail": "ops@example.com"},
	{"AlarmTopicArn": "arn:aws:sns:us-east-1:123456789012:ops", "AlarmEmail": ""},
	{"AlarmTopicArn": "arn:aws:sns:us-east-1:123456789012:ops", "AlarmEmail": "ops@example.com"},
}

// checkAlarmTarget: every alarm notifies exactly one topic, the created one
// or AlarmTopicArn; AlarmEmail subscribes to it; the created topic is
// encrypted with a key CloudWatch may use.
func checkAlarmTarget(t *Template) []string {
	var ps []string
	for _, p := range []string{"AlarmTopicArn", "AlarmEmail"} {
		if d, ok := path(t.Out["Parameters"], p, "Default").(string); !ok || d != "" {
			ps = append(ps, fmt.Sprintf("parameter %s must be optional (Default \"\")", p))
		}
	}
	alarms := t.ofType("AWS::CloudWatch::Alarm")
	if len(alarms) == 0 {
		ps = append(ps, "no alarms")
	}
	topics := t.ofType("AWS::SNS::Topic")
	if len(topics) != 1 {
		return append(ps, fmt.Sprintf("want one SNS topic of the stack's own, found %v", topics))
	}
	topic := topics[0]
	for _, params := range alarmTargets {
		params := t.params(params)
		existing := params["AlarmTopicArn"] != ""
		want := ref(topic)
		if existing {
			want = ref("AlarmTopicArn")
		}
		created, err := t.exists(topic, params)
		if err != nil {
			ps = append(ps, err.Error())
			continue
		}
		if created == existing {
			ps = append(ps, fmt.Sprintf("with AlarmTopicArn=%q the stack creates its topic: %v (want exactly one target)", params["AlarmTopicArn"], created))
		}
		for _, id := range alarms {
			for _, key := range []string{"AlarmActions", "OKActions"} {
				actions, err := t.resolveIf(t.props(id)[key], params)
				if err != nil {
					ps = append(ps, fmt.Sprintf("%s %s: %v", id, key, err))
					continue
				}
				if key == "OKActions" && actions == nil {
					continue
				}
				if !same(actions, []any{want}) {
					ps = append(ps, fmt.Sprintf("%s %s with AlarmTopicArn=%q are %s, want [%s]", id, key, params["AlarmTopicArn"], show(actions), show(want)))
				}
			}
		}
		var subs []string
		for _, id := range t.ofType("AWS::SNS::Subscription") {
			ok, err := t.exists(id, params)
			if err != nil {
				ps = append(ps, err.Error())
			}
			if !ok {
				continue
			}
			subs = append(subs, id)
			p, err := t.resolveIf(t.props(id), params)
			if err != nil {
				ps = append(ps, err.Error())
				continue
			}
			if path(p, "Protocol") != "email" || !same(path(p, "Endpoint"), ref("AlarmEmail")) || !same(path(p, "TopicArn"), want) {
				ps = append(ps, fmt.Sprintf("subscription %s is %s, want email to AlarmEmail on %s", id, show(p), show(want)))
			}
		}
		if wantSubs := params["AlarmEmail"] != ""; wantSubs != (len(subs) == 1) || len(subs) > 1 {
			ps = append(ps, fmt.Sprintf("with AlarmEmail=%q and AlarmTopicArn=%q the subscriptions are %v", params["AlarmEmail"], params["AlarmTopicArn"], subs))
		}
	}
	// CloudWatch cannot use the AWS managed key alias/aws/sns: a topic
	// encrypted with it drops every alarm notification.
	key := t.props(topic)["KmsMasterKeyId"]
	switch {
	case key == nil:
		ps = append(ps, "the alarm topic is not encrypted (KmsMasterKeyId)")
	case strings.Contains(show(key), "aws/sns"):
		ps = append(ps, "the alarm topic uses the AWS managed key alias/aws/sns, which CloudWatch alarms cannot publish with")
	default:
		keyID, _ := asMap(key)["Ref"].(string)
		if path(t.resource(keyID), "Type") != "AWS::KMS::Key" {
			ps = append(ps, fmt.Sprintf("the alarm topic's key %s is not a key of this stack", show(key)))
			break
		}
		if t.resource(keyID)["Condition"] != t.resource(topic)["Condition"] {
			ps = append(ps, fmt.Sprintf("key %s and topic %s are not created under the same condition", keyID, topic))
		}
		granted := false
		for _, s := range asList(path(t.props(keyID), "KeyPolicy", "Statement")) {
			actions := stringsOf(asMap(s)["Action"])
			if asMap(s)["Effect"] == "Allow" && slices.Contains(stringsOf(path(s, "Principal", "Service")), "cloudwatch.amazonaws.com") &&
				slices.Contains(actions, "kms:Decrypt") && slices.Contains(actions, "kms:GenerateDataKey*") {
				granted = true
			}
		}
		if !granted {
			ps = append(ps, fmt.Sprintf("key %s does not let cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey*", keyID))
		}
	}
	return ps
}

// checkDeadLetterAlarms: any message in either dead-letter queue alarms.
func checkDeadLetterAlarms(t *Template) []string {
	var ps []string
	for _, fn := range functions {
		a, p := t.oneAlarm("AWS/SQS", "ApproximateNumberOfMessagesVisible",
			map[string]any{"QueueName": getAtt(fn+"DeadLetterQueue", "QueueName")})
		if p != "" {
			ps = append(ps, p)
			continue
		}
		ps = append(ps, atLeastOne(a)...)
		if !slices.Contains([]any{"Maximum", "Sum", "Average"}, a.props["Statistic"]) {
			ps = append(ps, fmt.Sprintf("%s: statistic %v", a.id, a.props["Statistic"]))
		}
		if !strings.Contains(a.description(), "make redrive FN="+fn) {
			ps = append(ps, fmt.Sprintf("%s does not say to run make redrive FN=%s", a.id, fn))
		}
	}
	return ps
}

// atLeastOne: the alarm fires on a single occurrence (> 0).
func atLeastOne(a alarm) []string {
	th, ok := number(a.props["Threshold"])
	if !ok || th != 0 || a.props["ComparisonOperator"] != "GreaterThanThreshold" {
		return []string{fmt.Sprintf("%s fires on %v %v, want GreaterThanThreshold 0", a.id, a.props["ComparisonOperator"], a.props["Threshold"])}
	}
	return nil
}

// checkCredentialAlarms: a downstream 401/403 (the EMF metric
// CredentialFailures) alarms within 5 minutes, per function.
func checkCredentialAlarms(t *Template) []string {
	var ps []string
	secrets := map[string]string{"BrazeToZendesk": "braze-to-zendesk", "ZendeskToBraze": "zendesk-to-braze"}
	for _, fn := range functions {
		a, p := t.oneAlarm(namespace, "CredentialFailures", map[string]any{"Function": fn})
		if p != "" {
			ps = append(ps, p)
			continue
		}
		ps = append(ps, atLeastOne(a)...)
		period, _ := number(a.props["Period"])
		evals, _ := number(a.props["EvaluationPeriods"])
		if a.props["Statistic"] != "Sum" || period != 300 || evals != 1 {
			ps = append(ps, fmt.Sprintf("%s: %v over %v s x %v, want Sum over one 300 s period", a.id, a.props["Statistic"], a.props["Period"], a.props["EvaluationPeriods"]))
		}
		if a.props["TreatMissingData"] != "notBreaching" {
			ps = append(ps, fmt.Sprintf("%s: TreatMissingData %v, want notBreaching (no metric means no failure)", a.id, a.props["TreatMissingData"]))
		}
		d := a.description()
		if !strings.Contains(d, "make redrive FN="+fn) || !strings.Contains(d, secrets[fn]+" secret") {
			ps = append(ps, fmt.Sprintf("%s does not say to fix the %s secret and run make redrive FN=%s", a.id, secrets[fn], fn))
		}
	}
	return ps
}

// checkFunctionAlarms: Lambda Errors and Throttles, per function.
func checkFunctionAlarms(t *Template) []string {
	var ps []string
	for _, fn := range functions {
		for _, metric := range []string{"Errors", "Throttles"} {
			a, p := t.oneAlarm("AWS/Lambda", metric, map[string]any{"FunctionName": ref(fn + "Function")})
			if p != "" {
				ps = append(ps, p)
				continue
			}
			if a.props["Statistic"] != "Sum" || a.props["ComparisonOperator"] != "GreaterThanThreshold" {
				ps = append(ps, fmt.Sprintf("%s: %v %v, want Sum GreaterThanThreshold", a.id, a.props["Statistic"], a.props["ComparisonOperator"]))
			}
		}
	}
	return ps
}

// checkAPI5xxAlarm: sustained 5xx at the HTTP API's $default stage.
func checkAPI5xxAlarm(t *Template) []string {
	var ps []string
	// The metric's Stage dimension is the stage's name.
	stage := ""
	for _, id := range t.ofType("AWS::ApiGatewayV2::Stage") {
		if same(t.props(id)["ApiId"], ref("HttpApi")) {
			stage, _ = t.props(id)["StageName"].(string)
		}
	}
	if stage != "$default" {
		ps = append(ps, fmt.Sprintf("HttpApi's stage is %q, want $default", stage))
	}
	a, p := t.oneAlarm("AWS/ApiGateway", "5xx", map[string]any{"ApiId": ref("HttpApi"), "Stage": "$default"})
	if p != "" {
		return append(ps, p+" (HTTP API metrics are 4xx and 5xx, with dimensions ApiId and Stage)")
	}
	evals, _ := number(a.props["EvaluationPeriods"])
	dta, ok := number(a.props["DatapointsToAlarm"])
	if !ok {
		dta = evals
	}
	if a.props["Statistic"] != "Sum" || evals < 2 || dta < 2 {
		ps = append(ps, fmt.Sprintf("%s: %v over %v of %v periods, want Sum over several periods (sustained)", a.id, a.props["Statistic"], dta, evals))
	}
	return ps
}

// checkFailedDeliveriesAlarms: Deliveries with Outcome=failed over 15
// minutes, per function.
func checkFailedDeliveriesAlarms(t *Template) []string {
	var ps []string
	for _, fn := range functions {
		a, p := t.oneAlarm(namespace, "Deliveries", map[string]any{"Function": fn, "Outcome": "failed"})
		if p != "" {
			ps = append(ps, p)
			continue
		}
		period, _ := number(a.props["Period"])
		evals, _ := number(a.props["EvaluationPeriods"])
		if a.props["Statistic"] != "Sum" || period*evals != 900 {
			ps = append(ps, fmt.Sprintf("%s: %v over %v s x %v, want Sum over 15 minutes", a.id, a.props["Statistic"], period, evals))
		}
	}
	return ps
}

// checkAlarmsSayWhatToDo: every alarm is named after the stack and
// describes what happened and what to do.
func checkAlarmsSayWhatToDo(t *Template) []string {
	var ps []string
	for _, id := range t.ofType("AWS::CloudWatch::Alarm") {
		a := alarm{id, t.props(id)}
		if !strings.Contains(show(a.props["AlarmName"]), "${AWS::StackName}") {
			ps = append(ps, fmt.Sprintf("%s: AlarmName %s does not name the stack", id, show(a.props["AlarmName"])))
		}
		if d := a.description(); len(d) < 100 {
			ps = append(ps, fmt.Sprintf("%s: AlarmDescription %q is too short to say what happened and what to do", id, d))
		}
		if a.props["TreatMissingData"] != "notBreaching" {
			ps = append(ps, fmt.Sprintf("%s: TreatMissingData %v, want notBreaching", id, a.props["TreatMissingData"]))
		}
	}
	return ps
}

// A dashboard metric row, with Sub references replaced by <<ref>>.
type dashMetric struct {
	namespace, name string
	dims            map[string]string
	stat            string
}

var subRef = regexp.MustCompile(`\$\{([^}!][^}]*)\}`)

// checkDashboard: the dashboard shows the flow of both functions.
func checkDashboard(t *Template) []string {
	var ps []string
	ids := t.ofType("AWS::CloudWatch::Dashboard")
	if len(ids) != 1 {
		return []string{fmt.Sprintf("want one dashboard, found %v", ids)}
	}
	body, ok := path(t.props(ids[0]), "DashboardBody", "Fn::Sub").(string)
	if !ok {
		return []string{"the DashboardBody is not built with Fn::Sub"}
	}
	pseudo := []string{"AWS::Region", "AWS::StackName", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix"}
	for _, m := range subRef.FindAllStringSubmatch(body, -1) {
		name, _, _ := strings.Cut(m[1], ".")
		if !slices.Contains(pseudo, name) && t.resource(name) == nil {
			ps = append(ps, fmt.Sprintf("the dashboard refers to ${%s}, which is no resource of the template", m[1]))
		}
	}
	var doc struct {
		Widgets []struct {
			Type       string         `json:"type"`
			Properties map[string]any `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(subRef.ReplaceAllString(body, "<<$1>>")), &doc); err != nil {
		return append(ps, fmt.Sprintf("the DashboardBody is not JSON: %v", err))
	}
	var metrics []dashMetric
	var expressions []string
	for _, w := range doc.Widgets {
		if w.Type != "metric" {
			continue
		}
		stat, _ := w.Properties["stat"].(string)
		var prev []any
		for _, row := range asList(w.Properties["metrics"]) {
			row := asList(row)
			var opts map[string]any
			if n := len(row); n > 0 {
				if o := asMap(row[n-1]); o != nil {
					opts, row = o, row[:n-1]
				}
			}
			if e, ok := opts["expression"].(string); ok && len(row) == 0 {
				expressions = append(expressions, e)
				continue
			}
			// "." repeats the row above, as CloudWatch reads it.
			for i := range row {
				if row[i] == "." && i < len(prev) {
					row[i] = prev[i]
				}
			}
			prev = row
			if len(row) < 2 || len(row)%2 != 0 {
				ps = append(ps, fmt.Sprintf("dashboard metric row %s is malformed", show(row)))
				continue
			}
			m := dashMetric{namespace: scalar(row[0]), name: scalar(row[1]), dims: map[string]string{}, stat: stat}
			for i := 2; i < len(row); i += 2 {
				m.dims[scalar(row[i])] = scalar(row[i+1])
			}
			if s, ok := opts["stat"].(string); ok {
				m.stat = s
			}
			metrics = append(metrics, m)
		}
	}
	has := func(ns, name string, dims map[string]string, stat string) bool {
		for _, m := range metrics {
			if m.namespace != ns || m.name != name || len(m.dims) != len(dims) || (stat != "" && m.stat != stat) {
				continue
			}
			match := true
			for k, v := range dims {
				if m.dims[k] != v {
					match = false
				}
			}
			if match {
				return true
			}
		}
		return false
	}
	want := func(ns, name string, dims map[string]string, stat string) {
		if !has(ns, name, dims, stat) {
			ps = append(ps, fmt.Sprintf("the dashboard has no %s %s %v %s", ns, name, dims, stat))
		}
	}
	for _, fn := range functions {
		for _, o := range []string{"created", "replayed", "duplicate", "queued", "rejected", "failed", "ignored"} {
			want(namespace, "Deliveries", map[string]string{"Function": fn, "Outcome": o}, "")
		}
		want(namespace, "DownstreamLatency", map[string]string{"Function": fn}, "p50")
		want(namespace, "DownstreamLatency", map[string]string{"Function": fn}, "p99")
		want(namespace, "Retries", map[string]string{"Function": fn}, "")
		for _, o := range []string{"created", "failed", "dropped"} {
			want(namespace, "QueueRedeliveries", map[string]string{"Function": fn, "Outcome": o}, "")
		}
		want(namespace, "CredentialFailures", map[string]string{"Function": fn}, "")
		// Which deployments still call Zendesk with an API token, to
		// migrate before Zendesk switches API tokens off.
		want(namespace, "LegacyZendeskToken", map[string]string{"Function": fn}, "Sum")
		// The Status values are open-ended (codes and classes): a search
		// over the Function and Status dimensions shows each.
		status := false
		for _, e := range expressions {
			if strings.Contains(e, "{"+namespace+",Function,Status}") && strings.Contains(e, `MetricName="DownstreamStatus"`) && strings.Contains(e, `Function="`+fn+`"`) {
				status = true
			}
		}
		if !status {
			ps = append(ps, fmt.Sprintf("the dashboard has no search for DownstreamStatus of %s by Status", fn))
		}
		for _, q := range []string{fn + "RetryQueue", fn + "DeadLetterQueue"} {
			want("AWS/SQS", "ApproximateNumberOfMessagesVisible", map[string]string{"QueueName": "<<" + q + ".QueueName>>"}, "")
		}
		for _, m := range []string{"Errors", "Throttles", "Duration"} {
			want("AWS/Lambda", m, map[string]string{"FunctionName": "<<" + fn + "Function>>"}, "")
		}
	}
	for _, m := range []string{"4xx", "5xx"} {
		want("AWS/ApiGateway", m, map[string]string{"ApiId": "<<HttpApi>>", "Stage": "$default"}, "")
	}
	return ps
}

// checkEventSources: each retry queue feeds its own function, reporting
// partial failures, in batches, paced to ZendeskRequestsPerMinute.
func checkEventSources(t *Template) []string {
	var ps []string
	param := "ZendeskRequestsPerMinute"
	rpms := t.allowed(param)
	if len(rpms) == 0 {
		ps = append(ps, param+" has no AllowedValues (the pacing mapping needs a row for each)")
	}
	if d := scalar(path(t.Out["Parameters"], param, "Default")); !slices.Contains(rpms, d) {
		ps = append(ps, fmt.Sprintf("%s's default %s is not one of its AllowedValues", param, d))
	}
	for _, fn := range functions {
		var esms []string
		for _, id := range t.ofType("AWS::Lambda::EventSourceMapping") {
			if same(t.props(id)["FunctionName"], ref(fn+"Function")) {
				esms = append(esms, id)
			}
		}
		if len(esms) != 1 {
			ps = append(ps, fmt.Sprintf("%s: want one event source mapping, found %v", fn, esms))
			continue
		}
		p := t.props(esms[0])
		if !same(p["EventSourceArn"], getAtt(fn+"RetryQueue", "Arn")) {
			ps = append(ps, fmt.Sprintf("%s consumes %s, want its own retry queue", fn, show(p["EventSourceArn"])))
		}
		if !slices.Contains(stringsOf(p["FunctionResponseTypes"]), "ReportBatchItemFailures") {
			ps = append(ps, fmt.Sprintf("%s's event source does not report batch item failures", fn))
		}
		// BrazeToZendesk's batch depends on TicketDelivery: each branch of
		// an Fn::If on it must hold, pairing batch and window by branch.
		batches, windows := ifBranches(p["BatchSize"]), ifBranches(p["MaximumBatchingWindowInSeconds"])
		if len(batches) != len(windows) {
			ps = append(ps, fmt.Sprintf("%s's BatchSize and MaximumBatchingWindowInSeconds differ in their branches", fn))
			continue
		}
		for b := range batches {
			batch, okBatch := number(batches[b])
			window, okWindow := number(windows[b])
			if !okBatch || batch < 1 {
				ps = append(ps, fmt.Sprintf("%s's event source has no BatchSize", fn))
			}
			if !okWindow || window < 0 {
				ps = append(ps, fmt.Sprintf("%s's event source has no MaximumBatchingWindowInSeconds", fn))
			} else if batch > 10 && window < 1 {
				ps = append(ps, fmt.Sprintf("%s: SQS needs a batching window of at least 1 s for a BatchSize over 10", fn))
			}
		}
		mc := path(p, "ScalingConfig", "MaximumConcurrency")
		if mc == nil {
			ps = append(ps, fmt.Sprintf("%s's event source has no ScalingConfig.MaximumConcurrency", fn))
			continue
		}
		for _, rpm := range rpms {
			v, err := t.findInMap(mc, t.params(map[string]string{param: rpm}))
			if err != nil {
				ps = append(ps, fmt.Sprintf("%s MaximumConcurrency at %s=%s: %v", fn, param, rpm, err))
				continue
			}
			n, _ := number(v)
			r, _ := number(rpm)
			want := max(minConsumers, int(r)/callsPerConsumer[fn])
			if int(n) != want {
				ps = append(ps, fmt.Sprintf("%s MaximumConcurrency at %s=%s is %v, want max(2, %s/%d) = %d", fn, param, rpm, v, rpm, callsPerConsumer[fn], want))
			}
		}
	}
	return ps
}

// checkQueues: encrypted queues, each retry queue backed by its own
// dead-letter queue after MaxReceiveCount, and a visibility timeout of at
// least six times its consumer's timeout plus the batching window.
func checkQueues(t *Template) []string {
	var ps []string
	for _, fn := range functions {
		for _, q := range []string{fn + "RetryQueue", fn + "DeadLetterQueue"} {
			p := t.props(q)
			if p == nil {
				ps = append(ps, "no queue "+q)
				continue
			}
			if p["SqsManagedSseEnabled"] != true && p["KmsMasterKeyId"] == nil {
				ps = append(ps, q+" is not encrypted")
			}
		}
		p := t.props(fn + "RetryQueue")
		rp := asMap(p["RedrivePolicy"])
		if !same(rp["deadLetterTargetArn"], getAtt(fn+"DeadLetterQueue", "Arn")) {
			ps = append(ps, fmt.Sprintf("%sRetryQueue dead-letters to %s", fn, show(rp["deadLetterTargetArn"])))
		}
		if !same(rp["maxReceiveCount"], ref("MaxReceiveCount")) {
			ps = append(ps, fmt.Sprintf("%sRetryQueue maxReceiveCount is %s, want the MaxReceiveCount parameter", fn, show(rp["maxReceiveCount"])))
		}
		vis, _ := number(p["VisibilityTimeout"])
		timeout, _ := number(t.props(fn + "Function")["Timeout"])
		var window float64
		for _, id := range t.ofType("AWS::Lambda::EventSourceMapping") {
			if same(t.props(id)["FunctionName"], ref(fn+"Function")) {
				window, _ = number(t.props(id)["MaximumBatchingWindowInSeconds"])
			}
		}
		if timeout <= 0 || vis < 6*timeout+window {
			ps = append(ps, fmt.Sprintf("%sRetryQueue VisibilityTimeout %v < 6 x the function's timeout %v + batching window %v", fn, vis, timeout, window))
		}
	}
	return ps
}

// checkTable: the dedupe table is encrypted, on demand, expiring expires_at.
func checkTable(t *Template) []string {
	var ps []string
	p := t.props("DedupeTable")
	if p["BillingMode"] != "PAY_PER_REQUEST" {
		ps = append(ps, fmt.Sprintf("DedupeTable BillingMode %v, want PAY_PER_REQUEST", p["BillingMode"]))
	}
	if path(p, "SSESpecification", "SSEEnabled") != true {
		ps = append(ps, "DedupeTable has no SSESpecification.SSEEnabled")
	}
	if !same(p["TimeToLiveSpecification"], map[string]any{"AttributeName": "expires_at", "Enabled": true}) {
		ps = append(ps, fmt.Sprintf("DedupeTable TTL is %s, want expires_at enabled", show(p["TimeToLiveSpecification"])))
	}
	if !same(p["KeySchema"], []any{map[string]any{"AttributeName": "id", "KeyType": "HASH"}}) {
		ps = append(ps, fmt.Sprintf("DedupeTable key is %s, want id (HASH)", show(p["KeySchema"])))
	}
	return ps
}

// grant is one action on one resource.
type grant struct{ action, resource string }

// wantGrants is everything a function's role may do, and all of it.
func wantGrants(fn string) map[grant]bool {
	out := map[grant]bool{}
	add := func(res any, actions ...string) {
		for _, a := range actions {
			out[grant{a, show(normal(res))}] = true
		}
	}
	add(getAtt(fn+"LogGroup", "Arn"), "logs:CreateLogStream", "logs:PutLogEvents")
	add(ref(fn+"Secret"), "secretsmanager:GetSecretValue")
	// UpdateItem: claims, and the shared budget of Zendesk calls.
	dynamo := []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}
	if fn == "ZendeskToBraze" {
		dynamo = append(dynamo, "dynamodb:ConditionCheckItem")
	}
	add(getAtt("DedupeTable", "Arn"), dynamo...)
	add(getAtt(fn+"RetryQueue", "Arn"), "sqs:SendMessage", "sqs:ChangeMessageVisibility",
		"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes")
	return out
}

// checkRoles: each function runs with its own role, which grants exactly
// wantGrants: logs only on its own log group, no managed policies.
func checkRoles(t *Template) []string {
	var ps []string
	for _, fn := range functions {
		role := fn + "FunctionRole"
		fp := t.props(fn + "Function")
		if !same(fp["Role"], getAtt(role, "Arn")) {
			ps = append(ps, fmt.Sprintf("%sFunction runs as %s, want %s", fn, show(fp["Role"]), role))
		}
		if !same(path(fp, "LoggingConfig", "LogGroup"), ref(fn+"LogGroup")) {
			ps = append(ps, fmt.Sprintf("%sFunction logs to %s, want %sLogGroup", fn, show(path(fp, "LoggingConfig", "LogGroup")), fn))
		}
		r := t.resource(role)
		if r["Type"] != "AWS::IAM::Role" {
			ps = append(ps, fmt.Sprintf("%s is %v, want an AWS::IAM::Role", role, r["Type"]))
			continue
		}
		rp := asMap(r["Properties"])
		if m := rp["ManagedPolicyArns"]; m != nil {
			ps = append(ps, fmt.Sprintf("%s has managed policies %s (AWSLambdaBasicExecutionRole grants logs on every log group)", role, show(m)))
		}
		assumable := false
		for _, s := range asList(path(rp, "AssumeRolePolicyDocument", "Statement")) {
			if slices.Contains(stringsOf(path(s, "Principal", "Service")), "lambda.amazonaws.com") {
				assumable = true
			}
		}
		if !assumable {
			ps = append(ps, role+" cannot be assumed by Lambda")
		}
		// No policy attached from elsewhere.
		for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy"} {
			for _, id := range t.ofType(typ) {
				if strings.Contains(show(t.props(id)), `"`+role+`"`) {
					ps = append(ps, fmt.Sprintf("%s %s also grants %s permissions", typ, id, role))
				}
			}
		}
		got := map[grant]bool{}
		for _, pol := range asList(rp["Policies"]) {
			for _, s := range asList(path(pol, "PolicyDocument", "Statement")) {
				s := asMap(s)
				if s["Effect"] != "Allow" {
					continue
				}
				if s["NotAction"] != nil || s["NotResource"] != nil || s["Condition"] != nil {
					ps = append(ps, fmt.Sprintf("%s: statement %s uses NotAction, NotResource or Condition", role, show(s)))
				}
				resources := asList(s["Resource"])
				if resources == nil {
					resources = []any{s["Resource"]}
				}
				for _, a := range stringsOf(s["Action"]) {
					if strings.Contains(a, "*") {
						ps = append(ps, fmt.Sprintf("%s grants the wildcard action %s", role, a))
					}
					for _, res := range resources {
						if res == "*" {
							ps = append(ps, fmt.Sprintf("%s grants %s on every resource", role, a))
						}
						got[grant{a, show(normal(res))}] = true
					}
				}
			}
		}
		want := wantGrants(fn)
		for g := range got {
			if !want[g] {
				what := "more than it needs"
				if strings.HasPrefix(g.action, "logs:") {
					what = "logs beyond its own log group's CreateLogStream and PutLogEvents"
				}
				ps = append(ps, fmt.Sprintf("%s grants %s on %s: %s", role, g.action, g.resource, what))
			}
		}
		for g := range want {
			if !got[g] {
				ps = append(ps, fmt.Sprintf("%s lacks %s on %s", role, g.action, g.resource))
			}
		}
	}
	sort.Strings(ps)
	return ps
}

// The secrets' contents as first deployed: CloudFormation would write a
// changed SecretString or GenerateSecretString over what operators filled in.
var secretContents = map[string]map[string]any{
	"BrazeToZendeskSecret": {
		"Name": map[string]any{"Fn::Sub": "${AWS::StackName}/braze-to-zendesk"},
		"GenerateSecretString": map[string]any{
			"SecretStringTemplate": `{"zendesk_email":"","zendesk_api_token":""}`,
			"GenerateStringKey":    "braze_webhook_token",
			"PasswordLength":       48,
			"ExcludePunctuation":   true,
		},
	},
	"ZendeskToBrazeSecret": {
		"Name":         map[string]any{"Fn::Sub": "${AWS::StackName}/zendesk-to-braze"},
		"SecretString": `{"braze_api_key":"","zendesk_webhook_secret":""}`,
	},
}

// checkSecrets: RetainSecrets=Yes (the default) keeps both secrets through
// a stack deletion and a replacement, No deletes them; their contents never
// change.
func checkSecrets(t *Template) []string {
	var ps []string
	if d := path(t.Out["Parameters"], "RetainSecrets", "Default"); d != "Yes" {
		ps = append(ps, fmt.Sprintf("RetainSecrets defaults to %v, want Yes", d))
	}
	intrinsic := false
	for id, want := range secretContents {
		r := t.resource(id)
		if r["Type"] != "AWS::SecretsManager::Secret" {
			ps = append(ps, "no secret "+id)
			continue
		}
		for _, attr := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
			if _, ok := r[attr].(map[string]any); ok {
				intrinsic = true
			}
			for value, policy := range map[string]string{"Yes": "Retain", "No": "Delete"} {
				got, err := t.resolveIf(r[attr], t.params(map[string]string{"RetainSecrets": value}))
				if err != nil {
					ps = append(ps, fmt.Sprintf("%s %s: %v", id, attr, err))
				} else if got != policy {
					ps = append(ps, fmt.Sprintf("%s %s with RetainSecrets=%s is %v, want %s", id, attr, value, show(got), policy))
				}
			}
		}
		p := asMap(r["Properties"])
		for _, key := range []string{"Name", "SecretString", "GenerateSecretString"} {
			if !same(p[key], want[key]) {
				ps = append(ps, fmt.Sprintf("%s %s changed to %s: that would overwrite what operators filled in", id, key, show(p[key])))
			}
		}
	}
	// CloudFormation documents intrinsic functions in these attributes
	// with the AWS::LanguageExtensions transform, which must run first.
	if intrinsic {
		tr := stringsOf(t.Source["Transform"])
		i, j := slices.Index(tr, "AWS::LanguageExtensions"), slices.Index(tr, "AWS::Serverless-2016-10-31")
		if i < 0 || j < 0 || i > j {
			ps = append(ps, fmt.Sprintf("Transform is %v: Fn::If in DeletionPolicy needs AWS::LanguageExtensions before the SAM transform", tr))
		}
	}
	sort.Strings(ps)
	return ps
}

// checkConcurrency: reserved concurrency is optional and never below a
// queue's consumers; the HTTP API's throttling comes from parameters raised
// above API Gateway's 25 rps / 50 burst that the template used to set.
func checkConcurrency(t *Template) []string {
	var ps []string
	most := 0
	for _, row := range asMap(path(t.Out["Mappings"], "ZendeskPacing")) {
		for _, v := range asMap(row) {
			if n, ok := number(v); ok && int(n) > most {
				most = int(n)
			}
		}
	}
	if d := scalar(path(t.Out["Parameters"], "ReservedConcurrency", "Default")); d != "0" {
		ps = append(ps, fmt.Sprintf("ReservedConcurrency defaults to %s, want 0 (unreserved)", d))
	}
	values := t.allowed("ReservedConcurrency")
	if len(values) == 0 {
		ps = append(ps, "ReservedConcurrency has no AllowedValues to keep it above the queue consumers")
	}
	for _, v := range values {
		if n, _ := number(v); n != 0 && int(n) <= most {
			ps = append(ps, fmt.Sprintf("ReservedConcurrency may be %s, not above the %d consumers a queue may run", v, most))
		}
	}
	for _, fn := range functions {
		for _, rc := range []string{"0", "50"} {
			fp, err := t.resolveIf(t.props(fn+"Function"), t.params(map[string]string{"ReservedConcurrency": rc}))
			if err != nil {
				ps = append(ps, err.Error())
				continue
			}
			got, set := asMap(fp)["ReservedConcurrentExecutions"]
			if rc == "0" && set {
				ps = append(ps, fmt.Sprintf("%sFunction reserves %s with ReservedConcurrency=0", fn, show(got)))
			}
			if rc != "0" && !same(got, ref("ReservedConcurrency")) {
				ps = append(ps, fmt.Sprintf("%sFunction reserves %s with ReservedConcurrency=%s", fn, show(got), rc))
			}
		}
	}
	stage := t.props("HttpApiApiGatewayDefaultStage")
	for key, param := range map[string]string{"ThrottlingRateLimit": "ApiThrottlingRateLimit", "ThrottlingBurstLimit": "ApiThrottlingBurstLimit"} {
		if !same(path(stage, "DefaultRouteSettings", key), ref(param)) {
			ps = append(ps, fmt.Sprintf("the HTTP API's %s is %s, want the %s parameter", key, show(path(stage, "DefaultRouteSettings", key)), param))
		}
	}
	rate, _ := number(path(t.Out["Parameters"], "ApiThrottlingRateLimit", "Default"))
	burst, _ := number(path(t.Out["Parameters"], "ApiThrottlingBurstLimit", "Default"))
	if rate <= 25 || burst <= 50 {
		ps = append(ps, fmt.Sprintf("the HTTP API's default throttling %v rps / %v burst is not above 25 / 50", rate, burst))
	}
	return ps
}

// checkPrivateComments: internal notes reach Braze only when asked
// (SendPrivateComments, No by default).
func checkPrivateComments(t *Template) []string {
	var ps []string
	p := asMap(asMap(t.Out["Parameters"])["SendPrivateComments"])
	if d := scalar(p["Default"]); d != "No" {
		ps = append(ps, fmt.Sprintf("SendPrivateComments defaults to %q, want No", d))
	}
	if got := t.allowed("SendPrivateComments"); !same(got, []string{"Yes", "No"}) {
		ps = append(ps, fmt.Sprintf("SendPrivateComments allows %v, want Yes and No", got))
	}
	vars := asMap(path(t.props("ZendeskToBrazeFunction"), "Environment", "Variables"))
	if !same(vars["SEND_PRIVATE_COMMENTS"], ref("SendPrivateComments")) {
		ps = append(ps, fmt.Sprintf("ZendeskToBrazeFunction's SEND_PRIVATE_COMMENTS is %s, want !Ref SendPrivateComments", show(vars["SEND_PRIVATE_COMMENTS"])))
	}
	return ps
}

// checkBrazeContract: the Braze contract's settings reach ZendeskToBraze:
// objects per request (75 by default, 50 allowed for an MAU contract,
// never more than Braze's 75) and whether profiles may be created (not by
// default).
func checkBrazeContract(t *Template) []string {
	var ps []string
	params := asMap(t.Out["Parameters"])
	objs := asMap(params["BrazeObjectsPerRequest"])
	if d := scalar(objs["Default"]); d != "75" {
		ps = append(ps, fmt.Sprintf("BrazeObjectsPerRequest defaults to %q, want 75", d))
	}
	lo, _ := number(objs["MinValue"])
	hi, okHi := number(objs["MaxValue"])
	if !okHi || hi > 75 || lo < 1 || lo > 50 {
		ps = append(ps, fmt.Sprintf("BrazeObjectsPerRequest must allow 50 and no more than 75 (MinValue %v, MaxValue %v)", objs["MinValue"], objs["MaxValue"]))
	}
	create := asMap(params["BrazeCreateProfiles"])
	if d := scalar(create["Default"]); d != "No" {
		ps = append(ps, fmt.Sprintf("BrazeCreateProfiles defaults to %q, want No", d))
	}
	if got := t.allowed("BrazeCreateProfiles"); !same(got, []string{"Yes", "No"}) {
		ps = append(ps, fmt.Sprintf("BrazeCreateProfiles allows %v, want Yes and No", got))
	}
	vars := asMap(path(t.props("ZendeskToBrazeFunction"), "Environment", "Variables"))
	for env, param := range map[string]string{"BRAZE_OBJECTS_PER_REQUEST": "BrazeObjectsPerRequest", "BRAZE_CREATE_PROFILES": "BrazeCreateProfiles"} {
		if !same(vars[env], ref(param)) {
			ps = append(ps, fmt.Sprintf("ZendeskToBrazeFunction's %s is %s, want !Ref %s", env, show(vars[env]), param))
		}
	}
	return ps
}

// ifBranches is v's two values when it is an Fn::If, else v alone.
func ifBranches(v any) []any {
	if m, ok := v.(map[string]any); ok {
		if args, ok := m["Fn::If"].([]any); ok && len(args) == 3 {
			return []any{args[1], args[2]}
		}
	}
	return []any{v}
}
