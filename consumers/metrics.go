package consumers

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the consumer library's Prometheus series, labelled by consumer.
type Metrics struct {
	processed    *prometheus.CounterVec
	retried      *prometheus.CounterVec
	deadLettered *prometheus.CounterVec
	handlerTime  *prometheus.HistogramVec
}

// NewMetrics creates the series and registers them with reg (nil: not registered).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		processed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookbridge_consumer_processed_total",
			Help: "Messages handled successfully and acknowledged.",
		}, []string{"consumer"}),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookbridge_consumer_retried_total",
			Help: "Handler errors that scheduled a redelivery.",
		}, []string{"consumer"}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hookbridge_consumer_dead_lettered_total",
			Help: "Messages copied to the dead-letter subject and terminated, by reason (permanent, exhausted, undecodable).",
		}, []string{"consumer", "reason"}),
		handlerTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookbridge_consumer_handler_duration_seconds",
			Help:    "Time spent in the handler.",
			Buckets: prometheus.DefBuckets,
		}, []string{"consumer"}),
	}
	if reg != nil {
		reg.MustRegister(m.processed, m.retried, m.deadLettered, m.handlerTime)
	}
	return m
}
