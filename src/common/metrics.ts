import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus registry. Metrics are infrastructure, not domain state: any module may
 * count into them, and `/metrics` exposes them.
 */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const ingestedTotal = new Counter({
  name: 'tracking_events_ingested_total',
  help: 'Messages stored as new events',
  labelNames: ['channel'] as const,
  registers: [registry],
});

export const duplicatesTotal = new Counter({
  name: 'tracking_events_duplicates_total',
  help: 'Messages acknowledged but not stored because their messageId was already stored',
  labelNames: ['channel'] as const,
  registers: [registry],
});

export const rejectedTotal = new Counter({
  name: 'tracking_events_rejected_total',
  help: 'Messages refused and kept in rejected_events',
  labelNames: ['channel'] as const,
  registers: [registry],
});

export const deliveriesTotal = new Counter({
  name: 'tracking_deliveries_total',
  help: 'Outgoing requests per event and destination, by outcome (one per Track row)',
  labelNames: ['destination_type', 'status'] as const,
  registers: [registry],
});

export const deliveryLatency = new Histogram({
  name: 'tracking_delivery_duration_seconds',
  help: 'Time an outgoing platform request took',
  labelNames: ['destination_type'] as const,
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});
