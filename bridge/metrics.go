package bridge

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the delivery path's Prometheus series. Labels are bounded:
// deliveries to unknown sources share the source label "_unknown".
type Metrics struct {
	deliveries     *prometheus.CounterVec
	verifyFailures *prometheus.CounterVec
	duplicates     *prometheus.CounterVec
	publishSeconds prometheus.Histogram
	objectSeconds  prometheus.Histogram
	inflight       prometheus.Gauge
	bodyBytes      prometheus.Gauge
}

// NewMetrics creates the series and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookbridge_deliveries_total",
			Help: "Webhook deliveries by source, provider and outcome.",
		}, []string{"source", "provider", "outcome"}),
		verifyFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookbridge_verification_failures_total",
			Help: "Deliveries rejected by signature verification, by source and reason (missing, malformed, mismatch, stale).",
		}, []string{"source", "reason"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookbridge_duplicates_total",
			Help: "Deliveries JetStream reported as duplicates of a stored message (platform retries).",
		}, []string{"source"}),
		publishSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hookbridge_publish_duration_seconds",
			Help:    "Time from JetStream publish to PubAck or failure.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		objectSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hookbridge_object_store_duration_seconds",
			Help:    "Time to store a body too large for a message in the Object Store (or find it stored), to success or failure.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hookbridge_inflight_deliveries",
			Help: "Deliveries being handled right now.",
		}),
		bodyBytes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hookbridge_body_bytes_in_flight",
			Help: "Bytes held for the bodies of the deliveries in flight (bounded by http.max_body_bytes_in_flight).",
		}),
	}
	if reg != nil {
		reg.MustRegister(m.deliveries, m.verifyFailures, m.duplicates, m.publishSeconds, m.objectSeconds, m.inflight, m.bodyBytes)
	}
	return m
}
