// Package templatetest checks template.yaml as CloudFormation will see it:
// transformed by the SAM translator (the Python package samtranslator,
// which cfn-lint bundles), then asserted on: alarms, dashboard, queue
// consumers and their pacing, queues, table, least-privilege roles and the
// secrets' retention. It has no code of its own; see template_test.go.
package templatetest
