package templatetest

import (
	"strings"
	"testing"
)

// A mutation breaks the transformed template in one way its check must
// catch.
type mutation struct {
	check  string
	what   string
	mutate func(t *Template)
}

// set puts v at the path below the resource's Properties (or, with a
// leading "", below the resource itself), creating maps on the way.
func set(t *Template, id string, v any, keys ...string) {
	m := t.resource(id)
	if len(keys) > 0 && keys[0] == "" {
		keys = keys[1:]
	} else {
		m = asMap(m["Properties"])
	}
	for _, k := range keys[:len(keys)-1] {
		next := asMap(m[k])
		if next == nil {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	if v == nil {
		delete(m, keys[len(keys)-1])
		return
	}
	m[keys[len(keys)-1]] = normal(v)
}

// setDim changes the value of an alarm's dimension.
func setDim(t *Template, id, name string, v any) {
	for _, d := range asList(t.props(id)["Dimensions"]) {
		if asMap(d)["Name"] == name {
			asMap(d)["Value"] = v
		}
	}
}

// editDashboard rewrites the dashboard body's text.
func editDashboard(t *Template, old, new string) {
	body := asMap(t.props("Dashboard")["DashboardBody"])
	s := body["Fn::Sub"].(string)
	if !strings.Contains(s, old) {
		panic("the dashboard has no " + old)
	}
	body["Fn::Sub"] = strings.Replace(s, old, new, 1)
}

// statements of a role's inline policy by name.
func statements(t *Template, role, policy string) []any {
	for _, p := range asList(t.props(role)["Policies"]) {
		if asMap(p)["PolicyName"] == policy {
			return asList(path(p, "PolicyDocument", "Statement"))
		}
	}
	panic("no policy " + policy + " in " + role)
}

var mutations = []mutation{
	// Braze contract.
	{"BrazeContract", "the object limit is not passed on", func(t *Template) {
		set(t, "ZendeskToBrazeFunction", nil, "Environment", "Variables", "BRAZE_OBJECTS_PER_REQUEST")
	}},
	{"BrazeContract", "the object limit may exceed Braze's", func(t *Template) {
		asMap(asMap(t.Out["Parameters"])["BrazeObjectsPerRequest"])["MaxValue"] = 225
	}},
	{"BrazeContract", "profiles are created by default", func(t *Template) {
		asMap(asMap(t.Out["Parameters"])["BrazeCreateProfiles"])["Default"] = "Yes"
	}},
	{"BrazeContract", "profile creation is not passed on", func(t *Template) {
		set(t, "ZendeskToBrazeFunction", "Yes", "Environment", "Variables", "BRAZE_CREATE_PROFILES")
	}},
	// Private comments.
	{"PrivateComments", "internal notes are sent by default", func(t *Template) {
		asMap(asMap(t.Out["Parameters"])["SendPrivateComments"])["Default"] = "Yes"
	}},
	{"PrivateComments", "the setting is not passed on", func(t *Template) {
		set(t, "ZendeskToBrazeFunction", nil, "Environment", "Variables", "SEND_PRIVATE_COMMENTS")
	}},
	// Alarm target.
	{"AlarmTarget", "the topic is created even when AlarmTopicArn is given", func(t *Template) {
		set(t, "AlarmTopic", nil, "", "Condition")
	}},
	{"AlarmTarget", "an alarm always notifies the stack's topic", func(t *Template) {
		set(t, "HttpApi5xxAlarm", []any{ref("AlarmTopic")}, "AlarmActions")
	}},
	{"AlarmTarget", "an alarm has no action", func(t *Template) {
		set(t, "BrazeToZendeskDeadLettersAlarm", nil, "AlarmActions")
	}},
	{"AlarmTarget", "the email is subscribed without AlarmEmail", func(t *Template) {
		set(t, "AlarmEmailSubscription", "CreateAlarmTopic", "", "Condition")
	}},
	{"AlarmTarget", "the email subscribes to the created topic only", func(t *Template) {
		set(t, "AlarmEmailSubscription", ref("AlarmTopic"), "TopicArn")
	}},
	{"AlarmTarget", "AlarmEmail is required", func(t *Template) {
		delete(asMap(path(t.Out["Parameters"], "AlarmEmail")), "Default")
	}},
	{"AlarmTarget", "the topic uses the AWS managed key", func(t *Template) {
		set(t, "AlarmTopic", "alias/aws/sns", "KmsMasterKeyId")
	}},
	{"AlarmTarget", "the topic is not encrypted", func(t *Template) {
		set(t, "AlarmTopic", nil, "KmsMasterKeyId")
	}},
	{"AlarmTarget", "the key does not let CloudWatch use it", func(t *Template) {
		st := asList(path(t.props("AlarmTopicKey"), "KeyPolicy", "Statement"))
		set(t, "AlarmTopicKey", st[:1], "KeyPolicy", "Statement")
	}},

	// Dead letters.
	{"DeadLetterAlarms", "the alarm watches the retry queue", func(t *Template) {
		setDim(t, "ZendeskToBrazeDeadLettersAlarm", "QueueName", getAtt("ZendeskToBrazeRetryQueue", "QueueName"))
	}},
	{"DeadLetterAlarms", "five dead letters are tolerated", func(t *Template) {
		set(t, "BrazeToZendeskDeadLettersAlarm", 5, "Threshold")
	}},
	{"DeadLetterAlarms", "the description does not say to redrive", func(t *Template) {
		set(t, "BrazeToZendeskDeadLettersAlarm", "Dead letters.", "AlarmDescription")
	}},

	// Credentials.
	{"CredentialAlarms", "the alarm watches another function", func(t *Template) {
		setDim(t, "ZendeskToBrazeCredentialFailuresAlarm", "Function", "BrazeToZendesk")
	}},
	{"CredentialAlarms", "missing data breaches", func(t *Template) {
		set(t, "BrazeToZendeskCredentialFailuresAlarm", "breaching", "TreatMissingData")
	}},
	{"CredentialAlarms", "the period is a minute", func(t *Template) {
		set(t, "BrazeToZendeskCredentialFailuresAlarm", 60, "Period")
	}},
	{"CredentialAlarms", "the average, not the sum", func(t *Template) {
		set(t, "ZendeskToBrazeCredentialFailuresAlarm", "Average", "Statistic")
	}},
	{"CredentialAlarms", "the description does not name the secret", func(t *Template) {
		set(t, "ZendeskToBrazeCredentialFailuresAlarm", "Credentials refused; then make redrive FN=ZendeskToBraze.", "AlarmDescription")
	}},

	// Function errors and throttles.
	{"FunctionAlarms", "no throttles alarm", func(t *Template) {
		delete(t.resources(), "ZendeskToBrazeThrottlesAlarm")
	}},
	{"FunctionAlarms", "the errors alarm watches the other function", func(t *Template) {
		setDim(t, "BrazeToZendeskErrorsAlarm", "FunctionName", ref("ZendeskToBrazeFunction"))
	}},

	// API 5xx.
	{"Api5xxAlarm", "the REST API's metric name", func(t *Template) {
		set(t, "HttpApi5xxAlarm", "5XXError", "MetricName")
	}},
	{"Api5xxAlarm", "no Stage dimension", func(t *Template) {
		set(t, "HttpApi5xxAlarm", []any{map[string]any{"Name": "ApiId", "Value": ref("HttpApi")}}, "Dimensions")
	}},
	{"Api5xxAlarm", "a single period", func(t *Template) {
		set(t, "HttpApi5xxAlarm", 1, "EvaluationPeriods")
		set(t, "HttpApi5xxAlarm", 1, "DatapointsToAlarm")
	}},

	// Failed deliveries.
	{"FailedDeliveriesAlarms", "another outcome", func(t *Template) {
		setDim(t, "BrazeToZendeskFailedDeliveriesAlarm", "Outcome", "failure")
	}},
	{"FailedDeliveriesAlarms", "five minutes, not fifteen", func(t *Template) {
		set(t, "ZendeskToBrazeFailedDeliveriesAlarm", 300, "Period")
	}},

	// Every alarm.
	{"AlarmsSayWhatToDo", "a terse description", func(t *Template) {
		set(t, "BrazeToZendeskThrottlesAlarm", "Throttled.", "AlarmDescription")
	}},
	{"AlarmsSayWhatToDo", "a name without the stack", func(t *Template) {
		set(t, "ZendeskToBrazeErrorsAlarm", "errors", "AlarmName")
	}},

	// Dashboard.
	{"Dashboard", "an outcome is missing", func(t *Template) {
		editDashboard(t, `["BrazeZendeskBridge", "Deliveries", "Function", "ZendeskToBraze", "Outcome", "ignored", {"label": "ignored"}]`,
			`["BrazeZendeskBridge", "Deliveries", "Function", "ZendeskToBraze", "Outcome", "failed", {"label": "ignored"}]`)
	}},
	{"Dashboard", "p90 instead of p99", func(t *Template) {
		editDashboard(t, `"DownstreamLatency", "Function", "BrazeToZendesk", {"stat": "p99"`, `"DownstreamLatency", "Function", "BrazeToZendesk", {"stat": "p90"`)
	}},
	{"Dashboard", "a reference to no resource", func(t *Template) {
		editDashboard(t, "${HttpApi}", "${HttpAPI}")
	}},
	{"Dashboard", "the body is not JSON", func(t *Template) {
		editDashboard(t, `"widgets": [`, `"widgets": `)
	}},
	{"Dashboard", "a dead-letter queue is missing", func(t *Template) {
		editDashboard(t, "${ZendeskToBrazeDeadLetterQueue.QueueName}", "${ZendeskToBrazeRetryQueue.QueueName}")
	}},
	{"Dashboard", "no LegacyZendeskToken of a function", func(t *Template) {
		editDashboard(t, `"LegacyZendeskToken", "Function", "ZendeskToBraze"`, `"LegacyZendeskTokens", "Function", "ZendeskToBraze"`)
	}},
	{"Dashboard", "no API 4xx", func(t *Template) {
		editDashboard(t, `"4xx", "ApiId"`, `"Count", "ApiId"`)
	}},
	{"Dashboard", "no DownstreamStatus", func(t *Template) {
		editDashboard(t, `MetricName=\"DownstreamStatus\" Function=\"ZendeskToBraze\"`, `MetricName=\"DownstreamStatuses\" Function=\"ZendeskToBraze\"`)
	}},
	{"Dashboard", "DownstreamStatus not by Status", func(t *Template) {
		editDashboard(t, `{BrazeZendeskBridge,Function,Status} MetricName=\"DownstreamStatus\" Function=\"BrazeToZendesk\"`, `{BrazeZendeskBridge,Function} MetricName=\"DownstreamStatus\" Function=\"BrazeToZendesk\"`)
	}},
	{"Dashboard", "dropped queue records are missing", func(t *Template) {
		editDashboard(t, `"QueueRedeliveries", "Function", "ZendeskToBraze", "Outcome", "dropped"`, `"QueueRedeliveries", "Function", "ZendeskToBraze", "Outcome", "failed"`)
	}},

	// Event sources.
	{"EventSources", "no ReportBatchItemFailures", func(t *Template) {
		set(t, "BrazeToZendeskFunctionRetryQueue", nil, "FunctionResponseTypes")
	}},
	{"EventSources", "no batching window", func(t *Template) {
		set(t, "BrazeToZendeskFunctionRetryQueue", nil, "MaximumBatchingWindowInSeconds")
	}},
	{"EventSources", "a batch of 750 without a window", func(t *Template) {
		set(t, "ZendeskToBrazeFunctionRetryQueue", 0, "MaximumBatchingWindowInSeconds")
	}},
	{"EventSources", "no MaximumConcurrency", func(t *Template) {
		set(t, "ZendeskToBrazeFunctionRetryQueue", nil, "ScalingConfig")
	}},
	{"EventSources", "a fixed MaximumConcurrency", func(t *Template) {
		set(t, "BrazeToZendeskFunctionRetryQueue", map[string]any{"Fn::FindInMap": []any{"ZendeskPacing", "2500", "BrazeToZendeskConsumers"}}, "ScalingConfig", "MaximumConcurrency")
	}},
	{"EventSources", "more consumers than the budget", func(t *Template) {
		asMap(path(t.Out["Mappings"], "ZendeskPacing", "700"))["BrazeToZendeskConsumers"] = 5
	}},
	{"EventSources", "fewer consumers than SQS allows", func(t *Template) {
		asMap(path(t.Out["Mappings"], "ZendeskPacing", "200"))["ZendeskToBrazeConsumers"] = 1
	}},
	{"EventSources", "a rate without a mapping row", func(t *Template) {
		delete(asMap(path(t.Out["Mappings"], "ZendeskPacing")), "1000")
	}},
	{"EventSources", "the other function's queue", func(t *Template) {
		set(t, "ZendeskToBrazeFunctionRetryQueue", getAtt("BrazeToZendeskRetryQueue", "Arn"), "EventSourceArn")
	}},

	// Queues.
	{"Queues", "a dead-letter queue without encryption", func(t *Template) {
		set(t, "BrazeToZendeskDeadLetterQueue", nil, "SqsManagedSseEnabled")
	}},
	{"Queues", "a fixed maxReceiveCount", func(t *Template) {
		set(t, "ZendeskToBrazeRetryQueue", 5, "RedrivePolicy", "maxReceiveCount")
	}},
	{"Queues", "a short visibility timeout", func(t *Template) {
		set(t, "BrazeToZendeskRetryQueue", 60, "VisibilityTimeout")
	}},
	{"Queues", "visibility that forgets the batching window", func(t *Template) {
		set(t, "ZendeskToBrazeRetryQueue", 72, "VisibilityTimeout")
	}},
	{"Queues", "the other dead-letter queue", func(t *Template) {
		set(t, "ZendeskToBrazeRetryQueue", getAtt("BrazeToZendeskDeadLetterQueue", "Arn"), "RedrivePolicy", "deadLetterTargetArn")
	}},

	// Table.
	{"Table", "provisioned", func(t *Template) { set(t, "DedupeTable", "PROVISIONED", "BillingMode") }},
	{"Table", "no SSE", func(t *Template) { set(t, "DedupeTable", nil, "SSESpecification") }},
	{"Table", "another TTL attribute", func(t *Template) {
		set(t, "DedupeTable", "ttl", "TimeToLiveSpecification", "AttributeName")
	}},

	// Roles.
	{"Roles", "AWSLambdaBasicExecutionRole", func(t *Template) {
		set(t, "BrazeToZendeskFunctionRole", []any{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"}, "ManagedPolicyArns")
	}},
	{"Roles", "logs on every resource", func(t *Template) {
		asMap(statements(t, "ZendeskToBrazeFunctionRole", "logs")[0])["Resource"] = "*"
	}},
	{"Roles", "logs:*", func(t *Template) {
		asMap(statements(t, "BrazeToZendeskFunctionRole", "logs")[0])["Action"] = "logs:*"
	}},
	{"Roles", "logs on the other function's log group", func(t *Template) {
		asMap(statements(t, "BrazeToZendeskFunctionRole", "logs")[0])["Resource"] = getAtt("ZendeskToBrazeLogGroup", "Arn")
	}},
	{"Roles", "logs:CreateLogGroup too", func(t *Template) {
		s := asMap(statements(t, "ZendeskToBrazeFunctionRole", "logs")[0])
		s["Action"] = append(asList(s["Action"]), "logs:CreateLogGroup")
	}},
	{"Roles", "a DynamoDB action it does not use", func(t *Template) {
		s := asMap(statements(t, "BrazeToZendeskFunctionRole", "dedupe")[0])
		s["Action"] = append(asList(s["Action"]), "dynamodb:DeleteItem")
	}},
	{"Roles", "the event source cannot receive", func(t *Template) {
		s := asMap(statements(t, "ZendeskToBrazeFunctionRole", "retry-queue")[1])
		s["Action"] = asList(s["Action"])[1:]
	}},
	{"Roles", "the other function's secret", func(t *Template) {
		asMap(statements(t, "BrazeToZendeskFunctionRole", "secret")[0])["Resource"] = ref("ZendeskToBrazeSecret")
	}},
	{"Roles", "the function runs as the other role", func(t *Template) {
		set(t, "ZendeskToBrazeFunction", getAtt("BrazeToZendeskFunctionRole", "Arn"), "Role")
	}},
	{"Roles", "a policy attached from elsewhere", func(t *Template) {
		t.resources()["Extra"] = map[string]any{"Type": "AWS::IAM::Policy", "Properties": map[string]any{
			"PolicyName": "extra", "Roles": []any{ref("BrazeToZendeskFunctionRole")},
			"PolicyDocument": map[string]any{"Statement": []any{map[string]any{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}}},
		}}
	}},

	// Secrets.
	{"Secrets", "always deleted", func(t *Template) { set(t, "BrazeToZendeskSecret", "Delete", "", "DeletionPolicy") }},
	{"Secrets", "always retained on replacement", func(t *Template) {
		set(t, "ZendeskToBrazeSecret", "Retain", "", "UpdateReplacePolicy")
	}},
	{"Secrets", "no language extensions", func(t *Template) {
		t.Source["Transform"] = "AWS::Serverless-2016-10-31"
	}},
	{"Secrets", "RetainSecrets defaults to No", func(t *Template) {
		asMap(path(t.Out["Parameters"], "RetainSecrets"))["Default"] = "No"
	}},
	{"Secrets", "a changed SecretString", func(t *Template) {
		set(t, "ZendeskToBrazeSecret", `{"braze_api_key":"","zendesk_webhook_secret":"","zendesk_email":""}`, "SecretString")
	}},
	{"Secrets", "a changed GenerateSecretString", func(t *Template) {
		set(t, "BrazeToZendeskSecret", 64, "GenerateSecretString", "PasswordLength")
	}},

	// Concurrency.
	{"Concurrency", "a reservation below the consumers", func(t *Template) {
		p := asMap(path(t.Out["Parameters"], "ReservedConcurrency"))
		p["AllowedValues"] = append(asList(p["AllowedValues"]), 5)
	}},
	{"Concurrency", "always reserved", func(t *Template) {
		set(t, "BrazeToZendeskFunction", 10, "ReservedConcurrentExecutions")
	}},
	{"Concurrency", "reserved by default", func(t *Template) {
		asMap(path(t.Out["Parameters"], "ReservedConcurrency"))["Default"] = 50
	}},
	{"Concurrency", "fixed API throttling", func(t *Template) {
		set(t, "HttpApiApiGatewayDefaultStage", 25, "DefaultRouteSettings", "ThrottlingRateLimit")
	}},
	{"Concurrency", "the old API throttling by default", func(t *Template) {
		asMap(path(t.Out["Parameters"], "ApiThrottlingBurstLimit"))["Default"] = 50
	}},
}

// TestChecksCatch breaks the template in each way above and expects the
// check that guards against it to say so: no check passes vacuously.
func TestChecksCatch(t *testing.T) {
	base := load(t)
	covered := map[string]bool{}
	for _, m := range mutations {
		covered[m.check] = true
		t.Run(m.check+"/"+m.what, func(t *testing.T) {
			c, ok := checks[m.check]
			if !ok {
				t.Fatalf("no check %s", m.check)
			}
			if ps := c(base); len(ps) != 0 {
				t.Fatalf("%s fails before the mutation: %v", m.check, ps)
			}
			tpl := base.clone()
			m.mutate(tpl)
			if ps := c(tpl); len(ps) == 0 {
				t.Errorf("%s did not notice: %s", m.check, m.what)
			} else {
				t.Logf("%s: %s", m.check, ps[0])
			}
		})
	}
	for name := range checks {
		if !covered[name] {
			t.Errorf("no mutation shows that check %s can fail", name)
		}
	}
}
