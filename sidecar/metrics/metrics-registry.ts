// Builds a prom-client Registry per component: never prom-client's global registry, so tests
// and several components in one process (the demo runs gateway and sidecars together) each
// get their own metrics without name collisions.
import { Registry, collectDefaultMetrics } from 'prom-client';

export interface MetricsRegistryOptions {
  /** Labels added to every series of this registry (keep them constant: `component`). */
  defaultLabels?: Readonly<Record<string, string>>;
  /**
   * Also export the standard process and Node.js runtime metrics (`process_*`, `nodejs_*`:
   * CPU, memory, event-loop lag, GC). Enable in one registry per process only. Default false.
   */
  processMetrics?: boolean;
}

export function createMetricsRegistry(options: MetricsRegistryOptions = {}): Registry {
  const registry = new Registry();
  if (options.defaultLabels !== undefined) registry.setDefaultLabels({ ...options.defaultLabels });
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });
  return registry;
}
