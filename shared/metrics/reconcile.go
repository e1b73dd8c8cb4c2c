package metrics

import "time"

// Reconciliation metric names: the template's alarm on a run that falls
// behind is built on ReconciliationLag.
const (
	// ProfilesRefreshed counts the Braze profiles a reconciliation run
	// wrote the support state of.
	ProfilesRefreshed = "ProfilesRefreshed"
	// ReconciliationLag is how far behind now the reconciliation cursor
	// stands after a run, in seconds.
	ReconciliationLag = "ReconciliationLag"
)

// UnitSeconds is CloudWatch's unit of a lag.
const UnitSeconds = "Seconds"

// Reconciled records one reconciliation run: the profiles it refreshed
// and the lag of its cursor.
func (r *Recorder) Reconciled(refreshed int, lag time.Duration) {
	if r == nil {
		return
	}
	line := map[string]any{DimFunction: r.function, ProfilesRefreshed: refreshed, ReconciliationLag: max(lag, 0).Seconds(),
		"_aws": envelope{Timestamp: r.now().UnixMilli(), CloudWatchMetrics: []directive{{Namespace: Namespace,
			Dimensions: [][]string{{DimFunction}}, Metrics: []metricDef{{ProfilesRefreshed, UnitCount}, {ReconciliationLag, UnitSeconds}}}}}}
	r.writeLine(line)
}
